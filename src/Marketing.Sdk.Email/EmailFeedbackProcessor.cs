using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using MimeKit.Utils;

namespace Marketing.Sdk.Email;

/// <summary>What a feedback message was.</summary>
public enum EmailFeedbackKind
{
    /// <summary>Neither a delivery status notification nor a feedback report: nothing was done.</summary>
    NotAReport = 0,
    /// <summary>A DSN reporting delivery (or relay) only.</summary>
    Delivered,
    /// <summary>A DSN reporting a delay (the relay still tries): nothing was done.</summary>
    Delayed,
    /// <summary>A DSN reporting a failure with a 4.x.x status: <c>message_failed</c>, no suppression.</summary>
    SoftBounce,
    /// <summary>A DSN reporting a failure with a 5.x.x status: <c>message_failed</c> and a suppression on the channel (bounced).</summary>
    HardBounce,
    /// <summary>An ARF abuse (or fraud, virus, other) report: a suppression on every channel (complained).</summary>
    Complaint,
    /// <summary>An ARF report of another type (e.g. <c>not-spam</c>): nothing was done.</summary>
    Ignored,
}

/// <summary>What processing one feedback message did.</summary>
/// <param name="Kind">What the message was.</param>
/// <param name="Recipients">The recipients it reports on.</param>
/// <param name="Matched">The recipients matched to a sent message or a customer and recorded.</param>
public sealed record EmailFeedbackResult(EmailFeedbackKind Kind, int Recipients, int Matched);

/// <summary>
/// Bounce and complaint intake. The host hands in the reports it receives — read from the bounce mailbox with MailKit's
/// <c>ImapClient</c>, or the raw MIME a provider's webhook carries — and each becomes status reports and suppressions:
/// delivery status notifications (<c>multipart/report; report-type=delivery-status</c>, RFC 3464) and ARF feedback
/// reports (<c>report-type=feedback-report</c>, RFC 5965). The sent message is found by the original
/// <c>Message-ID</c> the report quotes (the channel's stable id), through <see cref="IMessageStatusReporter"/>; a report
/// that quotes none is matched by the recipient address through the identity graph instead. Nothing of the report's
/// content is logged.
/// </summary>
public sealed partial class EmailFeedbackProcessor
{
    private readonly Channel _channel;
    private readonly IMessageStatusReporter? _reporter;
    private readonly ISuppressionList? _suppressions;
    private readonly IIdentityGraphStore? _identities;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EmailMetrics _metrics;

    /// <summary>Creates the processor.</summary>
    /// <param name="options">The channel's settings (its name).</param>
    /// <param name="reporter">Records the status of sent messages (<c>AddMessaging()</c>).</param>
    /// <param name="suppressions">The suppression list (reports that quote no Message-ID).</param>
    /// <param name="identities">Finds the customer of an address (reports that quote no Message-ID).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Email</c> meter.</param>
    /// <param name="logger">The logger.</param>
    public EmailFeedbackProcessor(EmailOptions options, IMessageStatusReporter? reporter, ISuppressionList? suppressions, IIdentityGraphStore? identities,
        TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<EmailFeedbackProcessor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _channel = Channel.Create(options.ChannelName);
        _reporter = reporter;
        _suppressions = suppressions;
        _identities = identities;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _metrics = new EmailMetrics(meterFactory);
    }

