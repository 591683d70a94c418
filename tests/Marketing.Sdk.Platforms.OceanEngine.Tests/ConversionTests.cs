using System.Net;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class ConversionTests
{
    [Fact]
    public async Task A_conversion_reaches_the_callback_API_with_its_callback_type_value_and_millisecond_time()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();
        var callback = h.Emulator.IssueCallback();
        var at = new DateTimeOffset(2026, 3, 1, 8, 30, 0, 250, TimeSpan.Zero);

        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("e1", callback, at: at, value: 199.90m))]);

        Assert.Equal(DeliveryOutcome.Accepted, Assert.Single(result.Items).Outcome);
        Assert.NotNull(result.RequestId);
        var received = Assert.Single(h.Emulator.AcceptedConversions);
        Assert.Equal(callback, received.Callback);
        Assert.Equal("active_pay", received.EventType);
        Assert.Equal(at, received.Timestamp); // milliseconds kept
        Assert.Equal(199.90m, received.EventWeight); // yuan, exactly
        Assert.Equal(19_990, received.PayAmount); // fen, exactly
        Assert.Equal(Data.PhoneSha256, received.PhoneSha256);
    }

    [Theory]
    [InlineData("purchase", "active_pay")]
    [InlineData("place_order", "in_app_order")]
    [InlineData("add_to_cart", "in_app_cart")]
    [InlineData("sign_up", "active_register")]
    [InlineData("product_view", "in_app_detail_uv")]
    public async Task Event_types_follow_the_documented_table(string sdkType, string oceanType)
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();

        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("e-" + sdkType, h.Emulator.IssueCallback(), new EventType(sdkType)))]);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(oceanType, Assert.Single(h.Emulator.AcceptedConversions).EventType);
    }

    [Fact]
    public async Task Unmapped_types_are_refused_before_sending_unless_the_options_map_them()
    {
        await using var h = await OceanHarness.StartAsync();
        var plain = h.Client();
        var mapped = h.Client(o => o.EventTypes["lead"] = "form");
        var callback = h.Emulator.IssueCallback();

        var refused = await plain.SendAsync([Data.Prepared(plain, Data.Conversion("l1", callback, new EventType("lead")))]);
        var sent = await mapped.SendAsync([Data.Prepared(mapped, Data.Conversion("l2", callback, new EventType("lead")))]);

        Assert.Equal(OceanEnginePlatformClient.PreSendRejectionCode, Assert.Single(refused.Items).Code);
        Assert.Equal(1, sent.Delivered);
        Assert.Equal("form", Assert.Single(h.Emulator.AcceptedConversions).EventType);
    }

    [Theory]
    [InlineData(10.005, "CNY")]
    [InlineData(10, "USD")]
    public async Task A_value_that_is_not_whole_fen_in_CNY_is_refused_before_sending(double amount, string currency)
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();
        var conversion = Data.Conversion("v1", h.Emulator.IssueCallback()) with { Value = new Money((decimal)amount, currency) };

        var result = await client.SendAsync([Data.Prepared(client, conversion)]);

        Assert.Equal(DeliveryOutcome.Rejected, Assert.Single(result.Items).Outcome);
        Assert.Equal(0, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_conversion_without_a_callback_is_not_attributable_and_never_sent()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();

        Assert.Equal(ConversionSkipReason.NotAttributable, client.SkipReason(Data.Conversion("n1", null)));
        Assert.Equal(ConversionSkipReason.NotAttributable, client.SkipReason(Data.Conversion("n1", "  ")));
        Assert.Null(client.SkipReason(Data.Conversion("n1", "cb")));
        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("n1", null))]);

        var item = Assert.Single(result.Items);
        Assert.Equal(DeliveryOutcome.Rejected, item.Outcome);
        Assert.Equal(OceanEnginePlatformClient.NotAttributableCode, item.Code);
        Assert.Equal(0, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task An_unknown_callback_is_rejected_by_the_platform_as_that_item_only()
    {
        await using var h = await OceanHarness.StartAsync();
        var client = h.Client();
        var good = h.Emulator.IssueCallback();

        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("u1", "forged-callback")), Data.Prepared(client, Data.Conversion("u2", good))]);

        Assert.Equal(DeliveryOutcome.Rejected, result.Items[0].Outcome);
        Assert.Equal("40001", result.Items[0].Code);
        Assert.Equal(DeliveryOutcome.Accepted, result.Items[1].Outcome);
        Assert.Equal(1, h.Emulator.RejectedConversions);
        Assert.Equal(good, Assert.Single(h.Emulator.AcceptedConversions).Callback);
    }

    [Fact]
    public async Task The_callback_API_gets_no_Access_Token_and_is_never_retried_inside_the_call()
    {
        var calls = new List<HttpRequestMessage>();
        var handler = new HostileHandler((request, _) =>
        {
            calls.Add(request);
            return (HttpStatusCode.OK, "{\"code\":0,\"message\":\"ok\",\"request_id\":\"r1\"}");
        });
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://api.test/") };
        var options = new OceanEnginePlatformOptions { AccessToken = "secret-token", ConversionAddress = new Uri("http://analytics.test/"), RequestsPerSecond = 0 };
        var client = new OceanEnginePlatformClient(() => http, new Auth.StaticAccessTokenProvider(() => "secret-token"), options, new AllowAll());

        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("t1", "cb"))]);

        Assert.Equal(1, result.Delivered);
        var request = Assert.Single(calls);
        Assert.Equal("http://analytics.test/api/v2/conversion", request.RequestUri!.ToString());
        Assert.False(request.Headers.Contains("Access-Token"));
        Assert.True(request.Options.TryGetValue(Http.PlatformRetry.Retriable, out var retriable) && !retriable);
    }

    [Fact]
    public async Task The_code_the_community_SDK_treats_as_not_an_error_counts_as_accepted()
    {
        var handler = new HostileHandler((_, _) => (HttpStatusCode.OK, "{\"code\":128,\"message\":\"duplicate?\"}"));
        var http = new HttpClient(handler) { BaseAddress = new Uri("http://api.test/") };
        var client = new OceanEnginePlatformClient(() => http, new Auth.StaticAccessTokenProvider(() => "t"), new OceanEnginePlatformOptions { AccessToken = "t", RequestsPerSecond = 0 }, new AllowAll());

        var result = await client.SendAsync([Data.Prepared(client, Data.Conversion("d1", "cb"))]);

        Assert.Equal(DeliveryOutcome.Accepted, Assert.Single(result.Items).Outcome);
    }
}
