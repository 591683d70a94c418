using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.Messaging;

/// <summary>Why a message is sent: marketing needs the customer's consent for the channel; transactional does not.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessagePurpose>))]
public enum MessagePurpose
{
    /// <summary>Promotion, recall, coupon, review request: consent, unsubscribes, caps and quiet hours apply.</summary>
    Marketing = 0,
    /// <summary>Order, payment, shipping or account notice the customer asked for: not blocked by a marketing opt-out, not capped, not held by quiet hours.</summary>
    Transactional = 1,
}

/// <summary>What a channel supports.</summary>
[Flags]
public enum MessageChannelCapabilities
{
    /// <summary>Nothing beyond sending.</summary>
    None = 0,
    /// <summary>The provider reports delivery (<c>message_delivered</c> / <c>message_failed</c> after acceptance).</summary>
    DeliveryReceipts = 1,
    /// <summary>The provider reports opens (<c>message_open</c>).</summary>
    OpenTracking = 2,
    /// <summary>The provider reports clicks (<c>message_click</c>).</summary>
    ClickTracking = 4,
    /// <summary>The provider de-duplicates on <see cref="PreparedMessage.MessageId"/> (e.g. the OA's <c>client_msg_id</c>).</summary>
    ProviderDeduplication = 8,
    /// <summary>One call may carry many recipients (see <see cref="IMessageChannel.MaxBatchSize"/>).</summary>
    Batching = 16,
}

/// <summary>
/// The limits a channel puts on template parameters; the sender checks every message against them (and
/// the template's own limits) before anything is stored, and names the field and reason of a violation
/// — never the value.
/// </summary>
public sealed record MessageTemplateRules
{
    /// <summary>Most parameters one message may carry (default 20).</summary>
    public int MaxParameters { get; init; } = 20;

    /// <summary>Longest parameter value in characters (UTF-16 code units; default 1000).</summary>
    public int MaxParameterLength { get; init; } = 1000;

    /// <summary>Longest parameter value in UTF-8 bytes, for providers that count bytes (WeCom text: 4000), or <see langword="null"/>.</summary>
    public int? MaxParameterUtf8Bytes { get; init; }

    /// <summary>Longest parameter name (default 64); names are ASCII letters, digits, '_', '.' or '-'.</summary>
    public int MaxParameterNameLength { get; init; } = 64;

    /// <summary>Whether values may contain line breaks (default true).</summary>
    public bool AllowLineBreaks { get; init; } = true;

    /// <summary>Rules of a channel that says nothing more.</summary>
    public static MessageTemplateRules Default { get; } = new();
}

/// <summary>One message as the channel receives it: validated, consented, not suppressed, within caps, due now.</summary>
public sealed record PreparedMessage
{
    /// <summary>The SDK's message id, stable across retries (derived from the idempotency key); pass it as the provider's de-duplication id where there is one.</summary>
    public required string MessageId { get; init; }

    /// <summary>The customer.</summary>
    [PseudonymousData]
    public required CustomerId CustomerId { get; init; }

    /// <summary>The address the message goes to: the first identity of the profile of one of the channel's <see cref="IMessageChannel.AddressKinds"/>.</summary>
    [PersonalData]
    public required Identity Recipient { get; init; }

    /// <summary>The registered template.</summary>
    public required MessageTemplate Template { get; init; }

    /// <summary>The validated parameter values (from the request and the profile).</summary>
    [PersonalData]
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>Marketing or transactional.</summary>
    public required MessagePurpose Purpose { get; init; }

    /// <summary>1 on the first delivery attempt, higher on retries.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Describes the message without recipient or parameter values.</summary>
    public override string ToString() => $"PreparedMessage {{ MessageId = {MessageId}, CustomerId = {CustomerId}, Template = {Template.Id}, Parameters = {Parameters.Count} }}";
}

/// <summary>How the provider answered for one message.</summary>
public enum RecipientOutcome
{
    /// <summary>The provider accepted it.</summary>
    Accepted = 0,
    /// <summary>The provider already had it (de-duplicated on the message id): counts as accepted.</summary>
    Duplicate,
    /// <summary>The provider refused it; <see cref="RecipientResult.Retryable"/> says whether a later attempt can succeed.</summary>
    Rejected,
    /// <summary>
    /// The channel did not send it because a rule of the provider stops it (e.g. WeCom's four mass messages per
    /// customer per month): reported as suppressed with <see cref="RecipientResult.SkipReason"/>, never retried.
    /// </summary>
    Suppressed,
}

