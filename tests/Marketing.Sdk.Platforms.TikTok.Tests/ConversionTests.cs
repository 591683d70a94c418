using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

public sealed class ConversionTests
{
    [Fact]
    public async Task A_valid_batch_arrives_with_hashed_identifiers_and_mapped_event_names()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client(o => o.TestEventCode = "TEST123");
        var batch = new[]
        {
            Data.Prepared("e1", EventType.Purchase),
            Data.Prepared("e2", EventType.AddToCart),
            Data.Prepared("e3", EventType.SignUp),
            Data.Prepared("e4", EventType.BeginCheckout),
            Data.Prepared("e5", EventType.ProductView),
            Data.Prepared("e6", EventType.Search),
            Data.Prepared("e7", TikTokEvents.PlaceOrder),
        };

        var result = await client.SendAsync(batch);

        Assert.All(result.Items, i => Assert.Equal(DeliveryOutcome.Accepted, i.Outcome));
        Assert.NotNull(result.RequestId);
        var events = h.Emulator.AcceptedEvents;
        Assert.Equal(["CompletePayment", "AddToCart", "CompleteRegistration", "InitiateCheckout", "ViewContent", "Search", "PlaceAnOrder"], events.Select(e => e.Event));
        var first = events[0];
        Assert.Equal("web", first.EventSource);
        Assert.Equal(TikTokHarness.Pixel, first.EventSourceId);
        Assert.Equal("TEST123", first.TestEventCode);
        Assert.Equal(Data.Sha256("john.doe@example.com"), first.Email);
        Assert.Equal(Data.Sha256("+16505551212"), first.Phone);
        Assert.Equal(Data.Sha256("member-c1"), first.ExternalId);
        Assert.Equal("ttclid-1", first.Ttclid);
        Assert.Equal(49.90m, first.Value);
        Assert.Equal("USD", first.Currency);
        Assert.Equal("o-e1", first.OrderId);
        Assert.Equal(1, first.Contents);
        Assert.Equal(batch[0].OccurredAt.ToUnixTimeSeconds(), first.EventTime.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task The_purchase_name_is_configurable_and_custom_types_can_be_mapped()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client(o =>
        {
            o.PurchaseEventName = "Purchase";
            o.EventNames["subscribe"] = "Subscribe";
        });

        var result = await client.SendAsync([Data.Prepared("p1", EventType.Purchase), Data.Prepared("s1", new EventType("subscribe"))]);

        Assert.Equal(2, result.Delivered);
        Assert.Equal(["Purchase", "Subscribe"], h.Emulator.AcceptedEvents.Select(e => e.Event));
    }

    [Fact]
    public async Task Sending_the_same_event_ids_again_is_deduplicated_by_the_platform()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client();
        var batch = Data.Batch(5);

        await client.SendAsync(batch);
        var again = await client.SendAsync(batch);

