using System.Net;
using Marketing.Sdk.Platforms.Meta;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Meta.Tests;

/// <summary>What the standard resilience handler sends again inside one call, through the registered client.</summary>
public sealed class InCallRetryTests
{
    private static ServiceProvider Provider(HostileHandler handler, FakeTimeProvider time)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IConsentGate>(AllowAllGate.Instance);
        services.AddMarketingSdk(m => m.AddPlatforms(o => o.RunInBackground = false).AddMetaPlatform(o =>
        {
            o.AccessToken = "token";
            o.PixelId = "1234";
            o.BaseAddress = new Uri("http://meta.test/");
            o.RequestsPerSecond = 0;
            o.MaxRetryAttempts = 3;
            o.RetryBaseDelay = TimeSpan.Zero;
            o.EnableCircuitBreaker = false;
        }));
        services.AddHttpClient(MetaPlatformOptions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_budget_change_answered_503_is_sent_once_and_counted_once()
    {
        var handler = new HostileHandler((_, _) => (HttpStatusCode.ServiceUnavailable, "{\"error\":{\"code\":2,\"message\":\"temporary\"}}"));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var provider = Provider(handler, time);
        var client = provider.GetRequiredService<MetaPlatformClient>();
        var result = Assert.Single(await client.ApplyAsync([new CampaignChange("act_1", "120000000000002", CampaignChangeKind.SetDailyBudget, new Money(20m, "USD"), CampaignObjectLevel.AdSet)]));
        Assert.False(result.Applied);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task A_conversion_batch_answered_503_is_sent_once_and_left_to_the_outbox()
    {
        var handler = new HostileHandler((_, _) => (HttpStatusCode.ServiceUnavailable, "{\"error\":{\"code\":2,\"message\":\"temporary\"}}"));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var provider = Provider(handler, time);
        var client = provider.GetRequiredService<MetaPlatformClient>();
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([Conversions.Prepared(Conversions.Purchase("e1", time.GetUtcNow().AddHours(-1), source: ConversionSource.Other))]).AsTask());
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task A_report_read_answered_503_is_retried_inside_the_call()
    {
        var handler = new HostileHandler((_, n) => n < 3
            ? (HttpStatusCode.ServiceUnavailable, "{\"error\":{\"code\":2,\"message\":\"temporary\"}}")
            : (HttpStatusCode.OK, "{\"data\":[]}"));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var provider = Provider(handler, time);
        var client = provider.GetRequiredService<MetaPlatformClient>();
        var rows = 0;
        await foreach (var _ in client.GetReportAsync(new AdReportQuery("act_1", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2))))
        {
            rows++;
        }
        Assert.Equal(0, rows);
        Assert.Equal(3, handler.Calls);
    }
}
