using System.Net;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Tests;

public sealed class PipelineTests : IAsyncLifetime
{
    private readonly TestEmulator _emulator = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await _emulator.StartAsync();
        _services = Build(o => { });
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    private ServiceProvider Build(Action<TestClientOptions> configure, bool timeOutOnceReached = false)
    {
        var services = new ServiceCollection();
        services.Configure<TestClientOptions>(o =>
        {
            o.BaseAddress = _emulator.BaseAddress;
            o.MaxRetryAttempts = 0;
            o.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.TotalTimeout = TimeSpan.FromSeconds(30);
            o.EnableCircuitBreaker = false;
            configure(o);
        });
        var client = services.AddPlatformHttpClient<TestClientOptions>("test", new Uri("https://example.invalid/"));
        if (timeOutOnceReached)
        {
            // The attempt timeout reaches the wire once the emulator has processed the held request (see the handler).
            client.ConfigurePrimaryHttpMessageHandler(() => new ReachedPlatformHandler(_emulator));
        }
        return services.BuildServiceProvider();
    }

    private Func<HttpClient> Http(ServiceProvider? provider = null) =>
        () => (provider ?? _services).GetRequiredService<IHttpClientFactory>().CreateClient("test");

    private OAuth2RefreshTokenProvider OAuth(IDistributedCache? cache = null, TimeProvider? time = null, string refresh = "refresh-1") =>
        new(new HttpClient(), new OAuth2RefreshTokenOptions { TokenEndpoint = new Uri(_emulator.BaseAddress, "token"), ClientId = "client", ClientSecret = "secret", RefreshToken = refresh }, "test", time, cache);

    [Fact]
    public async Task A_request_carries_the_token_and_returns_the_body()
    {
        var client = new TestClient(Http(), OAuth());
        Assert.Equal("r-1", await client.EchoAsync("hello"));
        Assert.Equal("hello", Assert.Single(_emulator.Echoed));
    }

    [Fact]
    public async Task An_expired_token_is_refreshed_and_the_request_retried_once()
    {
        var tokens = OAuth();
        var client = new TestClient(Http(), tokens);
        await client.EchoAsync("first");
        _emulator.ExpireTokenOnce();
        await client.EchoAsync("second");
        Assert.Equal(2, tokens.RefreshCount);
        Assert.Equal(["first", "second"], _emulator.Echoed);
        Assert.Equal(1, _emulator.InjectedFaults[FaultKind.TokenExpired]);
    }

