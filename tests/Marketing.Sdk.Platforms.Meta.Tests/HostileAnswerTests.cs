using System.Net;
using System.Text;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Meta;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Meta.Tests;

/// <summary>Answers every request with a scripted body (a hostile or broken Graph).</summary>
internal sealed class HostileHandler(Func<HttpRequestMessage, int, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
{
    public int Calls;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (status, body) = answer(request, Interlocked.Increment(ref Calls));
        return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}

public sealed class HostileAnswerTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));

    private static (MetaPlatformClient Client, HostileHandler Handler) Client(Func<HttpRequestMessage, int, (HttpStatusCode, string)> answer, Action<MetaPlatformOptions>? configure = null)
    {
        var handler = new HostileHandler(answer);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/") };
        var options = new MetaPlatformOptions { AccessToken = "token", PixelId = "1234", RequestsPerSecond = 0 };
        configure?.Invoke(options);
        return (new MetaPlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, AllowAllGate.Instance, Time), handler);
    }

    public static TheoryData<string> WrongShapes => ["[]", "{}", "{\"requestId\":5}", "null", "", "{\"num_received\":\"x\"}", "{\"data\":5}", "{\"events_received\":99999999999999999999999}", "{\"data\":[{\"id\":1}"];

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task An_audience_batch_answered_with_a_wrong_shape_is_a_typed_error_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        var ex = await Assert.ThrowsAsync<PlatformApiException>(() => client.SyncAsync("23850000000000001", AudienceOperation.Add,
            [new AudienceMember(new CustomerId("c1"), new CustomerMatchData { Email = "a@example.com" })]).AsTask());
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
    }

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task A_conversion_batch_answered_with_a_wrong_shape_is_never_accepted(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        var batch = new[] { Conversions.Prepared(Conversions.Purchase("e1", Time.GetUtcNow().AddHours(-1), source: ConversionSource.Other)) };
        try
        {
            var result = await client.SendAsync(batch);
            Assert.DoesNotContain(result.Items, i => i.Outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate);
        }
        catch (PlatformException)
        {
            // a typed error is the other acceptable answer
        }
    }

    [Theory]
    [InlineData("{\"data\":[{\"account_currency\":\"usd1\",\"campaign_id\":\"1\",\"date_start\":\"2026-03-01\",\"spend\":\"1\"}]}")]
    [InlineData("{\"data\":[{\"account_currency\":\"USD\",\"campaign_id\":\"1\",\"date_start\":\"2026-03-01\",\"spend\":\"1e40\"}]}")]
    [InlineData("{\"data\":[{\"account_currency\":\"USD\",\"campaign_id\":\"1\",\"date_start\":\"2026-03-01\",\"impressions\":\"99999999999999999999999\"}]}")]
    [InlineData("{\"data\":[null]}")]
    [InlineData("{\"data\":{}}")]
    [InlineData("{}")]
    public async Task Insights_with_values_that_cannot_be_read_are_a_typed_error(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        await Assert.ThrowsAnyAsync<PlatformException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("act_1", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2))))
            {
            }
        });
    }

    [Fact]
    public async Task Endless_insights_cursors_stop_at_the_page_limit_with_a_typed_error()
    {
        var (client, handler) = Client((_, n) => (HttpStatusCode.OK,
            $$$"""{"data":[],"paging":{"cursors":{"after":"c{{{n}}}"},"next":"https://graph.facebook.com/next"}}"""), o => o.MaxPages = 25);
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("act_1", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2))))
            {
            }
        });
        Assert.Equal(PlatformApiClient.PageLimitCode, ex.PlatformCode);
        Assert.Equal(25, handler.Calls);
    }

    [Fact]
    public async Task A_repeated_insights_cursor_is_a_typed_error()
    {
        var (client, handler) = Client((_, n) => (HttpStatusCode.OK,
            $$$"""{"data":[],"paging":{"cursors":{"after":"c{{{n % 3}}}"},"next":"https://graph.facebook.com/next"}}"""));
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("act_1", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2))))
            {
            }
        });
        Assert.Equal(PlatformApiClient.RepeatedCursorCode, ex.PlatformCode);
        Assert.True(handler.Calls <= 4);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "[1,2")]
    [InlineData(HttpStatusCode.ServiceUnavailable, "<html>")]
    [InlineData(HttpStatusCode.OK, "{\"success\":\"maybe\"}")]
    [InlineData(HttpStatusCode.OK, "[]")]
    public async Task A_broken_answer_to_a_campaign_change_is_never_applied(HttpStatusCode status, string body)
    {
        var (client, _) = Client((_, _) => (status, body));
        var result = Assert.Single(await client.ApplyAsync([new CampaignChange("act_1", "120000000000001", CampaignChangeKind.Pause)]));
        Assert.False(result.Applied);
    }
}
