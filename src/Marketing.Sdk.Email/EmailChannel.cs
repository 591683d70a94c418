using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Marketing.Sdk.Email;

/// <summary>
/// The email <see cref="IMessageChannel"/> over SMTP (addressed by <see cref="IdentityKind.Email"/>), with MailKit.
/// Each message is one SMTP transaction: text and HTML parts from the template (<see cref="EmailOptions.Templates"/>),
/// a stable <c>Message-ID</c> derived from the SDK's message id, <c>List-Unsubscribe</c> with the one-click link
/// (RFC 8058) on marketing messages, and a DKIM signature (RFC 6376). Before a message goes out the send ledger is
/// consulted so a retried message never reaches the mailbox twice, and the per-domain connection and rate limits are
/// taken (over a limit: a deferral). The relay's answer maps to the outcome: 250 accepted, 4xx retry later, 5xx
/// permanent, with the reply and enhanced status code kept (<c>smtp_550_5.1.1</c>) and the server's text (which often
/// names the address) dropped. An attempt whose answer was lost after the message data went out is never sent again
/// (<see cref="UnconfirmedCode"/>): SMTP offers no way to ask whether the relay took it.
/// </summary>
public sealed partial class EmailChannel : IMessageChannel
{
    /// <summary>The code of a recipient that is not an email address.</summary>
    public const string InvalidAddressCode = "invalid_email";

    /// <summary>The code of a template without content in <see cref="EmailOptions.Templates"/>.</summary>
    public const string TemplateMissingCode = "template_content_missing";

    /// <summary>The code of a marketing message that would go out without the one-click unsubscribe link.</summary>
    public const string UnsubscribeMissingCode = "unsubscribe_link_missing";

    /// <summary>The code of a message whose earlier attempt may have reached the relay and cannot be confirmed: never sent again.</summary>
    public const string UnconfirmedCode = "unconfirmed_send";

    /// <summary>The code of a message over a per-domain rate limit (a deferral with the wait).</summary>
    public const string DomainRateCode = "domain_rate";

    /// <summary>The code of a message whose domain has all its connections busy (a deferral).</summary>
    public const string DomainConnectionsCode = "domain_connections";

    /// <summary>The code of a message that did not go out because the relay could not be reached or the connection broke before the message data (retryable).</summary>
    public const string ConnectionCode = "smtp_connection";

    /// <summary>The code of a message that did not go out because the relay refused the credentials (retryable: an operator must fix them).</summary>
    public const string AuthenticationCode = "smtp_auth";

    private readonly EmailOptions _options;
    private readonly EmailComposer _composer;
    private readonly EmailSendLedger _ledger;
    private readonly EmailDomainLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EmailMetrics _metrics;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _connections = new(StringComparer.Ordinal);

    /// <summary>Creates the channel.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="store">The shared state store (send ledger and per-domain limits).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Email</c> meter.</param>
    /// <param name="logger">The logger.</param>
    public EmailChannel(EmailOptions options, IStateStore store, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<EmailChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _composer = new EmailComposer(options, _time);
        _ledger = new EmailSendLedger(store, _time);
        _limiter = new EmailDomainLimiter(store, _time);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _metrics = new EmailMetrics(meterFactory);
        Name = Channel.Create(options.ChannelName);
    }

