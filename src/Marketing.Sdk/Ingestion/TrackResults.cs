namespace Marketing.Sdk.Ingestion;

/// <summary>What happened to one tracked event.</summary>
public enum TrackStatus
{
    /// <summary>Validated, cleaned, resolved and stored.</summary>
    Accepted = 0,
    /// <summary>An event with the same id was accepted before; nothing was stored again.</summary>
    Duplicate,
    /// <summary>A cleaning rule dropped the event (see <see cref="TrackResult.DropReason"/>).</summary>
    Dropped,
    /// <summary>Validation rejected the event (see <see cref="TrackResult.Error"/>).</summary>
    Rejected,
}

/// <summary>Why a cleaning rule dropped an event.</summary>
public enum DropReason
{
    /// <summary>The event's session looks automated and <see cref="IngestionOptions.BotAction"/> is <see cref="BotSessionAction.Drop"/>.</summary>
    Bot = 1,
}

/// <summary>The outcome of tracking one event.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="Status">What happened.</param>
/// <param name="CustomerId">The profile the event belongs to (accepted and duplicate events).</param>
/// <param name="Flags">Flags the cleaning rules set.</param>
/// <param name="DropReason">Why the event was dropped, when <see cref="Status"/> is <see cref="TrackStatus.Dropped"/>.</param>
/// <param name="Error">Why the event was rejected, when <see cref="Status"/> is <see cref="TrackStatus.Rejected"/>.</param>
public sealed record TrackResult(
    string? EventId,
    TrackStatus Status,
    CustomerId? CustomerId = null,
    EventFlags Flags = EventFlags.None,
    DropReason? DropReason = null,
    MarketingValidationException? Error = null);

/// <summary>The outcome of tracking a batch: one result per input event, in input order, plus totals.</summary>
public sealed record BatchTrackResult(IReadOnlyList<TrackResult> Results)
{
    /// <summary>Number of accepted events.</summary>
    public int Accepted => Count(TrackStatus.Accepted);

    /// <summary>Number of duplicate events.</summary>
    public int Duplicates => Count(TrackStatus.Duplicate);

    /// <summary>Number of dropped events.</summary>
    public int Dropped => Count(TrackStatus.Dropped);

    /// <summary>Number of rejected events.</summary>
    public int Rejected => Count(TrackStatus.Rejected);

    /// <summary>Throws the first rejection's <see cref="MarketingValidationException"/> (with its batch index), if any.</summary>
    public void ThrowIfAnyRejected()
    {
        foreach (var r in Results)
        {
            if (r.Error is { } error)
            {
                throw error;
            }
        }
    }

    private int Count(TrackStatus status) => Results.Count(r => r.Status == status);
}
