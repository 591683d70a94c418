using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk;
using Marketing.Sdk.Campaigns;
using Marketing.Sdk.Email;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace QuickStart;

/// <summary>One layer and variant (or a layer's holdout) of the EDM campaign.</summary>
/// <param name="Received">Messages of this group the SMTP emulator received.</param>
internal sealed record EdmGroup(string Layer, string? Variant, long Members, long Sent, long NotSent, int Received, long Clicked, long Converted);

/// <summary>What step 11 found.</summary>
internal sealed record CampaignStepReport(
    IReadOnlyList<EdmGroup> Groups,
    CampaignLift Lift,
    int Received,
    int DkimVerified,
    int OneClickHeaders,
    int DistinctMessageIds,
    int ReceivedByHoldout,
    IReadOnlyList<int> HandedOverPerHour,
    int MaxPerHour,
    IReadOnlyDictionary<string, int> FeedbackSuppressions,
    int MessageFailedEvents,
    TimeSpan DuringReplay);

/// <summary>
/// The SMTP emulator the EDM campaign mails to (real SMTP on loopback, DKIM verified against the key published at
/// start), and the campaign's progress during the replay.
/// </summary>
internal sealed class CampaignMail : IAsyncDisposable
{
    public const string FromAddress = "news@mail.shop.example";
    public const string DkimDomain = "shop.example";
    public const string Selector = "qs2026";

    private CampaignMail(SmtpEmulator smtp, string privateKeyPem)
    {
        Smtp = smtp;
        PrivateKeyPem = privateKeyPem;
    }

    public SmtpEmulator Smtp { get; }

    /// <summary>The DKIM key, generated at start (its public half published to the emulator as DNS would publish it).</summary>
    public string PrivateKeyPem { get; }

    /// <summary>Hand-overs per clock hour of the send window (one campaign run per hour during the replay).</summary>
    public List<int> HandedOverPerHour { get; } = [];

    /// <summary>Wall time the campaign took during the replay (planning, hand-overs, SMTP delivery).</summary>
    public TimeSpan Elapsed { get; set; }

    internal long LastHour { get; set; } = long.MinValue;

    internal bool Started { get; set; }

    internal bool Completed { get; set; }

    public static async Task<CampaignMail> StartAsync()
    {
        using var rsa = RSA.Create(2048);
        var smtp = new SmtpEmulator();
        await smtp.StartAsync();
        smtp.PublishDkimKey(DkimDomain, Selector, Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
        return new CampaignMail(smtp, rsa.ExportRSAPrivateKeyPem());
    }

    public ValueTask DisposeAsync() => Smtp.DisposeAsync();
}

/// <summary>
/// The campaign's audience: customers with an email address who consented to marketing email (through the consent
/// gate, as of planning), each in their value layer of step 3. A host reads its audience however it likes by registering
/// an <see cref="ICampaignAudience"/> before <c>AddCampaigns()</c>.
/// </summary>
internal sealed class EmailSubscribersAudience(IProfileStore profiles, IConsentGate consent, ISegmentService segments) : ICampaignAudience
{
    public const string SegmentId = "email_subscribers";

    public async IAsyncEnumerable<CampaignAudienceMember> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var withEmail = new List<CustomerId>();
        await foreach (var p in profiles.StreamAsync(cancellationToken))
        {
            if (p.Identities.Any(i => i.Kind == IdentityKind.Email))
            {
                withEmail.Add(p.Id);
            }
        }
        var allowed = await consent.FilterAsync(withEmail, ConsentPurpose.Email, Channel.Email, cancellationToken);
        var layers = new Dictionary<CustomerId, ValueLayer>();
        await foreach (var l in segments.GetValueLayersAsync(cancellationToken))
        {
            layers[l.CustomerId] = l.Layer;
        }
        foreach (var id in allowed.Allowed)
        {
            yield return new CampaignAudienceMember(id, layers.TryGetValue(id, out var layer) ? layer.ToString().ToLowerInvariant() : "unknown");
        }
    }
}

