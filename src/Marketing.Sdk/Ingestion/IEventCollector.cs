namespace Marketing.Sdk.Ingestion;

/// <summary>
/// The entry point for behaviour data: validates, cleans (duplicates, bots, missing region,
/// identity normalisation), resolves the customer's unified profile and stores each event, then
/// notifies every <see cref="IMarketingEventListener"/>. Register once per host (singleton); safe for
/// concurrent callers.
/// </summary>
public interface IEventCollector
{
    /// <summary>Tracks one event.</summary>
    /// <param name="marketingEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The outcome (accepted, duplicate or dropped).</returns>
    /// <exception cref="MarketingValidationException">The event is invalid; nothing was stored.</exception>
    ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tracks a batch. Invalid events are reported per item (<see cref="TrackStatus.Rejected"/> with
    /// the error and its index) and the valid ones are stored; the stored part is atomic per batch.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<BatchTrackResult> TrackBatchAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default);
}
