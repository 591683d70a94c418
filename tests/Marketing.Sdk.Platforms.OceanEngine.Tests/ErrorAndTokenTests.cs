using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.OceanEngine.Tokens;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class ErrorTests
{
    private static readonly AdReportQuery Query = new(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1));

    [Theory]
    [InlineData(50000, PlatformErrorClass.Transient)]
    [InlineData(51010, PlatformErrorClass.Transient)]
    [InlineData(40100, PlatformErrorClass.RateLimited)]
    [InlineData(40110, PlatformErrorClass.RateLimited)]
    [InlineData(40103, PlatformErrorClass.Unauthorized)]
    [InlineData(40104, PlatformErrorClass.Unauthorized)]
    [InlineData(40107, PlatformErrorClass.Unauthorized)]
    [InlineData(40001, PlatformErrorClass.Permanent)]
    [InlineData(40002, PlatformErrorClass.Permanent)]
    public async Task Each_code_class_reaches_the_caller_as_its_error_class_over_HTTP(long code, PlatformErrorClass expected)
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client(o => o.ThrottleRetryAfter = TimeSpan.FromSeconds(42));
        h.Emulator.FailNextWith(code);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(expected, error.ErrorClass);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), error.PlatformCode);
        Assert.NotNull(error.RequestId);
        if (expected == PlatformErrorClass.RateLimited)
        {
            Assert.Equal(TimeSpan.FromSeconds(42), error.RetryAfter);
        }
    }

    [Theory]
    [InlineData(40102)]
    [InlineData(40105)]
    public async Task An_expired_or_invalid_token_with_no_way_to_refresh_becomes_unauthorized_after_one_retry(long code)
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();
        h.Emulator.FailNextWith(code);
        h.Emulator.FailNextWith(code);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
    }

    [Fact]
    public async Task A_transient_or_throttled_conversion_throws_so_the_worker_retries_it_and_a_business_error_is_rejected()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();
        var conversion = Data.Prepared(client, Data.Conversion("x1", h.Emulator.IssueCallback()));

        h.Emulator.FailNextWith(50000);
        Assert.Equal(PlatformErrorClass.Transient, (await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([conversion]).AsTask())).ErrorClass);
        h.Emulator.FailNextWith(40100);
        Assert.Equal(PlatformErrorClass.RateLimited, (await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync([conversion]).AsTask())).ErrorClass);
        h.Emulator.FailNextWith(40002);
        Assert.Equal(DeliveryOutcome.Rejected, Assert.Single((await client.SendAsync([conversion])).Items).Outcome);
        Assert.Empty(h.Emulator.AcceptedConversions);
        Assert.Equal(1, (await client.SendAsync([conversion])).Delivered);
    }

    [Fact]
    public async Task The_emulators_base_faults_speak_Ocean_Engine_codes()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();

        h.Emulator.Faults = new Testing.Emulators.FaultOptions { ServerErrorRate = 1.0 };
        var server = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());
        h.Emulator.Faults = new Testing.Emulators.FaultOptions { ThrottleRate = 1.0 };
        var throttled = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());
        h.Emulator.Faults = Testing.Emulators.FaultOptions.None;

        Assert.Equal((PlatformErrorClass.Transient, "50000"), (server.ErrorClass, server.PlatformCode));
        Assert.Equal((PlatformErrorClass.RateLimited, "40100"), (throttled.ErrorClass, throttled.PlatformCode));
        Assert.Empty(await client.GetReportAsync(Query).ToListAsync());
    }

    [Fact]
    public void Codes_are_classified_as_documented_in_the_package()
    {
        Assert.Null(OceanEngineErrorCodes.Classify(0));
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, OceanEngineErrorCodes.Classify(40102));
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, OceanEngineErrorCodes.Classify(40105));
        Assert.Equal(PlatformErrorClass.Permanent, OceanEngineErrorCodes.Classify(60000));
    }
}