        Assert.Equal(5, again.Delivered);
        Assert.Equal(5, h.Emulator.AcceptedEvents.Count);
        Assert.Equal(5, h.Emulator.DuplicateEvents);
    }

    [Fact]
    public async Task Rows_TikTok_would_refuse_are_rejected_before_sending_and_the_rest_is_delivered()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client();
        var now = DateTimeOffset.UtcNow;
        var good = Data.Prepared("ok1");
        var batch = new[]
        {
            good,
            Data.Prepared("future", at: now.AddHours(1)),
            Data.Prepared("old", at: now.AddDays(-8)),
            Data.Prepared("pageview", EventType.PageView),
            good with { EventId = "no-id", Match = new Dictionary<string, string>(), Clicks = new ClickIdentifiers() },
            good with { EventId = "bad-currency", Currency = "XYZ" },
            good with { EventId = "upper-hash", Match = new Dictionary<string, string> { ["email"] = Data.Sha256("a@b.co").ToUpperInvariant() } },
            good with { EventId = "plain-email", Match = new Dictionary<string, string> { ["email"] = "john@example.com" } },
            good with { EventId = "offline", Source = ConversionSource.PhysicalStore },
            good with { EventId = "bad-qty", Items = [new ConversionItem("sku", 0)] },
            good with { EventId = "bad-url", SourceUrl = "ftp://x" },
            good with { EventId = "" },
            Data.Prepared("ok2"),
        };

        var result = await client.SendAsync(batch);

        Assert.Equal(13, result.Items.Count);
        Assert.Equal([0, 12], result.Items.Where(i => i.Outcome == DeliveryOutcome.Accepted).Select(i => i.Index));
        Assert.All(result.Items.Where(i => i.Outcome != DeliveryOutcome.Accepted), i =>
        {
            Assert.Equal(DeliveryOutcome.Rejected, i.Outcome);
            Assert.Equal(TikTokPlatformClient.PreSendRejectionCode, i.Code);
            Assert.False(string.IsNullOrEmpty(i.Reason));
        });
        Assert.Contains("future", result.Items[1].Reason);
        Assert.Contains("older", result.Items[2].Reason);
        Assert.Contains("page_view", result.Items[3].Reason);
        Assert.Contains("offline", result.Items[8].Reason);
        Assert.Equal(1, h.Emulator.RequestCount);
        Assert.Equal(0, h.Emulator.RejectedBatches);
        Assert.Equal(["ok1", "ok2"], h.Emulator.AcceptedEvents.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_row_refused_by_a_rule_the_client_cannot_check_is_isolated_and_the_others_delivered_once()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.FailBatchOnEventId("e5");
        var client = h.Client();

        var result = await client.SendAsync(Data.Batch(8));

        var rejected = Assert.Single(result.Items, i => i.Outcome != DeliveryOutcome.Accepted);
        Assert.Equal(5, rejected.Index);
        Assert.Equal(DeliveryOutcome.Rejected, rejected.Outcome);
        Assert.Equal("40002", rejected.Code);
        Assert.Equal(7, h.Emulator.AcceptedEvents.Count);
        Assert.Equal(0, h.Emulator.DuplicateEvents);
        Assert.DoesNotContain(h.Emulator.AcceptedEvents, e => e.EventId == "e5");
    }

    [Fact]
    public async Task A_partial_success_marks_exactly_the_events_the_answer_names()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.DropEventId("e2");
        var client = h.Client();

        var result = await client.SendAsync(Data.Batch(4));

        Assert.Equal([DeliveryOutcome.Accepted, DeliveryOutcome.Accepted, DeliveryOutcome.Rejected, DeliveryOutcome.Accepted], result.Items.Select(i => i.Outcome));
        Assert.Equal("40002", result.Items[2].Code);
        Assert.Equal(3, h.Emulator.AcceptedEvents.Count);
    }

    [Fact]
    public async Task Events_are_sent_per_event_source()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client(o => { o.AppId = "APP1"; o.CrmEventSetId = "CRM1"; });
        var web = Data.Prepared("w1");

        var result = await client.SendAsync([web, web with { EventId = "a1", Source = ConversionSource.App }, web with { EventId = "c1", Source = ConversionSource.Crm }]);

        Assert.Equal(3, result.Delivered);
        Assert.Equal(3, h.Emulator.RequestCount);
        Assert.Equal([("web", TikTokHarness.Pixel), ("app", "APP1"), ("crm", "CRM1")],
            h.Emulator.AcceptedEvents.OrderBy(e => e.EventId == "w1" ? 0 : e.EventId == "a1" ? 1 : 2).Select(e => (e.EventSource, e.EventSourceId)));
    }

    [Fact]
    public async Task More_than_a_thousand_events_go_in_several_requests()
    {
        await using var h = await TikTokHarness.StartAsync();
        var client = h.Client();

        var result = await client.SendAsync(Data.Batch(1001));

        Assert.Equal(1001, result.Delivered);
        Assert.Equal(2, h.Emulator.RequestCount);
        Assert.Equal(1001, h.Emulator.AcceptedEvents.Count);
    }

    [Fact]
    public async Task The_emulator_refuses_a_whole_batch_for_one_bad_row()
    {
        await using var h = await TikTokHarness.StartAsync();
        using var http = new HttpClient { BaseAddress = h.Emulator.BaseAddress };
        var hash = Data.Sha256("a@b.co");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = $$$"""
            {"event_source":"web","event_source_id":"P","data":[
              {"event":"CompletePayment","event_time":{{{now}}},"event_id":"x1","user":{"email":"{{{hash}}}"}},
              {"event":"CompletePayment","event_time":{{{now}}},"event_id":"x2","user":{"email":"{{{hash.ToUpperInvariant()}}}"}}]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "open_api/v1.3/event/track/") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Access-Token", h.Emulator.AccessToken);

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"code\":40002", text);
        Assert.Contains("data[1].user.email", text);
        Assert.Empty(h.Emulator.AcceptedEvents);
        Assert.Equal(1, h.Emulator.RejectedBatches);
    }

    [Theory]
    [InlineData("  John.Doe@Example.COM ", "john.doe@example.com")]
    [InlineData("MIXED.case+tag@Gmail.com", "mixed.case+tag@gmail.com")]
    public void Email_is_trimmed_and_lower_cased_before_hashing(string raw, string normalised)
    {
        Assert.Equal(normalised, PlatformHasher.Normalize(MatchField.Email, raw, HashingProfile.TikTok));
        Assert.Equal(Data.Sha256(normalised), PlatformHasher.Hash(MatchField.Email, raw, HashingProfile.TikTok));
    }

    [Theory]
    [InlineData("+1 (650) 555-1212", "+16505551212")]
    [InlineData("0086 138 1234 5678", "+8613812345678")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    public void Phone_is_E164_with_plus_before_hashing(string raw, string e164)
    {
        Assert.Equal(e164, PlatformHasher.Normalize(MatchField.Phone, raw, HashingProfile.TikTok));
        Assert.Equal(Data.Sha256(e164), PlatformHasher.Hash(MatchField.Phone, raw, HashingProfile.TikTok));
    }

    [Fact]
    public void The_event_mapping_covers_the_documented_standard_events()
    {
        var options = new TikTokPlatformOptions();
        Assert.Equal("CompletePayment", TikTokEvents.Map("purchase", options));
        Assert.Equal("AddToCart", TikTokEvents.Map("add_to_cart", options));
        Assert.Equal("InitiateCheckout", TikTokEvents.Map("begin_checkout", options));
        Assert.Equal("ViewContent", TikTokEvents.Map("product_view", options));
        Assert.Equal("CompleteRegistration", TikTokEvents.Map("sign_up", options));
        Assert.Equal("Search", TikTokEvents.Map("search", options));
        Assert.Equal("PlaceAnOrder", TikTokEvents.Map("place_order", options));
        Assert.Null(TikTokEvents.Map("page_view", options));
    }
}
