using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>
/// Template messages of the Official Account as a messaging channel (default name <c>wechat</c>): one
/// <c>/cgi-bin/message/template/send</c> per message, addressed to the customer's
/// <see cref="IdentityKind.WeChatOpenId"/>, with the SDK's message id as <c>client_msg_id</c>. The platform remembers a
/// <c>client_msg_id</c> only for a short time (about 10 minutes), while the outbox may retry a message whose outcome
/// is unknown much later; so every message is recorded before and after its call (in the shared
/// <see cref="IStateStore"/>): a message already sent is answered as a duplicate without a call, and one whose earlier
/// call got no readable answer is sent again only within <see cref="OfficialAccountOptions.ClientMsgIdWindow"/> of
/// that call — later it fails with code <c>outcome_unknown</c>, at most once rather than possibly twice. The
/// template's <see cref="MessageTemplate.ProviderTemplateId"/> is the account's template id; parameters are the
/// template keys (<c>thing1</c>, <c>time2</c>…; declare them with <see cref="OfficialAccountParameters.Parameter"/>)
/// plus the optional link parameters <c>url</c>, <c>miniprogram.appid</c> and <c>miniprogram.pagepath</c>.
/// </summary>
public sealed partial class OfficialAccountTemplateChannel : IMessageChannel
{
    private readonly OfficialAccountClient _client;
    private readonly WeCom.WeComSentLedger _sent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The Official Account client.</param>
    /// <param name="store">The shared state store (the record of sent messages).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public OfficialAccountTemplateChannel(OfficialAccountClient client, IStateStore store, TimeProvider? timeProvider = null, ILogger<OfficialAccountTemplateChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        _client = client;
        _time = timeProvider ?? TimeProvider.System;
        _sent = new WeCom.WeComSentLedger(store, _time, WeCom.WeComSentLedger.OfficialAccountScope);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Name = new Channel(client.Options.TemplateChannelName);
    }

    /// <inheritdoc />
    public Channel Name { get; }

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.ProviderDeduplication | MessageChannelCapabilities.DeliveryReceipts;

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules { get; } = OfficialAccountSend.Rules;

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.WeChatOpenId];

    /// <inheritdoc />
    public int MaxBatchSize => _client.Options.MessagesPerCall;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new RecipientResult?[messages.Count];
        var toSend = new List<(int Index, bool Fresh)>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var (record, since) = await _sent.GetAsync(Name.Value, m.MessageId, cancellationToken).ConfigureAwait(false);
            if (record is { State: WeCom.WeComSentLedger.Sent })
            {
                results[i] = new RecipientResult(i, RecipientOutcome.Duplicate, record.ProviderId);
            }
            else if (record is not null && (since is null || _time.GetUtcNow() - since.Value >= _client.Options.ClientMsgIdWindow))
            {
                // The earlier call may have reached the customer and the platform no longer de-duplicates its client_msg_id.
                LogUnconfirmed(_logger, Name.Value, m.MessageId);
                results[i] = RecipientResult.Permanent(i, OfficialAccountSend.OutcomeUnknownCode);
            }
            else
            {
                toSend.Add((i, record is null));
            }
        }
        if (toSend.Count > 0)
        {
            var fresh = toSend.Where(t => t.Fresh).Select(t => messages[t.Index].MessageId).ToHashSet(StringComparer.Ordinal);
            var answers = await OfficialAccountSend.SendAllAsync(Name, [.. toSend.Select(t => messages[t.Index])], deduplicated: true, _logger, async (m, data, ct) =>
            {
                var message = new OfficialAccountTemplateMessage(m.Recipient.Value, m.Template.ProviderTemplateId!, data, m.MessageId)
                {
                    Url = m.Parameters.GetValueOrDefault(OfficialAccountParameters.Url),
                    MiniProgramAppId = m.Parameters.GetValueOrDefault(OfficialAccountParameters.MiniProgramAppId),
                    MiniProgramPagePath = m.Parameters.GetValueOrDefault(OfficialAccountParameters.MiniProgramPagePath),
                };
                var isFresh = fresh.Contains(m.MessageId);
                if (isFresh)
                {
                    await _sent.MarkSendingAsync(Name.Value, m.MessageId, ct).ConfigureAwait(false);
                }
                long msgId;
                try
                {
                    msgId = await _client.SendTemplateMessageAsync(message, ct).ConfigureAwait(false);
                }
                catch (PlatformApiException ex) when (isFresh && !OfficialAccountSend.MayHaveBeenSent(ex))
                {
                    // The platform answered with an error (or was never reached): nothing went out.
                    await _sent.ForgetAsync(Name.Value, m.MessageId, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
                await _sent.MarkSentAsync(Name.Value, m.MessageId, msgId > 0 ? msgId.ToString(CultureInfo.InvariantCulture) : null, CancellationToken.None).ConfigureAwait(false);
                return msgId;
            }, cancellationToken).ConfigureAwait(false);
            foreach (var answer in answers)
            {
                if (answer.Index >= 0 && answer.Index < toSend.Count)
                {
                    var index = toSend[answer.Index].Index;
                    results[index] = answer with { Index = index };
                }
            }
        }
        return [.. results.Select((r, i) => r ?? RecipientResult.Transient(i, Http.PlatformApiClient.MalformedAnswerCode))];
    }

    [LoggerMessage(EventId = 5562, Level = LogLevel.Warning, Message = "Message {MessageId} on {Channel} may have reached the customer and the platform no longer de-duplicates its client_msg_id; it is not sent again")]
    private static partial void LogUnconfirmed(ILogger logger, string channel, string messageId);
}

