using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.TencentAds.Tokens;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class ErrorTests
{
    [Theory]
    [InlineData(10000, PlatformErrorClass.Transient)]
    [InlineData(10001, PlatformErrorClass.Transient)]
    [InlineData(30000, PlatformErrorClass.Transient)]
    [InlineData(30057, PlatformErrorClass.Transient)]
    [InlineData(30099, PlatformErrorClass.Transient)]
    [InlineData(11008, PlatformErrorClass.RateLimited)]
    [InlineData(11016, PlatformErrorClass.RateLimited)]
    [InlineData(11017, PlatformErrorClass.RateLimited)]
    [InlineData(11018, PlatformErrorClass.RateLimited)]
    [InlineData(11019, PlatformErrorClass.RateLimited)]
    [InlineData(11012, PlatformErrorClass.Unauthorized)]
    [InlineData(11014, PlatformErrorClass.Unauthorized)]
    [InlineData(30100, PlatformErrorClass.Permanent)]
    [InlineData(31002, PlatformErrorClass.Permanent)]
    public async Task Each_code_class_reaches_the_caller_as_its_error_class_over_HTTP(int code, PlatformErrorClass expected)
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client(o => o.ThrottleRetryAfter = TimeSpan.FromSeconds(42));
        h.Emulator.FailNextWith(code);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () =>
            await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync());

        Assert.Equal(expected, error.ErrorClass);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), error.PlatformCode);
        Assert.NotNull(error.RequestId); // the trace id from the message
        if (expected == PlatformErrorClass.RateLimited)
        {
            Assert.Equal(TimeSpan.FromSeconds(42), error.RetryAfter);
        }
    }

    [Fact]
    public async Task Transient_and_throttled_conversions_stay_for_a_retry_while_business_errors_are_rejected()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var batch = Data.Batch(client, 60); // two requests

        h.Emulator.FailNextWith(30001);
        var first = await client.SendAsync(batch);
        Assert.All(first.Items.Take(50), i => Assert.Equal(DeliveryOutcome.Retry, i.Outcome));
        Assert.All(first.Items.Skip(50), i => Assert.Equal(DeliveryOutcome.Accepted, i.Outcome));

        h.Emulator.FailNextWith(11017);
        var throttled = await client.SendAsync(batch);
        Assert.Equal(DeliveryOutcome.Retry, throttled.Items[0].Outcome);
        Assert.Equal(TimeSpan.FromMinutes(1), throttled.Items[0].RetryAfter);
    }

    [Fact]
    public async Task A_single_request_failing_transiently_throws_so_the_worker_retries_the_batch()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        h.Emulator.FailNextWith(10000);

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(client, 3)).AsTask());

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    [Fact]
    public async Task Every_call_is_signed_with_a_fresh_timestamp_and_nonce_and_replays_are_refused()
    {
        await using var h = await TencentHarness.StartAsync();
        var http = h.Http();
        var path = $"v3.0/daily_reports/get?account_id={TencentHarness.Account}&access_token={h.Emulator.Options.AccessToken}&timestamp={DateTimeOffset.UtcNow.ToUnixTimeSeconds()}&nonce=fixed";

        var first = await http.GetStringAsync(path);
        var replay = await http.GetStringAsync(path);
        var stale = await http.GetStringAsync($"v3.0/daily_reports/get?account_id={TencentHarness.Account}&access_token={h.Emulator.Options.AccessToken}&timestamp={DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds()}&nonce=other");

        Assert.DoesNotContain("\"code\":11007", first, StringComparison.Ordinal);
        Assert.Contains("\"code\":11007", replay, StringComparison.Ordinal);
        Assert.Contains("\"code\":11003", stale, StringComparison.Ordinal);
        // The client signs every call itself: two reports in a row both succeed.
        var client = h.Client();
        var query = new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1));
        Assert.Empty(await client.GetReportAsync(query).ToListAsync());
        Assert.Empty(await client.GetReportAsync(query).ToListAsync());
    }
}

