using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators.Smtp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Email.Tests;

/// <summary>
/// The channel inside the SDK's messaging (consent, suppression, caps, quiet hours, idempotency, outbox delivery) and a web
/// host with the callback endpoints, over real SMTP and real HTTP on loopback.
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private const string Bob = "bob.lee@example.com";
    private static readonly CustomerId AliceId = new("c_alice");
    private static readonly CustomerId BobId = new("c_bob");

    // 02:00 UTC = 10:00 in Shanghai: outside quiet hours.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));
    private readonly SmtpEmulator _smtp = new();
    private readonly Listener _listener = new();
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    private IMessageSender Sender => _app.Services.GetRequiredService<IMessageSender>();
    private MessageDeliveryWorker Worker => _app.Services.GetRequiredService<MessageDeliveryWorker>();

    public async Task InitializeAsync()
    {
        await _smtp.StartAsync();
        _smtp.PublishDkimKey(Harness.DkimDomain, Harness.Selector, Harness.PublicKeyBase64);
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddSingleton<IMarketingEventListener>(_listener);
        builder.Services.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddMarketingSdk(m => m
            .AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.ShopTimeZone = "Asia/Shanghai";
                o.AddTemplate(new MessageTemplate { Id = "coupon", Channel = Channel.Email, Parameters = [new MessageTemplateParameter { Name = "code" }] });
                o.AddTemplate(new MessageTemplate { Id = "order_shipped", Channel = Channel.Email, DefaultPurpose = MessagePurpose.Transactional, Parameters = [new MessageTemplateParameter { Name = "order" }] });
            })
            .AddEmail(o => Harness.Configure(o, _smtp.Host, _smtp.Port, new Uri($"http://127.0.0.1:{port}/marketing/callbacks/email-unsubscribe"))));
        _app = builder.Build();
        _app.MapMarketingCallbacks();
        await _app.StartAsync();
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var profiles = _app.Services.GetRequiredService<IProfileStore>();
        var identities = _app.Services.GetRequiredService<IIdentityGraphStore>();
        foreach (var (id, address) in new[] { (AliceId, Harness.Alice), (BobId, Bob) })
        {
            await profiles.SaveAsync(new CustomerProfile
            {
                Id = id,
                Identities = [Identity.Email(address)],
                Traits = new Dictionary<string, PropertyValue> { ["time_zone"] = "Asia/Shanghai" },
                Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(true, _time.GetUtcNow()) },
            });
            await identities.ClaimAsync(Identity.Email(address), id);
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private static MessageRequest Coupon(CustomerId customer, string key) => new()
    {
        CustomerId = customer, Channel = Channel.Email, TemplateId = "coupon", IdempotencyKey = key,
        Parameters = new Dictionary<string, string> { ["code"] = "CART10" },
    };

    [Fact]
    public async Task A_marketing_email_goes_out_through_the_outbox_and_its_one_click_link_unsubscribes_the_customer_from_marketing_only()
    {
        var sent = await Sender.SendAsync(Coupon(AliceId, "coupon-1"));
        Assert.Equal(MessageSendStatus.Sent, sent.Status);
        var round = await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Equal(1, round.Accepted);
        var mail = Assert.Single(_smtp.Messages);
        Assert.True(mail.DkimVerified);
        Assert.Equal(sent.MessageId + "@mail.shop.example", mail.Message.MessageId);

        // the idempotency key holds: the same request again sends nothing
        Assert.Equal(sent.MessageId, (await Sender.SendAsync(Coupon(AliceId, "coupon-1"))).MessageId);
        await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Single(_smtp.Messages);

        // a mailbox provider's one-click POST (RFC 8058) to the List-Unsubscribe link
        var link = mail.Message.Headers["List-Unsubscribe"]!.Split(',')[0].Trim().Trim('<', '>');
        using var body = new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded");
        using var answer = await _http.PostAsync(new Uri(link), body);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        var next = await Sender.SendAsync(Coupon(AliceId, "coupon-2"));
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.Unsubscribed), (next.Status, next.Reason));
        var notice = await Sender.SendAsync(new MessageRequest
        {
            CustomerId = AliceId, Channel = Channel.Email, TemplateId = "order_shipped", IdempotencyKey = "order-A-1001-shipped",
            Parameters = new Dictionary<string, string> { ["order"] = "A-1001" },
        });
        Assert.Equal(MessageSendStatus.Sent, notice.Status);
        await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Equal(2, _smtp.Messages.Count);
        Assert.Null(_smtp.Messages[1].Message.Headers["List-Unsubscribe"]);
        Marketing.Sdk.Tests.Shared.PiiLogAssert.NoPersonalData(_app.Services.GetFakeLogCollector());
    }

    [Fact]
    public async Task A_5xx_refusal_fails_the_message_with_the_reply_code_and_no_address_in_what_is_stored()
    {
        _smtp.RejectRecipient(Bob, 550, $"5.1.1 <{Bob}>: Recipient address rejected: User unknown");

        var sent = await Sender.SendAsync(Coupon(BobId, "coupon-bob"));
        var round = await Worker.DeliverOnceAsync(Channel.Email);

        Assert.Equal(1, round.Failed);
        var failed = Assert.Single(_listener.Of(MessageEventTypes.Failed));
        var code = failed.Properties[MessageEventTypes.ErrorCodeProperty].ToString();
        Assert.Equal("rejected:Permanent:smtp_550_5.1.1", code);
        var stored = await Sender.SendAsync(Coupon(BobId, "coupon-bob"));
        Assert.Equal((MessageSendStatus.Failed, sent.MessageId), (stored.Status, stored.MessageId));
        Assert.DoesNotContain("@", stored.ErrorCode ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_4xx_answer_is_retried_by_the_outbox_and_delivered_once()
    {
        _smtp.FailNext(SmtpEmulatorStage.RcptTo, 451, "4.7.1 Greylisted, please retry");

        await Sender.SendAsync(Coupon(BobId, "coupon-grey"));
        var first = await Worker.DeliverOnceAsync(Channel.Email);
        _time.Advance(TimeSpan.FromMinutes(10));
        var second = await Worker.DeliverOnceAsync(Channel.Email);

        Assert.Equal((0, 1), (first.Accepted, first.Retried));
        Assert.Equal(1, second.Accepted);
        Assert.Single(_smtp.Messages);
        Assert.Single(_listener.Of(MessageEventTypes.Sent));
    }

    [Fact]
    public async Task A_bounce_report_for_a_delivered_message_records_message_failed_and_suppresses_the_address()
    {
        var sent = await Sender.SendAsync(Coupon(AliceId, "coupon-bounce"));
        await Worker.DeliverOnceAsync(Channel.Email);
        var messageId = Assert.Single(_smtp.Messages).Message.MessageId;
        var dsn = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "dsn-hard-bounce-postfix.eml"))
            .Replace("m00000000000000000000000000000001@mail.shop.example", messageId, StringComparison.Ordinal);

        var result = await _app.Services.GetRequiredService<EmailFeedbackProcessor>().ProcessAsync(new MemoryStream(Encoding.ASCII.GetBytes(dsn)));

        Assert.Equal(new EmailFeedbackResult(EmailFeedbackKind.HardBounce, 1, 1), result);
        var failed = Assert.Single(_listener.Of(MessageEventTypes.Failed));
        Assert.Equal(sent.MessageId, failed.Properties[MessageEventTypes.MessageIdProperty].ToString());
        Assert.Equal("bounced:smtp_550_5.1.1", failed.Properties[MessageEventTypes.ErrorCodeProperty].ToString());
        var blocked = await _app.Services.GetRequiredService<ISuppressionList>().FindBlockingAsync(AliceId, Channel.Email, MessagePurpose.Transactional);
        Assert.Equal(SuppressionReason.Bounced, blocked?.Reason);
    }

    [Fact]
    public async Task Consent_caps_and_quiet_hours_of_messaging_hold_for_email()
    {
        // no consent: nothing is stored, nothing is sent
        await _app.Services.GetRequiredService<IProfileStore>().SaveAsync(new CustomerProfile
        {
            Id = new CustomerId("c_carol"),
            Identities = [Identity.Email("carol@example.com")],
            Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(false, _time.GetUtcNow()) },
        });
        var noConsent = await Sender.SendAsync(Coupon(new CustomerId("c_carol"), "coupon-carol"));
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.NoConsent), (noConsent.Status, noConsent.Reason));

        // the channel cap (2 marketing messages a day) holds
        Assert.Equal(MessageSendStatus.Sent, (await Sender.SendAsync(Coupon(BobId, "cap-1"))).Status);
        Assert.Equal(MessageSendStatus.Sent, (await Sender.SendAsync(Coupon(BobId, "cap-2"))).Status);
        var capped = await Sender.SendAsync(Coupon(BobId, "cap-3"));
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.FrequencyCap), (capped.Status, capped.Reason));
        await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Equal(2, _smtp.Messages.Count);

        // 14:00 UTC is 22:00 in Shanghai: a marketing message waits for the end of the customer's quiet hours
        _time.Advance(TimeSpan.FromHours(12));
        var held = await Sender.SendAsync(Coupon(AliceId, "late-night") with { AllowDeferral = true });
        Assert.Equal(MessageSendStatus.Deferred, held.Status);
        await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Equal(2, _smtp.Messages.Count);
        _time.SetUtcNow(held.DeferredUntil!.Value);
        await Worker.DeliverOnceAsync(Channel.Email);
        Assert.Equal(3, _smtp.Messages.Count);
        Assert.Equal(held.MessageId + "@mail.shop.example", _smtp.Messages[2].Message.MessageId);
    }

    [Fact]
    public async Task Erasing_a_customer_removes_the_email_ledger_entries()
    {
        await Sender.SendAsync(Coupon(AliceId, "coupon-erase"));
        await Worker.DeliverOnceAsync(Channel.Email);
        var eraser = _app.Services.GetServices<IPersonalDataEraser>().Single(e => e.Name == "email.state");

        var erased = await eraser.EraseAsync(AliceId, [Identity.Email(Harness.Alice)]);

        Assert.Equal(1, erased);
        await foreach (var _ in _app.Services.GetRequiredService<IStateStore>().StreamAsync(EmailSendLedger.Scope))
        {
            Assert.Fail("a ledger entry is left");
        }
    }

    private sealed class Listener : IMarketingEventListener
    {
        private readonly ConcurrentQueue<MarketingEvent> _events = new();

        public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
        {
            foreach (var e in events)
            {
                _events.Enqueue(e);
            }
            return ValueTask.CompletedTask;
        }

        public IReadOnlyList<MarketingEvent> Of(EventType type) => [.. _events.Where(e => e.Type == type)];
    }
}