/// <summary>
/// Step 11: a layered EDM campaign with a holdout. On day 77 of the shop the campaign mails every email subscriber
/// but a 10 % holdout (MurmurHash3 of campaign and customer id), with subject, HTML and text by value layer, at each
/// customer's best hour of the shop's day (from their purchases, else the segment's), at most <see cref="MaxPerHour"/>
/// an hour, DKIM-signed, with one-click unsubscribe headers, over real SMTP on loopback. It runs during the replay
/// (step 1 calls <see cref="DuringReplayAsync"/> as the clock moves), so the shop's orders of the following two weeks
/// measure the lift against the holdout. Afterwards a few bounces and a complaint come back as DSN and ARF reports.
/// </summary>
internal static class CampaignStep
{
    public const string CampaignId = "quickstart-edm";
    public const int MaxPerHour = 150;

    /// <summary>The window: day 77 of the shop, 08:00-21:00 shop time (outside the customers' quiet hours).</summary>
    public static DateTimeOffset WindowStart(QuickStartContext run) => run.ShopOptions.Start.AddDays(76).AddHours(8);

    public static DateTimeOffset WindowEnd(QuickStartContext run) => WindowStart(run).AddHours(13);

    private static readonly (string Layer, string Key, string Template, string Subject, string Lead, string Code)[] Variants =
    [
        ("loyal", "vip_thanks", "edm_loyal", "Thank you, {{name}}: early access for you", "You are one of our best customers: the autumn collection opens for you two days early.", "VIP20"),
        ("active", "new_arrivals", "edm_active", "New this week, picked for you", "Fresh arrivals in the categories you browse most.", "NEW10"),
        ("new", "second_order", "edm_new", "Your second order ships free", "Thanks for your first order. Your next one ships free this month.", "SHIP0"),
        ("dormant", "win_back", "edm_dormant", "We miss you: 15% off your next order", "It has been a while. Here is 15% off to welcome you back.", "BACK15"),
        ("potential", "first_order", "edm_potential", "10% off your first order", "You signed up but have not ordered yet: 10% off your first order.", "FIRST10"),
    ];

    /// <summary>Email templates (messaging), their content (email channel), campaigns on the shop's time zone, and the audience.</summary>
    public static IMarketingBuilder AddSampleCampaigns(this IMarketingBuilder m, CampaignMail mail)
    {
        m.Services.Configure<Marketing.Sdk.Messaging.MessagingOptions>(o =>
        {
            foreach (var v in Variants)
            {
                o.AddTemplate(new MessageTemplate { Id = v.Template, Channel = Channel.Email, Parameters = [new() { Name = "code", MaxLength = 16 }] });
            }
        });
        m.AddEmail(o =>
        {
            o.Host = mail.Smtp.Host;
            o.Port = mail.Smtp.Port;
            o.Security = SecureSocketOptions.None; // loopback; a real relay uses StartTls (the default)
            o.FromAddress = CampaignMail.FromAddress;
            o.FromName = "Shop";
            o.DkimDomain = CampaignMail.DkimDomain;
            o.DkimSelector = CampaignMail.Selector;
            o.DkimPrivateKeyPem = mail.PrivateKeyPem;
            o.UnsubscribeBaseUri = new Uri("https://shop.example/marketing/callbacks/email-unsubscribe");
            o.UnsubscribeSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            o.Timeout = TimeSpan.FromSeconds(30);
            foreach (var v in Variants)
            {
                o.Templates[v.Template] = new EmailTemplateContent
                {
                    Subject = v.Subject.Replace("{{name}}", "friend", StringComparison.Ordinal),
                    Text = $"{v.Lead}\nCode: {{{{code}}}}\n\nUnsubscribe: {{{{unsubscribe_url}}}}",
                    Html = $"<p>{v.Lead}</p><p>Code: <b>{{{{code}}}}</b></p><p><a href=\"{{{{unsubscribe_url}}}}\">Unsubscribe</a></p>",
                };
            }
        });
        m.Services.TryAddSingleton<ICampaignAudience, EmailSubscribersAudience>();
        m.AddCampaigns(o =>
        {
            o.RunInBackground = false; // the replay runs the campaign itself, on the sample clock
            o.TimeZone = QuickStartContext.ShopTimeZone;
        });
        return m;
    }

