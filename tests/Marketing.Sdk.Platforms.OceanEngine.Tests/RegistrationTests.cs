using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Build(OceanEngineEmulator emulator, Action<OceanEnginePlatformOptions>? extra = null)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(d => { d.RunInBackground = false; d.RetryBaseDelay = TimeSpan.Zero; d.RetryMaxDelay = TimeSpan.Zero; })
            .AddOceanEnginePlatform(o =>
            {
                o.BaseAddress = emulator.BaseAddress;
                o.ConversionAddress = emulator.BaseAddress;
                o.AccessToken = emulator.Options.AccessToken;
                o.AdvertiserId = OceanHarness.Advertiser;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                extra?.Invoke(o);
            }));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task The_registration_exposes_every_capability_on_one_client_over_a_real_socket()
    {
        await using var emulator = new OceanEngineEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);

        var client = provider.GetRequiredService<OceanEnginePlatformClient>();
        var sink = Assert.Single(provider.GetServices<IConversionSink>());
        Assert.Same(client, sink);
        Assert.Equal("ocean_engine.conversions", sink.Destination);
        Assert.Equal(1, sink.MaxBatchSize);
        Assert.Same(client, provider.GetRequiredKeyedService<IAudienceSync>("ocean_engine"));
        Assert.Same(client, provider.GetRequiredKeyedService<IAdReporting>("ocean_engine"));
        Assert.Same(client, provider.GetRequiredKeyedService<ICampaignControl>("ocean_engine"));

        emulator.SeedReportRows([new OceanEngineReportSeedRow(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), "701", "801") { Cost = 3.21m }]);
        var rows = await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync();
        Assert.Equal(new Money(3.21m, "CNY"), Assert.Single(rows).Spend);
    }

    [Fact]
    public async Task Published_conversions_are_delivered_through_the_outbox_and_those_without_a_callback_are_skipped_with_a_reason()
    {
        await using var emulator = new OceanEngineEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var ledger = provider.GetRequiredService<Compliance.Consent.ConsentLedger>();
        foreach (var p in new[] { ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing })
        {
            await ledger.GrantAsync(new CustomerId("c1"), p, Data.Web);
        }
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        var callback = emulator.IssueCallback();

        var published = await publisher.PublishAsync([Data.Conversion("pub1", callback), Data.Conversion("pub2", null), Data.Conversion("pub1", callback)]);
        var again = await publisher.PublishAsync([Data.Conversion("pub1", callback)]);
        DeliveryRound round;
        var delivered = 0;
        do
        {
            round = await worker.DeliverOnceAsync(OceanEnginePlatformClient.ConversionsDestination);
            delivered += round.Delivered;
        }
        while (round.Claimed > 0);

        Assert.Equal(1, published.Enqueued);
        var skip = Assert.Single(published.Skipped);
        Assert.Equal((1, OceanEnginePlatformClient.ConversionsDestination, ConversionSkipReason.NotAttributable), (skip.Index, skip.Destination, skip.Reason));
        Assert.Equal(0, again.Enqueued); // the outbox's idempotency key is the only de-duplication this API has
        Assert.Equal(1, delivered);
        var received = Assert.Single(emulator.AcceptedConversions);
        Assert.Equal(callback, received.Callback); // the callback survived the outbox
        Assert.Equal(Data.PhoneSha256, received.PhoneSha256);
        Assert.Equal(0, emulator.DuplicateConversions);
    }

    [Fact]
    public async Task A_conversion_failing_transiently_is_retried_by_the_outbox_and_counted_once()
    {
        await using var emulator = new OceanEngineEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var ledger = provider.GetRequiredService<Compliance.Consent.ConsentLedger>();
        await ledger.GrantAsync(new CustomerId("c1"), ConsentPurpose.AdMeasurement, Data.Web);
        await ledger.GrantAsync(new CustomerId("c1"), ConsentPurpose.ThirdPartySharing, Data.Web);
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        await publisher.PublishAsync([Data.Conversion("r1", emulator.IssueCallback())]);
        emulator.FailNextWith(50000);

        var first = await worker.DeliverOnceAsync(OceanEnginePlatformClient.ConversionsDestination);
        var second = await worker.DeliverOnceAsync(OceanEnginePlatformClient.ConversionsDestination);

        Assert.Equal((1, 0), (first.Retried, first.Delivered));
        Assert.Equal(1, second.Delivered);
        Assert.Single(emulator.AcceptedConversions);
    }

    [Fact]
    public void Ocean_Engine_without_a_consent_gate_is_refused_at_resolution_like_the_other_platforms()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m.AddOceanEnginePlatform(o => { o.AccessToken = "t"; o.AdvertiserId = "1"; }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<OceanEnginePlatformClient>());
        Assert.Contains("AddCompliance", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_validation_on_start()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance().AddOceanEnginePlatform(o => { o.AdvertiserId = "abc"; o.AccountCurrency = "USD"; o.Secret = "s"; o.ReportPageSize = 0; }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<OceanEnginePlatformOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("AccessToken", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("AdvertiserId", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("CNY", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("rotation", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("ReportPageSize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rotation_through_DI_uses_the_shared_stores()
    {
        await using var emulator = new OceanEngineEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator, o =>
        {
            o.AppId = emulator.Options.AppId;
            o.Secret = emulator.Options.Secret;
            o.RefreshToken = emulator.Options.RefreshToken;
        });
        var client = provider.GetRequiredService<OceanEnginePlatformClient>();
        emulator.ExpireAccessTokens();

        Assert.Empty(await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync());

        Assert.Equal(1, emulator.Refreshes);
        var stored = await provider.GetRequiredService<Storage.IStateStore>().GetAsync(Tokens.OceanEngineTokenProvider.StateScope,
            Tokens.OceanEngineTokenProvider.KeyOf(emulator.Options.AppId, OceanHarness.Advertiser, emulator.Options.Secret));
        Assert.NotNull(stored);
    }
}