public sealed class TokenRotationTests
{
    [Fact]
    public async Task An_expired_token_is_refreshed_once_the_new_pair_is_stored_and_the_call_goes_through()
    {
        await using var h = await TencentHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var tokens = h.Tokens(store, leases);
        var client = h.Client(tokens: tokens);
        h.Emulator.ExpireAccessTokens();

        var result = await client.SendAsync(Data.Batch(client, 2));

        Assert.Equal(2, result.Delivered);
        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(1, tokens.RefreshCount);
        var stored = await store.GetAsync(TencentAdsTokenProvider.StateScope, TencentAdsTokenProvider.KeyOf(h.Emulator.Options.ClientId, TencentHarness.Account, h.Emulator.Options.ClientSecret));
        Assert.NotNull(stored);
        Assert.Contains(h.Emulator.CurrentRefreshToken, stored.Value, StringComparison.Ordinal);
        Assert.Contains(h.Emulator.CurrentAccessToken, stored.Value, StringComparison.Ordinal);

        // A second expiry uses the rotated refresh token, never the first one.
        h.Emulator.ExpireAccessTokens();
        Assert.Equal(1, (await client.SendAsync(Data.Batch(client, 1, "x"))).Delivered);
        Assert.Equal(2, h.Emulator.Refreshes);
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
        Assert.Equal(0, h.Emulator.DeadAccessTokenUses);
    }

    [Fact]
    public async Task Two_hosts_refreshing_at_once_make_one_refresh_and_never_use_a_dead_token()
    {
        await using var h = await TencentHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var hostA = h.Tokens(store, leases);
        using var hostB = h.Tokens(store, leases);
        var clientA = h.Client(tokens: hostA);
        var clientB = h.Client(tokens: hostB);
        // Both hosts hold the first pair, then it expires.
        await hostA.GetTokenAsync();
        await hostB.GetTokenAsync();
        h.Emulator.ExpireAccessTokens();
        var release = h.Emulator.HoldRefreshes();

        var sendA = clientA.SendAsync(Data.Batch(clientA, 3, "a")).AsTask();
        await h.Emulator.RefreshArrived; // host A is mid-refresh, holding the lease
        var sendB = clientB.SendAsync(Data.Batch(clientB, 3, "b")).AsTask();
        await h.Emulator.WhenExpiredTokenRefusals(2); // host B was refused too and now waits for host A's pair
        release();
        var results = await Task.WhenAll(sendA, sendB);

        Assert.All(results, r => Assert.Equal(3, r.Delivered));
        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(1, hostA.RefreshCount + hostB.RefreshCount);
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
        Assert.Equal(0, h.Emulator.DeadAccessTokenUses);
        Assert.Equal((await hostA.GetTokenAsync()).Value, (await hostB.GetTokenAsync()).Value);
    }

    [Fact]
    public async Task A_host_that_missed_a_peer_rotation_takes_the_stored_pair_instead_of_refreshing()
    {
        await using var h = await TencentHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var hostA = h.Tokens(store, leases);
        using var hostB = h.Tokens(store, leases);
        var old = await hostB.GetTokenAsync();
        h.Emulator.ExpireAccessTokens();
        await hostA.GetTokenAsync(old.Value); // host A rotates; host B still holds the killed access token

        var clientB = h.Client(tokens: hostB);
        var result = await clientB.SendAsync(Data.Batch(clientB, 1));

        Assert.Equal(1, result.Delivered);
        Assert.Equal(1, h.Emulator.Refreshes);
        Assert.Equal(0, hostB.RefreshCount);
        Assert.Equal(1, h.Emulator.DeadAccessTokenUses); // the one refused call that told host B to look again
        Assert.Equal(0, h.Emulator.DeadRefreshTokenUses);
    }

    [Fact]
    public async Task A_dead_refresh_token_means_re_authorisation_not_a_retry()
    {
        await using var h = await TencentHarness.StartAsync();
        var (store, leases) = h.SharedStores();
        using var tokens = h.Tokens(store, leases, o => o.RefreshToken = "tencent-refresh-unknown");
        var client = h.Client(tokens: tokens);
        h.Emulator.ExpireAccessTokens();

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(client, 1)).AsTask());

        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal("11012", error.PlatformCode);
        Assert.DoesNotContain("tencent-refresh", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tencent-", tokens.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_needs_a_client_id_secret_and_refresh_token()
    {
        var options = new TencentAdsPlatformOptions { AccessToken = "a", AccountId = "1" };
        Assert.False(options.RotatesTokens);
        Assert.Throws<MarketingValidationException>(() => new TencentAdsTokenProvider(() => new HttpClient(), options, new InMemoryStateStore(), new Moq.Mock<ILeaseStore>().Object));
        Assert.DoesNotContain("secret", new TencentAdsPlatformOptions { AccessToken = "a", ClientSecret = "secret" }.ToString(), StringComparison.Ordinal);
    }
}