    /// <summary>Parses and processes one report from its raw MIME.</summary>
    /// <param name="mime">The message (e.g. from <c>ImapFolder.GetStreamAsync</c> or a webhook body).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<EmailFeedbackResult> ProcessAsync(Stream mime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mime);
        MimeMessage message;
        try
        {
            message = await MimeMessage.LoadAsync(mime, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            LogNotAReport(_logger);
            return new EmailFeedbackResult(EmailFeedbackKind.NotAReport, 0, 0);
        }
        return await ProcessAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Processes one report.</summary>
    /// <param name="message">The message (e.g. from <c>ImapFolder.GetMessageAsync</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<EmailFeedbackResult> ProcessAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var report = Find<MultipartReport>(message.Body);
        var result = report?.ReportType?.ToLowerInvariant() switch
        {
            "delivery-status" when Find<MessageDeliveryStatus>(report) is { } dsn => await DeliveryStatusAsync(message, report, dsn, cancellationToken).ConfigureAwait(false),
            "feedback-report" when Find<MessageFeedbackReport>(report) is { } arf => await ComplaintAsync(message, report, arf, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        if (result is null)
        {
            LogNotAReport(_logger);
            return new EmailFeedbackResult(EmailFeedbackKind.NotAReport, 0, 0);
        }
        _metrics.Feedback.Add(1, new KeyValuePair<string, object?>("marketing.email.feedback", result.Kind.ToString()), new KeyValuePair<string, object?>("marketing.outcome", result.Matched > 0 ? "matched" : "unmatched"));
        LogProcessed(_logger, result.Kind, result.Recipients, result.Matched);
        return result;
    }

    private async ValueTask<EmailFeedbackResult> DeliveryStatusAsync(MimeMessage message, MultipartReport report, MessageDeliveryStatus dsn, CancellationToken cancellationToken)
    {
        var originalId = OriginalMessageId(report);
        var groups = dsn.StatusGroups;
        var perMessage = groups.Count > 0 ? groups[0] : null;
        var occurredAt = ParseDate(perMessage?["Arrival-Date"]) ?? (message.Date != DateTimeOffset.MinValue ? message.Date : _time.GetUtcNow());
        var kind = EmailFeedbackKind.Delivered;
        int recipients = 0, matched = 0;
        for (var i = 1; i < groups.Count; i++)
        {
            var group = groups[i];
            var action = group["Action"]?.Trim().ToLowerInvariant();
            var status = group["Status"]?.Trim();
            if (action is null)
            {
                continue;
            }
            recipients++;
            var code = CodeOf(status, group["Diagnostic-Code"]);
            var (recipientKind, providerStatus) = action switch
            {
                "failed" when status?.StartsWith('5') == true => (EmailFeedbackKind.HardBounce, ProviderMessageStatus.Bounced),
                "failed" => (EmailFeedbackKind.SoftBounce, ProviderMessageStatus.Failed),
                "delayed" => (EmailFeedbackKind.Delayed, (ProviderMessageStatus?)null),
                "delivered" => (EmailFeedbackKind.Delivered, ProviderMessageStatus.Delivered),
                _ => (EmailFeedbackKind.Delivered, (ProviderMessageStatus?)null),
            };
            if (recipientKind > kind)
            {
                kind = recipientKind;
            }
            if (providerStatus is not { } ps)
            {
                continue;
            }
            if (originalId is not null && _reporter is not null
                && await _reporter.ReportAsync(_channel, originalId, ps, occurredAt, ps == ProviderMessageStatus.Delivered ? null : code, cancellationToken).ConfigureAwait(false))
            {
                matched++;
                continue;
            }
            if (ps == ProviderMessageStatus.Bounced && AddressOf(group["Final-Recipient"] ?? group["Original-Recipient"]) is { } address
                && await SuppressAsync(address, _channel, SuppressionReason.Bounced, cancellationToken).ConfigureAwait(false))
            {
                matched++;
            }
        }
        return new EmailFeedbackResult(kind, recipients, matched);
    }

    private async ValueTask<EmailFeedbackResult> ComplaintAsync(MimeMessage message, MultipartReport report, MessageFeedbackReport arf, CancellationToken cancellationToken)
    {
        var type = arf.Fields["Feedback-Type"]?.Trim().ToLowerInvariant();
        if (type is not ("abuse" or "fraud" or "virus" or "other"))
        {
            return new EmailFeedbackResult(EmailFeedbackKind.Ignored, 0, 0);
        }
        var originalId = OriginalMessageId(report);
        var occurredAt = ParseDate(arf.Fields["Arrival-Date"] ?? arf.Fields["Received-Date"]) ?? (message.Date != DateTimeOffset.MinValue ? message.Date : _time.GetUtcNow());
        if (originalId is not null && _reporter is not null
            && await _reporter.ReportAsync(_channel, originalId, ProviderMessageStatus.Complained, occurredAt, "arf_" + type, cancellationToken).ConfigureAwait(false))
        {
            return new EmailFeedbackResult(EmailFeedbackKind.Complaint, 1, 1);
        }
        var address = AddressOf(arf.Fields["Original-Rcpt-To"]) ?? OriginalMessage(report)?.To.Mailboxes.FirstOrDefault()?.Address;
        var suppressed = address is not null && await SuppressAsync(address, null, SuppressionReason.Complained, cancellationToken).ConfigureAwait(false);
        return new EmailFeedbackResult(EmailFeedbackKind.Complaint, 1, suppressed ? 1 : 0);
    }

    private async ValueTask<bool> SuppressAsync(string address, Channel? channel, SuppressionReason reason, CancellationToken cancellationToken)
    {
        if (_identities is null || _suppressions is null)
        {
            return false;
        }
        Identity identity;
        try
        {
            identity = Identity.Email(address);
        }
        catch (MarketingValidationException)
        {
            return false;
        }
        var owners = await _identities.FindAsync([identity], cancellationToken).ConfigureAwait(false);
        if (!owners.TryGetValue(identity, out var customer))
        {
            return false;
        }
        await _suppressions.AddAsync(customer, channel, reason, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The code kept for a failed recipient: <c>smtp_550_5.1.1</c> from the remote server's reply, else <c>dsn_5.1.1</c>.</summary>
    internal static string? CodeOf(string? status, string? diagnostic)
    {
        var enhanced = status is not null && StatusCode().Match(status) is { Success: true } s ? s.Groups[1].Value : null;
        var reply = diagnostic is not null && SmtpDiagnostic().Match(diagnostic) is { Success: true } r ? r.Groups[1].Value : null;
        return reply is not null ? "smtp_" + reply + (enhanced is null ? "" : "_" + enhanced) : enhanced is not null ? "dsn_" + enhanced : null;
    }

    private static string? OriginalMessageId(MultipartReport report) => OriginalMessage(report)?.MessageId is { Length: > 0 and <= 256 } id ? id : null;

    private static MimeMessage? OriginalMessage(MultipartReport report) =>
        report.OfType<MessagePart>().Select(p => p.Message).FirstOrDefault(m => m is not null);

    /// <summary>The address of a DSN recipient field (<c>rfc822; user@example.com</c>).</summary>
    private static string? AddressOf(string? field)
    {
        if (string.IsNullOrWhiteSpace(field))
        {
            return null;
        }
        var semicolon = field.IndexOf(';', StringComparison.Ordinal);
        var value = (semicolon >= 0 ? field[(semicolon + 1)..] : field).Trim().Trim('<', '>');
        return MailboxAddress.TryParse(value, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal) ? mailbox.Address : null;
    }

    private static DateTimeOffset? ParseDate(string? value) => value is not null && DateUtils.TryParse(value.Trim(), out var date) ? date : null;

    private static T? Find<T>(MimeEntity? entity) where T : MimeEntity
    {
        switch (entity)
        {
            case T match:
                return match;
            case Multipart multipart:
                foreach (var child in multipart)
                {
                    if (Find<T>(child) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    [GeneratedRegex(@"^([245]\.[0-9]{1,3}\.[0-9]{1,3})")]
    private static partial Regex StatusCode();

    [GeneratedRegex(@"^\s*smtp\s*;\s*([245][0-9]{2})\b", RegexOptions.IgnoreCase)]
    private static partial Regex SmtpDiagnostic();

    [LoggerMessage(EventId = 5720, Level = LogLevel.Information, Message = "Email feedback processed: {Kind}, {Recipients} recipients, {Matched} matched")]
    private static partial void LogProcessed(ILogger logger, EmailFeedbackKind kind, int recipients, int matched);

    [LoggerMessage(EventId = 5721, Level = LogLevel.Debug, Message = "An email handed in as feedback is neither a delivery status notification nor a feedback report")]
    private static partial void LogNotAReport(ILogger logger);
}
