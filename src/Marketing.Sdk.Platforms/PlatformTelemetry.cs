using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Platforms;

/// <summary>
/// The meter and activity source of the platform packages, both named <c>Marketing.Sdk.Platforms</c>.
/// The meter comes from the host's <see cref="IMeterFactory"/> (one per service provider); the activity
/// source is process-wide. Tags carry the platform, destination, operation and outcome — never personal
/// data or tokens.
/// </summary>
public static class PlatformTelemetry
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Marketing.Sdk.Platforms";

    internal static readonly ActivitySource ActivitySource = new(Name);
}

/// <summary>
/// The platform request metrics, on a <c>Marketing.Sdk.Platforms</c> meter from the host's
/// <see cref="IMeterFactory"/> (a meter of its own when there is none), so two service providers never
/// see each other's measurements.
/// </summary>
internal sealed class PlatformRequestMetrics
{
    public PlatformRequestMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(PlatformTelemetry.Name) ?? new Meter(PlatformTelemetry.Name);
        Requests = meter.CreateCounter<long>("marketing.platform.requests", "{request}", "HTTP requests to platforms by outcome.");
        RequestDuration = meter.CreateHistogram<double>("marketing.platform.request.duration", "ms", "Platform request latency including retries.");
        TokenRefreshes = meter.CreateCounter<long>("marketing.platform.token.refreshes", "{refresh}", "Access tokens refreshed after a refusal.");
    }

    public Counter<long> Requests { get; }
    public Histogram<double> RequestDuration { get; }
    public Counter<long> TokenRefreshes { get; }
}

/// <summary>
/// The delivery metrics, on a <c>Marketing.Sdk.Platforms</c> meter from the host's <see cref="IMeterFactory"/>
/// (a meter of its own when there is none). Tags: destination, outcome, error class and reason code — never
/// personal data.
/// </summary>
internal sealed class DeliveryMetrics
{
    public DeliveryMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(PlatformTelemetry.Name) ?? new Meter(PlatformTelemetry.Name);
        Sent = meter.CreateCounter<long>("marketing.platform.delivery.sent", "{item}", "Items accepted (or deduplicated) by a platform.");
        Failed = meter.CreateCounter<long>("marketing.platform.delivery.failed", "{attempt}", "Delivery attempts that failed.");
        Retried = meter.CreateCounter<long>("marketing.platform.delivery.retried", "{item}", "Items scheduled for another attempt.");
        DeadLettered = meter.CreateCounter<long>("marketing.platform.delivery.dead_lettered", "{item}", "Items given up on, by reason.");
        Withheld = meter.CreateCounter<long>("marketing.platform.delivery.withheld", "{item}", "Items not sent because the consent gate denied them, by reason.");
        DeliveryLatency = meter.CreateHistogram<double>("marketing.platform.delivery.latency", "s", "Time from enqueue to acknowledged delivery.");
    }

    public Counter<long> Sent { get; }
    public Counter<long> Failed { get; }
    public Counter<long> Retried { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> Withheld { get; }
    public Histogram<double> DeliveryLatency { get; }
}
