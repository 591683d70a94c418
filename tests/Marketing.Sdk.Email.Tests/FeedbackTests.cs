using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Tests.Sms;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Email.Tests;

/// <summary>Bounce (RFC 3464) and complaint (RFC 5965) intake from sample reports as MTAs and ISPs send them.</summary>
public sealed class FeedbackTests
{
    private const string Hard = "m00000000000000000000000000000001@mail.shop.example";
    private const string Delayed = "m00000000000000000000000000000002@mail.shop.example";
    private const string Complained = "m00000000000000000000000000000003@mail.shop.example";

    private readonly RecordingReporter _reporter = new();
    private readonly RecordingSuppressions _suppressions = new();
    private readonly InMemoryIdentityGraphStore _identities = new();
    private readonly FakeLogCollector _logs = new();

    private EmailFeedbackProcessor Processor() => new(new EmailOptions(), _reporter, _suppressions, _identities, new FakeTimeProvider(), null, new FakeLogger<EmailFeedbackProcessor>(_logs));

    private static FileStream Sample(string name) => File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Samples", name));

    [Fact]
    public async Task A_hard_bounce_is_reported_for_the_sent_message_with_the_remote_reply_code()
    {
        _reporter.Known.Add(Hard);
        await using var dsn = Sample("dsn-hard-bounce-postfix.eml");

        var result = await Processor().ProcessAsync(dsn);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.HardBounce, 1, 1), result);
        var report = Assert.Single(_reporter.Reports);
        Assert.Equal((Hard, ProviderMessageStatus.Bounced, "smtp_550_5.1.1"), report);
        Assert.Empty(_suppressions.Added); // the reporter suppresses
        Marketing.Sdk.Tests.Shared.PiiLogAssert.NoPersonalData(_logs);
    }

    [Fact]
    public async Task A_hard_bounce_of_an_unknown_message_suppresses_the_owner_of_the_address_on_the_channel()
    {
        var alice = await _identities.ClaimAsync(Identity.Email(Harness.Alice), new CustomerId("c_alice"));
        await using var dsn = Sample("dsn-hard-bounce-postfix.eml");

        var result = await Processor().ProcessAsync(dsn);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.HardBounce, 1, 1), result);
        var entry = Assert.Single(_suppressions.Added);
        Assert.Equal((alice, Channel.Email, SuppressionReason.Bounced), (entry.CustomerId, entry.Channel, entry.Reason));
    }

    [Fact]
    public async Task A_delay_notice_changes_nothing()
    {
        _reporter.Known.Add(Delayed);
        await using var dsn = Sample("dsn-delayed-exim.eml");

        var result = await Processor().ProcessAsync(dsn);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.Delayed, 1, 0), result);
        Assert.Empty(_reporter.Reports);
        Assert.Empty(_suppressions.Added);
    }

    [Fact]
    public async Task In_a_report_without_the_original_a_4xx_failure_suppresses_no_one_and_a_5xx_failure_suppresses_its_owner()
    {
        var alice = await _identities.ClaimAsync(Identity.Email(Harness.Alice), new CustomerId("c_alice"));
        await _identities.ClaimAsync(Identity.Email("dave@full.example"), new CustomerId("c_dave"));
        await using var dsn = Sample("dsn-mixed-no-original-sendmail.eml");

        var result = await Processor().ProcessAsync(dsn);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.HardBounce, 2, 1), result);
        var entry = Assert.Single(_suppressions.Added);
        Assert.Equal((alice, SuppressionReason.Bounced), (entry.CustomerId, entry.Reason));
    }

    [Fact]
    public async Task An_abuse_report_is_a_complaint_about_the_sent_message()
    {
        _reporter.Known.Add(Complained);
        await using var arf = Sample("arf-abuse.eml");

        var result = await Processor().ProcessAsync(arf);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.Complaint, 1, 1), result);
        Assert.Equal((Complained, ProviderMessageStatus.Complained, "arf_abuse"), Assert.Single(_reporter.Reports));
    }

    [Fact]
    public async Task A_redacted_abuse_report_suppresses_the_owner_of_Original_Rcpt_To_on_every_channel()
    {
        var bob = await _identities.ClaimAsync(Identity.Email("bob@example.com"), new CustomerId("c_bob"));
        await using var arf = Sample("arf-abuse-redacted.eml");

        var result = await Processor().ProcessAsync(arf);

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.Complaint, 1, 1), result);
        var entry = Assert.Single(_suppressions.Added);
        Assert.Equal((bob, (Channel?)null, SuppressionReason.Complained), (entry.CustomerId, entry.Channel, entry.Reason));
    }

    [Theory]
    [InlineData("arf-not-spam.eml", EmailFeedbackKind.Ignored)]
    [InlineData("auto-reply.eml", EmailFeedbackKind.NotAReport)]
    public async Task Other_mail_in_the_feedback_mailbox_changes_nothing(string sample, EmailFeedbackKind kind)
    {
        _reporter.Known.Add(Complained);
        _reporter.Known.Add(Hard);
        await _identities.ClaimAsync(Identity.Email(Harness.Alice), new CustomerId("c_alice"));
        await using var mail = Sample(sample);

        var result = await Processor().ProcessAsync(mail);

        Assert.Equal(kind, result.Kind);
        Assert.Empty(_reporter.Reports);
        Assert.Empty(_suppressions.Added);
    }

    [Theory]
    [InlineData("5.1.1", "smtp; 550 5.1.1 <x@y>: unknown", "smtp_550_5.1.1")]
    [InlineData("5.7.1", "X-Postfix; host said: blocked", "dsn_5.7.1")]
    [InlineData(null, "SMTP;421 try later", "smtp_421")]
    [InlineData("not a status", null, null)]
    public void The_kept_code_is_built_from_the_status_and_the_remote_reply_only(string? status, string? diagnostic, string? expected) =>
        Assert.Equal(expected, EmailFeedbackProcessor.CodeOf(status, diagnostic));
}
