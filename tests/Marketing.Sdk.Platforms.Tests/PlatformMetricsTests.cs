using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>The platform request metrics live on the host's meter (IMeterFactory), one per service provider.</summary>
public sealed class PlatformMetricsTests
{
    [Fact]
    public async Task Request_metrics_come_from_each_hosts_meter_factory_and_do_not_cross_service_providers()
    {
        await using var first = Provider();
        await using var second = Provider();
        var firstMeters = first.GetRequiredService<IMeterFactory>();
        var secondMeters = second.GetRequiredService<IMeterFactory>();
        using var firstRequests = new MetricCollector<long>(firstMeters, PlatformTelemetry.Name, "marketing.platform.requests");
        using var firstDurations = new MetricCollector<double>(firstMeters, PlatformTelemetry.Name, "marketing.platform.request.duration");
        using var secondRequests = new MetricCollector<long>(secondMeters, PlatformTelemetry.Name, "marketing.platform.requests");
        var handler = new AnswerHandler("""{"request_id":"r-1"}""");
        var client = new TestClient(() => new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri("https://platform.test/") },
            new StaticAccessTokenProvider(() => "token"), meters: firstMeters);

        Assert.Equal("r-1", await client.EchoAsync("a"));

        var request = Assert.Single(firstRequests.GetMeasurementSnapshot());
        Assert.Equal(1, request.Value);
        Assert.Equal("test", request.Tags["marketing.platform"]);
        Assert.Single(firstDurations.GetMeasurementSnapshot());
        Assert.Empty(secondRequests.GetMeasurementSnapshot());
    }

    private static ServiceProvider Provider()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        return services.BuildServiceProvider();
    }

    private sealed class AnswerHandler(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