    /// <inheritdoc />
    public Channel Name { get; }

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts | (MaxBatchSize > 1 ? MessageChannelCapabilities.Batching : MessageChannelCapabilities.None);

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules { get; } = new() { MaxParameters = 50, MaxParameterLength = 4000, AllowLineBreaks = true };

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.Email];

    /// <inheritdoc />
    public int MaxBatchSize => _options.MaxBatchSize;

    /// <summary>The stable Message-ID (without angle brackets) a message goes out with: its provider message id.</summary>
    /// <param name="messageId">The SDK's message id.</param>
    public string ProviderMessageIdOf(string messageId) => _composer.MessageIdOf(messageId);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new RecipientResult?[messages.Count];
        var ready = new List<Outgoing>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var (refusal, outgoing) = await PrepareAsync(i, messages[i], cancellationToken).ConfigureAwait(false);
            if (outgoing is not null)
            {
                ready.Add(outgoing);
            }
            else
            {
                results[i] = refusal;
            }
        }
        foreach (var group in ready.GroupBy(o => o.Domain, StringComparer.Ordinal))
        {
            var gate = _connections.GetOrAdd(group.Key, _ => new SemaphoreSlim(_options.MaxConnectionsPerDomain, _options.MaxConnectionsPerDomain));
            if (!gate.Wait(0, CancellationToken.None))
            {
                foreach (var o in group)
                {
                    results[o.Index] = Defer(o.Index, DomainConnectionsCode, _options.ConnectionBusyRetryAfter);
                }
                continue;
            }
            try
            {
                await SendGroupAsync(group.Key, [.. group], results, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
        var sent = results.Count(r => r?.Outcome == RecipientOutcome.Accepted);
        LogSent(_logger, messages.Count, sent);
        return [.. results.Select((r, i) => r ?? RecipientResult.Transient(i, ConnectionCode))];
    }

    private async ValueTask<(RecipientResult? Refusal, Outgoing? Ready)> PrepareAsync(int index, PreparedMessage message, CancellationToken cancellationToken)
    {
        if (message.Recipient.Kind != IdentityKind.Email || !MailboxAddress.TryParse(message.Recipient.Value, out var mailbox)
            || mailbox.Domain is not { Length: > 0 } domain || mailbox.LocalPart is not { Length: > 0 })
        {
            return (Reject(index, InvalidAddressCode, permanent: true), null);
        }
        if (_composer.ContentOf(message.Template) is not { } content)
        {
            return (Reject(index, TemplateMissingCode, permanent: true), null);
        }
        if (message.Purpose == MessagePurpose.Marketing && _options.RequireOneClickUnsubscribe && !_composer.CanUnsubscribe)
        {
            return (Reject(index, UnsubscribeMissingCode, permanent: true), null);
        }
        var previous = await _ledger.GetAsync(message.MessageId, cancellationToken).ConfigureAwait(false);
        if (previous is { State: EmailLedgerState.Sent })
        {
            return (new RecipientResult(index, RecipientOutcome.Duplicate, previous.ProviderMessageId), null);
        }
        if (previous is { State: EmailLedgerState.Pending })
        {
            // An earlier attempt started and its answer is unknown: the relay may have the message. Never again.
            _metrics.Unconfirmed.Add(1);
            LogUnconfirmed(_logger, message.MessageId);
            return (Reject(index, UnconfirmedCode, permanent: true), null);
        }
        return (null, new Outgoing(index, message, new MailboxAddress(null, mailbox.Address), domain.ToLowerInvariant(), content));
    }

    private async Task SendGroupAsync(string domain, List<Outgoing> group, RecipientResult?[] results, CancellationToken cancellationToken)
    {
        var limits = LimitsFor(domain);
        SmtpClient? client = null;
        string? connectFailure = null;
        try
        {
            foreach (var o in group)
            {
                if (connectFailure is not null)
                {
                    results[o.Index] = Reject(o.Index, connectFailure, permanent: false);
                    continue;
                }
                var reservedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
                if (await _limiter.TryReserveAsync(domain, limits, cancellationToken).ConfigureAwait(false) is { } wait)
                {
                    results[o.Index] = Defer(o.Index, DomainRateCode, wait);
                    continue;
                }
                if (client is null)
                {
                    try
                    {
                        client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsConnectionFault(ex, cancellationToken) || ex is SmtpCommandException)
                    {
                        await _limiter.ReleaseAsync(domain, limits, reservedAt).ConfigureAwait(false);
                        connectFailure = ex is SmtpCommandException command ? CodeOf(command) : ex is AuthenticationException ? AuthenticationCode : ConnectionCode;
                        LogConnectFailed(_logger, ex.GetType().Name, connectFailure);
                        results[o.Index] = Reject(o.Index, connectFailure, permanent: false);
                        continue;
                    }
                }
                var providerMessageId = _composer.MessageIdOf(o.Message.MessageId);
                var tag = EmailSendLedger.Tag(o.Recipient.Address);
                var mime = _composer.Compose(o.Message, o.Recipient, o.Content);
                await _ledger.SetAsync(o.Message.MessageId, EmailLedgerState.Pending, providerMessageId, tag, cancellationToken).ConfigureAwait(false);
                var progress = new DataProgress();
                try
                {
                    await client.SendAsync(mime, cancellationToken, progress).ConfigureAwait(false);
                }
                catch (SmtpCommandException ex)
                {
                    // A reply to a command (MAIL, RCPT or the end of DATA): the relay did not take the message.
                    await UndoAsync(o, domain, limits, reservedAt).ConfigureAwait(false);
                    var code = CodeOf(ex);
                    var permanent = (int)ex.StatusCode >= 500;
                    LogRefused(_logger, o.Message.MessageId, code);
                    results[o.Index] = permanent ? Reject(o.Index, code, permanent: true) : Reject(o.Index, code, permanent: false, _options.TemporaryFailureRetryAfter);
                    if (!client.IsConnected)
                    {
                        client.Dispose();
                        client = null;
                    }
                    continue;
                }
                catch (Exception ex) when (IsConnectionFault(ex, cancellationToken) || ex is OperationCanceledException)
                {
                    client.Dispose();
                    client = null;
                    if (progress.DataStarted)
                    {
                        // The message data went out and no answer came: the relay may have taken it. The ledger entry
                        // stays pending, so no later attempt sends it again.
                        _metrics.Unconfirmed.Add(1);
                        LogUnconfirmed(_logger, o.Message.MessageId);
                        if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                        {
                            throw;
                        }
                        results[o.Index] = Reject(o.Index, UnconfirmedCode, permanent: true);
                        continue;
                    }
                    await UndoAsync(o, domain, limits, reservedAt).ConfigureAwait(false);
                    if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
                    LogConnectFailed(_logger, ex.GetType().Name, ConnectionCode);
                    results[o.Index] = Reject(o.Index, ConnectionCode, permanent: false);
                    continue;
                }
                await _ledger.SetAsync(o.Message.MessageId, EmailLedgerState.Sent, providerMessageId, tag, CancellationToken.None).ConfigureAwait(false);
                _metrics.Sent.Add(1);
                results[o.Index] = RecipientResult.Accepted(o.Index, providerMessageId);
            }
        }
        finally
        {
            if (client is not null)
            {
                try
                {
                    if (client.IsConnected)
                    {
                        await client.DisconnectAsync(true, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (IsConnectionFault(ex, CancellationToken.None) || ex is SmtpCommandException)
                {
                    // the messages are sent; a failed QUIT changes nothing
                }
                client.Dispose();
            }
        }
    }

    private async Task<SmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new SmtpClient
        {
            Timeout = (int)_options.Timeout.TotalMilliseconds,
            LocalDomain = _options.EffectiveMessageIdDomain,
        };
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(_options.UserName))
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async Task UndoAsync(Outgoing o, string domain, IReadOnlyList<EmailDomainRateLimit> limits, long reservedAt)
    {
        await _ledger.RemoveAsync(o.Message.MessageId).ConfigureAwait(false);
        await _limiter.ReleaseAsync(domain, limits, reservedAt).ConfigureAwait(false);
    }

    private List<EmailDomainRateLimit> LimitsFor(string domain)
    {
        var own = _options.DomainRateLimits.Where(l => string.Equals(l.Domain, domain, StringComparison.OrdinalIgnoreCase)).ToList();
        return own.Count > 0 ? own : [.. _options.DomainRateLimits.Where(l => l.Domain == "*")];
    }

    private static bool IsConnectionFault(Exception ex, CancellationToken cancellationToken) =>
        ex is IOException or SocketException or SmtpProtocolException or SslHandshakeException or TimeoutException or AuthenticationException or ServiceNotConnectedException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// The stored code of an SMTP refusal: the reply code and, when the server gives one, the enhanced status code
    /// (RFC 3463), e.g. <c>smtp_550_5.1.1</c>. The server's text is dropped: it often names the address.
    /// </summary>
    /// <param name="exception">The refusal.</param>
    public static string CodeOf(SmtpCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reply = ((int)exception.StatusCode).ToString(CultureInfo.InvariantCulture);
        var enhanced = EnhancedStatus().Match(exception.Message ?? "");
        return "smtp_" + reply + (enhanced.Success ? "_" + enhanced.Groups[1].Value : "");
    }

    private RecipientResult Reject(int index, string code, bool permanent, TimeSpan? retryAfter = null)
    {
        _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("marketing.email.class", permanent ? "permanent" : "transient"), new KeyValuePair<string, object?>("marketing.email.code", code));
        return permanent ? RecipientResult.Permanent(index, code) : RecipientResult.Transient(index, code, retryAfter);
    }

    private RecipientResult Defer(int index, string code, TimeSpan wait)
    {
        _metrics.Deferred.Add(1, new KeyValuePair<string, object?>("marketing.email.reason", code));
        return RecipientResult.Deferred(index, code, wait);
    }

    [GeneratedRegex(@"^\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![0-9.])")]
    private static partial Regex EnhancedStatus();

    [LoggerMessage(EventId = 5700, Level = LogLevel.Debug, Message = "Email send call: {Messages} messages, {Sent} accepted by the relay")]
    private static partial void LogSent(ILogger logger, int messages, int sent);

    [LoggerMessage(EventId = 5701, Level = LogLevel.Information, Message = "The SMTP relay refused message {MessageId}: {Code}")]
    private static partial void LogRefused(ILogger logger, string messageId, string code);

    [LoggerMessage(EventId = 5702, Level = LogLevel.Warning, Message = "Message {MessageId}: the message data went out and the relay's answer was lost; it is not sent again")]
    private static partial void LogUnconfirmed(ILogger logger, string messageId);

    [LoggerMessage(EventId = 5703, Level = LogLevel.Warning, Message = "The SMTP relay could not be used ({ExceptionType}): {Code}")]
    private static partial void LogConnectFailed(ILogger logger, string exceptionType, string code);

    private sealed record Outgoing(int Index, PreparedMessage Message, MailboxAddress Recipient, string Domain, EmailTemplateContent Content);

    /// <summary>Tells whether any of the message data was handed to the connection.</summary>
    private sealed class DataProgress : ITransferProgress
    {
        private int _started;

        public bool DataStarted => Volatile.Read(ref _started) != 0;

        public void Report(long bytesTransferred, long totalSize) => Report(bytesTransferred);

        public void Report(long bytesTransferred)
        {
            if (bytesTransferred > 0)
            {
                Volatile.Write(ref _started, 1);
            }
        }
    }
}

/// <summary>The instruments of the <c>Marketing.Sdk.Email</c> meter.</summary>
internal sealed class EmailMetrics
{
    public const string MeterName = "Marketing.Sdk.Email";

    public EmailMetrics(IMeterFactory? factory)
    {
        var meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Sent = meter.CreateCounter<long>("marketing.email.sent", description: "Messages the SMTP relay accepted.");
        Rejected = meter.CreateCounter<long>("marketing.email.rejected", description: "Messages refused, by class (transient, permanent) and code.");
        Deferred = meter.CreateCounter<long>("marketing.email.deferred", description: "Messages held by a per-domain connection or rate limit.");
        Unconfirmed = meter.CreateCounter<long>("marketing.email.unconfirmed", description: "Messages whose relay answer was lost after the data went out (never sent again).");
        Feedback = meter.CreateCounter<long>("marketing.email.feedback", description: "Bounce and complaint reports processed, by kind and outcome.");
        Unsubscribes = meter.CreateCounter<long>("marketing.email.unsubscribes", description: "One-click unsubscribe requests, by outcome.");
    }

    public Counter<long> Sent { get; }
    public Counter<long> Rejected { get; }
    public Counter<long> Deferred { get; }
    public Counter<long> Unconfirmed { get; }
    public Counter<long> Feedback { get; }
    public Counter<long> Unsubscribes { get; }
}
