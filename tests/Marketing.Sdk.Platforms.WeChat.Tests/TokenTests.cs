using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.WeChat.Tokens;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests;

public sealed class TokenTests
{
    [Fact]
    public async Task Two_hosts_refreshing_at_once_make_one_gettoken()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        harness.Emulator.Latency = TimeSpan.FromMilliseconds(50);
        IDistributedCache shared = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var (hostA, tokensA) = harness.Client(cache: shared, shareAcrossHosts: true);
        var (hostB, tokensB) = harness.Client(cache: shared, shareAcrossHosts: true);

        var calls = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? hostA : hostB).GetFollowUsersAsync()).ToList();
        var answers = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.All(answers, a => Assert.Equal(["sales-1"], a));
        Assert.Equal(1, harness.Emulator.TokenCalls);
        Assert.Equal(1, tokensA.FetchCount + tokensB.FetchCount);
    }

    [Fact]
    public async Task Without_the_shared_cache_each_host_fetches_its_own_token()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (hostA, _) = harness.Client();
        var (hostB, _) = harness.Client();

        await Task.WhenAll(hostA.GetFollowUsersAsync(), hostA.GetFollowUsersAsync(), hostB.GetFollowUsersAsync(), hostB.GetFollowUsersAsync());

        Assert.Equal(2, harness.Emulator.TokenCalls); // single flight per process, one fetch per host
    }

    [Fact]
    public async Task An_expired_token_is_refetched_once_and_the_call_retried()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        await client.GetFollowUsersAsync();

        harness.Emulator.ExpireTokenOnce(); // 42001
        var users = await client.GetFollowUsersAsync();

        Assert.Equal(["sales-1"], users);
        Assert.Equal(2, harness.Emulator.TokenCalls);
    }

    [Fact]
    public async Task A_token_invalidated_early_by_WeCom_is_replaced()
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        await client.GetFollowUsersAsync();

        harness.Emulator.RevokeTokens(); // the next call answers 40014
        var users = await client.GetFollowUsersAsync();

        Assert.Equal(["sales-1"], users);
        Assert.Equal(2, harness.Emulator.TokenCalls);
    }

    [Theory]
    [InlineData(40014)]
    [InlineData(42001)]
    [InlineData(40001)]
    public async Task A_token_refused_twice_is_unauthorized_after_one_refresh(int code)
    {
        await using var harness = await WeComHarness.StartAsync();
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client();
        harness.Emulator.FailNext("externalcontact/get_follow_user_list", code);
        harness.Emulator.FailNext("externalcontact/get_follow_user_list", code);

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), error.PlatformCode);
        Assert.Equal(2, harness.Emulator.TokenCalls);
    }

    [Fact]
    public async Task A_wrong_secret_is_unauthorized_and_never_logged()
    {
        await using var harness = await WeComHarness.StartAsync();
        var (client, _) = harness.Client(o => o.CorpSecret = "wrong-secret-value");

        var error = await Assert.ThrowsAsync<PlatformApiException>(() => client.GetFollowUsersAsync());

        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal("40001", error.PlatformCode);
        Assert.DoesNotContain("wrong-secret-value", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-value", client.Options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_refreshed_early_and_a_short_lived_answer_is_not_refetched_on_every_call()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        await using var harness = await WeComHarness.StartAsync(new WeComEmulatorOptions { TimeProvider = time });
        harness.Emulator.AddContact("sales-1", "wm-1");
        var (client, _) = harness.Client(time: time);
        await client.GetFollowUsersAsync();
        Assert.Equal(1, harness.Emulator.TokenCalls);

        time.Advance(TimeSpan.FromSeconds(7200 - 200)); // inside the 5-minute refresh window
        await client.GetFollowUsersAsync();
        Assert.Equal(2, harness.Emulator.TokenCalls); // refreshed early; WeCom answered the same token, 200 s left
        await client.GetFollowUsersAsync();
        await client.GetFollowUsersAsync();
        Assert.Equal(2, harness.Emulator.TokenCalls); // not again on every call

        time.Advance(TimeSpan.FromSeconds(250)); // the old token expired
        await client.GetFollowUsersAsync();
        Assert.Equal(3, harness.Emulator.TokenCalls);
    }

    [Fact]
    public async Task A_host_waiting_on_a_stuck_refresh_fetches_itself_after_the_peer_wait()
    {
        await using var harness = await WeComHarness.StartAsync();
        IDistributedCache cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var options = new SharedAccessTokenOptions { CacheKey = "k", PeerWait = TimeSpan.FromMilliseconds(200), PeerPollInterval = TimeSpan.FromMilliseconds(20) };
        Assert.NotNull(await harness.Leases.TryAcquireAsync("token-refresh:k", "crashed-host", TimeSpan.FromMinutes(1)));
        var fetches = 0;
        using var provider = new SharedAccessTokenProvider((_, _) =>
        {
            Interlocked.Increment(ref fetches);
            return ValueTask.FromResult(new AccessToken("fresh", DateTimeOffset.UtcNow.AddHours(2)));
        }, options, "wecom", cache, harness.Leases);

        var token = await provider.GetTokenAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal("fresh", token.Value);
        Assert.Equal(1, fetches);
        Assert.NotNull(await cache.GetAsync("k")); // shared for the others
    }

    [Fact]
    public async Task A_rejection_reported_by_many_callers_replaces_the_token_once()
    {
        var fetches = 0;
        using var provider = new SharedAccessTokenProvider((force, _) =>
        {
            var n = Interlocked.Increment(ref fetches);
            Assert.Equal(n > 1, force);
            return ValueTask.FromResult(new AccessToken("t" + n, DateTimeOffset.UtcNow.AddHours(2)));
        }, new SharedAccessTokenOptions { CacheKey = "k" }, "wecom");
        var first = await provider.GetTokenAsync();

        var replaced = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => provider.GetTokenAsync(first.Value).AsTask()));

        Assert.All(replaced, t => Assert.Equal("t2", t.Value));
        Assert.Equal(2, fetches);
        Assert.DoesNotContain("t2", replaced[0].ToString(), StringComparison.Ordinal);
    }
}
