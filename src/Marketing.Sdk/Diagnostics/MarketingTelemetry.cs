using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Diagnostics;

/// <summary>
/// Names of the <see cref="Meter"/> and <see cref="ActivitySource"/> the core package publishes, for
/// OpenTelemetry: <c>builder.AddMeter(MarketingTelemetry.IngestionName)</c>.
/// </summary>
public static class MarketingTelemetry
{
    /// <summary>Name of the ingestion meter and activity source.</summary>
    public const string IngestionName = "Marketing.Sdk.Ingestion";

    internal static readonly ActivitySource IngestionActivity = new(IngestionName);
}

/// <summary>Ingestion metrics. One instance per service provider (created through <see cref="IMeterFactory"/> when available).</summary>
internal sealed class IngestionMetrics
{
    public IngestionMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MarketingTelemetry.IngestionName) ?? new Meter(MarketingTelemetry.IngestionName);
        Accepted = meter.CreateCounter<long>("marketing.events.accepted", "{event}", "Events validated, cleaned and stored.");
        Rejected = meter.CreateCounter<long>("marketing.events.rejected", "{event}", "Events rejected by validation, by reason.");
        Dropped = meter.CreateCounter<long>("marketing.events.dropped", "{event}", "Events dropped by cleaning rules, by reason.");
        Flagged = meter.CreateCounter<long>("marketing.events.flagged", "{event}", "Accepted events flagged by cleaning rules, by flag.");
        ProfilesCreated = meter.CreateCounter<long>("marketing.profiles.created", "{profile}", "New unified profiles.");
        Merges = meter.CreateCounter<long>("marketing.identity.merges", "{merge}", "Profile merges performed by identity resolution.");
        MergesRefused = meter.CreateCounter<long>("marketing.identity.merges_refused", "{merge}", "Merges refused by a never-merge rule, by rule.");
        ListenerFailures = meter.CreateCounter<long>("marketing.listeners.failures", "{failure}", "Event listeners that threw.");
    }

    public Counter<long> Accepted { get; }
    public Counter<long> Rejected { get; }
    public Counter<long> Dropped { get; }
    public Counter<long> Flagged { get; }
    public Counter<long> ProfilesCreated { get; }
    public Counter<long> Merges { get; }
    public Counter<long> MergesRefused { get; }
    public Counter<long> ListenerFailures { get; }
}
