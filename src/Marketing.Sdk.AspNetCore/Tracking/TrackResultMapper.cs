using Marketing.Sdk.Ingestion;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>Turns the collector's results into the wire shape (string enums; a rejection is field + reason + code, never an exception).</summary>
internal static class TrackResultMapper
{
    public static TrackItemResponse ToItem(int index, TrackResult result) => result.Status switch
    {
        TrackStatus.Accepted => new TrackItemResponse(index, result.EventId, TrackOutcome.Accepted),
        TrackStatus.Duplicate => new TrackItemResponse(index, result.EventId, TrackOutcome.Duplicate),
        TrackStatus.Dropped => new TrackItemResponse(index, result.EventId, TrackOutcome.Dropped, result.DropReason?.ToString() ?? "Unknown"),
        _ => new TrackItemResponse(index, result.EventId, TrackOutcome.Rejected, null,
            result.Error is { } error
                ? TrackingErrors.Create(error.Field, error.Reason.ToString(), error.Detail)
                : TrackingErrors.Create("$", TrackingErrors.InvalidValue, "The event was rejected.")),
    };

    /// <summary>
    /// Tracks the events as one batch. Should the collector fail the batch as a whole for one item's
    /// value, the events are tracked one by one so the valid ones are kept and the bad one is rejected;
    /// store failures propagate (503 through ProblemDetails).
    /// </summary>
    public static async Task<IReadOnlyList<TrackResult>> TrackAllAsync(IEventCollector collector, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return (await collector.TrackBatchAsync(events, cancellationToken).ConfigureAwait(false)).Results;
        }
        catch (Exception ex) when (IsItemFailure(ex))
        {
            var results = new TrackResult[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                try
                {
                    results[i] = await collector.TrackAsync(events[i], cancellationToken).ConfigureAwait(false);
                }
                catch (MarketingValidationException invalid)
                {
                    results[i] = new TrackResult(events[i].Id, TrackStatus.Rejected, Error: TrackError.From(invalid, i));
                }
                catch (Exception other) when (IsItemFailure(other))
                {
                    results[i] = new TrackResult(events[i].Id, TrackStatus.Rejected,
                        Error: TrackError.From(new MarketingValidationException("$", ValidationReason.OutOfRange, "A value of the event cannot be processed (e.g. an arithmetic overflow)."), i));
                }
            }
            return results;
        }
    }

    private static bool IsItemFailure(Exception ex) =>
        ex is MarketingValidationException or OverflowException or ArgumentException or FormatException;
}
