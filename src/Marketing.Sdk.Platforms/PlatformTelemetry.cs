using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Platforms;

/// <summary>
/// The meter and activity source of the platform packages, both named <c>Marketing.Sdk.Platforms</c>.
/// Tags carry the platform, destination, operation and outcome — never personal data or tokens.
/// </summary>
public static class PlatformTelemetry
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Marketing.Sdk.Platforms";

    internal static readonly ActivitySource ActivitySource = new(Name);
    private static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>("marketing.platform.requests", "{request}", "HTTP requests to platforms by outcome.");
    internal static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("marketing.platform.request.duration", "ms", "Platform request latency including retries.");
    internal static readonly Counter<long> TokenRefreshes = Meter.CreateCounter<long>("marketing.platform.token.refreshes", "{refresh}", "Access tokens refreshed after a refusal.");
    internal static readonly Counter<long> Sent = Meter.CreateCounter<long>("marketing.platform.delivery.sent", "{item}", "Items accepted (or deduplicated) by a platform.");
    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>("marketing.platform.delivery.failed", "{attempt}", "Delivery attempts that failed.");
    internal static readonly Counter<long> Retried = Meter.CreateCounter<long>("marketing.platform.delivery.retried", "{item}", "Items scheduled for another attempt.");
    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("marketing.platform.delivery.dead_lettered", "{item}", "Items given up on.");
    internal static readonly Counter<long> Withheld = Meter.CreateCounter<long>("marketing.platform.delivery.withheld", "{item}", "Items not sent because the consent gate denied them.");
    internal static readonly Histogram<double> DeliveryLatency = Meter.CreateHistogram<double>("marketing.platform.delivery.latency", "s", "Time from enqueue to acknowledged delivery.");
}
