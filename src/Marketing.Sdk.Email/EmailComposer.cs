using System.Net;
using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Messaging;
using MimeKit;
using MimeKit.Cryptography;

namespace Marketing.Sdk.Email;

/// <summary>Builds the MIME message of one email: text and HTML parts from the template, the stable Message-ID, List-Unsubscribe and DKIM.</summary>
internal sealed partial class EmailComposer
{
    /// <summary>The placeholder that carries the one-click unsubscribe link in a template's body.</summary>
    public const string UnsubscribeUrlPlaceholder = "unsubscribe_url";

    private static readonly string[] SignedHeaders =
    [
        "From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post",
    ];

    private readonly EmailOptions _options;
    private readonly EmailUnsubscribeTokens? _tokens;
    private readonly DkimSigner? _signer;
    private readonly TimeProvider _time;

    public EmailComposer(EmailOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (options.UnsubscribeBaseUri is not null && options.UnsubscribeSecret is { Length: >= 32 } secret)
        {
            _tokens = new EmailUnsubscribeTokens(secret, options.UnsubscribeLinkLifetime, time);
        }
        if (options.SignsDkim)
        {
            using var pem = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(options.DkimPrivateKeyPem!));
            _signer = new DkimSigner(pem, options.DkimDomain!, options.DkimSelector!, DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
        }
    }

    /// <summary>The stable Message-ID (without angle brackets) of a message id.</summary>
    public string MessageIdOf(string messageId)
    {
        var local = messageId.Length is > 0 and <= 128 && messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !messageId.StartsWith('.') && !messageId.EndsWith('.') && !messageId.Contains("..", StringComparison.Ordinal)
            ? messageId
            : "h" + EmailSendLedger.Tag(messageId)[..32];
        return local + "@" + _options.EffectiveMessageIdDomain;
    }

    /// <summary>The content of a template, or <see langword="null"/>.</summary>
    public EmailTemplateContent? ContentOf(MessageTemplate template) =>
        _options.Templates.TryGetValue(template.ProviderTemplateId ?? template.Id, out var content) ? content : null;

    /// <summary>Whether marketing messages can carry the one-click link.</summary>
    public bool CanUnsubscribe => _tokens is not null;

    /// <summary>The one-click unsubscribe link of a message.</summary>
    public Uri UnsubscribeUri(PreparedMessage message)
    {
        var token = _tokens!.Create(message.MessageId, message.CustomerId);
        var builder = new UriBuilder(_options.UnsubscribeBaseUri!);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "t=" + token;
        return builder.Uri;
    }

    /// <summary>Builds (and signs) the message.</summary>
    public MimeMessage Compose(PreparedMessage message, MailboxAddress recipient, EmailTemplateContent content)
    {
        var values = new Dictionary<string, string>(message.Parameters, StringComparer.Ordinal);
        Uri? unsubscribe = null;
        if (message.Purpose == MessagePurpose.Marketing && _tokens is not null)
        {
            unsubscribe = UnsubscribeUri(message);
            values[UnsubscribeUrlPlaceholder] = unsubscribe.AbsoluteUri;
        }
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(_options.FromName, _options.FromAddress));
        mime.To.Add(recipient);
        mime.Subject = Render(content.Subject, values, v => v.Replace('\r', ' ').Replace('\n', ' '));
        mime.Date = _time.GetUtcNow();
        mime.MessageId = MessageIdOf(message.MessageId);
        if (unsubscribe is not null)
        {
            // RFC 2369 List-Unsubscribe with an HTTPS link, and RFC 8058 one-click: both covered by the DKIM signature.
            var header = "<" + unsubscribe.AbsoluteUri + ">";
            if (_options.UnsubscribeMailto is { } mailto)
            {
                header += ", <mailto:" + mailto + "?subject=unsubscribe>";
            }
            mime.Headers.Add("List-Unsubscribe", header);
            mime.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        var body = new BodyBuilder { TextBody = Render(content.Text, values, v => v) };
        if (content.Html is { } html)
        {
            body.HtmlBody = Render(html, values, v => WebUtility.HtmlEncode(v));
        }
        mime.Body = body.ToMessageBody();
        if (_signer is not null)
        {
            mime.Prepare(EncodingConstraint.SevenBit);
            _signer.Sign(mime, SignedHeaders);
        }
        return mime;
    }

    private static string Render(string text, Dictionary<string, string> values, Func<string, string> encode) =>
        Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? encode(v) : "");

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_.\-]{1,64})\s*\}\}")]
    private static partial Regex Placeholder();
}
