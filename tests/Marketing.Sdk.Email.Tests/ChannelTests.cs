using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Testing.Emulators.Smtp;
using MimeKit;

namespace Marketing.Sdk.Email.Tests;

public sealed class ChannelTests
{
    [Fact]
    public async Task A_message_goes_out_over_SMTP_with_text_and_html_parts_a_stable_message_id_and_a_DKIM_signature_the_server_verifies()
    {
        await using var h = await Harness.StartAsync();

        var result = await h.SendOneAsync(Harness.Message("m0001"));

        Assert.Equal(RecipientOutcome.Accepted, result.Outcome);
        Assert.Equal("m0001@mail.shop.example", result.ProviderMessageId);
        var received = Assert.Single(h.Smtp.Messages);
        Assert.Equal([Harness.Alice], received.Recipients);
        Assert.Equal(Harness.FromAddress, received.From);
        Assert.True(received.DkimVerified);
        Assert.Equal(Harness.DkimDomain, received.DkimDomain);
        var mime = received.Message;
        Assert.Equal("m0001@mail.shop.example", mime.MessageId);
        Assert.Equal("Welcome, Alice <& Co>", mime.Subject);
        Assert.Contains("Hello Alice <& Co>, your code is CART10.", mime.TextBody, StringComparison.Ordinal);
        Assert.Contains("Hello Alice &lt;&amp; Co&gt;, your code is <b>CART10</b>.", mime.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("multipart/alternative", mime.Body!.ContentType.MimeType);
        Assert.Equal(h.Time.GetUtcNow(), mime.Date);
    }

    [Fact]
    public async Task A_marketing_message_carries_List_Unsubscribe_with_one_click_and_the_signature_covers_both_headers()
    {
        await using var h = await Harness.StartAsync();

        await h.SendOneAsync(Harness.Message("m0002"));
        await h.SendOneAsync(Harness.Message("m0003", purpose: MessagePurpose.Transactional, template: "order_shipped"));

        var marketing = h.Smtp.Messages[0].Message;
        var link = marketing.Headers["List-Unsubscribe"]!;
        Assert.StartsWith("<https://shop.example/marketing/callbacks/email-unsubscribe?t=", link, StringComparison.Ordinal);
        Assert.DoesNotContain(Harness.Alice, link, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("List-Unsubscribe=One-Click", marketing.Headers["List-Unsubscribe-Post"]);
        var signature = marketing.Headers[HeaderId.DkimSignature]!;
        var signed = signature.Split(';').Select(t => t.Trim()).Single(t => t.StartsWith("h=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("list-unsubscribe", signed, StringComparison.Ordinal);
        Assert.Contains("list-unsubscribe-post", signed, StringComparison.Ordinal);
        Assert.Contains(link.Trim('<', '>'), marketing.TextBody, StringComparison.Ordinal);

        var transactional = h.Smtp.Messages[1];
        Assert.Null(transactional.Message.Headers["List-Unsubscribe"]);
        Assert.Null(transactional.Message.Headers["List-Unsubscribe-Post"]);
        Assert.True(transactional.DkimVerified);
        Assert.Null(transactional.Message.HtmlBody);
    }

    [Fact]
    public async Task The_test_server_refuses_a_signature_over_changed_headers_or_body()
    {
        await using var h = await Harness.StartAsync();
        await h.SendOneAsync(Harness.Message("m0004"));
        var raw = h.Smtp.Messages[0].Raw;

        var changedSubject = MimeMessage.Load(new MemoryStream(raw));
        changedSubject.Subject = "Welcome, Mallory";
        var changedLink = MimeMessage.Load(new MemoryStream(raw));
        changedLink.Headers["List-Unsubscribe"] = "<https://attacker.example/u>";

        Assert.Equal(Harness.DkimDomain, await h.Smtp.VerifyDkimAsync(MimeMessage.Load(new MemoryStream(raw))));
        Assert.Null(await h.Smtp.VerifyDkimAsync(changedSubject));
        Assert.Null(await h.Smtp.VerifyDkimAsync(changedLink));
    }

    [Fact]
    public async Task A_retried_message_that_was_accepted_is_a_duplicate_and_never_reaches_the_mailbox_again_from_any_host()
    {
        await using var h = await Harness.StartAsync();
        var first = await h.SendOneAsync(Harness.Message("m0005"));

        var again = await h.SendOneAsync(Harness.Message("m0005"));
        var otherHost = await h.SendOneAsync(Harness.Message("m0005"), h.NewChannel());

        Assert.Equal(RecipientOutcome.Accepted, first.Outcome);
        Assert.Equal(RecipientOutcome.Duplicate, again.Outcome);
        Assert.Equal(RecipientOutcome.Duplicate, otherHost.Outcome);
        Assert.Equal(first.ProviderMessageId, again.ProviderMessageId);
        Assert.Single(h.Smtp.Messages);
        Assert.Equal(1, h.Smtp.DataTransactions);
    }

    [Fact]
    public async Task When_the_answer_to_DATA_is_lost_the_message_is_reported_unconfirmed_and_never_sent_again()
    {
        await using var h = await Harness.StartAsync();
        h.Smtp.DropNextAnswer();

        var lost = await h.SendOneAsync(Harness.Message("m0006"));
        var retry = await h.SendOneAsync(Harness.Message("m0006"), h.NewChannel());

        Assert.Single(h.Smtp.Messages); // the relay did take it
        Assert.Equal(1, h.Smtp.DataTransactions);
        Assert.Equal((RecipientOutcome.Rejected, false, EmailChannel.UnconfirmedCode), (lost.Outcome, lost.Retryable, lost.PlatformCode));
        Assert.Equal((RecipientOutcome.Rejected, false, EmailChannel.UnconfirmedCode), (retry.Outcome, retry.Retryable, retry.PlatformCode));
    }

    [Theory]
    [InlineData(SmtpEmulatorStage.RcptTo, 450, "4.2.1 Mailbox busy, try later", "smtp_450_4.2.1")]
    [InlineData(SmtpEmulatorStage.Data, 451, "4.7.1 Greylisted, try again in 5 minutes", "smtp_451_4.7.1")]
    [InlineData(SmtpEmulatorStage.MailFrom, 421, "4.7.0 Too many connections", "smtp_421_4.7.0")]
    public async Task A_4xx_answer_is_retryable_keeps_the_reply_code_and_a_later_attempt_goes_out(SmtpEmulatorStage stage, int code, string text, string expected)
    {
        await using var h = await Harness.StartAsync();
        h.Smtp.FailNext(stage, code, text);

        var refused = await h.SendOneAsync(Harness.Message("m0007"));
        var later = await h.SendOneAsync(Harness.Message("m0007"));

        Assert.Equal(RecipientOutcome.Rejected, refused.Outcome);
        Assert.True(refused.Retryable);
        Assert.False(refused.IsDeferral);
        Assert.Equal(expected, refused.PlatformCode);
        Assert.Equal(h.Options.TemporaryFailureRetryAfter, refused.RetryAfter);
        Assert.Equal(RecipientOutcome.Accepted, later.Outcome);
        Assert.Single(h.Smtp.Messages);
    }

    [Theory]
    [InlineData(SmtpEmulatorStage.RcptTo, 550, "5.1.1 <alice.wong@example.com>: Recipient address rejected: User unknown", "smtp_550_5.1.1")]
    [InlineData(SmtpEmulatorStage.Data, 554, "5.7.1 Message rejected as spam for alice.wong@example.com", "smtp_554_5.7.1")]
    [InlineData(SmtpEmulatorStage.RcptTo, 553, "mailbox name not allowed: alice.wong@example.com", "smtp_553")]
    public async Task A_5xx_answer_is_permanent_with_the_reply_code_kept_and_never_the_address(SmtpEmulatorStage stage, int code, string text, string expected)
    {
        await using var h = await Harness.StartAsync();
        h.Smtp.FailNext(stage, code, text);

        var refused = await h.SendOneAsync(Harness.Message("m0008"));

        Assert.Equal(RecipientOutcome.Rejected, refused.Outcome);
        Assert.False(refused.Retryable);
        Assert.Equal(expected, refused.PlatformCode);
        Assert.DoesNotContain("@", refused.PlatformCode!, StringComparison.Ordinal);
        Assert.Empty(h.Smtp.Messages);
        Marketing.Sdk.Tests.Shared.PiiLogAssert.NoPersonalData(h.Logs);
    }

    [Fact]
    public async Task A_relay_that_cannot_be_reached_is_a_retryable_connection_failure_and_nothing_is_kept()
    {
        await using var h = await Harness.StartAsync();
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var closedPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        h.Options.Port = closedPort;
        var channel = h.NewChannel();

        var results = await channel.SendAsync([Harness.Message("m0009"), Harness.Message("m0010")]);
        h.Options.Port = h.Smtp.Port;
        var later = await h.SendOneAsync(Harness.Message("m0009"), h.NewChannel());

        Assert.All(results, r => Assert.Equal((RecipientOutcome.Rejected, true, EmailChannel.ConnectionCode), (r.Outcome, r.Retryable, r.PlatformCode)));
        Assert.Equal(RecipientOutcome.Accepted, later.Outcome);
        Marketing.Sdk.Tests.Shared.PiiLogAssert.NoPersonalData(h.Logs);
    }

    [Fact]
    public async Task A_domain_over_its_rate_limit_is_deferred_until_the_window_ends_while_other_domains_go_on()
    {
        await using var h = await Harness.StartAsync(o => o.DomainRateLimits.Add(new EmailDomainRateLimit { Domain = "example.com", Window = TimeSpan.FromMinutes(1), MaxMessages = 2 }));
        h.Time.Advance(TimeSpan.FromSeconds(20)); // 20 s into a minute window

        var results = await h.Channel.SendAsync([
            Harness.Message("m0011", "a@example.com"), Harness.Message("m0012", "b@example.com"), Harness.Message("m0013", "c@example.com"),
            Harness.Message("m0014", "d@other.example")]);

        Assert.Equal(RecipientOutcome.Accepted, results[0].Outcome);
        Assert.Equal(RecipientOutcome.Accepted, results[1].Outcome);
        Assert.Equal((RecipientOutcome.Rejected, true, true, EmailChannel.DomainRateCode), (results[2].Outcome, results[2].Retryable, results[2].IsDeferral, results[2].PlatformCode));
        Assert.Equal(TimeSpan.FromSeconds(40), results[2].RetryAfter);
        Assert.Equal(RecipientOutcome.Accepted, results[3].Outcome);

        // another host shares the counter
        var sameWindow = await h.SendOneAsync(Harness.Message("m0013", "c@example.com"), h.NewChannel());
        Assert.True(sameWindow.IsDeferral);

        h.Time.Advance(TimeSpan.FromSeconds(40));
        var nextWindow = await h.SendOneAsync(Harness.Message("m0013", "c@example.com"));
        Assert.Equal(RecipientOutcome.Accepted, nextWindow.Outcome);
        Assert.Equal(4, h.Smtp.Messages.Count);
    }

    [Fact]
    public async Task A_refused_message_gives_its_rate_reservation_back()
    {
        await using var h = await Harness.StartAsync(o => o.DomainRateLimits.Add(new EmailDomainRateLimit { Domain = "*", Window = TimeSpan.FromMinutes(1), MaxMessages = 1 }));
        h.Smtp.FailNext(SmtpEmulatorStage.RcptTo, 450, "4.2.1 try later");

        var refused = await h.SendOneAsync(Harness.Message("m0015", "a@example.com"));
        var next = await h.SendOneAsync(Harness.Message("m0016", "b@example.com"));

        Assert.True(refused.Retryable);
        Assert.False(refused.IsDeferral);
        Assert.Equal(RecipientOutcome.Accepted, next.Outcome);
    }

    [Fact]
    public async Task A_domain_with_all_its_connections_busy_is_deferred_and_other_domains_are_not()
    {
        await using var h = await Harness.StartAsync(o => o.MaxConnectionsPerDomain = 1);
        var hold = h.Smtp.HoldNextMessage();

        var busy = h.SendOneAsync(Harness.Message("m0017", "a@example.com"));
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        var sameDomain = await h.SendOneAsync(Harness.Message("m0018", "b@example.com"));
        var otherDomain = await h.SendOneAsync(Harness.Message("m0019", "c@other.example"));
        hold.Release();
        var first = await busy;
        var afterwards = await h.SendOneAsync(Harness.Message("m0018", "b@example.com"));

        Assert.Equal((RecipientOutcome.Rejected, true, EmailChannel.DomainConnectionsCode), (sameDomain.Outcome, sameDomain.IsDeferral, sameDomain.PlatformCode));
        Assert.Equal(h.Options.ConnectionBusyRetryAfter, sameDomain.RetryAfter);
        Assert.Equal(RecipientOutcome.Accepted, otherDomain.Outcome);
        Assert.Equal(RecipientOutcome.Accepted, first.Outcome);
        Assert.Equal(RecipientOutcome.Accepted, afterwards.Outcome);
    }

    [Fact]
    public async Task Several_messages_of_one_call_share_one_connection()
    {
        await using var h = await Harness.StartAsync();

        var results = await h.Channel.SendAsync([Harness.Message("m0020", "a@example.com"), Harness.Message("m0021", "b@example.com"), Harness.Message("m0022", "c@example.com")]);

        Assert.All(results, r => Assert.Equal(RecipientOutcome.Accepted, r.Outcome));
        Assert.Equal(3, h.Smtp.Messages.Count);
        Assert.Equal(1, h.Smtp.Sessions);
    }

    [Fact]
    public async Task A_refused_recipient_does_not_stop_the_next_message_on_the_same_connection()
    {
        await using var h = await Harness.StartAsync();
        h.Smtp.RejectRecipient("gone@example.com", 550, "5.1.1 <gone@example.com>: User unknown");

        var results = await h.Channel.SendAsync([Harness.Message("m0030", "gone@example.com"), Harness.Message("m0031", "here@example.com"), Harness.Message("m0032", "gone@example.com")]);

        Assert.Equal(["smtp_550_5.1.1", null, "smtp_550_5.1.1"], results.Select(r => r.PlatformCode));
        Assert.Equal(RecipientOutcome.Accepted, results[1].Outcome);
        var received = Assert.Single(h.Smtp.Messages);
        Assert.Equal(["here@example.com"], received.Recipients);
        Assert.Equal(1, h.Smtp.Sessions);
    }

    [Fact]
    public async Task Messages_that_cannot_be_built_are_refused_for_good_before_anything_is_sent()
    {
        await using var h = await Harness.StartAsync();
        var phone = Harness.Message("m0023") with { Recipient = Identity.Phone("+8613800138000") };
        var noTemplate = Harness.Message("m0024", template: "unknown");

        var results = await h.Channel.SendAsync([phone, noTemplate]);

        Assert.Equal(EmailChannel.InvalidAddressCode, results[0].PlatformCode);
        Assert.Equal(EmailChannel.TemplateMissingCode, results[1].PlatformCode);
        Assert.All(results, r => Assert.False(r.Retryable));
        Assert.Equal(0, h.Smtp.Sessions);
    }

    [Fact]
    public async Task Erasure_removes_the_ledger_entries_of_the_customers_addresses_only()
    {
        await using var h = await Harness.StartAsync();
        await h.SendOneAsync(Harness.Message("m0025"));
        await h.SendOneAsync(Harness.Message("m0026", "bob@example.com"));
        var eraser = new EmailDataEraser(h.Store);

        var erased = await eraser.EraseAsync(new CustomerId("c-m0025"), [Identity.Email(Harness.Alice.ToUpperInvariant())]);

        Assert.Equal(1, erased);
        var left = new List<string>();
        await foreach (var e in h.Store.StreamAsync(EmailSendLedger.Scope))
        {
            left.Add(e.Key);
        }
        Assert.Equal(["m0026"], left);
    }

    [Fact]
    public void Options_are_validated_and_never_show_their_secrets()
    {
        var o = Harness.Configure(new EmailOptions(), "smtp.example", 587, new Uri("http://shop.example/u"));
        o.Password = "p@ss-secret";
        o.UserName = "user";
        o.UnsubscribeSecret = "short";

        var errors = o.GetValidationErrors().ToList();

        Assert.Contains(errors, e => e.StartsWith("UnsubscribeBaseUri", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("UnsubscribeSecret", StringComparison.Ordinal));
        var text = o.ToString();
        Assert.DoesNotContain("p@ss-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.DoesNotContain("short", text, StringComparison.Ordinal);
    }
}
