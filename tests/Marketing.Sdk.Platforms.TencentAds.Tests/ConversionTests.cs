using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class ConversionTests
{
    [Fact]
    public async Task A_batch_arrives_with_outer_action_ids_hashed_phone_click_id_and_value_in_fen()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var batch = new[]
        {
            Data.Prepared(client, "e1", EventType.Purchase),
            Data.Prepared(client, "e2", EventType.AddToCart),
            Data.Prepared(client, "e3", EventType.SignUp),
            Data.Prepared(client, "e4", TencentAdsActionTypes.PlaceOrder),
        };

        var result = await client.SendAsync(batch);

        Assert.All(result.Items, i => Assert.Equal(DeliveryOutcome.Accepted, i.Outcome));
        var actions = h.Emulator.AcceptedActions;
        Assert.Equal(["PURCHASE", "ADD_TO_CART", "REGISTER", "COMPLETE_ORDER"], actions.Select(a => a.ActionType));
        Assert.Equal(["e1", "e2", "e3", "e4"], actions.Select(a => a.OuterActionId));
        var first = actions[0];
        Assert.Equal(TencentHarness.ActionSet, first.UserActionSetId);
        Assert.Equal("4dbeaa3acd2620411c7ba4fd78bb32d0", first.HashPhone);
        Assert.Equal("wx0clicke1", first.ClickId);
        Assert.Equal(4990, first.ValueFen);
        Assert.Equal(batch[0].OccurredAt.ToUnixTimeSeconds(), first.ActionTime.ToUnixTimeSeconds());
        Assert.Equal([4], h.Emulator.RequestActionCounts);
    }

    [Fact]
    public async Task WeChat_ids_travel_with_their_app_id_and_an_openid_without_one_is_refused_before_sending()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var withApp = Data.Conversion("w1", phone: null) with { Clicks = new ClickIdentifiers { WeChatOpenId = "oABC", WeChatUnionId = "uXYZ", WeChatAppId = "wx123" } };
        var withoutApp = Data.Conversion("w2", phone: null) with { Clicks = new ClickIdentifiers { WeChatOpenId = "oABC" } };

        var result = await client.SendAsync([Data.Prepared(client, withApp), Data.Prepared(client, withoutApp)]);

        Assert.Equal(DeliveryOutcome.Accepted, result.Items[0].Outcome);
        Assert.Equal(DeliveryOutcome.Rejected, result.Items[1].Outcome);
        Assert.Equal(TencentAdsPlatformClient.PreSendRejectionCode, result.Items[1].Code);
        var action = Assert.Single(h.Emulator.AcceptedActions);
        Assert.Equal(("oABC", "uXYZ", "wx123"), (action.WeChatOpenId, action.WeChatUnionId, action.WeChatAppId));
        Assert.Null(action.HashPhone);
    }

    [Fact]
    public async Task Values_must_be_whole_fen_in_CNY_and_an_identifier_is_required()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var fraction = Data.Prepared(client, Data.Conversion("f1", value: 12.345m));
        var dollars = Data.Prepared(client, Data.Conversion("f2") with { Value = new Money(10m, "USD") });
        var nobody = Data.Prepared(client, Data.Conversion("f3", phone: null) with { Clicks = new ClickIdentifiers() });
        var unmapped = Data.Prepared(client, Data.Conversion("f4", type: new EventType("subscribe")));
        var exact = Data.Prepared(client, Data.Conversion("f5", value: 0.01m));

        var result = await client.SendAsync([fraction, dollars, nobody, unmapped, exact]);

        Assert.Equal([DeliveryOutcome.Rejected, DeliveryOutcome.Rejected, DeliveryOutcome.Rejected, DeliveryOutcome.Rejected, DeliveryOutcome.Accepted], result.Items.Select(i => i.Outcome));
        Assert.Equal(1, Assert.Single(h.Emulator.AcceptedActions).ValueFen);
    }

    [Fact]
    public async Task A_repeated_outer_action_id_is_de_duplicated_by_the_platform_and_still_counts_as_delivered()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var batch = Data.Batch(client, 3);

        await client.SendAsync(batch);
        var again = await client.SendAsync(batch);

        Assert.Equal(3, again.Delivered);
        Assert.Equal(3, h.Emulator.AcceptedActions.Count);
        Assert.Equal(3, h.Emulator.DuplicateActions);
    }

    [Fact]
    public async Task More_than_50_actions_go_in_requests_of_at_most_50()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();

        var result = await client.SendAsync(Data.Batch(client, 120));

        Assert.Equal(120, result.Delivered);
        Assert.Equal([50, 50, 20], h.Emulator.RequestActionCounts);
    }

    [Fact]
    public async Task A_batch_that_would_pass_50_KB_is_split_and_every_request_stays_under_the_limit()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        // ~2.2 KB per action through a long landing URL: 50 actions would be ~110 KB.
        var batch = Enumerable.Range(0, 50).Select(i => Data.Prepared(client, Data.Conversion($"big{i}") with
        {
            SourceUrl = new Uri("https://shop.example/landing?q=" + new string('x', 2_100) + i),
        })).ToList();

        var result = await client.SendAsync(batch);

        Assert.Equal(50, result.Delivered);
        Assert.True(h.Emulator.RequestActionCounts.Count >= 3, "a 110 KB batch needs at least three requests");
        Assert.Equal(50, h.Emulator.RequestActionCounts.Sum());
        Assert.All(h.Emulator.RequestActionBytes, b => Assert.InRange(b, 1, TencentAdsEmulator.MaxActionBytes));
        Assert.Equal(0, h.Emulator.RejectedRequests);
        Assert.Equal(batch.Select(b => b.EventId), h.Emulator.AcceptedActions.Select(a => a.OuterActionId));
    }

    [Fact]
    public async Task An_action_over_50_KB_on_its_own_is_rejected_before_sending()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        var huge = Data.Prepared(client, Data.Conversion("huge") with { SourceUrl = new Uri("https://shop.example/?q=" + new string('y', 60_000)) });

        var result = await client.SendAsync([huge, Data.Prepared(client, "ok")]);

        Assert.Equal(DeliveryOutcome.Rejected, result.Items[0].Outcome);
        Assert.Equal(DeliveryOutcome.Accepted, result.Items[1].Outcome);
    }

    [Fact]
    public async Task A_request_refused_for_one_action_is_split_so_the_refusal_lands_on_that_action_only()
    {
        await using var h = await TencentHarness.StartAsync();
        var client = h.Client();
        h.Emulator.FailRequestOnActionId("e5");
        h.Emulator.FailRequestOnActionId("e11");

        var result = await client.SendAsync(Data.Batch(client, 16));

        var rejected = result.Items.Where(i => i.Outcome == DeliveryOutcome.Rejected).Select(i => i.Index).ToList();
        Assert.Equal([5, 11], rejected);
        Assert.All(rejected, i => Assert.Equal("31002", result.Items[i].Code));
        Assert.Equal(14, result.Delivered);
        Assert.Equal(14, h.Emulator.AcceptedActions.Count);
        Assert.DoesNotContain(h.Emulator.AcceptedActions, a => a.OuterActionId is "e5" or "e11");
    }
}
