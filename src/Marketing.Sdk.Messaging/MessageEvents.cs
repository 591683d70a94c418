using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Messaging;

/// <summary>
/// Records message status as events through <see cref="IEventCollector"/>, resolved when the first event is
/// recorded (the journey engine is an event listener and its handlers send messages: a constructor dependency
/// would be a cycle). Properties: channel, template and message id — never personal data.
/// </summary>
internal sealed partial class MessageEventRecorder(IServiceProvider services, TimeProvider timeProvider, ILogger<MessageEventRecorder>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async ValueTask RecordAsync(EventType type, string discriminator, CustomerId customer, Channel channel, string templateId, string messageId, DateTimeOffset? occurredAt = null, string? errorCode = null, CancellationToken cancellationToken = default)
    {
        var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal)
        {
            [MessageEventTypes.ChannelProperty] = channel.Value,
            [MessageEventTypes.TemplateProperty] = templateId,
            [MessageEventTypes.MessageIdProperty] = messageId,
        };
        if (errorCode is not null)
        {
            properties[MessageEventTypes.ErrorCodeProperty] = errorCode;
        }
        var e = new MarketingEvent
        {
            Id = $"msg:{messageId}:{discriminator}",
            Type = type,
            OccurredAt = occurredAt ?? timeProvider.GetUtcNow(),
            CustomerId = customer,
            Channel = channel,
            Properties = properties,
        };
        try
        {
            await services.GetRequiredService<IEventCollector>().TrackAsync(e, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The message's fate is already stored; a failed event write must not send it again.
            LogEventFailed(_logger, type.Value, messageId, RedactedException.Code(ex));
        }
    }

    [LoggerMessage(EventId = 5420, Level = LogLevel.Warning, Message = "The {EventType} event of message {MessageId} could not be recorded ({ExceptionCode}).")]
    private static partial void LogEventFailed(ILogger logger, string eventType, string messageId, string exceptionCode);
}

/// <summary>The SDK's <see cref="IMessageStatusReporter"/>: provider statuses become events; bounces, complaints and unsubscribes go on the suppression list.</summary>
internal sealed partial class MessageStatusReporter(IStateStore store, ISuppressionList suppressions, MessageEventRecorder events, ILogger<MessageStatusReporter>? logger = null) : IMessageStatusReporter
{
    internal const string ProviderScope = "messaging.provider";
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async ValueTask<bool> ReportAsync(Channel channel, string providerMessageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? platformCode = null, CancellationToken cancellationToken = default)
    {
        if (channel.Value is null)
        {
            throw new MarketingValidationException("channel", ValidationReason.Missing, "A channel is required.");
        }
        if (string.IsNullOrEmpty(providerMessageId) || providerMessageId.Length > 256 || providerMessageId.Any(char.IsControl))
        {
            throw new MarketingValidationException("providerMessageId", ValidationReason.InvalidFormat, "A provider message id is 1-256 characters without control characters.");
        }
        if (!Enum.IsDefined(status))
        {
            throw new MarketingValidationException("status", ValidationReason.OutOfRange, "Not a provider message status.");
        }
        if (platformCode is not null && (platformCode.Length > 64 || !platformCode.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':')))
        {
            throw new MarketingValidationException("platformCode", ValidationReason.InvalidFormat, "A platform code is at most 64 ASCII letters, digits, '_', '-', '.' or ':' (a code, not text).");
        }
        var entry = await store.GetAsync(ProviderScope, channel.Value + "|" + providerMessageId, cancellationToken).ConfigureAwait(false);
        if (entry is null || JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.ProviderLink) is not { } link)
        {
            LogUnknown(_logger, channel.Value, status);
            return false;
        }
        var customer = new CustomerId(link.CustomerId);
        var type = status switch
        {
            ProviderMessageStatus.Delivered => MessageEventTypes.Delivered,
            ProviderMessageStatus.Opened => MessageEventTypes.Open,
            ProviderMessageStatus.Clicked => MessageEventTypes.Click,
            ProviderMessageStatus.Failed or ProviderMessageStatus.Bounced => MessageEventTypes.Failed,
            _ => (EventType?)null,
        };
        switch (status)
        {
            case ProviderMessageStatus.Bounced:
                await suppressions.AddAsync(customer, channel, SuppressionReason.Bounced, cancellationToken).ConfigureAwait(false);
                break;
            case ProviderMessageStatus.Complained:
                await suppressions.AddAsync(customer, null, SuppressionReason.Complained, cancellationToken).ConfigureAwait(false);
                break;
            case ProviderMessageStatus.Unsubscribed:
                await suppressions.AddAsync(customer, channel, SuppressionReason.Unsubscribed, cancellationToken).ConfigureAwait(false);
                break;
        }
        if (type is { } t)
        {
            var discriminator = status.ToString().ToLowerInvariant() + ":" + occurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture);
            var code = status == ProviderMessageStatus.Bounced ? "bounced" + (platformCode is null ? "" : ":" + platformCode) : platformCode;
            await events.RecordAsync(t, discriminator, customer, channel, link.TemplateId, link.MessageId, occurredAt, code, cancellationToken).ConfigureAwait(false);
        }
        LogReported(_logger, channel.Value, link.MessageId, status);
        return true;
    }

    [LoggerMessage(EventId = 5421, Level = LogLevel.Debug, Message = "Message {MessageId} ({Channel}): the provider reports {Status}.")]
    private static partial void LogReported(ILogger logger, string channel, string messageId, ProviderMessageStatus status);

    [LoggerMessage(EventId = 5422, Level = LogLevel.Information, Message = "A {Status} report on {Channel} names no message sent by this SDK (unknown or erased).")]
    private static partial void LogUnknown(ILogger logger, string channel, ProviderMessageStatus status);
}
