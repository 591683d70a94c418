using System.Security.Cryptography;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Email.Tests;

/// <summary>An SMTP emulator on loopback, a channel pointed at it, one shared state store, a fake clock.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string FromAddress = "news@mail.shop.example";
    public const string DkimDomain = "shop.example";
    public const string Selector = "mk2026";
    public const string Secret = "0123456789abcdef0123456789abcdef-unsubscribe";
    public const string Alice = Marketing.Sdk.Tests.Shared.PiiLogAssert.Email;

    private static readonly Lazy<(string PrivatePem, string PublicBase64)> Keys = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportRSAPrivateKeyPem(), Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    });

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.Zero));
    public InMemoryStateStore Store { get; } = new();
    public SmtpEmulator Smtp { get; } = new();
    public EmailOptions Options { get; private set; } = null!;
    public EmailChannel Channel { get; private set; } = null!;
    public FakeLogCollector Logs { get; } = new();

    public static string PublicKeyBase64 => Keys.Value.PublicBase64;

    public static async Task<Harness> StartAsync(Action<EmailOptions>? configure = null)
    {
        var h = new Harness();
        await h.Smtp.StartAsync();
        h.Smtp.PublishDkimKey(DkimDomain, Selector, Keys.Value.PublicBase64);
        h.Options = Configure(new EmailOptions(), h.Smtp.Host, h.Smtp.Port, new Uri("https://shop.example/marketing/callbacks/email-unsubscribe"));
        configure?.Invoke(h.Options);
        Assert.Empty(h.Options.GetValidationErrors());
        h.Channel = h.NewChannel();
        return h;
    }

    public static EmailOptions Configure(EmailOptions o, string host, int port, Uri unsubscribe)
    {
        o.Host = host;
        o.Port = port;
        o.Security = SecureSocketOptions.None;
        o.FromAddress = FromAddress;
        o.FromName = "Shop";
        o.DkimDomain = DkimDomain;
        o.DkimSelector = Selector;
        o.DkimPrivateKeyPem = Keys.Value.PrivatePem;
        o.UnsubscribeBaseUri = unsubscribe;
        o.UnsubscribeSecret = Secret;
        o.Timeout = TimeSpan.FromSeconds(20);
        o.Templates["welcome"] = new EmailTemplateContent
        {
            Subject = "Welcome, {{name}}",
            Text = "Hello {{name}}, your code is {{code}}.\nUnsubscribe: {{unsubscribe_url}}",
            Html = "<p>Hello {{name}}, your code is <b>{{code}}</b>.</p><p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>",
        };
        o.Templates["coupon"] = new EmailTemplateContent { Subject = "A coupon for you", Text = "Code {{code}}", Html = "<p>Code {{code}}</p>" };
        o.Templates["order_shipped"] = new EmailTemplateContent { Subject = "Order {{order}} shipped", Text = "Your order {{order}} is on its way." };
        return o;
    }

    /// <summary>A second host: its own channel over the same store.</summary>
    public EmailChannel NewChannel() => new(Options, Store, Time, null, new FakeLogger<EmailChannel>(Logs));

    public static PreparedMessage Message(string id, string address = Alice, MessagePurpose purpose = MessagePurpose.Marketing, string template = "welcome") => new()
    {
        MessageId = id,
        CustomerId = new CustomerId("c-" + id),
        Recipient = Identity.Email(address),
        Template = new MessageTemplate { Id = template, Channel = Sdk.Channel.Email, Parameters = [new MessageTemplateParameter { Name = "name" }, new MessageTemplateParameter { Name = "code" }] },
        Parameters = new Dictionary<string, string> { ["name"] = "Alice <& Co>", ["code"] = "CART10", ["order"] = "A-1001" },
        Purpose = purpose,
    };

    public async Task<RecipientResult> SendOneAsync(PreparedMessage message, EmailChannel? channel = null) => (await (channel ?? Channel).SendAsync([message])).Single();

    public async ValueTask DisposeAsync() => await Smtp.DisposeAsync();
}
