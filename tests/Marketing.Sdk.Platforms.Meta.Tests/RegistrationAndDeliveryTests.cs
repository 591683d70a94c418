using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class RegistrationAndDeliveryTests
{
    private static ServiceProvider Build(MetaEmulator emulator, Action<MetaPlatformOptions>? configure = null, bool timeOutOnceReached = false)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(o =>
            {
                o.RunInBackground = false;
                o.RetryBaseDelay = TimeSpan.Zero;
                o.RetryMaxDelay = TimeSpan.Zero;
            })
            .AddMetaPlatform(o =>
            {
                o.AccessToken = emulator.AccessToken;
                o.PixelId = MetaScope.Pixel;
                o.BaseAddress = emulator.BaseAddress;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
                o.MaxRetryAttempts = 2;
                o.AttemptTimeout = TimeSpan.FromSeconds(5);
                o.TotalTimeout = TimeSpan.FromSeconds(20);
                configure?.Invoke(o);
            }));
        if (timeOutOnceReached)
        {
            services.AddHttpClient(MetaPlatformOptions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new ReachedPlatformHandler(emulator));
        }
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task Every_service_resolves_and_a_second_registration_is_harmless()
    {
        await using var emulator = new MetaEmulator();
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        services.AddMarketingSdk(m => m.AddCompliance());
        builder.AddMetaPlatform(o => { o.AccessToken = "t"; o.PixelId = "1"; });
        builder.AddMetaPlatform(o => o.TestEventCode = "TEST1");
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var client = provider.GetRequiredService<MetaPlatformClient>();
        Assert.Same(client, Assert.Single(provider.GetServices<IConversionSink>()));
        Assert.Same(client, provider.GetRequiredKeyedService<IAudienceSync>("meta"));
        Assert.Same(client, provider.GetRequiredKeyedService<IAdReporting>("meta"));
        Assert.Same(client, provider.GetRequiredKeyedService<ICampaignControl>("meta"));
        Assert.Equal("meta.conversions", client.Destination);
        Assert.Equal("TEST1", provider.GetRequiredService<IOptions<MetaPlatformOptions>>().Value.TestEventCode);
        Assert.NotNull(provider.GetRequiredService<IConversionPublisher>());
        Assert.NotNull(provider.GetRequiredService<PlatformDeliveryWorker>());
    }

    [Fact]
    public async Task Invalid_options_fail_validation()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance().AddMetaPlatform(o => o.PixelId = "abc"));
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MetaPlatformOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("AccessToken", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("PixelId", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Published_conversions_arrive_exactly_once_and_withdrawn_customers_are_not_sent()
    {
        await using var emulator = new MetaEmulator();
        emulator.AddPixel(MetaScope.Pixel);
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var ledger = provider.GetRequiredService<ConsentLedger>();
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        var outbox = provider.GetRequiredService<IOutboxStore>();
        var now = DateTimeOffset.UtcNow;
        var conversions = Enumerable.Range(0, 10).Select(i => Conversions.Purchase($"order-{i}", now.AddMinutes(-i), customer: $"cust-{i}")).ToList();
        foreach (var c in conversions)
        {
            await ledger.RecordAsync(c.CustomerId, Conversions.MetaPurposes, true, Conversions.Web);
        }
        await ledger.WithdrawAsync(new CustomerId("cust-3"), ConsentPurpose.AdMeasurement, Conversions.Web);

        var published = await publisher.PublishAsync(conversions);
        var again = await publisher.PublishAsync(conversions);
        var round = await worker.DeliverOnceAsync("meta.conversions");
        var idle = await worker.DeliverOnceAsync("meta.conversions");

        Assert.Equal(10, published.Enqueued);
        Assert.Equal(10, again.Duplicates);
        Assert.Equal(10, round.Claimed);
        Assert.Equal(9, round.Delivered);
        Assert.Equal(1, round.Withheld);
        Assert.Equal(0, idle.Claimed);
        var accepted = emulator.AcceptedEvents;
        Assert.Equal(9, accepted.Count);
        Assert.Equal(9, accepted.Select(e => e.EventId).Distinct().Count());
        Assert.DoesNotContain(accepted, e => e.EventId == "order-3");
        Assert.All(accepted, e => Assert.Equal("Purchase", e.EventName));
        Assert.Equal(0, emulator.DuplicatesSuppressed);
        Assert.NotNull(outbox);
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_counted_once_by_the_platform()
    {
        await using var emulator = new MetaEmulator();
        emulator.AddPixel(MetaScope.Pixel);
        await emulator.StartAsync();
        await using var provider = Build(emulator, o => o.MaxRetryAttempts = 0);
        var ledger = provider.GetRequiredService<ConsentLedger>();
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        var outbox = provider.GetRequiredService<IOutboxStore>();
        var now = DateTimeOffset.UtcNow;
        var conversions = Enumerable.Range(0, 5).Select(i => Conversions.Purchase($"t-{i}", now, customer: $"k-{i}")).ToList();
        foreach (var c in conversions)
        {
            await ledger.RecordAsync(c.CustomerId, Conversions.MetaPurposes, true, Conversions.Web);
        }
        await publisher.PublishAsync(conversions);

        // A processed request whose answer is unreadable: the client cannot know it was accepted, so the
        // worker retries; Meta's deduplication on event name + event id keeps the count right.
        emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var first = await worker.DeliverOnceAsync("meta.conversions");
        emulator.Faults = FaultOptions.None;
        var second = await worker.DeliverOnceAsync("meta.conversions");

        Assert.Equal(5, first.Retried);
        Assert.Equal(5, second.Delivered);
        Assert.Equal(5, emulator.AcceptedEvents.Count);
        Assert.Equal(5, emulator.DuplicatesSuppressed);
        Assert.Equal(1, emulator.InjectedFaults[FaultKind.Malformed]);
        Assert.Empty(await outbox.ClaimAsync("probe", 100, TimeSpan.FromSeconds(1), "meta.conversions"));
    }

    [Fact]
    public async Task Through_the_resilient_pipeline_conversions_are_sent_once_per_call_whether_failing_or_throttled()
    {
        await using var emulator = new MetaEmulator();
        emulator.AddPixel(MetaScope.Pixel);
        await emulator.StartAsync();
        await using var provider = Build(emulator, o => { o.MaxRetryAttempts = 2; o.EnableCircuitBreaker = false; });
        var client = provider.GetRequiredService<MetaPlatformClient>();
        var batch = new[] { Conversions.Prepared(Conversions.Purchase("r1", DateTimeOffset.UtcNow)) };

        emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var server = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync(batch));
        Assert.Equal(PlatformErrorClass.Transient, server.ErrorClass);
        Assert.Equal(1, emulator.RequestCount); // a write is not retried inside the call: the outbox retries it

        emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        emulator.ThrottleRegainMinutes = 0;
        var throttled = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync(batch));
        Assert.Equal(PlatformErrorClass.RateLimited, throttled.ErrorClass);
        Assert.Equal(2, emulator.RequestCount); // Meta throttles with HTTP 400: left to the caller's backoff

        emulator.Faults = FaultOptions.None;
        Assert.Equal(1, (await client.SendAsync(batch)).Delivered);
    }

    [Fact]
    public async Task A_timed_out_request_that_Meta_processed_is_not_counted_twice_when_resent()
    {
        await using var emulator = new MetaEmulator();
        emulator.AddPixel(MetaScope.Pixel);
        await emulator.StartAsync();
        await using var provider = Build(emulator, o =>
        {
            o.MaxRetryAttempts = 0;
            o.AttemptTimeout = TimeSpan.FromMilliseconds(200);
            o.TotalTimeout = TimeSpan.FromSeconds(5);
            o.EnableCircuitBreaker = false;
        }, timeOutOnceReached: true);
        var client = provider.GetRequiredService<MetaPlatformClient>();
        var batch = new[] { Conversions.Prepared(Conversions.Purchase("slow-1", DateTimeOffset.UtcNow)) };

        // The answer is held until the client gives up (its timeout reaches the wire once Meta has the request); the resend waits for Meta to have processed the first
        // request (the emulator's signal), so the duplicate is decided by state, not by which side was faster.
        emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };
        var timedOut = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync(batch));
        await emulator.HeldRequestsProcessedAsync(1);
        Assert.Single(emulator.AcceptedEvents);
        // The resend goes through a client with the default timeouts: on a busy machine opening a new
        // connection (the timed-out one is still held by the slow answer) can itself take 200 ms.
        emulator.Faults = FaultOptions.None;
        await using var patient = Build(emulator);
        var resent = await patient.GetRequiredService<MetaPlatformClient>().SendAsync(batch);

        Assert.Equal(PlatformErrorClass.Transient, timedOut.ErrorClass);
        Assert.Null(timedOut.StatusCode);
        Assert.Equal(1, resent.Delivered);
        Assert.Single(emulator.AcceptedEvents);
        Assert.Equal(1, emulator.DuplicatesSuppressed);
    }
}