    private static CampaignDefinition Definition(QuickStartContext run) => new()
    {
        Id = CampaignId,
        SegmentId = EmailSubscribersAudience.SegmentId,
        Channel = Channel.Email,
        LayerVariants = Variants.ToDictionary(v => v.Layer, v => (IReadOnlyList<CampaignVariant>)
            [new CampaignVariant { Key = v.Key, TemplateId = v.Template, Parameters = new Dictionary<string, string> { ["code"] = v.Code } }]),
        HoldoutShare = 0.1,
        WindowStart = WindowStart(run),
        WindowEnd = WindowEnd(run),
        MaxPerHour = MaxPerHour,
        ConversionWindow = run.ShopEnd - WindowEnd(run), // the orders up to the end of the replay
    };

    /// <summary>
    /// Called by the replay after each batch: from the window's start, once per clock hour, runs the campaign (the first run
    /// plans it) and delivers the email outbox to the SMTP emulator, as a host's background services would.
    /// </summary>
    public static async Task DuringReplayAsync(QuickStartContext run)
    {
        var now = run.Clock.GetUtcNow();
        var mail = run.CampaignMail;
        var hour = now.UtcTicks / TimeSpan.TicksPerHour;
        if (now < WindowStart(run) || hour == mail.LastHour)
        {
            return;
        }
        mail.LastHour = hour;
        var started = Stopwatch.GetTimestamp();
        var runner = run.Get<ICampaignRunner>();
        if (!mail.Started)
        {
            await runner.StartAsync(Definition(run));
            mail.Started = true;
        }
        if (!mail.Completed)
        {
            var progress = await runner.RunOnceAsync(CampaignId);
            if (progress.HandedOver > 0 || now < WindowEnd(run))
            {
                mail.HandedOverPerHour.Add(progress.HandedOver);
            }
            mail.Completed = progress.State == CampaignState.Completed;
        }
        await DeliverEmailAsync(run);
        mail.Elapsed += Stopwatch.GetElapsedTime(started);
    }

    private static async Task DeliverEmailAsync(QuickStartContext run)
    {
        var worker = run.Get<Marketing.Sdk.Messaging.MessageDeliveryWorker>();
        while ((await worker.DeliverOnceAsync(Channel.Email)).Claimed > 0)
        {
        }
    }

    public static async Task<CampaignStepReport> RunAsync(QuickStartContext run)
    {
        run.Heading(11, "Campaigns (a layered EDM campaign with a 10% holdout, by email over SMTP to the emulator, on day 77)");
        var mail = run.CampaignMail;
        var runner = run.Get<ICampaignRunner>();
        if (mail.Started && !mail.Completed)
        {
            await runner.RunOnceAsync(CampaignId); // closes the window: nobody is left waiting
        }
        await DeliverEmailAsync(run);
        var report = await runner.GetReportAsync(CampaignId);

        // The campaign's records: who is in the holdout, and which message went to whom.
        var holdout = new HashSet<string>(StringComparer.Ordinal);
        var layerOf = new Dictionary<string, (string Layer, string? Variant)>(StringComparer.Ordinal);
        var customerOfMessage = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var e in run.Get<IStateStore>().StreamAsync("campaigns.recipients", CampaignId + "|"))
        {
            var customer = e.Key[(CampaignId.Length + 1)..];
            using var json = JsonDocument.Parse(e.Value);
            var status = json.RootElement.GetProperty("status").GetString();
            var layer = json.RootElement.GetProperty("layer").GetString()!;
            var variant = json.RootElement.TryGetProperty("variant", out var v) ? v.GetString() : null;
            layerOf[customer] = (layer, variant);
            if (status == "Holdout")
            {
                holdout.Add(customer);
            }
            if (json.RootElement.TryGetProperty("message_id", out var id) && id.GetString() is { } messageId)
            {
                customerOfMessage[messageId] = customer;
            }
        }

