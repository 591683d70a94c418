using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Build(TencentAdsEmulator emulator, Action<TencentAdsPlatformOptions>? extra = null)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddPlatforms(d => { d.RunInBackground = false; d.RetryBaseDelay = TimeSpan.Zero; d.RetryMaxDelay = TimeSpan.Zero; })
            .AddTencentAdsPlatform(o =>
            {
                o.BaseAddress = emulator.BaseAddress;
                o.AccessToken = emulator.Options.AccessToken;
                o.AccountId = TencentHarness.Account;
                o.UserActionSetId = TencentHarness.ActionSet;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                extra?.Invoke(o);
            }));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task The_registration_exposes_every_capability_on_one_client_over_a_real_socket()
    {
        await using var emulator = new TencentAdsEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);

        var client = provider.GetRequiredService<TencentAdsPlatformClient>();
        var sink = Assert.Single(provider.GetServices<IConversionSink>());
        Assert.Same(client, sink);
        Assert.Equal("tencent_ads.conversions", sink.Destination);
        Assert.Equal(50, sink.MaxBatchSize);
        Assert.Same(client, provider.GetRequiredKeyedService<IAudienceSync>("tencent_ads"));
        Assert.Same(client, provider.GetRequiredKeyedService<IAdReporting>("tencent_ads"));
        Assert.Same(client, provider.GetRequiredKeyedService<ICampaignControl>("tencent_ads"));
        Assert.Contains("tencent_ads.conversions", provider.GetRequiredService<IConversionPublisher>().Destinations);

        emulator.SeedReportRows([new TencentAdsReportSeedRow(TencentHarness.Account, new DateOnly(2026, 3, 1), "301", "401") { CostFen = 300 }]);
        var rows = await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync();
        Assert.Equal(new Money(3m, "CNY"), Assert.Single(rows).Spend);
    }

    [Fact]
    public async Task A_retried_attempt_gets_a_new_nonce_so_the_resilience_handler_never_replays_one()
    {
        await using var emulator = new TencentAdsEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator, o => o.MaxRetryAttempts = 2);
        var client = provider.GetRequiredService<TencentAdsPlatformClient>();
        emulator.Faults = new FaultOptions { TooManyRequestsRate = 1.0 };
        var pending = client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync();
        await Task.Yield();
        emulator.Faults = FaultOptions.None;

        // Whether the first attempt met the 429 or not, the answer must not be a nonce refusal (11007).
        try
        {
            await pending;
        }
        catch (PlatformApiException ex)
        {
            Assert.NotEqual("11007", ex.PlatformCode);
        }
        Assert.Empty(await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 2))).ToListAsync());
    }

    [Fact]
    public async Task Published_conversions_are_delivered_through_the_outbox()
    {
        await using var emulator = new TencentAdsEmulator();
        await emulator.StartAsync();
        await using var provider = Build(emulator);
        var ledger = provider.GetRequiredService<Compliance.Consent.ConsentLedger>();
        foreach (var p in new[] { ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing })
        {
            await ledger.GrantAsync(new CustomerId("c1"), p, Data.Web);
        }
        var publisher = provider.GetRequiredService<IConversionPublisher>();
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();

        var published = await publisher.PublishAsync([Data.Conversion("pub1"), Data.Conversion("pub2")]);
        var round = await worker.DeliverOnceAsync(TencentAdsPlatformClient.ConversionsDestination);

        Assert.Equal(2, published.Enqueued);
        Assert.Equal(2, round.Delivered);

        Assert.Equal(["pub1", "pub2"], emulator.AcceptedActions.Select(a => a.OuterActionId));
        Assert.All(emulator.AcceptedActions, a => Assert.Equal("4dbeaa3acd2620411c7ba4fd78bb32d0", a.HashPhone));
    }

    [Fact]
    public void Tencent_Ads_without_a_consent_gate_is_refused_at_resolution_like_the_other_platforms()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m.AddTencentAdsPlatform(o => { o.AccessToken = "t"; o.AccountId = "1"; }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<TencentAdsPlatformClient>());
        Assert.Contains("AddCompliance", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_validation_on_start()
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance().AddTencentAdsPlatform(o => { o.AccountId = "abc"; o.AccountCurrency = "USD"; o.ClientSecret = "s"; }));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TencentAdsPlatformOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("AccessToken", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("AccountId", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("CNY", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("rotation", StringComparison.Ordinal));
        Assert.DoesNotContain(ex.Failures, f => f.Contains("\"s\"", StringComparison.Ordinal));
    }
}
