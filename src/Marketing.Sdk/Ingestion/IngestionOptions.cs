using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>What the cleaning pipeline does with an event from a session that looks automated.</summary>
public enum BotSessionAction
{
    /// <summary>Store the event with <see cref="EventFlags.SuspectedBot"/> set (analytics can exclude it).</summary>
    Flag = 0,
    /// <summary>Do not store the event.</summary>
    Drop,
}

/// <summary>Validation and cleaning rules for event ingestion. Every property has a documented default.</summary>
public sealed class IngestionOptions
{
    /// <summary>How far in the future an event's <see cref="MarketingEvent.OccurredAt"/> may lie (client clock skew). Default 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Oldest accepted event age, or <see langword="null"/> for no limit (imports of history). Default <see langword="null"/>.</summary>
    public TimeSpan? MaxEventAge { get; set; }

    /// <summary>Longest accepted event id. Default 128; at most <see cref="Storage.StoreLimits.MaxKeyLength"/>.</summary>
    public int MaxEventIdLength { get; set; } = 128;

    /// <summary>Most identities per event. Default 20.</summary>
    public int MaxIdentitiesPerEvent { get; set; } = 20;

    /// <summary>Longest accepted identity value. Default 256; at most <see cref="Storage.StoreLimits.MaxKeyLength"/>.</summary>
    public int MaxIdentityValueLength { get; set; } = 256;

    /// <summary>Most properties per event. Default 100.</summary>
    public int MaxProperties { get; set; } = 100;

    /// <summary>Longest property name. Default 64.</summary>
    public int MaxPropertyNameLength { get; set; } = 64;

    /// <summary>Longest text property value. Default 4 096.</summary>
    public int MaxPropertyValueLength { get; set; } = 4096;

    /// <summary>Most lines per order. Default 500.</summary>
    public int MaxOrderLines { get; set; } = 500;

    /// <summary>Longest accepted text in other fields (session id, campaign id, region). Default 256.</summary>
    public int MaxFieldLength { get; set; } = 256;

    /// <summary>
    /// Region (ISO 3166-1 alpha-2, e.g. <c>CN</c>, <c>US</c>) for phone numbers written without a
    /// country code. <see langword="null"/> (the default) accepts only international numbers (<c>+86…</c>).
    /// </summary>
    public string? DefaultPhoneRegion { get; set; }

    /// <summary>Whether events whose id was already accepted are skipped. Default <see langword="true"/>.</summary>
    public bool DropDuplicates { get; set; } = true;

    /// <summary>Whether session-based bot detection runs. Default <see langword="true"/>.</summary>
    public bool DetectBots { get; set; } = true;

    /// <summary>A session with more events than this is treated as automated. Default 100.</summary>
    public int BotMaxEventsPerSession { get; set; } = 100;

    /// <summary>Two consecutive events of one session closer than this are an inhuman gap. Default 150 ms.</summary>
    public TimeSpan BotMinHumanGap { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>A session with more inhuman gaps than this is treated as automated. Default 10.</summary>
    public int BotMaxInhumanGaps { get; set; } = 10;

    /// <summary>What happens to events of an automated session. Default <see cref="BotSessionAction.Flag"/>.</summary>
    public BotSessionAction BotAction { get; set; } = BotSessionAction.Flag;

    /// <summary>How long session statistics are kept after the session's last event. Default 2 hours.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Most sessions tracked at once; the least recently active are forgotten beyond it. Default 100 000.</summary>
    public int MaxTrackedSessions { get; set; } = 100_000;

    /// <summary>Whether a missing region is filled from the IP address by a registered <see cref="IGeoResolver"/>. Default <see langword="true"/>.</summary>
    public bool FillRegionFromIp { get; set; } = true;

    /// <summary>How concurrent <see cref="IEventCollector.TrackAsync"/> calls share batches (on by default; see <see cref="GroupCommitOptions"/>).</summary>
    public GroupCommitOptions GroupCommit { get; set; } = new();
}

internal sealed class IngestionOptionsValidator : IValidateOptions<IngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestionOptions o)
    {
        var errors = new List<string>();
        void Positive(int value, string field)
        {
            if (value <= 0)
            {
                errors.Add($"{nameof(IngestionOptions)}.{field} must be positive.");
            }
        }
        if (o.MaxClockSkew < TimeSpan.Zero)
        {
            errors.Add("IngestionOptions.MaxClockSkew must not be negative.");
        }

        if (o.MaxEventAge is { } age && age <= TimeSpan.Zero)
        {
            errors.Add("IngestionOptions.MaxEventAge must be positive when set.");
        }

        Positive(o.MaxEventIdLength, nameof(o.MaxEventIdLength));
        Positive(o.MaxIdentitiesPerEvent, nameof(o.MaxIdentitiesPerEvent));
        Positive(o.MaxIdentityValueLength, nameof(o.MaxIdentityValueLength));
        Positive(o.MaxProperties, nameof(o.MaxProperties));
        Positive(o.MaxPropertyNameLength, nameof(o.MaxPropertyNameLength));
        Positive(o.MaxPropertyValueLength, nameof(o.MaxPropertyValueLength));
        Positive(o.MaxOrderLines, nameof(o.MaxOrderLines));
        Positive(o.MaxFieldLength, nameof(o.MaxFieldLength));
        Positive(o.BotMaxEventsPerSession, nameof(o.BotMaxEventsPerSession));
        Positive(o.BotMaxInhumanGaps, nameof(o.BotMaxInhumanGaps));
        Positive(o.MaxTrackedSessions, nameof(o.MaxTrackedSessions));
        if (o.MaxEventIdLength > Storage.StoreLimits.MaxKeyLength)
        {
            errors.Add($"IngestionOptions.MaxEventIdLength must be at most {Storage.StoreLimits.MaxKeyLength} (the longest key every store accepts).");
        }

        if (o.MaxIdentityValueLength > Storage.StoreLimits.MaxKeyLength)
        {
            errors.Add($"IngestionOptions.MaxIdentityValueLength must be at most {Storage.StoreLimits.MaxKeyLength} (the longest key every store accepts).");
        }

        if (o.SessionTimeout <= TimeSpan.Zero)
        {
            errors.Add("IngestionOptions.SessionTimeout must be positive.");
        }

        if (o.BotMinHumanGap < TimeSpan.Zero)
        {
            errors.Add("IngestionOptions.BotMinHumanGap must not be negative.");
        }

        if (o.DefaultPhoneRegion is { } region && !PhoneNumbers.PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(region.ToUpperInvariant()))
        {
            errors.Add("IngestionOptions.DefaultPhoneRegion must be an ISO 3166-1 alpha-2 region with a phone numbering plan (e.g. CN, US, GB).");
        }
        GroupCommitOptions.Validate(o.GroupCommit, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
