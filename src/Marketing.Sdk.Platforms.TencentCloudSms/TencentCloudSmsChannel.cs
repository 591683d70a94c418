using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Platforms.Sms;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>
/// The Tencent Cloud SMS <see cref="IMessageChannel"/> (addressed by <see cref="IdentityKind.Phone"/>, E.164 with
/// <c>+</c>). Messages with the same template and the same variables go out in one SendSms call (at most
/// <see cref="SmsProviderOptions.MaxBatchSize"/> numbers); a message sent alone carries its message id as
/// <c>SessionContext</c>. Each number's <c>SendStatusSet</c> entry becomes that message's result; its
/// <c>SerialNo</c> is the provider message id receipts are matched by. Tencent Cloud offers no lookup of a send by
/// <c>SessionContext</c> before its receipt, so a message whose earlier attempt went unanswered is not sent again
/// (<see cref="SmsMessageChannel.UnconfirmedCode"/>): at most once.
/// </summary>
public sealed partial class TencentCloudSmsChannel : SmsMessageChannel
{
    /// <summary>The provider id of the ledger and limit keys.</summary>
    public const string ProviderId = "tencent";

    private readonly TencentCloudSmsClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the channel.</summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The settings.</param>
    /// <param name="store">The shared state store (send ledger and per-number limits).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public TencentCloudSmsChannel(TencentCloudSmsClient client, TencentCloudSmsOptions options, IStateStore store, TimeProvider? timeProvider = null, ILogger<TencentCloudSmsChannel>? logger = null)
        : base(ProviderId, options, store, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    protected override bool CanReconcile => false;

    /// <inheritdoc />
    protected override async ValueTask<IReadOnlyList<SmsProviderResult>> SendToProviderAsync(IReadOnlyList<SmsOutgoing> messages, CancellationToken cancellationToken)
    {
        var results = new List<SmsProviderResult>(messages.Count);
        foreach (var group in messages.GroupBy(m => m.TemplateCode + "\u0001" + string.Join('\u0001', m.Parameters.Select(p => p.Value)), StringComparer.Ordinal))
        {
            var list = group.ToList();
            var context = list.Count == 1 ? list[0].MessageId : "batch:" + SmsPhone.Tag(string.Join('|', list.Select(m => m.MessageId)));
            var statuses = await _client.SendSmsAsync([.. list.Select(m => m.E164)], list[0].TemplateCode, [.. list[0].Parameters.Select(p => p.Value)], context, cancellationToken).ConfigureAwait(false);
            var unused = statuses.ToList();
            foreach (var m in list)
            {
                var status = unused.FirstOrDefault(s => s.PhoneNumber == m.E164) ?? unused.FirstOrDefault();
                if (status is null)
                {
                    results.Add(new SmsProviderResult(m.Index, false, null, null, null, true, null));
                    continue;
                }
                unused.Remove(status);
                results.Add(Map(m.Index, status));
            }
        }
        return results;
    }

    private SmsProviderResult Map(int index, TencentCloudSmsSendStatus status)
    {
        if (status.IsOk)
        {
            return new SmsProviderResult(index, true, status.SerialNo, null, null, false, null);
        }
        if (TencentCloudSmsErrorCodes.Deferral(status.Code, UntilChinaMidnight()) is { } wait)
        {
            return new SmsProviderResult(index, false, null, null, status.Code, true, wait) { IsDeferral = true };
        }
        return new SmsProviderResult(index, false, null, null, status.Code, TencentCloudSmsErrorCodes.IsTemporary(status.Code), null);
    }

    private TimeSpan UntilChinaMidnight()
    {
        var now = _time.GetUtcNow().ToOffset(TimeSpan.FromHours(8));
        return new DateTimeOffset(now.Date.AddDays(1), now.Offset) - now;
    }

    /// <inheritdoc />
    protected override ValueTask<string?> FindSentAsync(SmsOutgoing message, SmsLedgerEntry pending, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);

    /// <summary>
    /// Pulls receipts with PullSmsSendStatus (100 per call, each served once, until the queue is empty or
    /// <paramref name="maxCalls"/> calls were made) and reports them through <paramref name="inbound"/>. Call it
    /// periodically when the status callback is not configured. Returns how many receipts were reported.
    /// </summary>
    /// <param name="inbound">Reports the receipts.</param>
    /// <param name="maxCalls">The most pull calls (default 50).</param>
    /// <param name="cancellationToken">Cancels the pull.</param>
    public async Task<int> PullReceiptsAsync(SmsInbound inbound, int maxCalls = 50, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        var reported = 0;
        for (var call = 0; call < maxCalls; call++)
        {
            var receipts = await _client.PullSmsSendStatusAsync(100, cancellationToken).ConfigureAwait(false);
            foreach (var r in receipts)
            {
                if (await inbound.ReceiptAsync(Name, r.SerialNo, r.Delivered, r.Delivered ? null : "FAIL", r.ReceivedAt ?? _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
                {
                    reported++;
                }
                if (r.SessionContext is { Length: > 0 } context && await Ledger.GetAsync(ProviderId, context, cancellationToken).ConfigureAwait(false) is { State: SmsLedgerState.Sent } entry)
                {
                    await Ledger.SetAsync(ProviderId, context, SmsLedgerState.Final, entry.Phone, entry.ProviderMessageId, null, cancellationToken).ConfigureAwait(false);
                }
            }
            if (receipts.Count < 100)
            {
                break;
            }
        }
        LogPulled(_logger, reported);
        return reported;
    }

    [LoggerMessage(EventId = 5650, Level = LogLevel.Debug, Message = "Pulled Tencent Cloud SMS receipts: {Reported} reported")]
    private static partial void LogPulled(ILogger logger, int reported);
}
