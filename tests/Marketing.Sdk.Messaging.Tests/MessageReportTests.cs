using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Messaging.Tests;

public class MessageReportTests
{
    [Fact]
    public async Task The_report_counts_decisions_per_channel_and_suppressions_by_reason_without_personal_data()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Harness.Bob, consent: false);
        await h.Suppressions.AddAsync(Harness.Alice, Channel.Sms, SuppressionReason.Unsubscribed);

        Assert.Equal(MessageSendStatus.Sent, (await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"))).Status);
        Assert.Equal(MessageSkipReason.NoConsent, (await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k2"))).Reason);
        Assert.Equal(MessageSkipReason.NoConsent, (await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k3"))).Reason);
        var sms = await h.Sender.SendAsync(new MessageRequest { CustomerId = Harness.Alice, Channel = Channel.Sms, TemplateId = "recall", IdempotencyKey = "k4" });
        Assert.Equal(MessageSkipReason.Unsubscribed, sms.Reason);

        var report = h.Provider.GetRequiredService<MessageReport>();
        var summary = await report.SummarizeAsync();
        Assert.Equal(4, summary.Records);
        Assert.False(summary.Truncated);
        Assert.Equal([new MessageChannelCounts(Channel.Email, 1, 0, 2, 0), new MessageChannelCounts(Channel.Sms, 0, 0, 1, 0)], summary.Channels);
        Assert.Equal(
            [
                new MessageReasonCount(Channel.Email, MessageSendStatus.Suppressed, MessageSkipReason.NoConsent, 2),
                new MessageReasonCount(Channel.Sms, MessageSendStatus.Suppressed, MessageSkipReason.Unsubscribed, 1),
            ],
            summary.Reasons);
        var text = summary.ToString() + string.Join(",", summary.Channels) + string.Join(",", summary.Reasons);
        Assert.DoesNotContain("c_alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain("c_bob", text, StringComparison.Ordinal);

        var limited = await report.SummarizeAsync(maxRecords: 2);
        Assert.True(limited.Truncated);
        Assert.Equal(2, limited.Records);
        var later = await report.SummarizeAsync(since: Harness.Start.AddMinutes(1));
        Assert.Equal(0, later.Records);
    }
}
