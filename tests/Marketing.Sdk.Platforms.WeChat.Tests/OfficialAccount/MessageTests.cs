using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Testing.Emulators;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Platforms.WeChat.Tests.OfficialAccount;

public sealed class MessageTests
{
    private static readonly Channel Template = Channel.WeChat;
    private static readonly Channel Subscribe = new("wechat_subscribe");

    [Fact]
    public async Task A_template_message_goes_out_with_the_message_id_as_client_msg_id()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var channel = new OfficialAccountTemplateChannel(h.Client(), h.Store, h.Time);

        var results = await channel.SendAsync([OaData.Message(Template, "msg-1", OaData.OpenId(1))]);

        var result = Assert.Single(results);
        Assert.Equal(RecipientOutcome.Accepted, result.Outcome);
        var sent = Assert.Single(h.Emulator.SentMessages);
        Assert.Equal(result.ProviderMessageId, sent.MsgId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("msg-1", OaHarness.TemplateId, OaData.OpenId(1)), (sent.ClientMsgId, sent.TemplateId, sent.OpenId));
        Assert.Equal("Your order arrived", sent.Data["thing1"]);
        Assert.Equal("https://shop.example/review/1", sent.Url);
        Assert.False(sent.Data.ContainsKey("url"));
    }

    [Fact]
    public async Task A_retry_after_a_lost_answer_never_reaches_the_customer_twice()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client(timeout: TimeSpan.FromSeconds(1), handler: new ReachedPlatformHandler(h.Emulator));
        await client.GetFollowerPageAsync(); // token first, so the fault hits the send
        var channel = new OfficialAccountTemplateChannel(client, h.Store, h.Time);
        var message = OaData.Message(Template, "msg-1", OaData.OpenId(1));

        h.Emulator.Faults = new FaultOptions { TimeoutRate = 1, SlowResponse = Timeout.InfiniteTimeSpan };
        var first = Assert.Single(await channel.SendAsync([message]));
        await h.Emulator.HeldRequestsProcessedAsync();
        h.Emulator.Faults = FaultOptions.None;
        var retry = Assert.Single(await channel.SendAsync([message with { Attempt = 2 }]));

        Assert.Equal((RecipientOutcome.Rejected, true), (first.Outcome, first.Retryable));
        Assert.Equal(RecipientOutcome.Accepted, retry.Outcome);
        Assert.Single(h.Emulator.SentMessages);
        Assert.Equal(1, h.Emulator.DuplicateMessages);
        Assert.Equal(h.Emulator.SentMessages[0].MsgId.ToString(System.Globalization.CultureInfo.InvariantCulture), retry.ProviderMessageId);
    }

    [Fact]
    public async Task A_retry_after_the_platform_forgot_the_client_msg_id_fails_as_outcome_unknown_instead_of_sending_twice()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client(timeout: TimeSpan.FromSeconds(1));
        await client.GetFollowerPageAsync();
        var message = OaData.Message(Template, "msg-1", OaData.OpenId(1));

        h.Emulator.Faults = new FaultOptions { ConnectionDropRate = 1 };
        var first = Assert.Single(await new OfficialAccountTemplateChannel(client, h.Store, h.Time).SendAsync([message]));
        h.Emulator.Faults = FaultOptions.None;
        h.Time.Advance(TimeSpan.FromMinutes(11)); // the outbox retries later than the platform remembers the id
        var retry = Assert.Single(await new OfficialAccountTemplateChannel(client, h.Store, h.Time).SendAsync([message with { Attempt = 2 }]));

        Assert.Equal((RecipientOutcome.Rejected, true), (first.Outcome, first.Retryable));
        Assert.Equal((RecipientOutcome.Rejected, false, "outcome_unknown"), (retry.Outcome, retry.Retryable, retry.PlatformCode));
        Assert.Single(h.Emulator.SentMessages); // the first call did reach the customer: once
        Assert.Equal(0, h.Emulator.DuplicateMessages);
    }

    [Fact]
    public async Task A_send_the_platform_refused_is_forgotten_and_a_sent_one_is_answered_as_a_duplicate_without_a_call()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client();
        await client.GetFollowerPageAsync();
        var channel = new OfficialAccountTemplateChannel(client, h.Store, h.Time);
        var message = OaData.Message(Template, "msg-1", OaData.OpenId(1));

        h.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var throttled = Assert.Single(await channel.SendAsync([message]));
        h.Emulator.Faults = FaultOptions.None;
        h.Time.Advance(TimeSpan.FromMinutes(30)); // nothing went out: a much later retry sends it
        var sent = Assert.Single(await channel.SendAsync([message]));
        var requests = h.Emulator.RequestCount;
        h.Time.Advance(TimeSpan.FromHours(2));
        var again = Assert.Single(await channel.SendAsync([message]));

        Assert.Equal((RecipientOutcome.Rejected, true), (throttled.Outcome, throttled.Retryable));
        Assert.Equal(RecipientOutcome.Accepted, sent.Outcome);
        Assert.Equal((RecipientOutcome.Duplicate, sent.ProviderMessageId), (again.Outcome, again.ProviderMessageId));
        Assert.Equal(requests, h.Emulator.RequestCount);
        Assert.Single(h.Emulator.SentMessages);
    }

    [Fact]
    public async Task An_unreadable_answer_to_a_template_send_is_retried_and_deduplicated()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client();
        await client.GetFollowerPageAsync();
        var channel = new OfficialAccountTemplateChannel(client, h.Store, h.Time);
        var message = OaData.Message(Template, "msg-1", OaData.OpenId(1));

        h.Emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var first = Assert.Single(await channel.SendAsync([message]));
        h.Emulator.Faults = FaultOptions.None;
        var retry = Assert.Single(await channel.SendAsync([message]));

        Assert.Equal((RecipientOutcome.Rejected, true, PlatformApiClientCodes.Malformed), (first.Outcome, first.Retryable, first.PlatformCode));
        Assert.Equal(RecipientOutcome.Accepted, retry.Outcome);
        Assert.Single(h.Emulator.SentMessages);
    }

    [Fact]
    public async Task Recipient_errors_fail_only_their_message()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.AddFollowers([(OaData.OpenId(1), null), (OaData.OpenId(2), null), (OaData.OpenId(3), null)]);
        h.Emulator.Unfollow(OaData.OpenId(2));
        var channel = new OfficialAccountTemplateChannel(h.Client(), h.Store, h.Time);

        var results = await channel.SendAsync(
        [
            OaData.Message(Template, "a", OaData.OpenId(1)),
            OaData.Message(Template, "b", OaData.OpenId(2)),          // unfollowed: 43004
            OaData.Message(Template, "c", OaData.OpenId(99)),         // never a user: 40003
            OaData.Message(Template, "d", OaData.OpenId(3), parameters: new Dictionary<string, string> { ["thing1"] = "ok", ["custom1"] = new string('x', 201) }), // the platform's rule: 47003
            OaData.Message(Template, "e", OaData.OpenId(3), thing: new string('长', 21)), // too long for a thing: refused before sending
            OaData.Message(Template, "f", OaData.OpenId(3)),
        ]);

        Assert.Equal(
            [(RecipientOutcome.Accepted, null), (RecipientOutcome.Rejected, "43004"), (RecipientOutcome.Rejected, "40003"), (RecipientOutcome.Rejected, "47003"), (RecipientOutcome.Rejected, "invalid_parameter"), (RecipientOutcome.Accepted, null)],
            results.Select(r => (r.Outcome, r.PlatformCode)).ToArray());
        Assert.All(results.Where(r => r.Outcome == RecipientOutcome.Rejected), r => Assert.False(r.Retryable));
        Assert.Equal(2, h.Emulator.SentMessages.Count);
    }

    [Fact]
    public async Task An_unknown_template_is_permanent()
    {
        await using var h = await OaHarness.StartAsync(o => o with { TemplateIds = [OaHarness.TemplateId] });
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var channel = new OfficialAccountTemplateChannel(h.Client(), h.Store, h.Time);

        var result = Assert.Single(await channel.SendAsync([OaData.Message(Template, "a", OaData.OpenId(1), providerTemplateId: "tpl-unknown")]));

        Assert.Equal((RecipientOutcome.Rejected, "40037", false), (result.Outcome, result.PlatformCode, result.Retryable));
    }

    [Fact]
    public async Task The_daily_quota_defers_the_rest_of_the_call_with_a_wait_hint()
    {
        await using var h = await OaHarness.StartAsync(o => o with { TemplateDailyQuota = 1 });
        h.Emulator.AddFollowers([(OaData.OpenId(1), null), (OaData.OpenId(2), null)]);
        var channel = new OfficialAccountTemplateChannel(h.Client(), h.Store, h.Time);

        var results = await channel.SendAsync(
        [
            OaData.Message(Template, "a", OaData.OpenId(1)),
            OaData.Message(Template, "b", OaData.OpenId(2)),
            OaData.Message(Template, "c", OaData.OpenId(1)),
        ]);

        Assert.Equal(RecipientOutcome.Accepted, results[0].Outcome);
        Assert.All(results.Skip(1), r => Assert.Equal((RecipientOutcome.Rejected, true, "45009", (TimeSpan?)TimeSpan.FromHours(1)), (r.Outcome, r.Retryable, r.PlatformCode, r.RetryAfter)));
        Assert.Single(h.Emulator.SentMessages);

        h.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await channel.SendAsync([OaData.Message(Template, "b", OaData.OpenId(2))])).Outcome);
    }

    [Fact]
    public async Task The_minute_quota_and_system_busy_are_transient()
    {
        await using var h = await OaHarness.StartAsync(o => o with { MessagesPerMinute = 1 });
        h.Emulator.AddFollowers([(OaData.OpenId(1), null)]);
        var client = h.Client();
        await client.GetFollowerPageAsync();
        var channel = new OfficialAccountTemplateChannel(client, h.Store, h.Time);

        var minute = await channel.SendAsync([OaData.Message(Template, "a", OaData.OpenId(1)), OaData.Message(Template, "b", OaData.OpenId(1))]);
        h.Time.Advance(TimeSpan.FromMinutes(1));
        h.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var busy = Assert.Single(await channel.SendAsync([OaData.Message(Template, "c", OaData.OpenId(1))]));

        Assert.Equal((RecipientOutcome.Rejected, true, "45011", (TimeSpan?)TimeSpan.FromSeconds(60)), (minute[1].Outcome, minute[1].Retryable, minute[1].PlatformCode, minute[1].RetryAfter));
        Assert.Equal((RecipientOutcome.Rejected, true, "-1"), (busy.Outcome, busy.Retryable, busy.PlatformCode));
    }

    [Fact]
    public async Task A_subscribe_message_needs_the_users_authorisation_and_consumes_it()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.GrantSubscription(OaData.OpenId(1), OaHarness.SubscribeTemplateId);
        var channel = new OfficialAccountSubscribeChannel(h.Client());
        var parameters = new Dictionary<string, string> { ["thing1"] = "Back in stock", ["page"] = "https://shop.example/p/1" };

        var first = Assert.Single(await channel.SendAsync([OaData.Message(Subscribe, "s1", OaData.OpenId(1), providerTemplateId: OaHarness.SubscribeTemplateId, parameters: parameters)]));
        var second = Assert.Single(await channel.SendAsync([OaData.Message(Subscribe, "s2", OaData.OpenId(1), providerTemplateId: OaHarness.SubscribeTemplateId, parameters: parameters)]));

        Assert.Equal(RecipientOutcome.Accepted, first.Outcome);
        Assert.Equal((RecipientOutcome.Rejected, "43101", false), (second.Outcome, second.PlatformCode, second.Retryable));
        var sent = Assert.Single(h.Emulator.SentMessages);
        Assert.Equal((OfficialAccountMessageKind.Subscribe, "https://shop.example/p/1"), (sent.Kind, sent.Url));
    }

    [Fact]
    public async Task A_subscribe_message_whose_outcome_is_unknown_is_not_sent_again()
    {
        await using var h = await OaHarness.StartAsync();
        h.Emulator.GrantSubscription(OaData.OpenId(1), OaHarness.SubscribeTemplateId, times: 5);
        var client = h.Client();
        await client.GetFollowerPageAsync();
        var channel = new OfficialAccountSubscribeChannel(client);
        var parameters = new Dictionary<string, string> { ["thing1"] = "Back in stock" };

        h.Emulator.Faults = new FaultOptions { MalformedRate = 1 };
        var result = Assert.Single(await channel.SendAsync([OaData.Message(Subscribe, "s1", OaData.OpenId(1), providerTemplateId: OaHarness.SubscribeTemplateId, parameters: parameters)]));

        Assert.Equal((RecipientOutcome.Rejected, "outcome_unknown", false), (result.Outcome, result.PlatformCode, result.Retryable));
        Assert.Single(h.Emulator.SentMessages); // it did go out once, and is never repeated
    }

    [Fact]
    public async Task A_message_without_an_openid_is_not_addressable()
    {
        await using var h = await OaHarness.StartAsync();
        var channel = new OfficialAccountTemplateChannel(h.Client(), h.Store, h.Time);
        var message = OaData.Message(Template, "a", OaData.OpenId(1)) with { Recipient = Identity.Email("a@b.co") };

        var result = Assert.Single(await channel.SendAsync([message]));

        Assert.Equal((RecipientOutcome.Rejected, "not_addressable"), (result.Outcome, result.PlatformCode));
        Assert.Equal(0, h.Emulator.RequestCount);
    }
}

internal static class PlatformApiClientCodes
{
    public const string Malformed = Http.PlatformApiClient.MalformedAnswerCode;
}
