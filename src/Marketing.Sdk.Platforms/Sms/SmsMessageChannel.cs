using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.Sms;

/// <summary>One message on its way to an SMS provider, after every client-side check.</summary>
/// <param name="Index">The message's position in the <see cref="IMessageChannel.SendAsync"/> call.</param>
/// <param name="MessageId">The SDK's message id.</param>
/// <param name="E164">The number in E.164.</param>
/// <param name="TemplateCode">The provider's template id.</param>
/// <param name="Parameters">The variables in template order.</param>
public sealed record SmsOutgoing(int Index, string MessageId, [property: PersonalData] string E164, string TemplateCode, [property: PersonalData] IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    /// <summary>Describes the message without number or values.</summary>
    public override string ToString() => $"SmsOutgoing {{ Index = {Index}, MessageId = {MessageId}, TemplateCode = {TemplateCode} }}";
}

/// <summary>A provider's answer for one <see cref="SmsOutgoing"/>.</summary>
/// <param name="Index">The message's position.</param>
/// <param name="Accepted">Whether the provider took it.</param>
/// <param name="ProviderMessageId">The provider's id of an accepted message (matches receipts).</param>
/// <param name="BatchId">The provider's request-level id (Alibaba Cloud <c>BizId</c>), if any.</param>
/// <param name="Code">The provider's code of a refusal.</param>
/// <param name="Retryable">Whether a refused message may succeed later (limits, busy).</param>
/// <param name="RetryAfter">The wait for a retryable refusal.</param>
public sealed record SmsProviderResult(int Index, bool Accepted, string? ProviderMessageId, string? BatchId, string? Code, bool Retryable, TimeSpan? RetryAfter)
{
    /// <summary>Whether the refusal is the provider's per-number limit holding the message for <see cref="RetryAfter"/> (a deferral, not a failed attempt).</summary>
    public bool IsDeferral { get; init; }
}

/// <summary>
/// The <see cref="IMessageChannel"/> of an SMS provider. Before anything reaches the provider, per message: the
/// number is normalised (E.164 by libphonenumber), the unsubscribe wording and the length are checked
/// (<see cref="SmsContent"/>), the send ledger is consulted so a retried message never reaches the number twice
/// (an unanswered earlier attempt is reconciled with the provider's records first), and the per-number flow
/// limits are reserved (over a limit: a transient rejection with the wait, so the outbox defers the message).
/// Subclasses only speak the provider's wire format.
/// </summary>
public abstract class SmsMessageChannel : IMessageChannel
{
    /// <summary>The code of a number that is not a phone number.</summary>
    public const string InvalidNumberCode = "invalid_phone";

    /// <summary>The code of a message over a per-number flow limit (retryable, with the wait).</summary>
    public const string FlowLimitCode = "flow_limit";

    /// <summary>The code of a message whose earlier attempt is still being reconciled with the provider (retryable).</summary>
    public const string ReconcilingCode = "reconciling";

    /// <summary>The code of a message whose earlier attempt may have reached the number and cannot be confirmed: never sent again.</summary>
    public const string UnconfirmedCode = "unconfirmed_send";

    private readonly SmsProviderOptions _options;
    private readonly SmsFlowLimiter _limiter;
    private readonly SmsSendLedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>Creates the channel.</summary>
    /// <param name="provider">The provider id (<c>aliyun</c>, <c>tencent</c>): the prefix of its ledger and limit keys.</param>
    /// <param name="options">The settings.</param>
    /// <param name="store">The shared state store (ledger and limits).</param>
    /// <param name="timeProvider">The clock.</param>
    protected SmsMessageChannel(string provider, SmsProviderOptions options, IStateStore store, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        Provider = provider;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _limiter = new SmsFlowLimiter(store, _time);
        _ledger = new SmsSendLedger(store, _time);
        Name = Channel.Create(options.ChannelName);
    }

    /// <summary>The provider id.</summary>
    protected string Provider { get; }

    /// <summary>The region assumed for national numbers (how this channel turns an identity into E.164).</summary>
    internal string DefaultRegion => _options.DefaultRegion;

    /// <summary>The send ledger.</summary>
    protected SmsSendLedger Ledger => _ledger;

    /// <inheritdoc />
    public Channel Name { get; }

