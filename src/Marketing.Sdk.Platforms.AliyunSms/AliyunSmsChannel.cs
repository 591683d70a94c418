using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>
/// The Alibaba Cloud SMS <see cref="IMessageChannel"/> (addressed by <see cref="IdentityKind.Phone"/>). One message per
/// call goes out with SendSms and <c>OutId</c> = the SDK's message id (provider message id <c>o:{message id}</c>); with
/// <see cref="SmsProviderOptions.MaxBatchSize"/> above 1, messages of one template go out together with SendBatchSms
/// (provider message id <c>b:{BizId}:{number tag}</c>). Alibaba Cloud does not de-duplicate, so an unanswered earlier
/// attempt is looked up by its <c>OutId</c> with QuerySendDetails before the message is sent again.
/// </summary>
public sealed partial class AliyunSmsChannel : SmsMessageChannel
{
    /// <summary>The provider id of the ledger and limit keys.</summary>
    public const string ProviderId = "aliyun";

    private readonly AliyunSmsClient _client;
    private readonly AliyunSmsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The settings.</param>
    /// <param name="store">The shared state store (send ledger and per-number limits).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public AliyunSmsChannel(AliyunSmsClient client, AliyunSmsOptions options, IStateStore store, TimeProvider? timeProvider = null, ILogger<AliyunSmsChannel>? logger = null)
        : base(ProviderId, options, store, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    protected override bool CanReconcile => true;

    /// <summary>The provider message id of a message sent alone (its <c>OutId</c> is the message id).</summary>
    /// <param name="messageId">The SDK's message id.</param>
    public static string SingleMessageId(string messageId) => "o:" + messageId;

    /// <summary>The provider message id of a message sent in a batch.</summary>
    /// <param name="bizId">The batch's <c>BizId</c>.</param>
    /// <param name="e164">The number in E.164.</param>
    public static string BatchMessageId(string bizId, string e164) => "b:" + bizId + ":" + SmsPhone.Tag(e164);

    /// <inheritdoc />
    protected override async ValueTask<IReadOnlyList<SmsProviderResult>> SendToProviderAsync(IReadOnlyList<SmsOutgoing> messages, CancellationToken cancellationToken)
    {
        var results = new List<SmsProviderResult>(messages.Count);
        foreach (var group in messages.GroupBy(m => m.TemplateCode, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count == 1)
            {
                var m = list[0];
                var answer = await _client.SendSmsAsync(AliyunSmsClient.ProviderPhone(m.E164), m.TemplateCode, m.Parameters, m.MessageId, cancellationToken).ConfigureAwait(false);
                results.Add(Map(m, answer, SingleMessageId(m.MessageId)));
                continue;
            }
            var batch = await _client.SendBatchSmsAsync(group.Key, [.. list.Select(m => (AliyunSmsClient.ProviderPhone(m.E164), m.Parameters))], "batch-" + SmsPhone.Tag(string.Join('|', list.Select(m => m.MessageId))), cancellationToken).ConfigureAwait(false);
            results.AddRange(list.Select(m => Map(m, batch, batch.BizId is { } biz ? BatchMessageId(biz, m.E164) : null)));
        }
        return results;
    }

    private static SmsProviderResult Map(SmsOutgoing m, AliyunSmsSendResult answer, string? providerMessageId) => AliyunSmsErrorCodes.Classify(answer.Code) switch
    {
        AliyunSmsCodeKind.Ok => new SmsProviderResult(m.Index, true, providerMessageId, answer.BizId, null, false, null),
        AliyunSmsCodeKind.Deferred => new SmsProviderResult(m.Index, false, null, null, answer.Code, true, answer.RetryAfter) { IsDeferral = answer.RetryAfter is not null },
        _ => new SmsProviderResult(m.Index, false, null, null, answer.Code, false, null),
    };

    /// <inheritdoc />
    protected override async ValueTask<string?> FindSentAsync(SmsOutgoing message, SmsLedgerEntry pending, CancellationToken cancellationToken)
    {
        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(pending.At).ToOffset(AliyunSmsClient.ChinaOffset).DateTime);
        var details = await _client.QuerySendDetailsAsync(AliyunSmsClient.ProviderPhone(message.E164), day, cancellationToken: cancellationToken).ConfigureAwait(false);
        return details.Any(d => d.OutId == message.MessageId) ? SingleMessageId(message.MessageId) : null;
    }

    /// <summary>
    /// Pulls the receipts of accepted messages with QuerySendDetails and reports them (delivered, or failed with the
    /// carrier's code) through <paramref name="inbound"/>; a message with a final receipt leaves the ledger's open list.
    /// Call it periodically when the HTTP push (SmsReport) is not configured. Returns how many receipts were reported.
    /// </summary>
    /// <param name="inbound">Reports the receipts.</param>
    /// <param name="cancellationToken">Cancels the pull.</param>
    public async Task<int> PullReceiptsAsync(SmsInbound inbound, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var reported = 0;
        var open = new List<SmsLedgerEntry>();
        await foreach (var entry in Ledger.OpenAsync(ProviderId, cancellationToken).ConfigureAwait(false))
        {
            open.Add(entry);
        }
        foreach (var entry in open)
        {
            var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(entry.At).ToOffset(AliyunSmsClient.ChinaOffset).DateTime);
            var details = await _client.QuerySendDetailsAsync(AliyunSmsClient.ProviderPhone(entry.Phone), day, entry.BatchId, cancellationToken: cancellationToken).ConfigureAwait(false);
            var single = entry.ProviderMessageId?.StartsWith("o:", StringComparison.Ordinal) == true;
            var detail = details.FirstOrDefault(d => single ? d.OutId == entry.MessageId : d.PhoneNumber == AliyunSmsClient.ProviderPhone(entry.Phone));
            if (detail is null || detail.SendStatus is not (2 or 3) || entry.ProviderMessageId is null)
            {
                continue;
            }
            await inbound.ReceiptAsync(Name, entry.ProviderMessageId, detail.SendStatus == 3, detail.ErrorCode, detail.ReceivedAt ?? _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            await Ledger.SetAsync(ProviderId, entry.MessageId, SmsLedgerState.Final, entry.Phone, entry.ProviderMessageId, entry.BatchId, cancellationToken).ConfigureAwait(false);
            reported++;
        }
        LogPulled(_logger, open.Count, reported);
        return reported;
    }

    [LoggerMessage(EventId = 5600, Level = LogLevel.Debug, Message = "Pulled Alibaba Cloud SMS receipts: {Open} open messages, {Reported} receipts reported")]
    private static partial void LogPulled(ILogger logger, int open, int reported);
}