/// <summary>
/// Subscribe messages of the Official Account as a messaging channel (default name <c>wechat_subscribe</c>):
/// one <c>/cgi-bin/message/subscribe/bizsend</c> per message to the customer's openid, for users who authorised
/// the template (43101 when they did not). The platform has no de-duplication id for this call, so a call whose
/// outcome is unknown (no answer, or an unreadable one) is never sent again: it fails with code
/// <c>outcome_unknown</c> — at most once rather than possibly twice. Parameters as for
/// <see cref="OfficialAccountTemplateChannel"/>, with the link parameter <c>page</c> instead of <c>url</c>.
/// </summary>
public sealed class OfficialAccountSubscribeChannel : IMessageChannel
{
    private readonly OfficialAccountClient _client;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The Official Account client.</param>
    /// <param name="logger">The logger.</param>
    public OfficialAccountSubscribeChannel(OfficialAccountClient client, ILogger<OfficialAccountSubscribeChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Name = new Channel(client.Options.SubscribeChannelName);
    }

    /// <inheritdoc />
    public Channel Name { get; }

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts;

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules { get; } = OfficialAccountSend.Rules;

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.WeChatOpenId];

    /// <inheritdoc />
    public int MaxBatchSize => _client.Options.MessagesPerCall;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default) =>
        OfficialAccountSend.SendAllAsync(Name, messages, deduplicated: false, _logger, async (m, data, ct) =>
        {
            var message = new OfficialAccountSubscribeMessage(m.Recipient.Value, m.Template.ProviderTemplateId!, data)
            {
                Page = m.Parameters.GetValueOrDefault(OfficialAccountParameters.Page),
                MiniProgramAppId = m.Parameters.GetValueOrDefault(OfficialAccountParameters.MiniProgramAppId),
                MiniProgramPagePath = m.Parameters.GetValueOrDefault(OfficialAccountParameters.MiniProgramPagePath),
            };
            return await _client.SendSubscribeMessageAsync(message, ct).ConfigureAwait(false);
        }, cancellationToken);
}

/// <summary>The send loop both channels share.</summary>
internal static partial class OfficialAccountSend
{
    /// <summary>The local code of a message whose parameters break a key's rule (checked before sending).</summary>
    public const string InvalidParameterCode = "invalid_parameter";
    /// <summary>The local code of a message without an openid or provider template id.</summary>
    public const string NotAddressableCode = "not_addressable";
    /// <summary>The local code of a subscribe message whose outcome is unknown.</summary>
    public const string OutcomeUnknownCode = "outcome_unknown";

