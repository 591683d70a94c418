using System.Net;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

public sealed class ErrorTests
{
    [Theory]
    [InlineData(0, null)]
    [InlineData(20001, null)]
    [InlineData(40100, PlatformErrorClass.RateLimited)]
    [InlineData(40104, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(40105, PlatformErrorClass.AuthenticationExpired)]
    [InlineData(40001, PlatformErrorClass.Unauthorized)]
    [InlineData(40002, PlatformErrorClass.Permanent)]
    [InlineData(41000, PlatformErrorClass.Permanent)]
    [InlineData(40700, PlatformErrorClass.Transient)]
    [InlineData(50000, PlatformErrorClass.Transient)]
    [InlineData(51001, PlatformErrorClass.Transient)]
    public void Business_codes_map_to_error_classes(int code, PlatformErrorClass? expected) =>
        Assert.Equal(expected, TikTokErrorCodes.Classify(code));

    [Fact]
    public async Task A_server_error_is_transient_and_carries_the_request_id()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var client = h.Client();

        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(2)).AsTask());

        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal("50000", ex.PlatformCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Contains(ex.RequestId!, ex.Message);
        Assert.True(ex.IsRetryable);
    }

    [Fact]
    public async Task Throttling_in_an_HTTP_200_envelope_is_rate_limited_with_a_wait_hint()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var client = h.Client(o => o.ThrottleRetryAfter = TimeSpan.FromSeconds(7));

        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(1)).AsTask());

        Assert.Equal(PlatformErrorClass.RateLimited, ex.ErrorClass);
        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
        Assert.Equal("40100", ex.PlatformCode);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Empty(h.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task An_expired_token_is_fetched_again_and_the_call_retried_once()
    {
        await using var h = await TikTokHarness.StartAsync();
        var tokens = new RotatingTokens(h.Emulator.AccessToken, "rotated-token");
        h.Emulator.AcceptToken("rotated-token");
        var client = h.Client(tokens: tokens);
        h.Emulator.ExpireTokenOnce();

        var result = await client.SendAsync(Data.Batch(3));

        Assert.Equal(3, result.Delivered);
        Assert.Equal(1, h.Emulator.InjectedFaults[FaultKind.TokenExpired]);
        Assert.Equal([null, h.Emulator.AccessToken], tokens.Rejected);
        Assert.Equal(2, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_token_refused_again_after_the_refresh_is_unauthorized()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client(o => o.AccessToken = "revoked");

        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(1)).AsTask());

        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("40105", ex.PlatformCode);
        Assert.Equal(2, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task No_permission_for_the_advertiser_is_unauthorized()
    {
        await using var h = await TikTokHarness.StartAsync(new TikTokEmulatorOptions { AdvertiserIds = [TikTokHarness.Advertiser] });
        var client = h.Client();

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("someone-else", new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 2))))
            {
            }
        });

        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("40001", ex.PlatformCode);
    }

    [Fact]
    public async Task A_parameter_error_is_permanent()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client(o => o.ReportMaxDaysPerRequest = 31);

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31))))
            {
            }
        });

        Assert.Equal(PlatformErrorClass.Permanent, ex.ErrorClass);
        Assert.Equal("40002", ex.PlatformCode);
        Assert.False(ex.IsRetryable);
    }

    [Fact]
    public async Task A_single_refused_row_is_rejected_not_thrown()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.FailBatchOnEventId("e0");
        var client = h.Client();

        var result = await client.SendAsync(Data.Batch(1));

        Assert.Equal(DeliveryOutcome.Rejected, Assert.Single(result.Items).Outcome);
        Assert.Equal("40002", result.Items[0].Code);
    }

    [Fact]
    public async Task A_timed_out_request_was_processed_and_its_retry_is_deduplicated()
    {
        await using var h = await TikTokHarness.StartAsync();
        // The answer is held until the client gives up, and the client's timeout reaches the wire only once TikTok has
        // the request: neither which clock runs out first nor how fast a busy machine sends is in question.
        h.Emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };
        var client = h.Client(httpTimeout: TimeSpan.FromMilliseconds(300), handler: new ReachedPlatformHandler(h.Emulator));
        var batch = Data.Batch(2);

        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(batch).AsTask());
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Null(ex.StatusCode);

        // The retry goes through a client with the default timeout: on a busy machine opening a new
        // connection (the timed-out one is still held by the slow answer) can itself take 300 ms.
        h.Emulator.Faults = FaultOptions.None;
        // The slow request may still be being processed by TikTok; the retry is sent once it has been (the state the
        // test is about, signalled by the emulator), not after a guessed wait or a polling loop.
        await h.Emulator.HeldRequestsProcessedAsync(1);
        Assert.Equal(2, h.Emulator.AcceptedEvents.Count);
        var retry = await h.Client().SendAsync(batch);

        Assert.Equal(2, retry.Delivered);
        Assert.Equal(2, h.Emulator.AcceptedEvents.Count);
        Assert.Equal(2, h.Emulator.DuplicateEvents);
    }

    [Fact]
    public async Task A_malformed_answer_is_transient()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var client = h.Client();

        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SendAsync(Data.Batch(1)).AsTask());

        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
    }

    [Fact]
    public void Options_never_show_the_token_and_report_what_is_missing()
    {
        var options = new TikTokPlatformOptions { AccessToken = "secret-token-value", AdvertiserId = "1", PixelCode = "P" };
        Assert.DoesNotContain("secret-token-value", options.ToString());
        Assert.Empty(options.GetValidationErrors());

        var empty = new TikTokPlatformOptions { AccountCurrency = "XXX1", ReportPageSize = 5000 };
        var errors = empty.GetValidationErrors().ToList();
        Assert.Contains(errors, e => e.Contains("AccessToken"));
        Assert.Contains(errors, e => e.Contains("AdvertiserId"));
        Assert.Contains(errors, e => e.Contains("AccountCurrency"));
        Assert.Contains(errors, e => e.Contains("event source"));
        Assert.Contains(errors, e => e.Contains("ReportPageSize"));
    }

    private sealed class RotatingTokens(string first, string second) : IAccessTokenProvider
    {
        private string _current = first;

        public List<string?> Rejected { get; } = [];

        public ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
        {
            Rejected.Add(rejectedToken);
            if (rejectedToken == _current)
            {
                _current = second;
            }
            return ValueTask.FromResult(new AccessToken(_current, null));
        }
    }
}
