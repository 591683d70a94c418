using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class ErrorTests
{
    private static readonly DateOnly Day = new(2026, 3, 1);

    [Fact]
    public async Task Server_errors_are_transient()
    {
        await using var env = await GoogleEnv.CreateAsync();
        await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("warm-up"))]);
        env.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal("UNAVAILABLE", ex.PlatformCode);
        Assert.True(ex.IsRetryable);
    }

    [Fact]
    public async Task Server_errors_on_conversions_are_not_retried_inside_the_call()
    {
        await using var env = await GoogleEnv.CreateAsync(o => { o.MaxRetryAttempts = 5; o.RetryBaseDelay = TimeSpan.Zero; });
        env.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(1, env.Emulator.InjectedFaults[FaultKind.ServerError]); // the outbox retries conversions, not the call
    }

    [Fact]
    public async Task Data_Manager_throttling_is_rate_limited_with_the_RetryInfo_delay()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: e => e.ThrottleRetryDelay = TimeSpan.FromSeconds(7));
        env.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.RateLimited, ex.ErrorClass);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal("RESOURCE_EXHAUSTED", ex.PlatformCode);
        Assert.StartsWith("emu-", ex.RequestId);
    }

    [Fact]
    public async Task Google_Ads_throttling_reads_the_quota_error_retry_delay()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: e => { e.SeedAccount(GoogleEnv.Customer, "USD"); e.ThrottleRetryDelay = TimeSpan.FromSeconds(1.5); });
        env.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.GetReportAsync(new AdReportQuery(GoogleEnv.Customer, Day, Day)).ToListAsync());
        Assert.Equal(PlatformErrorClass.RateLimited, ex.ErrorClass);
        Assert.Equal(TimeSpan.FromSeconds(1.5), ex.RetryAfter);
        Assert.Equal("QuotaError.RESOURCE_TEMPORARILY_EXHAUSTED", ex.PlatformSubCode);
    }

    [Fact]
    public async Task A_revoked_token_is_refreshed_and_the_call_retried_once()
    {
        await using var env = await GoogleEnv.CreateAsync();
        await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]);
        Assert.Equal(1, env.Emulator.TokensIssued);

        env.Emulator.ExpireTokenOnce();
        var result = await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e2"))]);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(2, env.Emulator.TokensIssued);
        Assert.Equal(1, env.Emulator.InjectedFaults[FaultKind.TokenExpired]);
        Assert.Equal(2, env.Emulator.AcceptedEvents.Count);
    }

    [Fact]
    public async Task A_refresh_token_Google_refuses_is_unauthorized()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.RefreshToken = "revoked-refresh-token");
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("invalid_grant", ex.PlatformCode);
        Assert.Empty(env.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task A_truncated_success_body_is_transient()
    {
        await using var env = await GoogleEnv.CreateAsync();
        env.Emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        // Google processed it; the retry is deduplicated on the transaction id
        env.Emulator.Faults = FaultOptions.None;
        await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]);
        Assert.Single(env.Emulator.AcceptedEvents);
        Assert.Equal(1, env.Emulator.DuplicateEvents);
    }

    [Fact]
    public async Task A_slow_answer_times_out_as_transient()
    {
        await using var env = await GoogleEnv.CreateAsync(o => { o.AttemptTimeout = TimeSpan.FromMilliseconds(200); o.TotalTimeout = TimeSpan.FromSeconds(1); });
        // The warm-up (token, connection, first-call compilation) is not under test: on a busy machine it may
        // itself outlast the short timeout, so it is tried a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("warm-up"))]);
                break;
            }
            catch (PlatformApiException) when (attempt < 5)
            {
            }
        }
        // The answer is held until the client gives up, so the verdict does not depend on which clock runs out first.
        env.Emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.SendAsync([ConversionTests.Prepare(ConversionTests.Purchase("e1"))]));
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Null(ex.StatusCode);
    }

    // Classification of bodies the emulator does not produce, through the public client over a stub handler.
    [Theory]
    [InlineData(400, """{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure","errors":[{"errorCode":{"queryError":"UNRECOGNIZED_FIELD"},"message":"Unrecognized field."}],"requestId":"rq-1"}]}}""", PlatformErrorClass.Permanent, "INVALID_ARGUMENT", "QueryError.UNRECOGNIZED_FIELD", "rq-1")]
    [InlineData(500, """{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL","details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure","errors":[{"errorCode":{"internalError":"INTERNAL_ERROR"}}],"requestId":"rq-2"}]}}""", PlatformErrorClass.Transient, "INTERNAL", "InternalError.INTERNAL_ERROR", "rq-2")]
    [InlineData(400, """{"error":{"code":400,"message":"x","status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure","errors":[{"errorCode":{"internalError":"TRANSIENT_ERROR"}}]}]}}""", PlatformErrorClass.Transient, "FAILED_PRECONDITION", "InternalError.TRANSIENT_ERROR", null)]
    [InlineData(504, """{"error":{"code":504,"message":"Deadline exceeded.","status":"DEADLINE_EXCEEDED"}}""", PlatformErrorClass.Transient, "DEADLINE_EXCEEDED", null, null)]
    [InlineData(500, """{"error":{"code":500,"message":"Unknown.","status":"UNKNOWN"}}""", PlatformErrorClass.Transient, "UNKNOWN", null, null)]
    [InlineData(403, """{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE","domain":"googleads.googleapis.com"}]}}""", PlatformErrorClass.Unauthorized, "PERMISSION_DENIED", "CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE", null)]
    [InlineData(502, "<html>Bad Gateway</html>", PlatformErrorClass.Transient, null, null, null)]
    public async Task Google_status_bodies_are_classified(int status, string body, PlatformErrorClass expected, string? code, string? subCode, string? requestId)
    {
        var client = StubClient(status, body);
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(new AdReportQuery("1", Day, Day)).ToListAsync());
        Assert.Equal(expected, ex.ErrorClass);
        Assert.Equal(code, ex.PlatformCode);
        Assert.Equal(subCode, ex.PlatformSubCode);
        Assert.Equal(requestId, ex.RequestId);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_refused_twice_becomes_unauthorized()
    {
        var client = StubClient(401, """{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}""");
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(new AdReportQuery("1", Day, Day)).ToListAsync());
        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal(PlatformErrorClass.AuthenticationExpired, Assert.IsType<PlatformApiException>(ex.InnerException).ErrorClass);
    }

    private static GooglePlatformClient StubClient(int status, string body)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.AddCompliance());
        var gate = services.BuildServiceProvider().GetRequiredService<IConsentGate>();
        var options = new GooglePlatformOptions { ClientId = "id", RefreshToken = "rt", OperatingAccountId = "1", RequestsPerSecond = 0 };
        var http = new HttpClient(new StubHandler(status, body)) { BaseAddress = options.GoogleAdsEndpoint };
        return new GooglePlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, gate);
    }

    private sealed class StubHandler(int status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
