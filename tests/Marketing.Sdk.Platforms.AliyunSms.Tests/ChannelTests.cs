using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.AliyunSms.Tests;

public sealed class ChannelTests
{
    [Fact]
    public async Task A_marketing_message_goes_out_once_with_OutId_and_the_unsubscribe_wording()
    {
        await using var h = await Harness.StartAsync();
        var results = await h.Channel.SendAsync([Harness.Message("m1")]);
        var result = Assert.Single(results);
        Assert.Equal(RecipientOutcome.Accepted, result.Outcome);
        Assert.Equal("o:m1", result.ProviderMessageId);
        var sent = Assert.Single(h.Emulator.Messages);
        Assert.Equal("13800138000", sent.PhoneNumber);
        Assert.Equal("m1", sent.OutId);
        Assert.Equal("回T退订", sent.Parameters["unsub"]);
        Assert.Equal("小明", sent.Parameters["name"]);
        Assert.Equal(0, h.Emulator.SignatureFailures);
    }

    [Fact]
    public async Task A_transactional_message_carries_no_unsubscribe_wording()
    {
        await using var h = await Harness.StartAsync();
        await h.Channel.SendAsync([Harness.Message("m1", purpose: MessagePurpose.Transactional)]);
        Assert.False(Assert.Single(h.Emulator.Messages).Parameters.ContainsKey("unsub"));
    }

