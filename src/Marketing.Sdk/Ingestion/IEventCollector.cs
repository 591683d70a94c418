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
    /// <exception cref="MarketingValidationException">The event is invalid (or a per-event step failed unexpectedly: <see cref="ValidationReason.Unprocessable"/>); nothing was stored.</exception>
    /// <exception cref="Storage.MarketingStoreException">A store failed; retry the call.</exception>
    ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tracks a batch. Invalid events are reported per item (<see cref="TrackStatus.Rejected"/> with a
    /// <see cref="TrackError"/> naming the index, field and reason) and the valid ones are stored. Any
    /// failure that concerns one event — a rule it breaks, or an unexpected exception while it is
    /// validated, cleaned or resolved (<see cref="ValidationReason.Unprocessable"/>) — rejects that event
    /// only, before anything is written for it. Caller-set <see cref="MarketingEvent.Flags"/> and
    /// <see cref="MarketingEvent.ReceivedAt"/> are validated and then replaced by the pipeline's own.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="Storage.MarketingStoreException">A store failed; the batch can be retried as a whole (event ids de-duplicate).</exception>
    ValueTask<BatchTrackResult> TrackBatchAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default);
}
