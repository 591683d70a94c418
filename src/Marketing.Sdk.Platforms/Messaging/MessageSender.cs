using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.Messaging;

/// <summary>A parameter a template takes.</summary>
public sealed record MessageTemplateParameter
{
    /// <summary>The parameter's name (ASCII letters, digits, '_', '.' or '-').</summary>
    public required string Name { get; init; }

    /// <summary>Whether a message without it is refused (default true).</summary>
    public bool Required { get; init; } = true;

    /// <summary>Longest value in characters, tighter than the channel's limit, or <see langword="null"/> for the channel's.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The profile trait that fills the parameter when the request does not set it (e.g. <c>first_name</c>), or <see langword="null"/>.</summary>
    public string? ProfileTrait { get; init; }
}

/// <summary>A registered message template of one channel.</summary>
public sealed record MessageTemplate
{
    /// <summary>The template's id in the SDK (requests and journey steps name it): 1–64 ASCII letters, digits, '_', '.' or '-'.</summary>
    public required string Id { get; init; }

    /// <summary>The channel it belongs to.</summary>
    public required Channel Channel { get; init; }

    /// <summary>The provider's id of the template (the OA's <c>template_id</c>, an SMS template code), or <see langword="null"/> for channels without provider templates.</summary>
    public string? ProviderTemplateId { get; init; }

    /// <summary>The parameters; a request may carry no others.</summary>
    public IReadOnlyList<MessageTemplateParameter> Parameters { get; init; } = [];

    /// <summary>The purpose a request without one gets (default marketing).</summary>
    public MessagePurpose DefaultPurpose { get; init; } = MessagePurpose.Marketing;
}

/// <summary>The templates messages may be sent from, per channel.</summary>
public interface IMessageTemplateRegistry
{
    /// <summary>Registers (or replaces) a template after checking it against the channel's rules.</summary>
    /// <param name="messageTemplate">The template.</param>
    /// <exception cref="MarketingValidationException">The template is malformed or breaks the channel's rules.</exception>
    void Register(MessageTemplate messageTemplate);

    /// <summary>Finds a template, or <see langword="null"/>.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="templateId">The template id.</param>
    MessageTemplate? Find(Channel channel, string templateId);

    /// <summary>Every registered template.</summary>
    IReadOnlyList<MessageTemplate> All { get; }
}

/// <summary>A message to send to a customer.</summary>
public sealed record MessageRequest
{
    /// <summary>The customer.</summary>
    [PseudonymousData]
    public required CustomerId CustomerId { get; init; }

    /// <summary>The channel (a registered <see cref="IMessageChannel.Name"/>).</summary>
    public required Channel Channel { get; init; }

    /// <summary>The registered template's id.</summary>
    public required string TemplateId { get; init; }

    /// <summary>Parameter values; parameters left out are filled from the profile trait the template names.</summary>
    [PersonalData]
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Marketing or transactional; the template's <see cref="MessageTemplate.DefaultPurpose"/> when <see langword="null"/>.</summary>
    public MessagePurpose? Purpose { get; init; }

    /// <summary>
    /// The caller's key for this message (an order id and notice kind, a journey action's key): every send
    /// with the same customer and key after the first returns the first one's result and never reaches the
    /// customer again. 1–200 characters.
    /// </summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>
    /// Whether the sender may hold the message when quiet hours or a frequency cap stop it now (journeys do):
    /// it is then stored and delivered when allowed (<see cref="MessageSendStatus.Deferred"/>). When
    /// <see langword="false"/> (default) such a message is <see cref="MessageSendStatus.Suppressed"/>.
    /// </summary>
    public bool AllowDeferral { get; init; }

    /// <summary>Describes the request without parameter values.</summary>
    public override string ToString() => $"MessageRequest {{ CustomerId = {CustomerId}, Channel = {Channel}, TemplateId = {TemplateId}, Parameters = {Parameters.Count} }}";
}

/// <summary>Where a message stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageSendStatus>))]
public enum MessageSendStatus
{
    /// <summary>Stored in the outbox and due now; the channel's answer comes back as <c>message_sent</c> or <c>message_failed</c>.</summary>
    Sent = 0,
    /// <summary>Stored in the outbox and due at <see cref="MessageSendResult.DeferredUntil"/> (quiet hours, a cap).</summary>
    Deferred,
    /// <summary>Not sent and never will be (<see cref="MessageSendResult.Reason"/>).</summary>
    Suppressed,
    /// <summary>The channel refused it for good, or every delivery attempt failed.</summary>
    Failed,
}

/// <summary>Why a message was not sent (now).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageSkipReason>))]
public enum MessageSkipReason
{
    /// <summary>Marketing consent for the channel is missing or withdrawn.</summary>
    NoConsent = 1,
    /// <summary>The customer unsubscribed from the channel (marketing only).</summary>
    Unsubscribed,
    /// <summary>The customer blocked the sender.</summary>
    Blocked,
    /// <summary>The address bounced.</summary>
    Bounced,
    /// <summary>The customer complained (marked as spam).</summary>
    Complained,
    /// <summary>A frequency cap is reached.</summary>
    FrequencyCap,
    /// <summary>It is quiet hours in the customer's time zone.</summary>
    QuietHours,
    /// <summary>The profile has no address for the channel.</summary>
    NoAddress,
}

/// <summary>What a send did.</summary>
/// <param name="Status">Sent, deferred, suppressed or failed.</param>
/// <param name="MessageId">The SDK's message id (derived from the customer and idempotency key).</param>
/// <param name="Reason">Why it was deferred or suppressed.</param>
/// <param name="DeferredUntil">When a deferred message is due.</param>
/// <param name="ErrorCode">For failures: error class and platform code (never free text).</param>
public sealed record MessageSendResult(MessageSendStatus Status, string MessageId, MessageSkipReason? Reason = null, DateTimeOffset? DeferredUntil = null, string? ErrorCode = null);

