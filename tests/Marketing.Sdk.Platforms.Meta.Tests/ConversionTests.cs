using System.Text.Json;
using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class ConversionTests
{
    [Fact]
    public async Task A_batch_is_accepted_with_the_documented_wire_format()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.TestEventCode = "TEST4321");
        var now = scope.Time.GetUtcNow();
        var batch = new[]
        {
            Conversions.Prepared(Conversions.Purchase("ord-1", now.AddHours(-1))),
            Conversions.Prepared(Conversions.Purchase("ord-2", now.AddDays(-6), customer: "c2")) with { EventType = "add_to_cart", Value = null, Currency = null, OrderId = null, Items = [] },
            Conversions.Prepared(Conversions.Purchase("ord-3", now.AddMinutes(-5), customer: "c3") with { EventType = "refund" }),
        };

        var result = await client.SendAsync(batch);

        Assert.All(result.Items, i => Assert.Equal(DeliveryOutcome.Accepted, i.Outcome));
        Assert.Equal([0, 1, 2], result.Items.Select(i => i.Index));
        Assert.StartsWith("EmU", result.RequestId, StringComparison.Ordinal);
        var accepted = scope.Emulator.AcceptedEvents;
        Assert.Equal(["Purchase", "AddToCart", "refund"], accepted.Select(e => e.EventName));
        var purchase = accepted[0];
        Assert.Equal(MetaScope.Pixel, purchase.PixelId);
        Assert.Equal("ord-1", purchase.EventId);
        Assert.Equal("website", purchase.ActionSource);
        Assert.Equal("TEST4321", purchase.TestEventCode);
        Assert.Equal(now.AddHours(-1).ToUnixTimeSeconds(), purchase.EventTime.ToUnixTimeSeconds());
        Assert.Equal(PlatformHasher.Hash(MatchField.Email, "john_smith@gmail.com", HashingProfile.Meta), purchase.UserData["em"]);
        Assert.Equal(["client_ip_address", "client_user_agent", "country", "ct", "db", "em", "external_id", "fbc", "fbp", "fn", "ge", "ln", "ph", "st", "zp"],
            purchase.UserData.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(42.5m, purchase.Value);
        Assert.Equal("USD", purchase.Currency);
        Assert.Equal("order-ord-1", purchase.OrderId);
        Assert.Equal(2, purchase.ContentCount);
        Assert.Null(accepted[1].Value);
    }

    [Fact]
    public async Task Events_older_than_seven_days_are_rejected_before_sending_and_the_rest_goes()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var now = scope.Time.GetUtcNow();
        var batch = new[]
        {
            Conversions.Prepared(Conversions.Purchase("fresh-1", now.AddDays(-1))),
            Conversions.Prepared(Conversions.Purchase("old-1", now.AddDays(-7).AddMinutes(-1))),
            Conversions.Prepared(Conversions.Purchase("store-30d", now.AddDays(-30), source: ConversionSource.PhysicalStore) with { SourceUrl = null }),
            Conversions.Prepared(Conversions.Purchase("store-63d", now.AddDays(-63), source: ConversionSource.PhysicalStore)),
            Conversions.Prepared(Conversions.Purchase("fresh-2", now.AddDays(-6.9))),
        };

        var result = await client.SendAsync(batch);

        Assert.Equal([DeliveryOutcome.Accepted, DeliveryOutcome.Rejected, DeliveryOutcome.Accepted, DeliveryOutcome.Rejected, DeliveryOutcome.Accepted], result.Items.Select(i => i.Outcome));
        Assert.Equal("event_too_old", result.Items[1].Code);
        Assert.Equal(["fresh-1", "store-30d", "fresh-2"], scope.Emulator.AcceptedEvents.Select(e => e.EventId));
        Assert.Equal(0, scope.Emulator.RejectedRequests);
        Assert.Equal(1, scope.Emulator.RequestCount);
    }

    [Fact]
    public async Task The_emulator_rejects_the_whole_request_for_one_old_event_as_Meta_does()
    {
        await using var scope = await MetaScope.StartAsync();
        var now = scope.Time.GetUtcNow();
        var events = new[]
        {
            MetaPlatformClient.ToEvent(Conversions.Prepared(Conversions.Purchase("a", now.AddDays(-1)))),
            MetaPlatformClient.ToEvent(Conversions.Prepared(Conversions.Purchase("b", now.AddDays(-8)))),
        }.ToList();
        using var http = new HttpClient { BaseAddress = scope.Emulator.BaseAddress };
        using var form = new FormUrlEncodedContent([new("data", JsonSerializer.Serialize(events, MetaJsonContext.Default.ListCapiEvent)), new("access_token", scope.Emulator.AccessToken)]);

        using var response = await http.PostAsync($"v25.0/{MetaScope.Pixel}/events", form);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(400, (int)response.StatusCode);
        var error = body.RootElement.GetProperty("error");
        Assert.Equal(100, error.GetProperty("code").GetInt32());
        Assert.Contains("data[1].event_time", error.GetProperty("error_user_msg").GetString(), StringComparison.Ordinal);
        Assert.Empty(scope.Emulator.AcceptedEvents);
        Assert.Equal(1, scope.Emulator.RejectedRequests);
    }

    [Fact]
    public async Task Items_the_platform_rejects_are_isolated_and_the_valid_ones_delivered()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var now = scope.Time.GetUtcNow();
        var batch = Enumerable.Range(0, 8).Select(i => Conversions.Prepared(Conversions.Purchase($"e{i}", now.AddMinutes(-i), customer: $"c{i}"))).ToArray();
        // Two items carry customer information that is not hashed: Meta rejects any request holding them.
        batch[2] = batch[2] with { Match = new Dictionary<string, string>(batch[2].Match) { ["email"] = "john@example.com" } };
        batch[7] = batch[7] with { Match = new Dictionary<string, string>(batch[7].Match) { ["phone"] = "ABCDEF" } };

        var result = await client.SendAsync(batch);

        for (var i = 0; i < batch.Length; i++)
        {
            Assert.Equal(i, result.Items[i].Index);
            Assert.Equal(i is 2 or 7 ? DeliveryOutcome.Rejected : DeliveryOutcome.Accepted, result.Items[i].Outcome);
        }
        Assert.Equal("100", result.Items[2].Code);
        Assert.Contains("Invalid parameter", result.Items[7].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("john@example.com", result.Items[2].Reason, StringComparison.Ordinal);
        Assert.Equal(["e0", "e1", "e3", "e4", "e5", "e6"], scope.Emulator.AcceptedEvents.Select(e => e.EventId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Items_without_what_Meta_requires_are_rejected_before_sending()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var now = scope.Time.GetUtcNow();
        var ok = Conversions.Prepared(Conversions.Purchase("ok", now));
        var batch = new[]
        {
            ok with { EventId = "no-ua", Clicks = ok.Clicks with { UserAgent = null } },
            ok with { EventId = "no-url", SourceUrl = null },
            ok with { EventId = "no-id", Match = new Dictionary<string, string>(), Clicks = new ClickIdentifiers() },
            ok with { EventId = "no-value", Value = null },
            ok with { EventId = "app-no-url", SourceUrl = null, Source = ConversionSource.App },
        };

        var result = await client.SendAsync(batch);

        Assert.Equal(["missing_client_user_agent", "missing_event_source_url", "no_customer_information", "missing_value", null], result.Items.Select(i => i.Code));
        Assert.Equal(["app-no-url"], scope.Emulator.AcceptedEvents.Select(e => e.EventId));
    }

    [Fact]
    public async Task Sending_twice_counts_once_on_the_platform()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var now = scope.Time.GetUtcNow();
        var batch = Enumerable.Range(0, 3).Select(i => Conversions.Prepared(Conversions.Purchase($"dup-{i}", now))).ToArray();

        await client.SendAsync(batch);
        var again = await client.SendAsync(batch);

        Assert.All(again.Items, i => Assert.Equal(DeliveryOutcome.Accepted, i.Outcome));
        Assert.Equal(3, scope.Emulator.AcceptedEvents.Count);
        Assert.Equal(3, scope.Emulator.DuplicatesSuppressed);

        // After 48 hours Meta no longer deduplicates.
        scope.Time.Advance(TimeSpan.FromHours(49));
        await client.SendAsync([Conversions.Prepared(Conversions.Purchase("dup-0", scope.Time.GetUtcNow()))]);
        Assert.Equal(4, scope.Emulator.AcceptedEvents.Count);
    }

    [Fact]
    public async Task Large_batches_are_split_into_requests_of_at_most_one_thousand()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.ConversionBatchSize = 1000);
        var now = scope.Time.GetUtcNow();
        var batch = Enumerable.Range(0, 2300).Select(i => Conversions.Prepared(Conversions.Purchase($"bulk-{i}", now.AddSeconds(-i), customer: $"c{i % 50}"))).ToArray();

        var result = await client.SendAsync(batch);

        Assert.Equal(2300, result.Delivered);
        Assert.Equal(3, scope.Emulator.RequestCount);
        Assert.Equal(2300, scope.Emulator.AcceptedEvents.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public async Task The_emulator_refuses_more_than_one_thousand_events_and_unhashed_fields()
    {
        await using var scope = await MetaScope.StartAsync();
        var now = scope.Time.GetUtcNow();
        var one = MetaPlatformClient.ToEvent(Conversions.Prepared(Conversions.Purchase("x", now)));
        using var http = new HttpClient { BaseAddress = scope.Emulator.BaseAddress };

        async Task<JsonElement> PostAsync(List<CapiEvent> events)
        {
            using var form = new FormUrlEncodedContent([new("data", JsonSerializer.Serialize(events, MetaJsonContext.Default.ListCapiEvent)), new("access_token", scope.Emulator.AccessToken)]);
            using var response = await http.PostAsync($"v25.0/{MetaScope.Pixel}/events", form);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var tooMany = await PostAsync([.. Enumerable.Range(0, 1001).Select(i => one with { EventId = $"x{i}" })]);
        Assert.Equal(100, tooMany.GetProperty("error").GetProperty("code").GetInt32());
        var upper = await PostAsync([one with { UserData = one.UserData with { Em = one.UserData.Em!.ToUpperInvariant() } }]);
        Assert.Contains("user_data.em", upper.GetProperty("error").GetProperty("error_user_msg").GetString(), StringComparison.Ordinal);
        var fine = await PostAsync([one]);
        Assert.Equal(1, fine.GetProperty("events_received").GetInt32());
        Assert.Equal(0, fine.GetProperty("messages").GetArrayLength());
        Assert.True(fine.TryGetProperty("fbtrace_id", out _));
    }
}
