using System.Text.Json;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Sms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>
/// Receives Alibaba Cloud SMS HTTP batch pushes (回执消息 HTTP批量推送): SmsReport (delivery receipts, a JSON array
/// of <c>{phone_number, send_time, report_time, success, err_code, err_msg, sms_size, biz_id, out_id}</c>) become
/// delivery status, SmsUp (replies, <c>{phone_number, send_time, content, sign_name, dest_code, sequence_id}</c>)
/// with an unsubscribe keyword become suppressions. Alibaba Cloud does not sign these pushes, so the handler requires
/// the secret <see cref="SmsProviderOptions.CallbackToken"/> as the <c>token</c> query parameter of the URL configured
/// in the console (serve it over HTTPS only). Answers <c>{"code":0,"msg":"接收成功"}</c>; a failure to record answers
/// 500 so that Alibaba Cloud pushes again (after 1, 5 and 10 minutes).
/// </summary>
public sealed partial class AliyunSmsCallbackHandler : IPlatformCallbackHandler
{
    /// <summary>The most items one push may carry.</summary>
    public const int MaxItems = 1000;

    private readonly AliyunSmsOptions _options;
    private readonly SmsInbound _inbound;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The settings (token, channel name, keywords).</param>
    /// <param name="inbound">Records replies and receipts.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public AliyunSmsCallbackHandler(AliyunSmsOptions options, SmsInbound inbound, TimeProvider? timeProvider = null, ILogger<AliyunSmsCallbackHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inbound);
        _options = options;
        _inbound = inbound;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => "aliyun-sms";

    /// <inheritdoc />
    public int MaxBodyBytes => 1024 * 1024;

    /// <inheritdoc />
    public async ValueTask<PlatformCallbackResponse> HandleAsync(PlatformCallbackRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return PlatformCallbackResponse.Refused(405, "POST only");
        }
        if (!SmsInbound.HasToken(request, _options.CallbackToken))
        {
            LogRefused(_logger);
            return PlatformCallbackResponse.Refused(401, "missing or wrong token");
        }
        List<SmsReportItem>? items;
        try
        {
            items = JsonSerializer.Deserialize(request.Body.Span, AliyunSmsJsonContext.Default.ListSmsReportItem);
        }
        catch (JsonException)
        {
            return PlatformCallbackResponse.Refused(400, "the body is not a JSON array of push items");
        }
        if (items is null || items.Count > MaxItems || items.Any(i => i is null))
        {
            return PlatformCallbackResponse.Refused(400, "the body is not a JSON array of at most 1000 push items");
        }
        var channel = Channel.Create(_options.ChannelName);
        int receipts = 0, unmatched = 0, unsubscribes = 0;
        foreach (var item in items)
        {
            var e164 = item.PhoneNumber is { Length: > 0 and <= 32 } phone ? SmsPhone.ToE164(phone, _options.DefaultRegion) : null;
            if (item.Content is not null)
            {
                if (e164 is not null && await _inbound.ReplyAsync(channel, e164, item.Content, _options.EffectiveUnsubscribeKeywords, cancellationToken).ConfigureAwait(false))
                {
                    unsubscribes++;
                }
                continue;
            }
            if (item.Success is not { } success)
            {
                unmatched++;
                continue;
            }
            var at = AliyunSmsClient.ParseChinaTime(item.ReportTime) ?? _time.GetUtcNow();
            var matched = item.OutId is { Length: > 0 and <= 200 } outId
                && await _inbound.ReceiptAsync(channel, AliyunSmsChannel.SingleMessageId(outId), success, item.ErrCode, at, cancellationToken).ConfigureAwait(false);
            if (!matched && item.BizId is { Length: > 0 and <= 128 } bizId && e164 is not null)
            {
                matched = await _inbound.ReceiptAsync(channel, AliyunSmsChannel.BatchMessageId(bizId, e164), success, item.ErrCode, at, cancellationToken).ConfigureAwait(false);
            }
            if (matched)
            {
                receipts++;
            }
            else
            {
                unmatched++;
            }
        }
        LogHandled(_logger, items.Count, receipts, unsubscribes, unmatched);
        return new PlatformCallbackResponse(200, JsonSerializer.Serialize(new PushAnswer(0, "接收成功"), AliyunSmsJsonContext.Default.PushAnswer), "application/json; charset=utf-8");
    }

    [LoggerMessage(EventId = 5610, Level = LogLevel.Warning, Message = "An Alibaba Cloud SMS push was refused: missing or wrong token")]
    private static partial void LogRefused(ILogger logger);

    [LoggerMessage(EventId = 5611, Level = LogLevel.Information, Message = "Alibaba Cloud SMS push: {Items} items, {Receipts} receipts recorded, {Unsubscribes} unsubscribes, {Unmatched} unmatched")]
    private static partial void LogHandled(ILogger logger, int items, int receipts, int unsubscribes, int unmatched);
}