    [Fact]
    public async Task A_retried_message_never_reaches_the_number_twice()
    {
        await using var h = await Harness.StartAsync();
        await h.Channel.SendAsync([Harness.Message("m1")]);
        h.Time.Advance(TimeSpan.FromHours(2));
        var again = Assert.Single(await h.NewChannel().SendAsync([Harness.Message("m1", attempt: 2)]));
        Assert.Equal(RecipientOutcome.Duplicate, again.Outcome);
        Assert.Equal("o:m1", again.ProviderMessageId);
        Assert.Single(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_unanswered_attempt_the_provider_took_is_found_by_OutId_and_not_sent_again()
    {
        await using var h = await Harness.StartAsync();
        // A host sent m1 and crashed before it could record the answer: the ledger says pending.
        await new SmsSendLedger(h.Store, h.Time).SetAsync(AliyunSmsChannel.ProviderId, "m1", SmsLedgerState.Pending, "+8613800138000");
        await h.Client.SendSmsAsync("13800138000", Harness.Template, [new("name", "小明")], "m1");
        var early = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]));
        Assert.True(early.Retryable);
        Assert.Equal(SmsMessageChannel.ReconcilingCode, early.PlatformCode);
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var later = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 3)]));
        Assert.Equal(RecipientOutcome.Duplicate, later.Outcome);
        Assert.Single(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_unanswered_attempt_the_provider_never_saw_is_sent_after_the_reconcile_window()
    {
        await using var h = await Harness.StartAsync();
        await new SmsSendLedger(h.Store, h.Time).SetAsync(AliyunSmsChannel.ProviderId, "m1", SmsLedgerState.Pending, "+8613800138000");
        h.Time.Advance(TimeSpan.FromMinutes(6));
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]));
        Assert.Equal(RecipientOutcome.Accepted, result.Outcome);
        Assert.Single(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_unreadable_answer_to_a_send_the_provider_took_is_reconciled_not_sent_again()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.Faults = new FaultOptions { MalformedRate = 1 }; // processed, the answer cut off
        var first = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")])); // the worker retries it
        h.Emulator.Faults = FaultOptions.None;
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var retry = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]));

        Assert.True(first.IsRetryable);
        Assert.Equal(RecipientOutcome.Duplicate, retry.Outcome);
        Assert.Single(h.Emulator.Messages);
    }

    [Fact]
    public async Task The_second_message_within_a_minute_is_deferred_before_sending()
    {
        await using var h = await Harness.StartAsync();
        await h.Channel.SendAsync([Harness.Message("m1")]);
        h.Time.Advance(TimeSpan.FromSeconds(20));
        var second = Assert.Single(await h.Channel.SendAsync([Harness.Message("m2")]));
        Assert.Equal(RecipientOutcome.Rejected, second.Outcome);
        Assert.True(second.Retryable);
        Assert.Equal(SmsMessageChannel.FlowLimitCode, second.PlatformCode);
        Assert.True(second.IsDeferral); // the messaging worker waits without using up an attempt
        Assert.Equal(TimeSpan.FromSeconds(40), second.RetryAfter);
        Assert.Single(h.Emulator.Messages);
        h.Time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m2", attempt: 2)])).Outcome);
    }

    [Fact]
    public async Task The_fourth_message_within_an_hour_is_deferred_on_every_host()
    {
        await using var h = await Harness.StartAsync(o =>
        {
            o.FlowLimits.Add(SmsFlowWindow.Of(TimeSpan.FromMinutes(1), 1));
            o.FlowLimits.Add(SmsFlowWindow.Of(TimeSpan.FromHours(1), 3));
        });
        var other = h.NewChannel();
        for (var i = 1; i <= 3; i++)
        {
            var host = i % 2 == 0 ? other : h.Channel;
            Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await host.SendAsync([Harness.Message("m" + i)])).Outcome);
            h.Time.Advance(TimeSpan.FromMinutes(2));
        }
        var fourth = Assert.Single(await other.SendAsync([Harness.Message("m4")]));
        Assert.True(fourth.Retryable);
        Assert.Equal(SmsMessageChannel.FlowLimitCode, fourth.PlatformCode);
        Assert.Equal(TimeSpan.FromMinutes(54), fourth.RetryAfter);
        Assert.Equal(3, h.Emulator.Messages.Count);
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m5", phone: "+8613900139000")])).Outcome);
    }

    [Fact]
    public async Task The_providers_business_limit_defers_the_message()
    {
        await using var h = await Harness.StartAsync(o => o.DisableFlowLimits = true);
        await h.Channel.SendAsync([Harness.Message("m1")]);
        var second = Assert.Single(await h.Channel.SendAsync([Harness.Message("m2")]));
        Assert.True(second.Retryable);
        Assert.Equal(AliyunSmsErrorCodes.BusinessLimitControl, second.PlatformCode);
        Assert.Equal(TimeSpan.FromMinutes(1), second.RetryAfter);
    }

    [Fact]
    public async Task A_number_the_provider_refuses_fails_for_good()
    {
        await using var h = await Harness.StartAsync();
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", phone: "+447911123456")]));
        Assert.False(result.Retryable);
        Assert.Equal(AliyunSmsErrorCodes.MobileNumberIllegal, result.PlatformCode);
        Assert.Empty(h.Emulator.Messages);
    }

    [Fact]
    public async Task A_number_that_is_no_phone_number_is_refused_before_sending()
    {
        await using var h = await Harness.StartAsync();
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", phone: "12")]));
        Assert.Equal(SmsMessageChannel.InvalidNumberCode, result.PlatformCode);
        Assert.Equal(0, h.Emulator.RequestCount);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_emulators_signature_check()
    {
        await using var h = await Harness.StartAsync(secret: "not-the-secret");
        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal(AliyunSmsErrorCodes.SignatureDoesNotMatch, error.PlatformCode);
        Assert.Equal(1, h.Emulator.SignatureFailures);
        Assert.Empty(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_empty_balance_fails_the_call_and_releases_the_reservation()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.BalanceExhausted = true;
        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal(PlatformErrorClass.Unauthorized, error.ErrorClass);
        Assert.Equal(AliyunSmsErrorCodes.AmountNotEnough, error.PlatformCode);
        h.Emulator.BalanceExhausted = false;
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)])).Outcome);
    }

    [Fact]
    public async Task Throttling_and_server_errors_are_retryable()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        var throttled = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal(PlatformErrorClass.RateLimited, throttled.ErrorClass);
        Assert.Equal(AliyunSmsErrorCodes.Throttling, throttled.PlatformCode);
        h.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        var down = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]));
        Assert.Equal(PlatformErrorClass.Transient, down.ErrorClass);
        h.Emulator.Faults = FaultOptions.None;
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 3)])).Outcome);
    }

    [Fact]
    public async Task Messages_of_one_template_go_out_in_one_SendBatchSms()
    {
        await using var h = await Harness.StartAsync(o => o.MaxBatchSize = 100);
        var results = await h.Channel.SendAsync([Harness.Message("m1"), Harness.Message("m2", phone: "+8613900139000")]);
        Assert.All(results, r => Assert.Equal(RecipientOutcome.Accepted, r.Outcome));
        Assert.Equal(1, h.Emulator.RequestCount);
        Assert.Equal(2, h.Emulator.Messages.Select(m => m.BizId).Distinct().Count() + 1);
        Assert.All(results, r => Assert.StartsWith("b:", r.ProviderMessageId, StringComparison.Ordinal));
        Assert.NotEqual(results[0].ProviderMessageId, results[1].ProviderMessageId);
    }

    [Fact]
    public async Task Marketing_without_a_way_to_carry_the_wording_is_refused()
    {
        await using var h = await Harness.StartAsync(o => o.UnsubscribeParameter = null);
        Assert.Equal(SmsContent.NoUnsubscribeCode, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")])).PlatformCode);
        h.Options.TemplateTexts[Harness.Template] = "${name}，您的优惠券已到账，回T退订";
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")])).Outcome);
    }

    [Fact]
    public async Task A_text_over_the_part_limit_is_refused()
    {
        await using var h = await Harness.StartAsync(o => o.MaxParts = 1);
        h.Options.TemplateTexts[Harness.Template] = "${name}" + new string('券', 60) + "${unsub}";
        Assert.Equal(SmsContent.TooLongCode, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")])).PlatformCode);
        Assert.Empty(h.Emulator.Messages);
    }

    [Fact]
    public async Task Receipts_are_pulled_into_delivery_status()
    {
        await using var h = await Harness.StartAsync();
        await h.Channel.SendAsync([Harness.Message("m1")]);
        await h.Channel.SendAsync([Harness.Message("m2", phone: "+8613900139000")]);
        h.Reporter.Known.UnionWith(["o:m1", "o:m2"]);
        h.Emulator.Deliver(success: true, phoneNumber: "13800138000");
        h.Emulator.Deliver(success: false, errorCode: "MK:0004", phoneNumber: "13900139000");
        Assert.Equal(2, await h.Channel.PullReceiptsAsync(h.Inbound));
        Assert.Contains(h.Reporter.Reports, r => r.ProviderMessageId == "o:m1" && r.Status == ProviderMessageStatus.Delivered);
        Assert.Contains(h.Reporter.Reports, r => r.ProviderMessageId == "o:m2" && r.Status == ProviderMessageStatus.Failed && r.Code == "MK:0004");
        Assert.Equal(0, await h.Channel.PullReceiptsAsync(h.Inbound));
    }
}
