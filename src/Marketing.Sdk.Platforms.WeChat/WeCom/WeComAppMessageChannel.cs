using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// The WeCom application-message channel (<c>wecom_app</c>): <c>message/send</c> text messages to WeCom members
/// (staff, or customers who are members of the corp), addressed by the profile identity of kind
/// <see cref="WeComOptions.AppMessageAddressKind"/> holding the member's <c>userid</c>. Every send asks WeCom's
/// duplicate check (<c>enable_duplicate_check</c> over <see cref="WeComOptions.DuplicateCheckInterval"/>), and each
/// message is recorded before and after the call: a message already sent is answered as a duplicate without a call,
/// and a message whose earlier call got no answer is sent again only while WeCom's duplicate check still covers it.
/// </summary>
public sealed partial class WeComAppMessageChannel : IMessageChannel
{
    /// <summary>The channel name, <c>wecom_app</c>.</summary>
    public static Channel ChannelName { get; } = Channel.Create("wecom_app");

    private readonly WeComClient _client;
    private readonly WeComSentLedger _sent;
    private readonly WeComOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The WeCom client (its options need an <see cref="WeComOptions.AgentId"/>).</param>
    /// <param name="store">The shared state store (sent records).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public WeComAppMessageChannel(WeComClient client, IStateStore store, TimeProvider? timeProvider = null, ILogger<WeComAppMessageChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        _client = client;
        _options = client.Options;
        _time = timeProvider ?? TimeProvider.System;
        _sent = new WeComSentLedger(store, _time);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        AddressKinds = [_options.AppMessageAddressKind];
    }

    /// <inheritdoc />
    public Channel Name => ChannelName;

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.ProviderDeduplication;

    /// <inheritdoc />
    public MessageTemplateRules TemplateRules { get; } = new() { MaxParameterLength = 2048, MaxParameterUtf8Bytes = 2048 };

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; }

    /// <inheritdoc />
    /// <remarks>One message per call: each carries its own text.</remarks>
    public int MaxBatchSize => 1;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new List<RecipientResult>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            results.Add(await SendOneAsync(i, messages[i], cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<RecipientResult> SendOneAsync(int index, PreparedMessage message, CancellationToken cancellationToken)
    {
        var (record, since) = await _sent.GetAsync(Name.Value, message.MessageId, cancellationToken).ConfigureAwait(false);
        if (record is { State: WeComSentLedger.Sent })
        {
            return new RecipientResult(index, RecipientOutcome.Duplicate, record.ProviderId);
        }
        if (record is not null && (since is null || _time.GetUtcNow() - since.Value >= _options.DuplicateCheckInterval || !_options.EnableDuplicateCheck))
        {
            // The earlier call may have been delivered and WeCom's duplicate check no longer covers a resend.
            LogUnconfirmed(_logger, message.MessageId);
            return RecipientResult.Permanent(index, WeComMassMessageChannel.UnconfirmedCode);
        }
        if (_options.AgentId <= 0)
        {
            return RecipientResult.Permanent(index, "no_agent_id");
        }
        var (text, problem) = WeComMessageText.Render(_options, message);
        if (text is null)
        {
            return RecipientResult.Permanent(index, problem!);
        }
        var recipient = message.Recipient.Value;
        if (string.IsNullOrEmpty(recipient) || recipient.Contains('|', StringComparison.Ordinal) || recipient.Length > 64)
        {
            return RecipientResult.Permanent(index, "invalid_userid");
        }
        if (record is null)
        {
            await _sent.MarkSendingAsync(Name.Value, message.MessageId, cancellationToken).ConfigureAwait(false);
        }
        WeComAppMessageResult answer;
        try
        {
            answer = await _client.SendAppMessageAsync([recipient], text, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (ex.PlatformCode is { } code && int.TryParse(code, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            // WeCom refused this call: nothing went out now. The record goes only if this call made it — after an
            // earlier call whose answer was lost it stays, so a retry after the duplicate check ends is never sent.
            if (record is null)
            {
                await _sent.ForgetAsync(Name.Value, message.MessageId, CancellationToken.None).ConfigureAwait(false);
            }
            return ex.IsRetryable ? RecipientResult.Transient(index, code, ex.RetryAfter) : RecipientResult.Permanent(index, code);
        }
        catch (PlatformApiException ex)
        {
            // No readable answer: retried while WeCom's duplicate check covers a resend.
            return RecipientResult.Transient(index, ex.PlatformCode ?? "no_answer", ex.RetryAfter);
        }
        if (answer.InvalidUsers.Count > 0)
        {
            if (record is null)
            {
                await _sent.ForgetAsync(Name.Value, message.MessageId, cancellationToken).ConfigureAwait(false);
            }
            return RecipientResult.Permanent(index, "invalid_user");
        }
        await _sent.MarkSentAsync(Name.Value, message.MessageId, answer.MsgId, cancellationToken).ConfigureAwait(false);
        return RecipientResult.Accepted(index, answer.MsgId);
    }

    [LoggerMessage(EventId = 5515, Level = LogLevel.Warning, Message = "App message {MessageId} got no answer earlier and WeCom's duplicate check no longer covers a resend; it is not sent again")]
    private static partial void LogUnconfirmed(ILogger logger, string messageId);
}
