using System.Diagnostics.Metrics;

namespace Marketing.Sdk.AspNetCore;

/// <summary>
/// Names of the metrics the ASP.NET Core integration publishes, for OpenTelemetry:
/// <c>builder.AddMeter(MarketingAspNetCoreTelemetry.MeterName)</c>.
/// </summary>
public static class MarketingAspNetCoreTelemetry
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Marketing.Sdk.AspNetCore";
}

/// <summary>The integration's instruments. One instance per service provider (through <see cref="IMeterFactory"/>).</summary>
internal sealed class AspNetCoreMetrics
{
    public AspNetCoreMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MarketingAspNetCoreTelemetry.MeterName);
        TrackedEvents = meter.CreateCounter<long>("marketing.http.tracked_events", "{event}", "Events received through the tracking endpoints, by outcome (accepted, duplicate, dropped, rejected).");
        RejectedRequests = meter.CreateCounter<long>("marketing.http.rejected_requests", "{request}", "Tracking requests refused as a whole, by reason (invalid JSON, too large, validation).");
        Problems = meter.CreateCounter<long>("marketing.http.problems", "{response}", "ProblemDetails responses written for library exceptions, by problem type and status.");
    }

    public Counter<long> TrackedEvents { get; }

    public Counter<long> RejectedRequests { get; }

    public Counter<long> Problems { get; }
}
