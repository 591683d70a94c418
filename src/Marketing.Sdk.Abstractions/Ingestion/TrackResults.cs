using System.Text.Json.Serialization;

namespace Marketing.Sdk.Ingestion;

/// <summary>What happened to one tracked event. Serialised as its name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrackStatus>))]
public enum TrackStatus
{
    /// <summary>Validated, cleaned, resolved and stored.</summary>
    Accepted = 0,
    /// <summary>An event with the same id was accepted before; nothing was stored again.</summary>
    Duplicate,
    /// <summary>A cleaning rule dropped the event (see <see cref="TrackResult.DropReason"/>).</summary>
    Dropped,
    /// <summary>The event was rejected and not stored (see <see cref="TrackResult.Error"/>).</summary>
    Rejected,
}

/// <summary>Why a cleaning rule dropped an event. Serialised as its name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DropReason>))]
public enum DropReason
{
    /// <summary>The event's session looks automated and the ingestion options say to drop such sessions.</summary>
    Bot = 1,
}

/// <summary>
/// Why one event was rejected: the offending field, the reason and a stable machine code. Holds no
/// personal data and no value of the event, so it can be returned to a caller, logged or stored as is.
/// </summary>
/// <param name="Index">Position of the event in its batch, or <see langword="null"/> for a single event.</param>
/// <param name="Field">Path of the offending field, e.g. <c>identities[1].value</c> or <c>order.lines[0].quantity</c>.</param>
/// <param name="Reason">Why the value was rejected.</param>
/// <param name="Code">A stable machine-readable code, the <paramref name="Reason"/> in snake_case (e.g. <c>invalid_format</c>); see <see cref="CodeFor"/>.</param>
/// <param name="Detail">A human-readable explanation that contains no value of the event.</param>
public sealed record TrackError(int? Index, string Field, ValidationReason Reason, string Code, string Detail)
{
    /// <summary>The error a <see cref="MarketingValidationException"/> describes.</summary>
    /// <param name="exception">The validation failure.</param>
    /// <param name="index">Position in the batch; the exception's own index when <see langword="null"/>.</param>
    public static TrackError From(MarketingValidationException exception, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new TrackError(index ?? exception.Index, exception.Field, exception.Reason, CodeFor(exception.Reason), exception.Detail);
    }

    /// <summary>The stable code of a reason: its name in snake_case (<c>missing</c>, <c>invalid_format</c>, <c>future_timestamp</c>…).</summary>
    /// <param name="reason">The reason.</param>
    public static string CodeFor(ValidationReason reason) => reason switch
    {
        ValidationReason.Missing => "missing",
        ValidationReason.InvalidFormat => "invalid_format",
        ValidationReason.InvalidCurrency => "invalid_currency",
        ValidationReason.FutureTimestamp => "future_timestamp",
        ValidationReason.TooOld => "too_old",
        ValidationReason.Negative => "negative",
        ValidationReason.OutOfRange => "out_of_range",
        ValidationReason.UnknownIdentityKind => "unknown_identity_kind",
        ValidationReason.TooLarge => "too_large",
        ValidationReason.InvalidCharacters => "invalid_characters",
        ValidationReason.Inconsistent => "inconsistent",
        ValidationReason.Unprocessable => "unprocessable",
        _ => "invalid",
    };

    /// <summary>The same error as a <see cref="MarketingValidationException"/> (for callers that prefer to throw).</summary>
    public MarketingValidationException ToException() => new(Field, Reason, Detail, Index);

    /// <summary>Field, reason and index; never a value.</summary>
    public override string ToString() =>
        Index is { } i ? $"[{i}].{Field}: {Code} ({Detail})" : $"{Field}: {Code} ({Detail})";
}

/// <summary>The outcome of tracking one event.</summary>
/// <param name="EventId">The event's id, when it had a readable one.</param>
/// <param name="Status">What happened.</param>
/// <param name="CustomerId">The profile the event belongs to (accepted and duplicate events).</param>
/// <param name="Flags">Flags the cleaning rules set.</param>
/// <param name="DropReason">Why the event was dropped, when <see cref="Status"/> is <see cref="TrackStatus.Dropped"/>.</param>
/// <param name="Error">Why the event was rejected, when <see cref="Status"/> is <see cref="TrackStatus.Rejected"/>.</param>
public sealed record TrackResult(
    string? EventId,
    TrackStatus Status,
    [property: PseudonymousData] CustomerId? CustomerId = null,
    EventFlags Flags = EventFlags.None,
    DropReason? DropReason = null,
    TrackError? Error = null);

/// <summary>The outcome of tracking a batch: one result per input event, in input order, plus totals.</summary>
/// <param name="Results">One result per input event, in input order.</param>
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

    /// <summary>Throws the first rejection as a <see cref="MarketingValidationException"/> (with its batch index), if any.</summary>
    /// <exception cref="MarketingValidationException">At least one event was rejected.</exception>
    public void ThrowIfAnyRejected()
    {
        foreach (var r in Results)
        {
            if (r.Error is { } error)
            {
                throw error.ToException();
            }
        }
    }

    private int Count(TrackStatus status) => Results.Count(r => r.Status == status);
}
