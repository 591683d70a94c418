using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

public sealed class RegistrationAndDeliveryTests
{
    private static ServiceProvider Build(TikTokEmulator emulator, Action<TikTokPlatformOptions>? extra = null)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(d => { d.RunInBackground = false; d.RetryBaseDelay = TimeSpan.Zero; d.RetryMaxDelay = TimeSpan.Zero; })
            .AddTikTokPlatform(o =>
            {
                o.BaseAddress = emulator.BaseAddress;
                o.AccessToken = emulator.AccessToken;
                o.AdvertiserId = TikTokHarness.Advertiser;
                o.PixelCode = TikTokHarness.Pixel;
                o.MaxRetryAttempts = 0;
                extra?.Invoke(o);
            }));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task The_registration_exposes_every_capability_on_one_client()
    {
        await using var emulator = new TikTokEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);

        var client = provider.GetRequiredService<TikTokPlatformClient>();
        var sink = Assert.Single(provider.GetServices<IConversionSink>());
        Assert.Same(client, sink);
        Assert.Equal("tiktok.conversions", sink.Destination);
        Assert.Equal(1000, sink.MaxBatchSize);
        Assert.Equal(Compliance.Hashing.HashingProfile.TikTok, sink.Hashing);
        Assert.Same(client, provider.GetRequiredKeyedService<IAudienceSync>("tiktok"));
        Assert.Same(client, provider.GetRequiredKeyedService<IAdReporting>("tiktok"));
        Assert.Same(client, provider.GetRequiredKeyedService<ICampaignControl>("tiktok"));
        Assert.Contains("tiktok.conversions", provider.GetRequiredService<IConversionPublisher>().Destinations);

        // Through the registered pipeline (named client, resilience handler, base address override).
        emulator.SeedReportRows([new TikTokReportSeedRow(TikTokHarness.Advertiser, new DateOnly(2026, 1, 1), "c1") { Spend = 3 }]);
        var rows = await client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 1))).ToListAsync();
        Assert.Equal(new Money(3m, "USD"), Assert.Single(rows).Spend);
    }

    [Fact]
    public void TikTok_without_a_consent_gate_is_refused_at_resolution_like_Meta_and_Google()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m.AddTikTokPlatform(o => { o.AccessToken = "t"; o.AdvertiserId = "1"; o.PixelCode = "P"; }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<TikTokPlatformClient>());
        Assert.Contains("AddCompliance", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new TikTokPlatformClient(() => new HttpClient(), new Auth.StaticAccessTokenProvider(() => "t"),
            new TikTokPlatformOptions { AccessToken = "t", AdvertiserId = "1", PixelCode = "P" }, null!));
    }

    [Fact]
    public async Task Invalid_options_fail_validation()
    {
        await using var emulator = new TikTokEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator, o => { o.AccessToken = ""; o.PixelCode = null; });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TikTokPlatformOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("AccessToken"));
        Assert.Contains(ex.Failures, f => f.Contains("event source"));
    }

    [Fact]
    public async Task The_readme_order_without_browser_data_is_delivered()
    {
        await using var emulator = new TikTokEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var customerId = new CustomerId("cust-readme");
        await Data.GrantAsync(provider.GetRequiredService<ConsentLedger>(), customerId, ConsentPurpose.AdMeasurement);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([new ConversionRequest
        {
            EventId = "order-1001", EventType = EventType.Purchase, OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            CustomerId = customerId, Value = new Money(99.90m, "CNY"), OrderId = "order-1001",
            Customer = new CustomerMatchData { Email = "li.wei@example.com", Phone = "+86 138 0013 8000", Country = "CN" },
        }]);
        var round = await provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync(TikTokPlatformClient.ConversionsDestination);
        Assert.Equal((1, 1, 0), (round.Claimed, round.Delivered, round.DeadLettered));
        Assert.Single(emulator.AcceptedEvents);
    }

    [Fact]
    public async Task Published_conversions_reach_TikTok_exactly_once_and_withdrawn_consent_is_respected()
    {
        await using var emulator = new TikTokEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var ledger = provider.GetRequiredService<ConsentLedger>();
        var customers = Enumerable.Range(0, 10).Select(i => new CustomerId($"cust-{i}")).ToArray();
        foreach (var c in customers)
        {
            await Data.GrantAsync(ledger, c, ConsentPurpose.AdMeasurement);
        }
        await ledger.WithdrawAsync(customers[3], ConsentPurpose.AdMeasurement, Data.Web);
        var conversions = customers.Select((c, i) => Data.Conversion($"order-{i}", customer: c.Value, email: $"person{i}@example.com")).ToList();
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();

        var published = await publisher.PublishAsync(conversions);
        var republished = await publisher.PublishAsync(conversions);
        var round = await worker.DeliverOnceAsync(TikTokPlatformClient.ConversionsDestination);
        var idle = await worker.DeliverOnceAsync(TikTokPlatformClient.ConversionsDestination);

        Assert.Equal(10, published.Enqueued);
        Assert.Equal(10, republished.Duplicates);
        Assert.Equal(10, round.Claimed);
        Assert.Equal(9, round.Delivered);
        Assert.Equal(1, round.Withheld);
        Assert.Equal(0, idle.Claimed);
        var accepted = emulator.AcceptedEvents;
        Assert.Equal(9, accepted.Count);
        Assert.Equal(9, accepted.Select(e => e.EventId).Distinct().Count());
        Assert.DoesNotContain(accepted, e => e.EventId == "order-3");
        Assert.DoesNotContain(accepted, e => e.Email == Data.Sha256("person3@example.com"));
        Assert.Contains(accepted, e => e.Email == Data.Sha256("person0@example.com"));
        Assert.Equal(0, emulator.DuplicateEvents);
    }

    [Fact]
    public async Task Delivery_survives_throttling_and_server_errors_without_double_counting()
    {
        await using var emulator = new TikTokEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator, o => o.ThrottleRetryAfter = TimeSpan.Zero);
        var ledger = provider.GetRequiredService<ConsentLedger>();
        var conversions = new List<ConversionRequest>();
        for (var i = 0; i < 40; i++)
        {
            var c = new CustomerId($"k{i}");
            await Data.GrantAsync(ledger, c, ConsentPurpose.AdMeasurement);
            conversions.Add(Data.Conversion($"ev-{i}", customer: c.Value));
        }
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync(conversions);
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        emulator.Faults = new FaultOptions { ServerErrorRate = 0.3, ThrottleRate = 0.3, MalformedRate = 0.2, Seed = 7 };

        var delivered = 0;
        for (var round = 0; round < 200 && delivered < 40; round++)
        {
            delivered += (await worker.DeliverOnceAsync(TikTokPlatformClient.ConversionsDestination)).Delivered;
            if (round == 100)
            {
                emulator.Faults = FaultOptions.None;
            }
        }

        Assert.Equal(40, delivered);
        Assert.Equal(40, emulator.AcceptedEvents.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(40, emulator.AcceptedEvents.Count);
        Assert.True(emulator.InjectedFaults.Values.Sum() > 0);
    }
}
