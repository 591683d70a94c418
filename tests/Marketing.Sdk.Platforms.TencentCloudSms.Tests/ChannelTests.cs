using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.TencentCloudSms.Tests;

public sealed class ChannelTests
{
    [Fact]
    public async Task A_message_goes_out_with_its_id_as_SessionContext_and_the_wording_last()
    {
        await using var h = await Harness.StartAsync();
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal(RecipientOutcome.Accepted, result.Outcome);
        var sent = Assert.Single(h.Emulator.Messages);
        Assert.Equal(sent.SerialNo, result.ProviderMessageId);
        Assert.Equal("m1", sent.SessionContext);
        Assert.Equal("+8613800138000", sent.PhoneNumber);
        Assert.Equal(["小明", "回T退订"], sent.Parameters);
        Assert.Equal(0, h.Emulator.SignatureFailures);
    }

    [Fact]
    public async Task A_retried_message_never_reaches_the_number_twice()
    {
        await using var h = await Harness.StartAsync();
        var first = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")]));
        h.Time.Advance(TimeSpan.FromHours(3));
        var again = Assert.Single(await h.NewChannel().SendAsync([Harness.Message("m1", attempt: 2)]));
        Assert.Equal(RecipientOutcome.Duplicate, again.Outcome);
        Assert.Equal(first.ProviderMessageId, again.ProviderMessageId);
        Assert.Single(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_unreadable_answer_to_a_send_is_never_sent_again()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.Faults = new FaultOptions { MalformedRate = 1 }; // processed, the answer cut off
        var first = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")])); // the worker retries it
        h.Emulator.Faults = FaultOptions.None;
        h.Time.Advance(TimeSpan.FromMinutes(10));
        var retry = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]));

        Assert.True(first.IsRetryable);
        Assert.Equal((RecipientOutcome.Rejected, false, SmsMessageChannel.UnconfirmedCode), (retry.Outcome, retry.Retryable, retry.PlatformCode));
        Assert.Single(h.Emulator.Messages); // the provider sent it once
    }

    [Fact]
    public async Task An_unanswered_attempt_is_never_sent_again()
    {
        await using var h = await Harness.StartAsync();
        await new SmsSendLedger(h.Store, h.Time).SetAsync(TencentCloudSmsChannel.ProviderId, "m1", SmsLedgerState.Pending, "+8613800138000");
        Assert.Equal(SmsMessageChannel.ReconcilingCode, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)])).PlatformCode);
        h.Time.Advance(TimeSpan.FromMinutes(10));
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 3)]));
        Assert.False(result.Retryable);
        Assert.Equal(SmsMessageChannel.UnconfirmedCode, result.PlatformCode);
        Assert.Empty(h.Emulator.Messages);
    }

    [Fact]
    public async Task The_second_message_within_30_seconds_and_the_fourth_within_an_hour_are_deferred()
    {
        await using var h = await Harness.StartAsync(o =>
        {
            o.FlowLimits.Add(SmsFlowWindow.Of(TimeSpan.FromSeconds(30), 1));
            o.FlowLimits.Add(SmsFlowWindow.Of(TimeSpan.FromHours(1), 3));
        });
        await h.Channel.SendAsync([Harness.Message("m1")]);
        var early = Assert.Single(await h.NewChannel().SendAsync([Harness.Message("m2")]));
        Assert.Equal((SmsMessageChannel.FlowLimitCode, TimeSpan.FromSeconds(30)), (early.PlatformCode, early.RetryAfter!.Value));
        for (var i = 2; i <= 3; i++)
        {
            h.Time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m" + i)])).Outcome);
        }
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var fourth = Assert.Single(await h.Channel.SendAsync([Harness.Message("m4")]));
        Assert.Equal((SmsMessageChannel.FlowLimitCode, TimeSpan.FromMinutes(57)), (fourth.PlatformCode, fourth.RetryAfter!.Value));
        Assert.Equal(3, h.Emulator.Messages.Count);
    }

    [Theory]
    [InlineData("LimitExceeded.PhoneNumberThirtySecondLimit", true, 30)]
    [InlineData("LimitExceeded.PhoneNumberOneHourLimit", true, 3600)]
    [InlineData("LimitExceeded.PhoneNumberDailyLimit", true, 50400)]
    [InlineData("InternalError.Timeout", true, -1)]
    [InlineData("FailedOperation.PhoneNumberInBlacklist", false, -1)]
    [InlineData("InvalidParameterValue.ContentLengthLimit", false, -1)]
    public async Task Per_number_codes_become_deferrals_retries_or_failures(string code, bool retryable, int waitSeconds)
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.FailNextNumber(code);
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal(RecipientOutcome.Rejected, result.Outcome);
        Assert.Equal(code, result.PlatformCode);
        Assert.Equal(retryable, result.Retryable);
        Assert.Equal(waitSeconds < 0 ? null : TimeSpan.FromSeconds(waitSeconds), result.RetryAfter);
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)])).Outcome);
    }

    [Fact]
    public async Task An_invalid_number_fails_for_good()
    {
        await using var h = await Harness.StartAsync();
        var result = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", phone: "+447911123456")]));
        Assert.Equal((false, TencentCloudSmsErrorCodes.IncorrectPhoneNumber), (result.Retryable, result.PlatformCode));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_emulators_signature_check()
    {
        await using var h = await Harness.StartAsync(secretKey: "not-the-secret");
        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")]));
        Assert.Equal((PlatformErrorClass.Unauthorized, TencentCloudSmsErrorCodes.SignatureFailure), (error.ErrorClass, error.PlatformCode));
        Assert.Equal(1, h.Emulator.SignatureFailures);
        Assert.Empty(h.Emulator.Messages);
    }

    [Fact]
    public async Task An_unapproved_template_fails_the_call_for_good()
    {
        await using var h = await Harness.StartAsync();
        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1", template: "9999")]));
        Assert.Equal((PlatformErrorClass.Permanent, "FailedOperation.TemplateIncorrectOrUnapproved"), (error.ErrorClass, error.PlatformCode));
    }

    [Fact]
    public async Task Throttling_and_internal_errors_are_retryable()
    {
        await using var h = await Harness.StartAsync();
        h.Emulator.Faults = new FaultOptions { ThrottleRate = 1 };
        Assert.Equal(PlatformErrorClass.RateLimited, (await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1")]))).ErrorClass);
        h.Emulator.Faults = new FaultOptions { ServerErrorRate = 1 };
        Assert.Equal(PlatformErrorClass.Transient, (await Assert.ThrowsAsync<PlatformApiException>(async () => await h.Channel.SendAsync([Harness.Message("m1", attempt: 2)]))).ErrorClass);
        h.Emulator.Faults = FaultOptions.None;
        Assert.Equal(RecipientOutcome.Accepted, Assert.Single(await h.Channel.SendAsync([Harness.Message("m1", attempt: 3)])).Outcome);
    }

    [Fact]
    public async Task Identical_messages_share_one_call_and_each_number_gets_its_own_result()
    {
        await using var h = await Harness.StartAsync(o => o.MaxBatchSize = 200);
        h.Emulator.FailNextNumber("FailedOperation.PhoneNumberInBlacklist");
        var results = await h.Channel.SendAsync([Harness.Message("m1"), Harness.Message("m2", phone: "+8613900139000"), Harness.Message("m3", phone: "+8613700137000", name: "小红")]);
        Assert.Equal(2, h.Emulator.RequestCount);
        Assert.Equal(("FailedOperation.PhoneNumberInBlacklist", false), (results[0].PlatformCode, results[0].Retryable));
        Assert.Equal(RecipientOutcome.Accepted, results[1].Outcome);
        Assert.Equal(RecipientOutcome.Accepted, results[2].Outcome);
        Assert.Equal(2, h.Emulator.Messages.Count);
    }

    [Fact]
    public async Task Receipts_are_pulled_into_delivery_status()
    {
        await using var h = await Harness.StartAsync();
        var first = Assert.Single(await h.Channel.SendAsync([Harness.Message("m1")]));
        var second = Assert.Single(await h.Channel.SendAsync([Harness.Message("m2", phone: "+8613900139000")]));
        h.Reporter.Known.UnionWith([first.ProviderMessageId!, second.ProviderMessageId!]);
        h.Emulator.Deliver(success: true, phoneNumber: "+8613800138000");
        h.Emulator.Deliver(success: false, phoneNumber: "+8613900139000");
        Assert.Equal(2, await h.Channel.PullReceiptsAsync(h.Inbound));
        Assert.Contains(h.Reporter.Reports, r => r.ProviderMessageId == first.ProviderMessageId && r.Status == ProviderMessageStatus.Delivered);
        Assert.Contains(h.Reporter.Reports, r => r.ProviderMessageId == second.ProviderMessageId && r.Status == ProviderMessageStatus.Failed);
        Assert.Equal(0, await h.Channel.PullReceiptsAsync(h.Inbound));
    }
}