/// <summary>
/// Sends messages to customers (what hosts and journeys call). In order: the template and its parameters
/// are validated; marketing messages need consent for the channel; the suppression list is honoured; marketing
/// messages respect the frequency caps and the customer's quiet hours (deferred when the caller allows it);
/// then the message is stored in the durable outbox under its idempotency key and delivered by the
/// channel, with retries and dead letters.
/// </summary>
public interface IMessageSender
{
    /// <summary>Sends (or holds, or suppresses) one message; a repeated idempotency key returns the first send's result.</summary>
    /// <param name="request">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MarketingValidationException">Unknown channel or template, or a parameter breaks a rule (the field and reason are named, never the value).</exception>
    ValueTask<MessageSendResult> SendAsync(MessageRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Why a customer is on the suppression list.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SuppressionReason>))]
public enum SuppressionReason
{
    /// <summary>Unsubscribed: blocks marketing messages only.</summary>
    Unsubscribed = 1,
    /// <summary>Blocked the sender: blocks every message.</summary>
    Blocked,
    /// <summary>The address bounced: blocks every message.</summary>
    Bounced,
    /// <summary>Complained: blocks every message.</summary>
    Complained,
}

/// <summary>One suppression of a customer on a channel (or on every channel).</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Channel">The channel, or <see langword="null"/> for every channel.</param>
/// <param name="Reason">Why.</param>
/// <param name="Since">When it was added.</param>
public sealed record SuppressionEntry([property: PseudonymousData] CustomerId CustomerId, Channel? Channel, SuppressionReason Reason, DateTimeOffset Since);

/// <summary>The durable suppression list (shared by every host over the state store).</summary>
public interface ISuppressionList
{
    /// <summary>Adds (or replaces) a suppression.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="channel">The channel, or <see langword="null"/> for every channel.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<SuppressionEntry> AddAsync(CustomerId customerId, Channel? channel, SuppressionReason reason, CancellationToken cancellationToken = default);

    /// <summary>Removes a suppression; returns whether there was one.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="channel">The channel, or <see langword="null"/> for the every-channel entry.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> RemoveAsync(CustomerId customerId, Channel? channel, CancellationToken cancellationToken = default);

    /// <summary>The customer's suppressions.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<SuppressionEntry>> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>The suppression that stops a message of <paramref name="purpose"/> to the customer on the channel, or <see langword="null"/>.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="purpose">The message's purpose (an unsubscribe stops marketing only).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<SuppressionEntry?> FindBlockingAsync(CustomerId customerId, Channel channel, MessagePurpose purpose, CancellationToken cancellationToken = default);
}

/// <summary>A status a provider reports for a message it accepted.</summary>
public enum ProviderMessageStatus
{
    /// <summary>Delivered to the device or mailbox (<c>message_delivered</c>).</summary>
    Delivered = 1,
    /// <summary>Not delivered (<c>message_failed</c>).</summary>
    Failed,
    /// <summary>Opened or read (<c>message_open</c>).</summary>
    Opened,
    /// <summary>A link was clicked (<c>message_click</c>).</summary>
    Clicked,
    /// <summary>Bounced (<c>message_failed</c>; the customer is suppressed on the channel).</summary>
    Bounced,
    /// <summary>Complained (the customer is suppressed on every channel).</summary>
    Complained,
    /// <summary>Unsubscribed through the provider (the customer is suppressed on the channel for marketing).</summary>
    Unsubscribed,
}

/// <summary>Where channels and callback endpoints report what became of a sent message.</summary>
public interface IMessageStatusReporter
{
    /// <summary>
    /// Records a provider's status for a message it accepted, found by the provider's message id, as an event
    /// (<c>message_delivered</c>, <c>message_failed</c>, <c>message_open</c>, <c>message_click</c>) with the channel,
    /// template and message id as properties; bounces, complaints and unsubscribes also go on the suppression list.
    /// Returns <see langword="false"/> when no sent message has that provider id (unknown or erased).
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="providerMessageId">The provider's message id.</param>
    /// <param name="status">The status.</param>
    /// <param name="occurredAt">When it happened.</param>
    /// <param name="platformCode">The provider's code, for failures (never free text).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> ReportAsync(Channel channel, string providerMessageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? platformCode = null, CancellationToken cancellationToken = default);
}

/// <summary>The event types of messaging.</summary>
public static class MessageEventTypes
{
    /// <summary>The channel's provider accepted the message.</summary>
    public static EventType Sent { get; } = EventType.Create("message_sent");
    /// <summary>The provider delivered it.</summary>
    public static EventType Delivered { get; } = EventType.Create("message_delivered");
    /// <summary>It failed for good (rejected, bounced, or out of attempts).</summary>
    public static EventType Failed { get; } = EventType.Create("message_failed");
    /// <summary>The customer opened it.</summary>
    public static EventType Open => EventType.MessageOpen;
    /// <summary>The customer clicked a link in it.</summary>
    public static EventType Click => EventType.MessageClick;

    /// <summary>The event property naming the channel.</summary>
    public const string ChannelProperty = "channel";
    /// <summary>The event property naming the template.</summary>
    public const string TemplateProperty = "template";
    /// <summary>The event property holding the SDK's message id (<see cref="EventProperties.MessageId"/>).</summary>
    public const string MessageIdProperty = EventProperties.MessageId;
    /// <summary>The event property holding the error class and platform code of a failure.</summary>
    public const string ErrorCodeProperty = "error_code";
}
