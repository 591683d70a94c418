using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Email;

/// <summary>The text of one email template: a subject, a plain-text body and an HTML body with <c>{{name}}</c> placeholders.</summary>
public sealed class EmailTemplateContent
{
    /// <summary>The subject (placeholders allowed; line breaks of values are removed).</summary>
    public string Subject { get; set; } = "";

    /// <summary>The plain-text part (placeholders filled as given).</summary>
    public string Text { get; set; } = "";

    /// <summary>The HTML part, or <see langword="null"/> for a text-only message (placeholders filled HTML-encoded).</summary>
    public string? Html { get; set; }
}

/// <summary>A rate limit of one recipient domain: at most <see cref="MaxMessages"/> messages to the domain within <see cref="Window"/>.</summary>
public sealed class EmailDomainRateLimit
{
    /// <summary>The recipient domain (e.g. <c>gmail.com</c>), or <c>*</c> for every domain without a limit of its own.</summary>
    public string Domain { get; set; } = "*";

    /// <summary>The window (1 second to 1 day).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most messages within the window.</summary>
    public int MaxMessages { get; set; } = 600;
}

/// <summary>
/// Settings of the email channel: the SMTP relay it sends through, the sender, DKIM, the templates, the one-click
/// unsubscribe link and the per-domain limits. The password, the DKIM private key and the unsubscribe secret never
/// appear in <see cref="ToString"/> or logs.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The platform name in errors and metrics (<c>email</c>).</summary>
    public const string PlatformName = "email";

    /// <summary>The channel's name (default <c>email</c>).</summary>
    public string ChannelName { get; set; } = "email";

    /// <summary>The SMTP relay's host name.</summary>
    public string Host { get; set; } = "";

    /// <summary>The SMTP relay's port (default 587, submission).</summary>
    public int Port { get; set; } = 587;

    /// <summary>How the connection is secured (default <see cref="SecureSocketOptions.StartTls"/>; <see cref="SecureSocketOptions.None"/> only for a loopback test server).</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>The SMTP user name, or <see langword="null"/> when the relay needs no authentication.</summary>
    public string? UserName { get; set; }

    /// <summary>The SMTP password (a secret).</summary>
    public string? Password { get; set; }

    /// <summary>The sender address (<c>From</c>).</summary>
    public string FromAddress { get; set; } = "";

    /// <summary>The sender's display name, if any.</summary>
    public string? FromName { get; set; }

    /// <summary>The domain of the stable <c>Message-ID</c> (<c>&lt;{message id}@{domain}&gt;</c>); default the domain of <see cref="FromAddress"/>.</summary>
    public string? MessageIdDomain { get; set; }

    /// <summary>The DKIM signing domain (<c>d=</c>), or <see langword="null"/> to send unsigned (bulk senders must sign).</summary>
    public string? DkimDomain { get; set; }

    /// <summary>The DKIM selector (<c>s=</c>): the public key is published at <c>{selector}._domainkey.{domain}</c>.</summary>
    public string? DkimSelector { get; set; }

    /// <summary>The DKIM RSA private key in PEM (PKCS#1 or PKCS#8; a secret).</summary>
    public string? DkimPrivateKeyPem { get; set; }

    /// <summary>The templates by provider template id (<see cref="Platforms.Messaging.MessageTemplate.ProviderTemplateId"/>, or the template id when it has none).</summary>
    public IDictionary<string, EmailTemplateContent> Templates { get; } = new Dictionary<string, EmailTemplateContent>(StringComparer.Ordinal);

    /// <summary>
    /// The HTTPS address of the one-click unsubscribe endpoint (the callback handler <see cref="UnsubscribeHandlerName"/>
    /// mapped by <c>app.MapMarketingCallbacks()</c>, e.g. <c>https://shop.example/marketing/callbacks/email-unsubscribe</c>);
    /// the signed token is added as the <c>t</c> query parameter.
    /// </summary>
    public Uri? UnsubscribeBaseUri { get; set; }

    /// <summary>The key of the unsubscribe tokens' HMAC (at least 32 characters; a secret). Changing it invalidates links already sent.</summary>
    public string UnsubscribeSecret { get; set; } = "";

    /// <summary>How long an unsubscribe link works (default 90 days).</summary>
    public TimeSpan UnsubscribeLinkLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>An optional <c>mailto:</c> address offered in <c>List-Unsubscribe</c> beside the link.</summary>
    public string? UnsubscribeMailto { get; set; }

    /// <summary>Whether marketing messages must carry <c>List-Unsubscribe</c> and <c>List-Unsubscribe-Post</c> (default true, as Gmail's and Yahoo's bulk-sender rules require).</summary>
    public bool RequireOneClickUnsubscribe { get; set; } = true;

    /// <summary>The name of the unsubscribe callback handler (default <c>email-unsubscribe</c>).</summary>
    public string UnsubscribeHandlerName { get; set; } = "email-unsubscribe";

    /// <summary>The most SMTP connections open at once per recipient domain in this process (default 2); a message over it is deferred.</summary>
    public int MaxConnectionsPerDomain { get; set; } = 2;

    /// <summary>Per-domain rate limits shared by every host through the state store (none by default); a message over a limit is deferred.</summary>
    public IList<EmailDomainRateLimit> DomainRateLimits { get; } = [];

    /// <summary>The wait given with a 4xx answer (default 5 minutes).</summary>
    public TimeSpan TemporaryFailureRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait of a message deferred because its domain's connections are busy (default 30 seconds).</summary>
    public TimeSpan ConnectionBusyRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The SMTP command timeout (default 60 seconds).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Messages per send call, sent over one connection per domain (default 20).</summary>
    public int MaxBatchSize { get; set; } = 20;

    /// <summary>The domain of the stable Message-ID in force.</summary>
    internal string EffectiveMessageIdDomain => !string.IsNullOrWhiteSpace(MessageIdDomain) ? MessageIdDomain! : FromAddress[(FromAddress.LastIndexOf('@') + 1)..];

    /// <summary>Whether DKIM signing is configured.</summary>
    internal bool SignsDkim => !string.IsNullOrWhiteSpace(DkimPrivateKeyPem);

    /// <summary>Returns what is wrong with the settings (empty when valid).</summary>
    public IEnumerable<string> GetValidationErrors()
    {
        if (string.IsNullOrWhiteSpace(ChannelName))
        {
            yield return $"{nameof(ChannelName)} is required.";
        }
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return $"{nameof(Host)} is required.";
        }
        if (Port is < 1 or > 65535)
        {
            yield return $"{nameof(Port)} must be between 1 and 65535.";
        }
        if (!MimeKit.MailboxAddress.TryParse(FromAddress ?? "", out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            yield return $"{nameof(FromAddress)} must be an email address.";
        }
        if (!string.IsNullOrEmpty(UserName) && string.IsNullOrEmpty(Password))
        {
            yield return $"{nameof(Password)} is required with {nameof(UserName)}.";
        }
        if (SignsDkim && (string.IsNullOrWhiteSpace(DkimDomain) || string.IsNullOrWhiteSpace(DkimSelector)))
        {
            yield return $"{nameof(DkimDomain)} and {nameof(DkimSelector)} are required with {nameof(DkimPrivateKeyPem)}.";
        }
        if (RequireOneClickUnsubscribe)
        {
            if (UnsubscribeBaseUri is null || !UnsubscribeBaseUri.IsAbsoluteUri || (UnsubscribeBaseUri.Scheme != Uri.UriSchemeHttps && !UnsubscribeBaseUri.IsLoopback))
            {
                yield return $"{nameof(UnsubscribeBaseUri)} must be an absolute HTTPS address while {nameof(RequireOneClickUnsubscribe)} is on (RFC 8058).";
            }
        }
        if (UnsubscribeBaseUri is not null && (UnsubscribeSecret ?? "").Length < 32)
        {
            yield return $"{nameof(UnsubscribeSecret)} must be at least 32 characters.";
        }
        if (UnsubscribeLinkLifetime < TimeSpan.FromDays(1))
        {
            yield return $"{nameof(UnsubscribeLinkLifetime)} must be at least one day.";
        }
        if (UnsubscribeMailto is not null && !MimeKit.MailboxAddress.TryParse(UnsubscribeMailto, out _))
        {
            yield return $"{nameof(UnsubscribeMailto)} must be an email address.";
        }
        if (string.IsNullOrWhiteSpace(UnsubscribeHandlerName) || UnsubscribeHandlerName.Length > 64 || !UnsubscribeHandlerName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            yield return $"{nameof(UnsubscribeHandlerName)} is 1-64 lower-case letters, digits, '-' or '_'.";
        }
        if (MaxConnectionsPerDomain is < 1 or > 100)
        {
            yield return $"{nameof(MaxConnectionsPerDomain)} must be between 1 and 100.";
        }
        foreach (var limit in DomainRateLimits)
        {
            if (limit is null || string.IsNullOrWhiteSpace(limit.Domain) || limit.Window < TimeSpan.FromSeconds(1) || limit.Window > TimeSpan.FromDays(1) || limit.MaxMessages < 1)
            {
                yield return $"{nameof(DomainRateLimits)}: every limit names a domain (or '*'), a window of 1 second to 1 day and at least one message.";
            }
        }
        if (TemporaryFailureRetryAfter <= TimeSpan.Zero || ConnectionBusyRetryAfter <= TimeSpan.Zero)
        {
            yield return $"{nameof(TemporaryFailureRetryAfter)} and {nameof(ConnectionBusyRetryAfter)} must be positive.";
        }
        if (Timeout < TimeSpan.FromSeconds(1))
        {
            yield return $"{nameof(Timeout)} must be at least one second.";
        }
        if (MaxBatchSize is < 1 or > 500)
        {
            yield return $"{nameof(MaxBatchSize)} must be between 1 and 500.";
        }
        foreach (var (key, template) in Templates)
        {
            if (template is null || string.IsNullOrWhiteSpace(template.Subject) || string.IsNullOrWhiteSpace(template.Text))
            {
                yield return $"{nameof(Templates)}: template '{key}' needs a subject and a text part.";
            }
        }
    }

    /// <summary>Describes the options without the secrets.</summary>
    public override string ToString() =>
        $"EmailOptions {{ ChannelName = {ChannelName}, Host = {Host}, Port = {Port}, Security = {Security}, UserName = {UserName ?? "(none)"}, Password = {(string.IsNullOrEmpty(Password) ? "(none)" : "***")}, DkimDomain = {DkimDomain ?? "(none)"}, DkimSelector = {DkimSelector ?? "(none)"}, DkimPrivateKeyPem = {(SignsDkim ? "***" : "(none)")}, UnsubscribeSecret = {(string.IsNullOrEmpty(UnsubscribeSecret) ? "(none)" : "***")}, Templates = {Templates.Count} }}";
}

/// <summary>Checks <see cref="EmailOptions"/> on start.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetValidationErrors().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