    public static MessageTemplateRules Rules { get; } = new()
    {
        MaxParameters = 24,
        MaxParameterLength = OfficialAccountParameters.MaxLinkLength,
        MaxParameterNameLength = 32,
        AllowLineBreaks = false,
    };

    public static async ValueTask<IReadOnlyList<RecipientResult>> SendAllAsync(Channel channel, IReadOnlyList<PreparedMessage> messages, bool deduplicated, ILogger logger,
        Func<PreparedMessage, IReadOnlyDictionary<string, string>, CancellationToken, Task<long>> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new List<RecipientResult>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Recipient.Kind != IdentityKind.WeChatOpenId || string.IsNullOrEmpty(m.Recipient.Value) || string.IsNullOrEmpty(m.Template.ProviderTemplateId))
            {
                results.Add(RecipientResult.Permanent(i, NotAddressableCode));
                continue;
            }
            if (OfficialAccountParameters.CheckAll(m.Parameters) is { } problem)
            {
                LogInvalidParameter(logger, channel.Value, m.MessageId, problem);
                results.Add(RecipientResult.Permanent(i, InvalidParameterCode));
                continue;
            }
            try
            {
                var msgId = await send(m, OfficialAccountParameters.DataOf(m.Parameters), cancellationToken).ConfigureAwait(false);
                results.Add(RecipientResult.Accepted(i, msgId > 0 ? msgId.ToString(CultureInfo.InvariantCulture) : null));
            }
            catch (PlatformRequestException)
            {
                results.Add(RecipientResult.Permanent(i, NotAddressableCode));
            }
            catch (PlatformApiException ex)
            {
                var code = ex.PlatformCode ?? (ex.StatusCode is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : "no_answer");
                if (ex.ErrorClass == PlatformErrorClass.Permanent)
                {
                    results.Add(RecipientResult.Permanent(i, code));
                    continue;
                }
                if (!deduplicated && MayHaveBeenSent(ex))
                {
                    // No de-duplication id on this call: sending again could reach the customer twice.
                    LogOutcomeUnknown(logger, channel.Value, m.MessageId);
                    results.Add(RecipientResult.Permanent(i, OutcomeUnknownCode));
                }
                else
                {
                    results.Add(RecipientResult.Transient(i, code, ex.RetryAfter));
                }
                // Throttled, unauthorised, busy or unreachable: the rest of the call would meet the same answer.
                for (var j = i + 1; j < messages.Count; j++)
                {
                    results.Add(RecipientResult.Transient(j, code, ex.RetryAfter));
                }
                break;
            }
        }
        return results;
    }

    /// <summary>Whether a failed call may have reached the platform: no readable answer, and not a failure to connect at all.</summary>
    internal static bool MayHaveBeenSent(PlatformApiException ex)
    {
        if (ex.PlatformCode == Http.PlatformApiClient.MalformedAnswerCode)
        {
            return true;
        }
        if (ex.StatusCode is not null || ex.PlatformCode is not null)
        {
            return false; // the platform answered with an error: nothing was sent
        }
        for (Exception? inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }
                or SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                or Polly.CircuitBreaker.BrokenCircuitException)
            {
                return false;
            }
        }
        return ex.InnerException is not null;
    }

    [LoggerMessage(EventId = 5560, Level = LogLevel.Warning, Message = "Message {MessageId} on {Channel} was not sent: {Problem}")]
    private static partial void LogInvalidParameter(ILogger logger, string channel, string messageId, string problem);

    [LoggerMessage(EventId = 5561, Level = LogLevel.Warning, Message = "Message {MessageId} on {Channel} may or may not have reached the platform; it is not sent again (the call has no de-duplication id)")]
    private static partial void LogOutcomeUnknown(ILogger logger, string channel, string messageId);
}
