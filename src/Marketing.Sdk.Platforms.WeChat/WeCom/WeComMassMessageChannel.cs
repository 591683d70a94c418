using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// The WeCom mass-message channel (<see cref="Channel.WeCom"/>, <c>wecom</c>): customers addressed by their
/// <see cref="IdentityKind.WeComExternalUserId"/> get the message through <c>add_msg_template</c> tasks of up to
/// <see cref="WeComOptions.MassTaskSize"/> customers (messages with the same text share a task). Before anything is
/// sent, each message takes a place in the customer's month (<see cref="WeComMonthlyCap"/>): a fifth mass message in
/// a month is not sent and is reported <see cref="RecipientOutcome.Suppressed"/> with
/// <see cref="MessageSkipReason.FrequencyCap"/> (code <c>monthly_cap</c>). Each message is recorded before the call
/// and after it, so a retried message is never put in a second task. Results come back by
/// <see cref="WeComMassMessageResults"/> polling. Consent, suppression, the SDK's caps and quiet hours are the
/// messaging sender's, not this channel's.
/// </summary>
public sealed partial class WeComMassMessageChannel : IMessageChannel
{
    /// <summary>The rejection code of a message whose earlier attempt may have created a task (never sent twice).</summary>
    public const string UnconfirmedCode = "unconfirmed_task";

    /// <summary>The suppression code of a message over the monthly cap.</summary>
    public const string MonthlyCapCode = "monthly_cap";

    private readonly WeComClient _client;
    private readonly WeComMonthlyCap _cap;
    private readonly WeComSentLedger _sent;
    private readonly WeComMassTaskTracker _tasks;
    private readonly WeComOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The WeCom client.</param>
    /// <param name="store">The shared state store (monthly counts, sent records, tracked tasks).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public WeComMassMessageChannel(WeComClient client, IStateStore store, TimeProvider? timeProvider = null, ILogger<WeComMassMessageChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        var time = timeProvider ?? TimeProvider.System;
        _client = client;
        _options = client.Options;
        _cap = new WeComMonthlyCap(store, _options, time);
        _sent = new WeComSentLedger(store, time);
        _tasks = new WeComMassTaskTracker(store, _options, time);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public Channel Name => Channel.WeCom;

    /// <inheritdoc />
    public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.DeliveryReceipts | MessageChannelCapabilities.Batching;

    /// <inheritdoc />
    /// <remarks>WeCom counts the text in UTF-8 bytes: at most 4 000.</remarks>
    public MessageTemplateRules TemplateRules { get; } = new() { MaxParameterLength = 4000, MaxParameterUtf8Bytes = 4000 };

