using System.Diagnostics.Metrics;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Campaigns;

/// <summary>Settings of campaigns.</summary>
public sealed class CampaignOptions
{
    /// <summary>Whether a hosted service runs the active campaigns every <see cref="PollInterval"/> (default true).</summary>
    public bool RunInBackground { get; set; } = true;

    /// <summary>How often the background service runs the active campaigns (default 1 minute; 1 second to 1 hour).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a campaign's lease lasts; renewed while a run goes on (default 5 minutes; 10 seconds to 1 day).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Fewest observations (events of <see cref="SendTimeEventTypes"/> in <see cref="HistoryLookback"/>) for a customer's own
    /// best hour; with fewer the segment's best hour is used, and with fewer in the whole segment the window is filled from its start (default 3).
    /// </summary>
    public int MinimumObservations { get; set; } = 3;

    /// <summary>How far before the window's start the history is read (default 90 days).</summary>
    public TimeSpan HistoryLookback { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The events whose hours make a customer's history (default <c>message_open</c>, <c>message_click</c>, <c>purchase</c>).</summary>
    public IList<EventType> SendTimeEventTypes { get; } = [MessageEventTypes.Open, MessageEventTypes.Click, EventType.Purchase];

    /// <summary>
    /// The shop's time zone, in which a customer's best hour of the day is read and kept (default UTC). With a zone that
    /// keeps daylight-saving time a customer who buys at 09:00 is sent to at 09:00 local time on both sides of the change.
    /// </summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>The level of the report's intervals (default 0.95).</summary>
    public double ConfidenceLevel { get; set; } = 0.95;

    /// <summary>Recipient records written per store call when a campaign is planned (default 500).</summary>
    public int WriteBatchSize { get; set; } = 500;
}

/// <summary>Validates <see cref="CampaignOptions"/> at start.</summary>
internal sealed class CampaignOptionsValidator : IValidateOptions<CampaignOptions>
{
    public ValidateOptionsResult Validate(string? name, CampaignOptions options)
    {
        var errors = new List<string>();
        if (options.PollInterval < TimeSpan.FromSeconds(1) || options.PollInterval > TimeSpan.FromHours(1))
        {
            errors.Add("PollInterval must be between 1 second and 1 hour.");
        }
        if (options.LeaseDuration < TimeSpan.FromSeconds(10) || options.LeaseDuration > TimeSpan.FromDays(1))
        {
            errors.Add("LeaseDuration must be between 10 seconds and 1 day.");
        }
        if (options.TimeZone is null)
        {
            errors.Add("TimeZone is required.");
        }
        if (options.MinimumObservations < 1)
        {
            errors.Add("MinimumObservations must be at least 1.");
        }
        if (options.HistoryLookback <= TimeSpan.Zero)
        {
            errors.Add("HistoryLookback must be positive.");
        }
        if (options.SendTimeEventTypes.Count == 0)
        {
            errors.Add("SendTimeEventTypes must name at least one event type.");
        }
        if (!(options.ConfidenceLevel > 0 && options.ConfidenceLevel < 1))
        {
            errors.Add("ConfidenceLevel must lie in (0, 1).");
        }
        if (options.WriteBatchSize is < 1 or > 10_000)
        {
            errors.Add("WriteBatchSize must be between 1 and 10000.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks a definition before it is stored.</summary>
internal static class CampaignValidation
{
    public static void ThrowIfInvalid(CampaignDefinition d)
    {
        ThrowIfBadKey(d.Id, "id");
        if (string.IsNullOrEmpty(d.SegmentId))
        {
            throw new MarketingValidationException("segmentId", ValidationReason.Missing, "A segment id is required.");
        }
        if (d.Channel.Value is null)
        {
            throw new MarketingValidationException("channel", ValidationReason.Missing, "A channel is required.");
        }
        if (!(d.HoldoutShare >= 0 && d.HoldoutShare <= 0.5))
        {
            throw new MarketingValidationException("holdoutShare", ValidationReason.OutOfRange, "The holdout share lies in [0, 0.5].");
        }
        if (d.WindowEnd <= d.WindowStart)
        {
            throw new MarketingValidationException("windowEnd", ValidationReason.Inconsistent, "The window ends after it starts.");
        }
        if (d.WindowEnd - d.WindowStart > TimeSpan.FromDays(31))
        {
            throw new MarketingValidationException("windowEnd", ValidationReason.OutOfRange, "A send window lasts at most 31 days.");
        }
        if (d.MaxPerHour < 1)
        {
            throw new MarketingValidationException("maxPerHour", ValidationReason.OutOfRange, "At least one message an hour.");
        }
        if (d.ConversionWindow < TimeSpan.Zero)
        {
            throw new MarketingValidationException("conversionWindow", ValidationReason.OutOfRange, "The conversion window is not negative.");
        }
        if (d.LayerVariants.Count == 0 && d.DefaultVariants.Count == 0)
        {
            throw new MarketingValidationException("layerVariants", ValidationReason.Missing, "At least one variant is required.");
        }
        foreach (var (layer, variants) in d.LayerVariants.Select(kv => (kv.Key, kv.Value)).Append(("*", d.DefaultVariants)))
        {
            ThrowIfBadKey(layer == "*" ? "default" : layer, "layerVariants");
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var v in variants)
            {
                ThrowIfBadKey(v.Key, "variants.key");
                if (v.Key == CampaignRunner.HoldoutVariant || !keys.Add(v.Key))
                {
                    throw new MarketingValidationException("variants.key", ValidationReason.Inconsistent, "Variant keys are unique within a layer and not 'holdout'.");
                }
                if (string.IsNullOrEmpty(v.TemplateId))
                {
                    throw new MarketingValidationException("variants.templateId", ValidationReason.Missing, "A variant names a template.");
                }
                if (!(v.Weight > 0) || double.IsInfinity(v.Weight))
                {
                    throw new MarketingValidationException("variants.weight", ValidationReason.OutOfRange, "A variant's weight is positive.");
                }
            }
        }
    }

    private static void ThrowIfBadKey(string? value, string field)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new MarketingValidationException(field, ValidationReason.InvalidFormat, "1-64 ASCII letters, digits, '_', '.' or '-'.");
        }
    }
}

/// <summary>The meter of campaigns, named <c>Marketing.Sdk.Campaigns</c>; tags carry the channel — never personal data.</summary>
public static class CampaignTelemetry
{
    /// <summary>The meter name.</summary>
    public const string Name = "Marketing.Sdk.Campaigns";
}

/// <summary>The counters.</summary>
internal sealed class CampaignMetrics
{
    public CampaignMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(CampaignTelemetry.Name) ?? new Meter(CampaignTelemetry.Name);
        Planned = meter.CreateCounter<long>("marketing.campaigns.planned", "{recipient}", "Recipients planned (holdout excluded).");
        HandedOver = meter.CreateCounter<long>("marketing.campaigns.handed_over", "{message}", "Campaign messages the sender stored for delivery, per channel.");
        Refused = meter.CreateCounter<long>("marketing.campaigns.refused", "{message}", "Campaign messages the sender refused, per channel.");
    }

    public Counter<long> Planned { get; }
    public Counter<long> HandedOver { get; }
    public Counter<long> Refused { get; }
}