/// <summary>The provider's answer for one message of a <see cref="IMessageChannel.SendAsync"/> call.</summary>
/// <param name="Index">The message's position in the call.</param>
/// <param name="Outcome">Accepted, duplicate or rejected.</param>
/// <param name="ProviderMessageId">The provider's id of the sent message (used to match later status callbacks), if any.</param>
/// <param name="PlatformCode">The provider's error code of a rejection (e.g. <c>43004</c>); stored, so never free text.</param>
/// <param name="Retryable">For rejections: <see langword="true"/> when a later attempt can succeed (throttled, busy), <see langword="false"/> when it never will (invalid recipient, unfollowed).</param>
/// <param name="RetryAfter">The provider's wait hint for a retryable rejection.</param>
public sealed record RecipientResult(int Index, RecipientOutcome Outcome, string? ProviderMessageId = null, string? PlatformCode = null, bool Retryable = false, TimeSpan? RetryAfter = null)
{
    /// <summary>For <see cref="RecipientOutcome.Suppressed"/>: why the channel did not send it.</summary>
    public MessageSkipReason? SkipReason { get; init; }

    /// <summary>
    /// For a retryable rejection: nothing went out because a limit of the provider or of the channel holds the message
    /// until <see cref="RetryAfter"/> (e.g. an SMS number's daily limit). The delivery worker waits that long and does
    /// not count the attempt against its attempt limit (deferrals have a bound of their own).
    /// </summary>
    public bool IsDeferral { get; init; }

    /// <summary>The channel did not send message <paramref name="index"/> because a provider rule stops it.</summary>
    /// <param name="index">The message's position.</param>
    /// <param name="reason">Why (e.g. <see cref="MessageSkipReason.FrequencyCap"/>).</param>
    /// <param name="platformCode">A code naming the rule (e.g. <c>monthly_cap</c>), if any.</param>
    public static RecipientResult Suppressed(int index, MessageSkipReason reason, string? platformCode = null) =>
        new(index, RecipientOutcome.Suppressed, null, platformCode, false) { SkipReason = reason };

    /// <summary>The provider accepted message <paramref name="index"/>.</summary>
    /// <param name="index">The message's position.</param>
    /// <param name="providerMessageId">The provider's id, if it returns one.</param>
    public static RecipientResult Accepted(int index, string? providerMessageId = null) => new(index, RecipientOutcome.Accepted, providerMessageId);

    /// <summary>The provider refused message <paramref name="index"/> for good.</summary>
    /// <param name="index">The message's position.</param>
    /// <param name="platformCode">The provider's error code.</param>
    public static RecipientResult Permanent(int index, string platformCode) => new(index, RecipientOutcome.Rejected, null, platformCode, false);

    /// <summary>A limit holds message <paramref name="index"/> until <paramref name="retryAfter"/> has passed; nothing went out (see <see cref="IsDeferral"/>).</summary>
    /// <param name="index">The message's position.</param>
    /// <param name="platformCode">The code of the limit (e.g. <c>flow_limit</c>).</param>
    /// <param name="retryAfter">How long the limit holds it.</param>
    public static RecipientResult Deferred(int index, string platformCode, TimeSpan retryAfter) => new(index, RecipientOutcome.Rejected, null, platformCode, true, retryAfter) { IsDeferral = true };

    /// <summary>The provider refused message <paramref name="index"/> for now.</summary>
    /// <param name="index">The message's position.</param>
    /// <param name="platformCode">The provider's error code.</param>
    /// <param name="retryAfter">The provider's wait hint, if any.</param>
    public static RecipientResult Transient(int index, string platformCode, TimeSpan? retryAfter = null) => new(index, RecipientOutcome.Rejected, null, platformCode, true, retryAfter);
}

/// <summary>
/// A messaging channel (WeCom, the WeChat Official Account, SMS, email…): only the wire call. Consent,
/// suppression, caps, quiet hours, idempotency, durable delivery with retries and dead letters, and
/// status events are done for every channel by the SDK's <see cref="IMessageSender"/>; register a
/// channel as a singleton <see cref="IMessageChannel"/>.
/// </summary>
public interface IMessageChannel
{
    /// <summary>The channel's name, unique among registered channels (journey steps and requests name it); also the consent destination.</summary>
    Channel Name { get; }

    /// <summary>What the channel supports.</summary>
    MessageChannelCapabilities Capabilities { get; }

    /// <summary>The channel's limits on template parameters.</summary>
    MessageTemplateRules TemplateRules { get; }

    /// <summary>The identity kinds the channel delivers to, in order of preference (e.g. <see cref="IdentityKind.WeChatOpenId"/>).</summary>
    IReadOnlyList<IdentityKind> AddressKinds { get; }

    /// <summary>Most messages one <see cref="SendAsync"/> call carries (at least 1).</summary>
    int MaxBatchSize { get; }

    /// <summary>
    /// Sends messages and answers one <see cref="RecipientResult"/> per message (by index). Throw a
    /// <see cref="PlatformApiException"/> when the whole call failed: its <see cref="PlatformApiException.ErrorClass"/>
    /// decides between a retry and a dead letter. Anything else thrown is retried and, after the attempts run
    /// out, dead-lettered.
    /// </summary>
    /// <param name="messages">The messages (at most <see cref="MaxBatchSize"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default);
}