    /// <inheritdoc />
    public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.WeComExternalUserId];

    /// <inheritdoc />
    public int MaxBatchSize => _options.MassTaskSize;

    /// <summary>The monthly cap this channel checks.</summary>
    public WeComMonthlyCap MonthlyCap => _cap;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new RecipientResult?[messages.Count];
        var byText = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Recipient.Kind != IdentityKind.WeComExternalUserId || string.IsNullOrEmpty(message.Recipient.Value))
            {
                results[i] = RecipientResult.Permanent(i, "no_external_userid");
                continue;
            }
            var (record, _) = await _sent.GetAsync(Name.Value, message.MessageId, cancellationToken).ConfigureAwait(false);
            if (record is { State: WeComSentLedger.Sent })
            {
                results[i] = new RecipientResult(i, RecipientOutcome.Duplicate, record.ProviderId);
                continue;
            }
            if (record is not null)
            {
                LogUnconfirmed(_logger, message.MessageId);
                results[i] = RecipientResult.Permanent(i, UnconfirmedCode);
                continue;
            }
            var (text, problem) = WeComMessageText.Render(_options, message);
            if (text is null)
            {
                results[i] = RecipientResult.Permanent(i, problem!);
                continue;
            }
            if (!await _cap.TryReserveAsync(message.Recipient.Value, message.MessageId, cancellationToken).ConfigureAwait(false))
            {
                LogOverCap(_logger, message.MessageId, _options.MonthlyMassMessageLimit);
                results[i] = RecipientResult.Suppressed(i, MessageSkipReason.FrequencyCap, MonthlyCapCode);
                continue;
            }
            if (!byText.TryGetValue(text, out var group))
            {
                byText[text] = group = [];
            }
            group.Add(i);
        }
        foreach (var (text, indexes) in byText)
        {
            foreach (var chunk in indexes.Chunk(_options.MassTaskSize))
            {
                await SendTaskAsync(messages, chunk, text, results, cancellationToken).ConfigureAwait(false);
            }
        }
        return [.. results.Select((r, i) => r ?? RecipientResult.Transient(i, "no_result"))];
    }

    private async Task SendTaskAsync(IReadOnlyList<PreparedMessage> messages, int[] chunk, string text, RecipientResult?[] results, CancellationToken cancellationToken)
    {
        // The same customer twice in one task would get it once: later copies wait for the next round.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var included = new List<int>(chunk.Length);
        foreach (var i in chunk)
        {
            if (seen.Add(messages[i].Recipient.Value))
            {
                included.Add(i);
            }
            else
            {
                results[i] = RecipientResult.Transient(i, "same_customer_in_task");
            }
        }
        foreach (var i in included)
        {
            await _sent.MarkSendingAsync(Name.Value, messages[i].MessageId, cancellationToken).ConfigureAwait(false);
        }
        WeComMassTask task;
        try
        {
            task = await _client.AddMassMessageAsync([.. included.Select(i => messages[i].Recipient.Value)], text, _options.MassMessageSender, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (IsWeComAnswer(ex))
        {
            // WeCom answered with an error: no task was created, so the messages may be sent again.
            foreach (var i in included)
            {
                await _sent.ForgetAsync(Name.Value, messages[i].MessageId, CancellationToken.None).ConfigureAwait(false);
                results[i] = ex.IsRetryable
                    ? RecipientResult.Transient(i, ex.PlatformCode!, ex.RetryAfter)
                    : RecipientResult.Permanent(i, ex.PlatformCode!);
            }
            LogTaskRefused(_logger, included.Count, ex.PlatformCode!, ex.ErrorClass);
            return;
        }
        catch (PlatformApiException ex)
        {
            // No answer, or one that could not be read: the task may exist, so these messages are never sent again.
            foreach (var i in included)
            {
                results[i] = RecipientResult.Permanent(i, UnconfirmedCode);
            }
            LogTaskUnconfirmed(_logger, included.Count, ex.ErrorClass);
            return;
        }
        catch (PlatformRequestException)
        {
            foreach (var i in included)
            {
                await _sent.ForgetAsync(Name.Value, messages[i].MessageId, CancellationToken.None).ConfigureAwait(false);
                results[i] = RecipientResult.Permanent(i, "invalid_request");
            }
            return;
        }
        // Anything else (no answer, an unreadable answer) leaves the messages "sending": they may be in a task.
        var failed = new HashSet<string>(task.FailedExternalUserIds, StringComparer.Ordinal);
        foreach (var i in included)
        {
            var recipient = messages[i].Recipient.Value;
            if (failed.Contains(recipient))
            {
                await _sent.ForgetAsync(Name.Value, messages[i].MessageId, cancellationToken).ConfigureAwait(false);
                results[i] = RecipientResult.Permanent(i, WeComErrorCodes.NotExternalContact.ToString(System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }
            var providerId = ProviderMessageId(task.MsgId, recipient);
            await _sent.MarkSentAsync(Name.Value, messages[i].MessageId, providerId, cancellationToken).ConfigureAwait(false);
            results[i] = RecipientResult.Accepted(i, providerId);
        }
        await _tasks.TrackAsync(task.MsgId, cancellationToken).ConfigureAwait(false);
        LogTaskCreated(_logger, task.MsgId, included.Count - failed.Count, failed.Count);
    }

    /// <summary>The provider message id of one customer's copy of a task: <c>{msgid}:{pseudonym}</c> (no customer id in it).</summary>
    /// <param name="msgId">The task's <c>msgid</c>.</param>
    /// <param name="externalUserId">The customer.</param>
    public static string ProviderMessageId(string msgId, string externalUserId) => msgId + ":" + WeComClient.Pseudonym(externalUserId);

    private static bool IsWeComAnswer(PlatformApiException ex) =>
        ex.PlatformCode is { } code && int.TryParse(code, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _);

    [LoggerMessage(EventId = 5510, Level = LogLevel.Information, Message = "WeCom mass task {MsgId} created for {Count} customers ({Failed} not taken)")]
    private static partial void LogTaskCreated(ILogger logger, string msgId, int count, int failed);

    [LoggerMessage(EventId = 5511, Level = LogLevel.Warning, Message = "WeCom refused a mass task for {Count} customers: errcode {Code} ({ErrorClass})")]
    private static partial void LogTaskRefused(ILogger logger, int count, string code, PlatformErrorClass errorClass);

    [LoggerMessage(EventId = 5512, Level = LogLevel.Information, Message = "Message {MessageId} not sent: the customer has had {Limit} WeCom mass messages this month")]
    private static partial void LogOverCap(ILogger logger, string messageId, int limit);

    [LoggerMessage(EventId = 5514, Level = LogLevel.Warning, Message = "A WeCom mass call for {Count} customers got no readable answer ({ErrorClass}); its messages are not sent again")]
    private static partial void LogTaskUnconfirmed(ILogger logger, int count, PlatformErrorClass errorClass);

    [LoggerMessage(EventId = 5513, Level = LogLevel.Warning, Message = "Message {MessageId} was in a WeCom mass call whose answer never came; it is not sent again")]
    private static partial void LogUnconfirmed(ILogger logger, string messageId);
}
