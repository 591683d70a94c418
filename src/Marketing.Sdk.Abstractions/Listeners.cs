namespace Marketing.Sdk;

/// <summary>
/// Receives events after they were validated, cleaned, resolved to a profile and stored. Register
/// any number of listeners as singletons; the event collector calls each in registration order
/// (segment evaluation on each event, journey triggers, real-time counters). A listener that throws
/// does not undo the ingestion: the events are already stored; the error is logged and surfaced in
/// the collector's metrics.
/// </summary>
public interface IMarketingEventListener
{
    /// <summary>Handles a batch of newly accepted events (duplicates and dropped events excluded).</summary>
    /// <param name="events">The accepted events, each with its <see cref="MarketingEvent.CustomerId"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>A customer entered or left a segment (or any named group: value layer, RFM segment, lifecycle stage).</summary>
/// <param name="SegmentId">The segment's id.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="Entered"><see langword="true"/> when the customer entered, <see langword="false"/> when they left.</param>
/// <param name="At">When the change was detected.</param>
public sealed record SegmentMembershipChange(string SegmentId, [property: PseudonymousData] CustomerId CustomerId, bool Entered, DateTimeOffset At)
{
    /// <summary>
    /// The change's stable id, or <see langword="null"/> when its source gives none. A source that records
    /// its changes durably (the segmentation package, lifecycle stages) stores the id with the change and
    /// delivers it again, under the same id, when the host that recorded it stopped (or a listener failed)
    /// before every listener had it: a listener that must act once per change keeps the ids it handled, or
    /// makes its effect idempotent by them.
    /// </summary>
    public string? ChangeId { get; init; }
}

/// <summary>
/// Receives segment enter/exit changes (journeys, audience sync). Register any number as singletons;
/// the segmentation package calls each one. Delivery is at least once: a change recorded by a host that
/// stopped before every listener had it is delivered again by another host's republish sweep, under the
/// same <see cref="SegmentMembershipChange.ChangeId"/>, possibly after later changes of the same customer.
/// </summary>
public interface ISegmentMembershipListener
{
    /// <summary>Handles membership changes.</summary>
    /// <param name="changes">The changes, in the order they were detected.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default);
}
