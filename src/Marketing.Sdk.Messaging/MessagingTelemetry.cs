using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using Marketing.Sdk.Platforms.Messaging;

namespace Marketing.Sdk.Messaging;

/// <summary>The meter of messaging, named <c>Marketing.Sdk.Messaging</c>; tags carry channel, reason and error codes — never personal data.</summary>
public static class MessagingTelemetry
{
    /// <summary>The meter name.</summary>
    public const string Name = "Marketing.Sdk.Messaging";
}

/// <summary>The counters, on a meter from the host's <see cref="IMeterFactory"/> (a meter of its own when there is none).</summary>
internal sealed class MessagingMetrics
{
    public MessagingMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MessagingTelemetry.Name) ?? new Meter(MessagingTelemetry.Name);
        Sent = meter.CreateCounter<long>("marketing.messaging.sent", "{message}", "Messages stored for delivery now, per channel.");
        Deferred = meter.CreateCounter<long>("marketing.messaging.deferred", "{message}", "Messages held for later, per channel and reason.");
        Suppressed = meter.CreateCounter<long>("marketing.messaging.suppressed", "{message}", "Messages not sent, per channel and reason.");
        Failed = meter.CreateCounter<long>("marketing.messaging.failed", "{message}", "Messages given up on, per channel and error.");
        Delivered = meter.CreateCounter<long>("marketing.messaging.accepted", "{message}", "Messages a channel's provider accepted, per channel.");
        Retried = meter.CreateCounter<long>("marketing.messaging.retried", "{message}", "Delivery attempts scheduled again, per channel.");
    }

    public Counter<long> Sent { get; }
    public Counter<long> Deferred { get; }
    public Counter<long> Suppressed { get; }
    public Counter<long> Failed { get; }
    public Counter<long> Delivered { get; }
    public Counter<long> Retried { get; }
}

/// <summary>The idempotency ledger entry of one send (scope <c>messaging.sends</c>, key <c>customer|idempotency key</c>).</summary>
internal sealed record SendRecord(string MessageId, string Channel, string TemplateId, MessageSendStatus Status, MessageSkipReason? Reason, DateTimeOffset? DeferredUntil, string? ErrorCode, bool Enqueued, DateTimeOffset At, string? ProviderMessageId = null, int Deferrals = 0)
{
    public MessageSendResult ToResult() => new(Status, MessageId, Reason, Status == MessageSendStatus.Deferred ? DeferredUntil : null, ErrorCode);
}

/// <summary>One marketing message counted against the caps.</summary>
internal sealed record ContactEntry(string MessageId, string Channel, DateTimeOffset At, bool Sent = false);

/// <summary>A customer's contacts in the longest cap window (scope <c>messaging.contacts</c>, key <c>customer|</c>).</summary>
internal sealed record ContactLedger(List<ContactEntry> Entries);

/// <summary>The outbox payload of a message.</summary>
internal sealed record StoredMessage(string MessageId, string CustomerId, string Channel, string TemplateId, Dictionary<string, string> Parameters, MessagePurpose Purpose, string IdempotencyKey);

/// <summary>A provider's message id linked to the SDK's message (scope <c>messaging.provider</c>, key <c>channel|provider id</c>).</summary>
internal sealed record ProviderLink(string MessageId, string CustomerId, string TemplateId, string IdempotencyKey);

/// <summary>A stored suppression (scope <c>messaging.suppression</c>, key <c>customer|channel</c>, <c>*</c> for every channel).</summary>
internal sealed record StoredSuppression(SuppressionReason Reason, DateTimeOffset Since);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SendRecord))]
[JsonSerializable(typeof(ContactLedger))]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(ProviderLink))]
[JsonSerializable(typeof(StoredSuppression))]
internal sealed partial class MessagingJsonContext : JsonSerializerContext;
