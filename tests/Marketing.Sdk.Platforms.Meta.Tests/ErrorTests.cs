using System.Net;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class ErrorTests
{
    [Fact]
    public async Task Latency_delays_every_answer_without_changing_it()
    {
        await using var scope = await MetaScope.StartAsync();
        Assert.Throws<ArgumentOutOfRangeException>(() => scope.Emulator.Latency = TimeSpan.FromMilliseconds(-1));
        // A latency longer than the client waits: the request is not processed before the client gives up
        // (the delay comes before processing), decided by what the emulator holds, not by a stopwatch.
        scope.Emulator.Latency = TimeSpan.FromHours(1);
        var impatient = scope.Client(httpTimeout: TimeSpan.FromMilliseconds(300));
        var delayed = await Assert.ThrowsAsync<PlatformApiException>(async () => await impatient.SendAsync([Conversions.Prepared(Conversions.Purchase("slow", scope.Time.GetUtcNow()))]));
        Assert.Equal(PlatformErrorClass.Transient, delayed.ErrorClass);
        Assert.Null(delayed.StatusCode);
        Assert.Empty(scope.Emulator.AcceptedEvents);
        Assert.Equal(TimeSpan.FromHours(1), scope.Emulator.Latency);

        // Back to no latency: the same event goes through with the emulator's usual answer.
        scope.Emulator.Latency = TimeSpan.Zero;
        var results = await scope.Client().SendAsync([Conversions.Prepared(Conversions.Purchase("slow", scope.Time.GetUtcNow()))]);
        Assert.Equal(DeliveryOutcome.Accepted, Assert.Single(results.Items).Outcome);
        Assert.Single(scope.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task A_server_error_is_transient_with_Metas_code()
    {
        await using var scope = await MetaScope.StartAsync();
        scope.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var client = scope.Client();

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync([Conversions.Prepared(Conversions.Purchase("e", scope.Time.GetUtcNow()))]));

        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal("2", ex.PlatformCode);
        Assert.NotNull(ex.RequestId);
        Assert.True(ex.IsRetryable);
        Assert.Empty(scope.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task Throttling_carries_the_wait_hint_and_holds_further_calls_back_until_it_passed()
    {
        await using var scope = await MetaScope.StartAsync();
        scope.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        scope.Emulator.ThrottleRegainMinutes = 3;
        var client = scope.Client();
        var batch = new[] { Conversions.Prepared(Conversions.Purchase("t", scope.Time.GetUtcNow())) };

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync(batch));

        Assert.Equal(PlatformErrorClass.RateLimited, ex.ErrorClass);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("17", ex.PlatformCode);
        Assert.Equal("2446079", ex.PlatformSubCode);
        Assert.Equal(TimeSpan.FromMinutes(3), ex.RetryAfter);
        Assert.Equal(scope.Time.GetUtcNow().AddMinutes(3), client.BlockedUntil);
        Assert.Equal(3, client.Usage!.BusinessUseCases.Single().EstimatedTimeToRegainAccess.TotalMinutes);

        // While blocked, nothing is sent.
        scope.Emulator.Faults = FaultOptions.None;
        scope.Time.Advance(TimeSpan.FromMinutes(1));
        var held = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync(batch));
        Assert.Equal(PlatformErrorClass.RateLimited, held.ErrorClass);
        Assert.Null(held.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(2), held.RetryAfter);
        Assert.Equal(1, scope.Emulator.RequestCount);

        scope.Time.Advance(TimeSpan.FromMinutes(2));
        var result = await client.SendAsync(batch);
        Assert.Equal(1, result.Delivered);
        Assert.Equal(1, client.Usage!.AppCallCount);
    }

    [Fact]
    public async Task An_expired_token_is_refreshed_and_the_call_retried_once()
    {
        await using var scope = await MetaScope.StartAsync();
        var tokens = new RotatingTokenProvider("stale-token", scope.Emulator.AccessToken);
        var client = scope.Client(tokens: tokens);

        var result = await client.SendAsync([Conversions.Prepared(Conversions.Purchase("r", scope.Time.GetUtcNow()))]);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(1, tokens.Refreshes);
        Assert.Equal(2, scope.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_token_expiry_answer_is_retried_after_rereading_the_system_user_token()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        scope.Emulator.ExpireTokenOnce();

        var result = await client.SendAsync([Conversions.Prepared(Conversions.Purchase("x", scope.Time.GetUtcNow()))]);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(1, scope.Emulator.InjectedFaults[FaultKind.TokenExpired]);
        Assert.Single(scope.Emulator.AcceptedEvents);
    }

    [Fact]
    public async Task A_token_refused_again_after_the_refresh_is_unauthorized()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.AccessToken = "revoked-token");

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync([Conversions.Prepared(Conversions.Purchase("x", scope.Time.GetUtcNow()))]));

        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("190", ex.PlatformCode);
        Assert.DoesNotContain("revoked-token", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_pixel_is_a_setup_problem_not_a_reason_to_drop_conversions()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.PixelId = "4040404");

        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.SendAsync([Conversions.Prepared(Conversions.Purchase("x", scope.Time.GetUtcNow()))]));

        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("100", ex.PlatformCode);
        Assert.Equal("33", ex.PlatformSubCode);
        Assert.True(ex.IsRetryable);
        Assert.Equal(1, scope.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_failure_after_part_of_a_batch_was_decided_marks_the_rest_for_retry()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.ConversionBatchSize = 2);
        var now = scope.Time.GetUtcNow();
        var batch = new[]
        {
            Conversions.Prepared(Conversions.Purchase("old", now.AddDays(-8))),
            Conversions.Prepared(Conversions.Purchase("a", now)),
            Conversions.Prepared(Conversions.Purchase("b", now)),
        };
        scope.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };

        var result = await client.SendAsync(batch);

        Assert.Equal([DeliveryOutcome.Rejected, DeliveryOutcome.Retry, DeliveryOutcome.Retry], result.Items.Select(i => i.Outcome));
        Assert.Equal("2", result.Items[1].Code);
    }

    [Fact]
    public async Task The_app_secret_proof_is_sent_when_configured_and_required_by_the_emulator()
    {
        await using var scope = await MetaScope.StartAsync();
        scope.Emulator.AppSecret = "s3cr3t";
        var with = scope.Client(o => o.AppSecret = "s3cr3t");
        var without = scope.Client();
        var wrong = scope.Client(o => o.AppSecret = "other");
        var batch = new[] { Conversions.Prepared(Conversions.Purchase("p", scope.Time.GetUtcNow())) };

        Assert.Equal(1, (await with.SendAsync(batch)).Delivered);
        var missing = await Assert.ThrowsAsync<PlatformApiException>(async () => await without.SendAsync(batch));
        Assert.Contains("appsecret_proof", missing.Message, StringComparison.Ordinal);
        var invalid = await Assert.ThrowsAsync<PlatformApiException>(async () => await wrong.SendAsync(batch));
        Assert.Equal(PlatformErrorClass.Permanent, invalid.ErrorClass);
        Assert.Equal(3, scope.Emulator.RequestCount); // a request-level error is not narrowed down item by item

        // Reporting (GET) carries the proof in the query.
        await foreach (var _ in with.GetReportAsync(new AdReportQuery(MetaScope.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2)))) { }
    }
}