    /// <inheritdoc />
    public virtual MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts | (MaxBatchSize > 1 ? MessageChannelCapabilities.Batching : MessageChannelCapabilities.None);

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules => new() { MaxParameters = 20, MaxParameterLength = _options.MaxParameterLength, AllowLineBreaks = false };

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.Phone];

    /// <inheritdoc />
    public int MaxBatchSize => _options.MaxBatchSize;

    /// <summary>Whether <see cref="FindSentAsync"/> can tell that an earlier unanswered attempt reached the provider (then an attempt it does not find is sent again).</summary>
    protected abstract bool CanReconcile { get; }

    /// <summary>Sends the messages to the provider; one result per message, by index.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The whole call failed.</exception>
    protected abstract ValueTask<IReadOnlyList<SmsProviderResult>> SendToProviderAsync(IReadOnlyList<SmsOutgoing> messages, CancellationToken cancellationToken);

    /// <summary>Looks an earlier unanswered attempt up in the provider's records: its provider message id, or <see langword="null"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="pending">The ledger entry of the earlier attempt.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract ValueTask<string?> FindSentAsync(SmsOutgoing message, SmsLedgerEntry pending, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new RecipientResult?[messages.Count];
        var outgoing = new List<SmsOutgoing>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var (result, ready) = await PrepareAsync(i, messages[i], cancellationToken).ConfigureAwait(false);
            if (ready is not null)
            {
                outgoing.Add(ready);
            }
            else
            {
                results[i] = result;
            }
        }
        if (outgoing.Count > 0)
        {
            IReadOnlyList<SmsProviderResult> answers;
            try
            {
                answers = await SendToProviderAsync(outgoing, cancellationToken).ConfigureAwait(false);
            }
            catch (PlatformApiException ex) when (ex.StatusCode is { } status && !(ex.PlatformCode == PlatformApiClient.MalformedAnswerCode && (int)status is >= 200 and < 300))
            {
                // The provider answered with an error for the whole call: nothing went out. (An unreadable success
                // answer is not such an error: the provider may have sent the message, so its ledger entry stays
                // pending and the next attempt reconciles it like an unanswered call.)
                foreach (var m in outgoing)
                {
                    await UndoAsync(m, cancellationToken).ConfigureAwait(false);
                }
                throw;
            }
            foreach (var m in outgoing)
            {
                var answer = answers.FirstOrDefault(a => a.Index == m.Index);
                if (answer is { Accepted: true, ProviderMessageId: { } pid })
                {
                    await _ledger.SetAsync(Provider, m.MessageId, SmsLedgerState.Sent, m.E164, pid, answer.BatchId, cancellationToken).ConfigureAwait(false);
                    results[m.Index] = RecipientResult.Accepted(m.Index, pid);
                    continue;
                }
                await UndoAsync(m, cancellationToken).ConfigureAwait(false);
                var code = answer?.Code ?? PlatformApiClient.MalformedAnswerCode;
                results[m.Index] = answer is { IsDeferral: true, Retryable: true, RetryAfter: { } wait } ? RecipientResult.Deferred(m.Index, code, wait)
                    : answer is null || answer.Retryable ? RecipientResult.Transient(m.Index, code, answer?.RetryAfter) : RecipientResult.Permanent(m.Index, code);
            }
        }
        return [.. results.Select((r, i) => r ?? RecipientResult.Transient(i, PlatformApiClient.MalformedAnswerCode))];
    }

    private async ValueTask<(RecipientResult? Result, SmsOutgoing? Ready)> PrepareAsync(int index, PreparedMessage message, CancellationToken cancellationToken)
    {
        if (message.Recipient.Kind != IdentityKind.Phone || SmsPhone.ToE164(message.Recipient.Value, _options.DefaultRegion) is not { } e164)
        {
            return (RecipientResult.Permanent(index, InvalidNumberCode), null);
        }
        if (message.Template.ProviderTemplateId is not { Length: > 0 } templateCode)
        {
            return (RecipientResult.Permanent(index, "template_code_missing"), null);
        }
        if (SmsContent.Prepare(message, _options, out var parameters) is { } refusal)
        {
            return (RecipientResult.Permanent(index, refusal), null);
        }
        var outgoing = new SmsOutgoing(index, message.MessageId, e164, templateCode, parameters);
        var previous = await _ledger.GetAsync(Provider, message.MessageId, cancellationToken).ConfigureAwait(false);
        if (previous is { State: SmsLedgerState.Sent or SmsLedgerState.Final, ProviderMessageId: var sentId })
        {
            return (new RecipientResult(index, RecipientOutcome.Duplicate, sentId), null);
        }
        if (previous is { State: SmsLedgerState.Pending })
        {
            var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(previous.At);
            if (age < _options.ReconcileAfter)
            {
                return (RecipientResult.Deferred(index, ReconcilingCode, _options.ReconcileAfter - age), null);
            }
            if (await FindSentAsync(outgoing, previous, cancellationToken).ConfigureAwait(false) is { } found)
            {
                await _ledger.SetAsync(Provider, message.MessageId, SmsLedgerState.Sent, e164, found, null, cancellationToken).ConfigureAwait(false);
                return (new RecipientResult(index, RecipientOutcome.Duplicate, found), null);
            }
            if (!CanReconcile)
            {
                return (RecipientResult.Permanent(index, UnconfirmedCode), null);
            }
        }
        var decision = await _limiter.TryReserveAsync(Provider, e164, message.MessageId, _options.EffectiveFlowLimits, cancellationToken).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            return (RecipientResult.Deferred(index, FlowLimitCode, decision.RetryAfter ?? TimeSpan.FromMinutes(1)), null);
        }
        await _ledger.SetAsync(Provider, message.MessageId, SmsLedgerState.Pending, e164, null, null, cancellationToken).ConfigureAwait(false);
        return (null, outgoing);
    }

    private async ValueTask UndoAsync(SmsOutgoing message, CancellationToken cancellationToken)
    {
        await _ledger.RemoveAsync(Provider, message.MessageId, cancellationToken).ConfigureAwait(false);
        await _limiter.ReleaseAsync(Provider, message.E164, message.MessageId, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// What both providers' push callbacks do once parsed: check the shared secret token (the providers do not sign
/// their pushes), turn unsubscribe replies into suppressions and receipts into delivery status.
/// </summary>
public sealed class SmsInbound
{
    private readonly IIdentityGraphStore? _identities;
    private readonly ISuppressionList? _suppressions;
    private readonly IMessageStatusReporter? _reporter;

    /// <summary>Creates the processor.</summary>
    /// <param name="identities">Finds the customer of a number (replies).</param>
    /// <param name="suppressions">The suppression list (replies).</param>
    /// <param name="reporter">The status reporter (receipts).</param>
    public SmsInbound(IIdentityGraphStore? identities, ISuppressionList? suppressions, IMessageStatusReporter? reporter)
    {
        _identities = identities;
        _suppressions = suppressions;
        _reporter = reporter;
    }

    /// <summary>Whether the request carries the configured token as its <c>token</c> query parameter (constant-time comparison; an unset token refuses everything).</summary>
    /// <param name="request">The callback.</param>
    /// <param name="expected">The configured token.</param>
    public static bool HasToken(PlatformCallbackRequest request, string expected)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(expected) || !request.Query.TryGetValue("token", out var given) || given is null)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    /// <summary>Suppresses the customer of <paramref name="e164"/> on the channel (reason unsubscribed) when the reply is an unsubscribe; returns whether a customer was suppressed.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="e164">The replying number in E.164.</param>
    /// <param name="text">The reply.</param>
    /// <param name="keywords">The unsubscribe keywords.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<bool> ReplyAsync(Channel channel, string e164, string? text, IReadOnlyList<string> keywords, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(e164);
        if (!SmsContent.IsUnsubscribe(text, keywords) || _identities is null || _suppressions is null)
        {
            return false;
        }
        var owners = await _identities.FindAsync([Identity.Phone(e164)], cancellationToken).ConfigureAwait(false);
        if (!owners.TryGetValue(Identity.Phone(e164), out var customer))
        {
            return false;
        }
        await _suppressions.AddAsync(customer, channel, SuppressionReason.Unsubscribed, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reports a receipt (delivered or failed with the provider's code); returns whether a sent message matched.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="providerMessageId">The provider's message id.</param>
    /// <param name="delivered">Whether the number received it.</param>
    /// <param name="code">The provider's status code (e.g. <c>DELIVRD</c>), kept only for failures.</param>
    /// <param name="at">When.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<bool> ReceiptAsync(Channel channel, string providerMessageId, bool delivered, string? code, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        if (_reporter is null)
        {
            return false;
        }
        var safeCode = code is { Length: > 0 and <= 64 } && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':') ? code : null;
        return await _reporter.ReportAsync(channel, providerMessageId, delivered ? ProviderMessageStatus.Delivered : ProviderMessageStatus.Failed, at, delivered ? null : safeCode ?? "failed", cancellationToken).ConfigureAwait(false);
    }
}