public sealed class TokenRotationTests
{
    private static readonly AdReportQuery Query = new(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1));

    [Fact]
    public async Task An_expired_token_is_refreshed_once_the_new_pair_is_stored_and_the_call_goes_through()
    {
        await using var h = await OceanHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var tokens = h.Tokens(store, leases);
        var client = h.Client(tokens: tokens);
        h.Emulator.ExpireAccessTokens();

        Assert.Empty(await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(1, tokens.RefreshCount);
        var stored = await store.GetAsync(OceanEngineTokenProvider.StateScope, OceanEngineTokenProvider.KeyOf(h.Emulator.Options.AppId, OceanHarness.Advertiser, h.Emulator.Options.Secret));
        Assert.NotNull(stored);
        Assert.Contains(h.Emulator.CurrentRefreshToken, stored.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Emulator.Options.Secret, stored.Key, StringComparison.Ordinal);

        h.Emulator.ExpireAccessTokens();
        Assert.Empty(await client.GetReportAsync(Query).ToListAsync());
        Assert.Equal(2, h.Emulator.Refreshes);
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
        Assert.Equal(0, h.Emulator.DeadAccessTokenUses);
    }

    [Fact]
    public async Task Two_hosts_refreshing_at_once_make_one_refresh_and_never_use_a_dead_token()
    {
        await using var h = await OceanHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var hostA = h.Tokens(store, leases);
        using var hostB = h.Tokens(store, leases);
        var clientA = h.Client(tokens: hostA);
        var clientB = h.Client(tokens: hostB);
        await hostA.GetTokenAsync();
        await hostB.GetTokenAsync();
        h.Emulator.ExpireAccessTokens();
        var release = h.Emulator.HoldRefreshes();

        var readA = clientA.GetReportAsync(Query).ToListAsync().AsTask();
        await h.Emulator.RefreshArrived; // host A is mid-refresh, holding the lease
        var readB = clientB.GetReportAsync(Query).ToListAsync().AsTask();
        await h.Emulator.WhenExpiredTokenRefusals(2); // host B was refused too and now waits for host A's pair
        release();
        await Task.WhenAll(readA, readB);

        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(1, hostA.RefreshCount + hostB.RefreshCount);
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
        Assert.Equal(0, h.Emulator.DeadAccessTokenUses);
        Assert.Equal((await hostA.GetTokenAsync()).Value, (await hostB.GetTokenAsync()).Value);
    }

    [Fact]
    public async Task A_host_that_missed_a_peer_rotation_takes_the_stored_pair_instead_of_refreshing()
    {
        await using var h = await OceanHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var hostA = h.Tokens(store, leases);
        using var hostB = h.Tokens(store, leases);
        var old = await hostB.GetTokenAsync();
        h.Emulator.ExpireAccessTokens();
        await hostA.GetTokenAsync(old.Value);

        var clientB = h.Client(tokens: hostB);
        Assert.Empty(await clientB.GetReportAsync(Query).ToListAsync());

        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(0, hostB.RefreshCount);
        Assert.Equal(1, h.Emulator.DeadAccessTokenUses); // the one refused call (40105) that told host B to look again
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
    }

    [Fact]
    public async Task A_dead_refresh_token_means_re_authorisation_not_a_retry()
    {
        await using var h = await OceanHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var tokens = h.Tokens(store, leases, o => o.RefreshToken = "ocean-refresh-unknown");
        var client = h.Client(tokens: tokens);
        h.Emulator.ExpireAccessTokens();

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal("40103", error.PlatformCode);
        Assert.DoesNotContain("ocean-refresh", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ocean-", tokens.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_needs_an_app_id_secret_and_refresh_token()
    {
        var options = new OceanEnginePlatformOptions { AccessToken = "a", AdvertiserId = "1" };
        Assert.False(options.RotatesTokens);
        Assert.Throws<MarketingValidationException>(() => new OceanEngineTokenProvider(() => new HttpClient(), options, new InMemoryStateStore(), new Moq.Mock<ILeaseStore>().Object));
        Assert.DoesNotContain("secret", new OceanEnginePlatformOptions { AccessToken = "a", Secret = "secret" }.ToString(), StringComparison.Ordinal);
    }
}
