using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class TokenTests
{
    [Fact]
    public async Task Two_hosts_asking_at_once_make_one_stable_token_call()
    {
        await using var h = await OaHarness.StartAsync();
        var cache = new SharedCache(h.Time);
        var database = new InMemoryStateStore();
        var hostA = h.Tokens(cache: cache, leases: h.Leases(database));
        var hostB = h.Tokens(cache: cache, leases: h.Leases(database));

        var both = Task.WhenAll(hostA.GetTokenAsync().AsTask(), hostB.GetTokenAsync().AsTask());
        var tokens = await h.PumpAsync(both);

        Assert.Equal(1, h.Emulator.StableTokenCalls);
        Assert.Equal(1, hostA.FetchCount + hostB.FetchCount);
        Assert.Equal(tokens[0].Value, tokens[1].Value);
        Assert.Equal(h.Emulator.CurrentToken, tokens[0].Value);
        Assert.Equal(1, cache.Writes);
    }

    [Fact]
    public async Task A_second_host_takes_the_shared_token_without_calling_the_platform()
    {
        await using var h = await OaHarness.StartAsync();
        var cache = new SharedCache(h.Time);
        var database = new InMemoryStateStore();
        var first = await h.Tokens(cache: cache, leases: h.Leases(database)).GetTokenAsync();
        var second = await h.Tokens(cache: cache, leases: h.Leases(database)).GetTokenAsync();

        Assert.Equal(first.Value, second.Value);
        Assert.Equal(1, h.Emulator.StableTokenCalls);
    }

    [Fact]
    public async Task The_token_is_reused_until_five_minutes_before_expiry_and_then_replaced()
    {
        await using var h = await OaHarness.StartAsync();
        var tokens = h.Tokens();
        var first = await tokens.GetTokenAsync();
        Assert.Equal(h.Time.GetUtcNow().AddSeconds(7200), first.ExpiresAt);

        h.Time.Advance(TimeSpan.FromMinutes(110));
        Assert.Equal(first.Value, (await tokens.GetTokenAsync()).Value);
        Assert.Equal(1, h.Emulator.StableTokenCalls);

        h.Time.Advance(TimeSpan.FromMinutes(6)); // 4 minutes before expiry: the platform hands out the next token
        var second = await tokens.GetTokenAsync();
        Assert.NotEqual(first.Value, second.Value);
        Assert.Equal(2, h.Emulator.StableTokenCalls);
        Assert.Equal(0, h.Emulator.ForceRefreshes);
    }

    [Fact]
    public async Task A_refused_token_is_force_refreshed_once_and_the_call_retried()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client();
        var message = new OfficialAccountTemplateMessage(OaData.OpenId(1), OaHarness.TemplateId, new Dictionary<string, string> { ["thing1"] = "hi" }, "m1");
        await client.SendTemplateMessageAsync(message);
        var before = h.Emulator.CurrentToken;

        h.Emulator.InvalidateCurrentToken(); // 40001 from now on; normal-mode stable_token still answers it
        await client.SendTemplateMessageAsync(message with { ClientMsgId = "m2" });

        Assert.Equal(1, h.Emulator.ForceRefreshes);
        Assert.Equal(3, h.Emulator.StableTokenCalls); // first fetch, normal re-fetch (same token), forced
        Assert.NotEqual(before, h.Emulator.CurrentToken);
        Assert.Equal(2, h.Emulator.SentMessages.Count);
    }

    [Fact]
    public async Task An_expired_token_is_fetched_again_and_the_call_retried_once()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client();
        await client.GetFollowerPageAsync();

        h.Time.Advance(TimeSpan.FromSeconds(7200)); // the cached token is past its refresh time: fetched again first
        h.Emulator.ExpireTokenOnce();               // and the platform still says 42001 once
        var page = await client.GetFollowerPageAsync();

        Assert.Single(page.OpenIds);
        Assert.Equal(1, h.Emulator.InjectedFaults[FaultKind.TokenExpired]);
    }

    [Fact]
    public async Task Stable_token_refusals_are_typed()
    {
        await using var h = await OaHarness.StartAsync();
        var wrongSecret = h.Tokens(h.Options(o => o.AppSecret = "nope"));
        var wrongApp = h.Tokens(h.Options(o => o.AppId = "wx-other"));

        var secret = await Assert.ThrowsAsync<PlatformApiException>(() => wrongSecret.GetTokenAsync().AsTask());
        var app = await Assert.ThrowsAsync<PlatformApiException>(() => wrongApp.GetTokenAsync().AsTask());

        Assert.Equal((PlatformErrorClass.Unauthorized, "40125"), (secret.ErrorClass, secret.PlatformCode));
        Assert.Equal((PlatformErrorClass.Unauthorized, "40013"), (app.ErrorClass, app.PlatformCode));
        Assert.DoesNotContain(h.Emulator.AppSecret, secret.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forced_refreshes_closer_than_thirty_seconds_are_refused_as_rate_limited()
    {
        await using var h = await OaHarness.StartAsync();
        var tokens = h.Tokens();
        var first = await tokens.GetTokenAsync();
        h.Emulator.InvalidateCurrentToken();
        var second = await tokens.GetTokenAsync(first.Value);
        h.Emulator.InvalidateCurrentToken();

        var refused = await Assert.ThrowsAsync<PlatformApiException>(() => tokens.GetTokenAsync(second.Value).AsTask());
        Assert.Equal((PlatformErrorClass.RateLimited, "45011"), (refused.ErrorClass, refused.PlatformCode));

        h.Time.Advance(TimeSpan.FromSeconds(31));
        var third = await tokens.GetTokenAsync(second.Value);
        Assert.NotEqual(second.Value, third.Value);
        Assert.Equal(2, h.Emulator.ForceRefreshes);
    }

    [Fact]
    public async Task The_old_token_stays_valid_five_minutes_after_a_forced_refresh()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var hostA = h.Tokens();
        var old = await hostA.GetTokenAsync();
        var hostB = new Auth.StaticAccessTokenProvider(() => old.Value);
        var clientB = new OfficialAccountClient(() => h.Http(h.Options()), hostB, h.Options(), h.Time);
        await clientB.GetFollowerPageAsync();

        await hostA.GetTokenAsync(old.Value); // normal mode answers the same token, so A forces a refresh
        Assert.Equal(1, h.Emulator.ForceRefreshes);
        h.Time.Advance(TimeSpan.FromMinutes(4));
        await clientB.GetFollowerPageAsync(); // B's old token still works

        h.Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await Assert.ThrowsAsync<PlatformApiException>(() => clientB.GetFollowerPageAsync());
        Assert.Equal(PlatformErrorClass.Unauthorized, expired.ErrorClass); // refused again after the (static) "refresh"
    }
}