    [Fact]
    public async Task A_token_refused_again_after_refresh_is_unauthorized()
    {
        var tokens = new StaticAccessTokenProvider(() => "never-valid");
        var client = new TestClient(Http(), tokens);
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.EchoAsync("x"));
        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("EXPIRED", ex.PlatformCode);
        Assert.DoesNotContain("never-valid", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Business_errors_in_a_200_body_are_classified_with_code_and_request_id()
    {
        var client = new TestClient(Http(), OAuth());
        var denied = await Assert.ThrowsAsync<PlatformApiException>(() => client.FailAsync("DENIED"));
        Assert.Equal(PlatformErrorClass.Unauthorized, denied.ErrorClass);
        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Equal("r-fail", denied.RequestId);
        var invalid = await Assert.ThrowsAsync<PlatformApiException>(() => client.FailAsync("INVALID"));
        Assert.False(invalid.IsRetryable);
    }

    [Fact]
    public async Task Server_errors_throttling_timeouts_and_broken_bodies_map_to_their_classes()
    {
        var client = new TestClient(Http(), OAuth());
        _emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var server = await Assert.ThrowsAsync<PlatformApiException>(() => client.EchoAsync("a"));
        Assert.Equal((PlatformErrorClass.Transient, HttpStatusCode.ServiceUnavailable), (server.ErrorClass, server.StatusCode));

        _emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var throttled = await Assert.ThrowsAsync<PlatformApiException>(() => client.EchoAsync("b"));
        Assert.Equal(PlatformErrorClass.RateLimited, throttled.ErrorClass);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.RetryAfter);

        await using var impatient = Build(o => o.AttemptTimeout = TimeSpan.FromMilliseconds(400), timeOutOnceReached: true);
        _emulator.Faults = FaultOptions.None;
        // The warm-up (connection, first-call compilation) is not under test: on a busy machine it may itself
        // outlast the short timeout, so it is tried a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await new TestClient(Http(impatient), OAuth()).EchoAsync("warm-up");
                break;
            }
            catch (PlatformApiException) when (attempt < 5)
            {
            }
        }
        _emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };
        var timeout = await Assert.ThrowsAsync<PlatformApiException>(() => new TestClient(Http(impatient), OAuth()).EchoAsync("c"));
        Assert.Equal(PlatformErrorClass.Transient, timeout.ErrorClass);
        Assert.Null(timeout.StatusCode);
        Assert.Contains("c", _emulator.Echoed); // processed although the client gave up: why platforms deduplicate

        _emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var malformed = await Assert.ThrowsAsync<PlatformApiException>(() => client.EchoAsync("d"));
        Assert.Equal(PlatformErrorClass.Transient, malformed.ErrorClass);
    }

    [Fact]
    public async Task The_resilience_handler_retries_server_errors_within_a_call()
    {
        await using var provider = Build(o => { o.MaxRetryAttempts = 5; o.RetryBaseDelay = TimeSpan.FromMilliseconds(1); });
        var client = new TestClient(Http(provider), OAuth());
        _emulator.Faults = new FaultOptions { ServerErrorRate = 0.5, Seed = 3 };
        for (var i = 0; i < 10; i++)
        {
            await client.EchoAsync($"m{i}");
        }
        Assert.Equal(10, _emulator.Echoed.Count);
        Assert.True(_emulator.InjectedFaults[FaultKind.ServerError] > 0);
    }

    [Fact]
    public async Task A_post_not_marked_retriable_is_sent_once_within_a_call()
    {
        await using var provider = Build(o => { o.MaxRetryAttempts = 5; o.RetryBaseDelay = TimeSpan.Zero; });
        var client = new TestClient(Http(provider), OAuth());
        await client.EchoAsync("warm-up");
        _emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.EchoAsync("write", retriable: false));
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(1, _emulator.InjectedFaults[FaultKind.ServerError]);
    }

    [Theory]
    [InlineData("GET", true)]
    [InlineData("HEAD", true)]
    [InlineData("PUT", true)]
    [InlineData("DELETE", true)]
    [InlineData("POST", false)]
    [InlineData("PATCH", false)]
    public void Only_idempotent_methods_are_retriable_by_default(string method, bool expected) =>
        Assert.Equal(expected, PlatformRetry.MayRetry(new HttpRequestMessage(new HttpMethod(method), "http://x/")));

    [Fact]
    public async Task Concurrent_callers_share_one_refresh()
    {
        var tokens = OAuth();
        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => tokens.GetTokenAsync().AsTask()));
        Assert.Single(all.Select(t => t.Value).Distinct());
        Assert.Equal(1, tokens.RefreshCount);
        var again = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => tokens.GetTokenAsync(all[0].Value).AsTask()));
        Assert.Single(again.Select(t => t.Value).Distinct());
        Assert.Equal(2, tokens.RefreshCount);
    }

    [Fact]
    public async Task Tokens_are_refreshed_ahead_of_expiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = OAuth(time: time);
        var first = await tokens.GetTokenAsync();
        time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal(first.Value, (await tokens.GetTokenAsync()).Value);
        time.Advance(TimeSpan.FromMinutes(1.5)); // within five minutes of the hour
        Assert.NotEqual(first.Value, (await tokens.GetTokenAsync()).Value);
        Assert.DoesNotContain(first.Value, first.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_instances_share_a_token_through_the_distributed_cache()
    {
        var cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var a = OAuth(cache);
        var b = OAuth(cache);
        var ta = await a.GetTokenAsync();
        var tb = await b.GetTokenAsync();
        Assert.Equal(ta.Value, tb.Value);
        Assert.Equal(1, _emulator.TokensIssued);
    }

    [Fact]
    public async Task A_revoked_refresh_token_is_an_unauthorized_error()
    {
        var tokens = OAuth(refresh: "revoked");
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => tokens.GetTokenAsync().AsTask());
        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("invalid_grant", ex.PlatformCode);
        Assert.DoesNotContain("revoked", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_validated_on_start()
    {
        using var provider = Build(o => o.TotalTimeout = TimeSpan.FromMilliseconds(100));
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TestClientOptions>>().Value);
        Assert.Contains("TotalTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fault_rates_above_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _emulator.Faults = new FaultOptions { ServerErrorRate = 0.7, ThrottleRate = 0.5 });
    }
}
