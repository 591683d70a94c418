using System.Net;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class HostileAnswerTests
{
    private static (TencentAdsPlatformClient Client, HostileHandler Handler) Client(Func<HttpRequestMessage, int, (HttpStatusCode, string)> answer, Action<TencentAdsPlatformOptions>? configure = null)
    {
        var handler = new HostileHandler(answer);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/") };
        var options = new TencentAdsPlatformOptions
        {
            BaseAddress = http.BaseAddress, AccessToken = "token", AccountId = TencentHarness.Account, UserActionSetId = TencentHarness.ActionSet, RequestsPerSecond = 0,
        };
        configure?.Invoke(options);
        return (new TencentAdsPlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll()), handler);
    }

    private static IReadOnlyList<PreparedConversion> Batch(TencentAdsPlatformClient client, int n) =>
        [.. Enumerable.Range(0, n).Select(i => Data.Prepared(client, "h" + i))];

    public static TheoryData<string> WrongShapes => ["[]", "{}", "{\"message\":\"ok\"}", "null", "", "{\"code\":", "{\"code\":\"zero\"}", "{\"code\":99999999999999999999}", "<html>busy</html>"];

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Conversions_answered_with_a_wrong_shape_are_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        try
        {
            var result = await client.SendAsync(Batch(client, 2));
            Assert.DoesNotContain(result.Items, i => i.Outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate);
        }
        catch (PlatformApiException ex)
        {
            Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        }
    }

    [Theory]
    [InlineData("{\"code\":0,\"data\":{}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[null]}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"date\":\"yesterday\",\"cost\":1}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"date\":\"2026-03-01\",\"cost\":\"lots\"}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"date\":\"2026-03-01\",\"cost\":-5}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[{\"date\":\"2026-03-01\",\"view_count\":1e30}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"list\":[],\"page_info\":{\"page\":7,\"page_size\":10,\"total_number\":1,\"total_page\":9}}}")]
    public async Task A_malformed_report_page_is_a_typed_transient_error_never_rows(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () =>
            await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync());

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    [Fact]
    public async Task A_report_that_claims_endless_pages_stops_at_MaxPages()
    {
        var (client, handler) = Client((_, call) => (HttpStatusCode.OK,
            $"{{\"code\":0,\"data\":{{\"list\":[{{\"date\":\"2026-03-01\",\"campaign_id\":1,\"cost\":1}}],\"page_info\":{{\"page\":{call},\"page_size\":1,\"total_number\":100000,\"total_page\":100000}}}}}}"),
            o => o.MaxPages = 5);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () =>
            await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1))).ToListAsync());

        Assert.Equal(PlatformApiClient.PageLimitCode, error.PlatformCode);
        Assert.Equal(5, handler.Calls);
    }

    [Fact]
    public async Task A_status_answer_naming_unknown_ids_or_null_items_keeps_each_result_to_its_own_change()
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK,
            "{\"code\":0,\"data\":{\"list\":[null,{\"adgroup_id\":999,\"code\":31003},{\"adgroup_id\":402,\"code\":31003,\"message\":\"adgroup does not exist\"}]}}"));

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(TencentHarness.Account, "401", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(TencentHarness.Account, "402", CampaignObjectLevel.AdSet),
        ]);

        Assert.Equal([true, false], results.Select(r => r.Applied));
        Assert.Equal("31003", results[1].Code);
    }

    [Fact]
    public async Task Error_text_from_the_platform_is_bounded_and_the_token_never_appears()
    {
        var (client, _) = Client((request, _) => (HttpStatusCode.OK, "{\"code\":31002,\"message\":\"" + new string('m', 5000) + "\"}"));

        var result = await client.SendAsync(Batch(client, 1));
        var item = Assert.Single(result.Items);
        Assert.Equal(DeliveryOutcome.Rejected, item.Outcome);
        Assert.Equal("31002", item.Code);
        Assert.True(item.Reason!.Length < 1000);
        Assert.DoesNotContain("token", item.Reason, StringComparison.Ordinal);
    }
}