        // What the SMTP emulator received: DKIM verified against the published key, RFC 8058 headers, one message per id.
        var received = run.CampaignMail.Smtp.Messages;
        var receivedByGroup = new Dictionary<(string, string?), int>();
        int dkim = 0, oneClick = 0, byHoldout = 0;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in received)
        {
            dkim += m.DkimVerified && m.DkimDomain == CampaignMail.DkimDomain ? 1 : 0;
            oneClick += m.Message.Headers["List-Unsubscribe"] is { Length: > 0 } && m.Message.Headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" ? 1 : 0;
            var messageId = m.Message.MessageId?.Split('@')[0] ?? "";
            ids.Add(messageId);
            if (customerOfMessage.TryGetValue(messageId, out var customer))
            {
                byHoldout += holdout.Contains(customer) ? 1 : 0;
                var key = layerOf[customer];
                receivedByGroup[key] = receivedByGroup.GetValueOrDefault(key) + 1;
            }
        }
        var groups = report.Groups.Select(g => new EdmGroup(g.Layer, g.Variant, g.Members, g.Sent, g.NotSent,
            receivedByGroup.GetValueOrDefault((g.Layer, g.Variant)), g.Clicked, g.Converted)).ToList();
        var table = new Table("layer", "variant", "subject", "members", "sent", "not sent", "received", "clicked", "converted", "conv. rate").Left(1, 2);
        foreach (var g in groups.OrderBy(g => Array.FindIndex(Variants, v => v.Layer == g.Layer) is var i && i < 0 ? 99 : i).ThenBy(g => g.Variant is null))
        {
            var subject = g.Variant is null ? "(holdout: no message)" : Variants.FirstOrDefault(v => v.Key == g.Variant).Subject?.Replace("{{name}}", "friend", StringComparison.Ordinal) ?? "";
            table.Add(g.Layer, g.Variant ?? "holdout", subject, g.Members, g.Sent, g.NotSent, g.Received, g.Clicked, g.Converted, Table.Percent(g.Members == 0 ? 0 : (double)g.Converted / g.Members));
        }
        table.WriteTo(run.Out);

        var lift = report.Lift;
        var t = lift.Test;
        run.Line($"lift over the holdout (orders {WindowStart(run):MM-dd HH:mm} to the end of the replay, intent to treat): treatment {lift.Treatment.Conversions:N0}/{lift.Treatment.Units:N0} = {Table.Percent(t?.TreatmentRate ?? 0)}, holdout {lift.Holdout.Conversions:N0}/{lift.Holdout.Units:N0} = {Table.Percent(t?.ControlRate ?? 0)};");
        if (t is not null)
        {
            run.Line($" relative lift {t.RelativeLift:+0.0%;-0.0%} [{t.RelativeLiftInterval?.Lower:+0.0%;-0.0%}, {t.RelativeLiftInterval?.Upper:+0.0%;-0.0%}] (95% Katz), difference {t.Difference * 100:+0.00;-0.00} pp [{t.DifferenceInterval.Lower * 100:+0.00;-0.00}, {t.DifferenceInterval.Upper * 100:+0.00;-0.00}] (Newcombe), z {t.ZStatistic:0.00}, p {t.PValue:0.000}"
                + (t.RelativeLiftInterval is { } ci && ci.Lower <= 0 && ci.Upper >= 0 ? " — no lift shown: the synthetic shop's customers do not read mail" : ""));
        }

        // Send time and throttle.
        var zone = QuickStartContext.ShopTimeZone;
        var perHour = mail.HandedOverPerHour;
        run.Line($"send time: each at the best hour of the shop's day from their own orders (3+ in 90 days), else the segment's; at most {MaxPerHour}/h: handed over per hour from {TimeZoneInfo.ConvertTime(WindowStart(run), zone):HH:mm} shop time: {string.Join(" ", perHour)} (max {(perHour.Count == 0 ? 0 : perHour.Max())})");
        run.Line($"emulator (SMTP on loopback): {received.Count:N0} messages, DKIM verified {dkim:N0}, List-Unsubscribe + One-Click {oneClick:N0}, distinct Message-IDs {ids.Count:N0}, to the holdout {byHoldout}");

        // Feedback: two hard bounces (RFC 3464) and one complaint (ARF, RFC 5965) about messages the emulator received.
        var processor = run.Get<EmailFeedbackProcessor>();
        var suppressions = run.Get<ISuppressionList>();
        var fed = new SortedDictionary<string, int>(StringComparer.Ordinal);
        // Three distinct customers, each the current owner of the address the message went to and not suppressed yet, so
        // each report lands on the customer it is about and is counted under its own reason.
        var identities = run.Get<IIdentityGraphStore>();
        var sample = new List<(SmtpEmulatorMessage Message, CustomerId Customer, SuppressionReason Expected)>();
        var owners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in received)
        {
            if (sample.Count == 3)
            {
                break;
            }
            if (m.Message.MessageId is not { } mid || !customerOfMessage.TryGetValue(mid.Split('@')[0], out var owner)
                || m.Message.To.Mailboxes.FirstOrDefault()?.Address is not { } address || !owners.Add(owner))
            {
                continue;
            }
            var email = Identity.Email(address);
            var customer = new CustomerId(owner);
            if ((await identities.FindAsync([email])).GetValueOrDefault(email) == customer
                && (await suppressions.GetAsync(customer)).Count == 0)
            {
                sample.Add((m, customer, sample.Count < 2 ? SuppressionReason.Bounced : SuppressionReason.Complained));
            }
        }
        foreach (var (message, customer, expected) in sample)
        {
            var raw = expected == SuppressionReason.Bounced ? Dsn(message, run.Clock.GetUtcNow()) : Arf(message, run.Clock.GetUtcNow());
            var result = await processor.ProcessAsync(new MemoryStream(Encoding.ASCII.GetBytes(raw)));
            if (result.Matched > 0 && (await suppressions.GetAsync(customer)).Any(e => e.Reason == expected))
            {
                var reason = expected.ToString().ToLowerInvariant();
                fed[reason] = fed.GetValueOrDefault(reason) + 1;
            }
        }
        var failed = 0;
        await foreach (var _ in run.Get<IEventStore>().ReadAsync(new EventQuery { Types = [MessageEventTypes.Failed], From = WindowStart(run) }))
        {
            failed++;
        }
        run.Line($"feedback: 2 DSN hard bounces (5.1.1) and 1 ARF abuse report fed back -> email suppressions {string.Join(", ", fed.Select(f => $"{f.Key} {f.Value}"))}; message_failed events {failed}");
        run.Line($"(the campaign ran during the replay: planning, {perHour.Count} hourly runs and SMTP delivery took {mail.Elapsed.TotalSeconds:0.0} s)");
        run.Line();
        return new CampaignStepReport(groups, lift, received.Count, dkim, oneClick, ids.Count, byHoldout, perHour, MaxPerHour, fed, failed, mail.Elapsed);
    }

    /// <summary>A Postfix-style delivery status notification: the recipient's mailbox does not exist.</summary>
    private static string Dsn(SmtpEmulatorMessage m, DateTimeOffset now)
    {
        var to = m.Recipients[0];
        return $"""
            From: MAILER-DAEMON@mail.shop.example (Mail Delivery System)
            To: bounces@mail.shop.example
            Subject: Undelivered Mail Returned to Sender
            Date: {now:R}
            Message-ID: <dsn-{m.Message.MessageId}>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

            --b1
            Content-Type: text/plain; charset=us-ascii

            Your message could not be delivered.

            --b1
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mail.shop.example

            Final-Recipient: rfc822; {to}
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 User unknown

            --b1
            Content-Type: text/rfc822-headers

            From: "Shop" <{CampaignMail.FromAddress}>
            To: {to}
            Message-ID: <{m.Message.MessageId}>

            --b1--

            """.Replace("\n", "\r\n", StringComparison.Ordinal);
    }

    /// <summary>A mailbox provider's abuse report (ARF) about one of the campaign's messages.</summary>
    private static string Arf(SmtpEmulatorMessage m, DateTimeOffset now)
    {
        var to = m.Recipients[0];
        return $"""
            From: <abuse@isp.example>
            To: <fbl@shop.example>
            Subject: FW: complaint
            Date: {now:R}
            Message-ID: <arf-{m.Message.MessageId}>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="b2"

            --b2
            Content-Type: text/plain; charset=us-ascii

            This is an email abuse report.

            --b2
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: ISP-FBL/2.1
            Version: 1
            Original-Rcpt-To: <{to}>

            --b2
            Content-Type: text/rfc822-headers

            From: "Shop" <{CampaignMail.FromAddress}>
            To: {to}
            Message-ID: <{m.Message.MessageId}>

            --b2--

            """.Replace("\n", "\r\n", StringComparison.Ordinal);
    }
}
