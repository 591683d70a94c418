using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class TokenEdgeTests
{
    private static OfficialAccountOptions Options() => new() { BaseAddress = new Uri("http://oa.test/"), AppId = "wx0000000000000001", AppSecret = "secret", MaxResponseBytes = 64 * 1024 };

    private static OfficialAccountTokenProvider Provider(Func<HttpResponseMessage> answer, TimeProvider? time = null)
    {
        var http = new HttpClient(new StubHandler(answer)) { BaseAddress = new Uri("http://oa.test/") };
        return new OfficialAccountTokenProvider(() => http, Options(), timeProvider: time ?? new FakeTimeProvider());
    }

    private static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    [Fact]
    public async Task Hostile_token_answers_are_typed_errors()
    {
        var notJson = await Assert.ThrowsAsync<PlatformApiException>(() => Provider(() => Json("<html>")).GetTokenAsync().AsTask());
        var oversize = await Assert.ThrowsAsync<PlatformApiException>(() => Provider(() => Json("{\"access_token\":\"" + new string('a', 100_000) + "\",\"expires_in\":7200}")).GetTokenAsync().AsTask());
        var noExpiry = await Assert.ThrowsAsync<PlatformApiException>(() => Provider(() => Json("{\"access_token\":\"abc\",\"expires_in\":-5}")).GetTokenAsync().AsTask());
        var serverError = await Assert.ThrowsAsync<PlatformApiException>(() => Provider(() => Json("oops", HttpStatusCode.BadGateway)).GetTokenAsync().AsTask());
        var quota = await Assert.ThrowsAsync<PlatformApiException>(() => Provider(() => Json("{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit rid: 1-2\"}")).GetTokenAsync().AsTask());

        Assert.All(new[] { notJson, oversize, noExpiry }, e => Assert.Equal((PlatformErrorClass.Transient, Http.PlatformApiClient.MalformedAnswerCode), (e.ErrorClass, e.PlatformCode)));
        Assert.Equal(PlatformErrorClass.Transient, serverError.ErrorClass);
        Assert.Equal((PlatformErrorClass.RateLimited, "45009", (TimeSpan?)TimeSpan.FromHours(1)), (quota.ErrorClass, quota.PlatformCode, quota.RetryAfter));
        Assert.DoesNotContain("secret", quota.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_took_the_lease_and_died_delays_the_others_only_until_the_lease_lapses()
    {
        await using var h = await OaHarness.StartAsync();
        var database = new InMemoryStateStore();
        var leases = h.Leases(database);
        Assert.NotNull(await leases.TryAcquireAsync("wechat-oa-token:" + h.Emulator.AppId, "a-host-that-died", TimeSpan.FromSeconds(30)));
        var started = h.Time.GetUtcNow();

        var token = await h.PumpAsync(h.Tokens(cache: new SharedCache(h.Time), leases: leases).GetTokenAsync().AsTask());

        Assert.Equal(h.Emulator.CurrentToken, token.Value);
        Assert.Equal(1, h.Emulator.StableTokenCalls);
        Assert.True(h.Time.GetUtcNow() - started >= TimeSpan.FromSeconds(30));
    }

    private sealed class StubHandler(Func<HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(answer());
    }
}
