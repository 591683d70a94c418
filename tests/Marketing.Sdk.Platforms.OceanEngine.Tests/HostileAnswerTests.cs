using System.Net;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class HostileAnswerTests
{
    private static (OceanEnginePlatformClient Client, HostileHandler Handler) Client(Func<HttpRequestMessage, int, (HttpStatusCode, string)> answer, Action<OceanEnginePlatformOptions>? configure = null)
    {
        var handler = new HostileHandler(answer);
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://hostile.test/") };
        var options = new OceanEnginePlatformOptions { BaseAddress = http.BaseAddress, ConversionAddress = http.BaseAddress, AccessToken = "token", AdvertiserId = OceanHarness.Advertiser, RequestsPerSecond = 0 };
        configure?.Invoke(options);
        return (new OceanEnginePlatformClient(() => http, new StaticAccessTokenProvider(() => "token"), options, new AllowAll()), handler);
    }

    private static readonly AdReportQuery Query = new(OceanHarness.Advertiser, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 1), ReportLevel.AdSet);

    public static TheoryData<string> WrongShapes => ["[]", "{}", "{\"message\":\"ok\"}", "null", "", "{\"code\":", "{\"code\":\"zero\"}", "{\"code\":99999999999999999999}", "<html>busy</html>"];

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Conversions_answered_with_a_wrong_shape_are_never_a_success(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));
        try
        {
            var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("h1", "cb"))]);
            Assert.DoesNotContain(result.Items, i => i.Outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate);
        }
        catch (PlatformApiException ex)
        {
            Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        }
    }

    [Theory]
    [InlineData("{\"code\":0,\"data\":{}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[null]}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[{\"dimensions\":{\"stat_time_day\":\"yesterday\"},\"metrics\":{}}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[{\"dimensions\":{\"stat_time_day\":\"2026-03-01\"},\"metrics\":{\"stat_cost\":\"lots\"}}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[{\"dimensions\":{\"stat_time_day\":\"2026-03-01\"},\"metrics\":{\"stat_cost\":\"-5\"}}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[{\"dimensions\":{\"stat_time_day\":\"2026-03-01\"},\"metrics\":{\"show_cnt\":\"1e30\"}}]}}")]
    [InlineData("{\"code\":0,\"data\":{\"rows\":[],\"page_info\":{\"page\":7,\"page_size\":10,\"total_number\":1,\"total_page\":9}}}")]
    public async Task A_malformed_report_page_is_a_typed_transient_error_never_rows(string body)
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, body));

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(PlatformErrorClass.Transient, error.ErrorClass);
    }

    [Fact]
    public async Task A_report_that_claims_endless_pages_stops_at_MaxPages()
    {
        var (client, handler) = Client((_, call) => (HttpStatusCode.OK,
            $"{{\"code\":0,\"data\":{{\"rows\":[{{\"dimensions\":{{\"stat_time_day\":\"2026-03-01\"}},\"metrics\":{{\"stat_cost\":\"1\"}}}}],\"page_info\":{{\"page\":{call},\"page_size\":1,\"total_number\":100000,\"total_page\":100000}}}}}}"),
            o => o.MaxPages = 5);

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(Query).ToListAsync());

        Assert.Equal(PlatformApiClient.PageLimitCode, error.PlatformCode);
        Assert.Equal(5, handler.Calls);
    }

    [Fact]
    public async Task Errors_naming_unknown_ids_null_items_or_string_ids_keep_each_result_to_its_own_change()
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK,
            "{\"code\":0,\"data\":{\"promotion_ids\":[801],\"errors\":[null,{\"promotion_id\":999,\"error_message\":\"x\"},{\"promotion_id\":\"802\",\"error_message\":\"" + new string('m', 5000) + "\"},{\"error_message\":\"no id\"}]}}"));

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(OceanHarness.Advertiser, "801", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(OceanHarness.Advertiser, "802", CampaignObjectLevel.AdSet),
        ]);

        Assert.Equal([true, false], results.Select(r => r.Applied));
        Assert.True(results[1].Reason!.Length <= 200);
    }

    [Fact]
    public async Task A_refused_batch_update_fails_every_change_of_the_request_with_the_platform_code()
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, "{\"code\":40002,\"message\":\"bad\",\"request_id\":\"r9\"}"));

        var results = await client.ApplyAsync([CampaignChange.Pause(OceanHarness.Advertiser, "701"), CampaignChange.Pause(OceanHarness.Advertiser, "702")]);

        Assert.All(results, r => Assert.Equal(("40002", false), (r.Code, r.Applied)));
    }

    [Fact]
    public async Task Error_text_from_the_platform_is_bounded_and_the_token_never_appears()
    {
        var (client, _) = Client((_, _) => (HttpStatusCode.OK, "{\"code\":40002,\"message\":\"" + new string('m', 5000) + "\"}"));

        var item = Assert.Single((await client.SendAsync([Data.Prepared(client, Data.Conversion("h2", "cb"))])).Items);

        Assert.Equal(DeliveryOutcome.Rejected, item.Outcome);
        Assert.Equal("40002", item.Code);
        Assert.True(item.Reason!.Length < 1000);
        Assert.DoesNotContain("token", item.Reason, StringComparison.Ordinal);
    }
}
