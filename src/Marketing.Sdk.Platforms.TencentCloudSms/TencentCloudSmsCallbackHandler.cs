using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Sms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>
/// Receives Tencent Cloud SMS callbacks on one URL: the status callback (短信下发状态通知, a JSON array of
/// <c>{user_receive_time, nationcode, mobile, report_status, errmsg, description, sid}</c>) becomes delivery status
/// matched by <c>sid</c> (the SerialNo), the reply callback (短信回复, a JSON object
/// <c>{extend, mobile, nationcode, sign, text, time}</c>) with an unsubscribe keyword becomes a suppression. Tencent
/// Cloud does not sign callbacks, so the handler requires the secret <see cref="SmsProviderOptions.CallbackToken"/> as
/// the <c>token</c> query parameter of the callback URL configured in the console (serve it over HTTPS only).
/// Answers <c>{"result":0,"errmsg":"OK"}</c>.
/// </summary>
public sealed partial class TencentCloudSmsCallbackHandler : IPlatformCallbackHandler
{
    /// <summary>The most receipts one callback may carry.</summary>
    public const int MaxItems = 1000;

    private readonly TencentCloudSmsOptions _options;
    private readonly SmsInbound _inbound;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The settings (token, channel name, keywords).</param>
    /// <param name="inbound">Records replies and receipts.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public TencentCloudSmsCallbackHandler(TencentCloudSmsOptions options, SmsInbound inbound, TimeProvider? timeProvider = null, ILogger<TencentCloudSmsCallbackHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inbound);
        _options = options;
        _inbound = inbound;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => "tencent-sms";

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
        var channel = Channel.Create(_options.ChannelName);
        var span = request.Body.Span.TrimStart(" \t\r\n"u8);
        try
        {
            if (span.Length > 0 && span[0] == (byte)'{')
            {
                var reply = JsonSerializer.Deserialize(span, TencentCloudSmsJsonContext.Default.ReplyCallback);
                if (reply?.Mobile is not { Length: > 0 and <= 32 } mobile)
                {
                    return PlatformCallbackResponse.Refused(400, "the reply has no mobile");
                }
                var e164 = SmsPhone.ToE164(Full(reply.NationCode, mobile), _options.DefaultRegion);
                var unsubscribed = e164 is not null && await _inbound.ReplyAsync(channel, e164, reply.Text, _options.EffectiveUnsubscribeKeywords, cancellationToken).ConfigureAwait(false);
                LogReply(_logger, unsubscribed);
                return Ok();
            }
            var items = JsonSerializer.Deserialize(span, TencentCloudSmsJsonContext.Default.ListStatusCallbackItem);
            if (items is null || items.Count > MaxItems || items.Any(i => i is null))
            {
                return PlatformCallbackResponse.Refused(400, "the body is not a JSON array of at most 1000 receipts");
            }
            int matched = 0, unmatched = 0;
            foreach (var item in items)
            {
                if (item.Sid is not { Length: > 0 and <= 128 } sid || item.ReportStatus is not ("SUCCESS" or "FAIL"))
                {
                    unmatched++;
                    continue;
                }
                var at = DateTime.TryParseExact(item.UserReceiveTime, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
                    ? new DateTimeOffset(local, TimeSpan.FromHours(8)) : _time.GetUtcNow();
                if (await _inbound.ReceiptAsync(channel, sid, item.ReportStatus == "SUCCESS", item.ErrMsg, at, cancellationToken).ConfigureAwait(false))
                {
                    matched++;
                }
                else
                {
                    unmatched++;
                }
            }
            LogReceipts(_logger, items.Count, matched, unmatched);
            return Ok();
        }
        catch (JsonException)
        {
            return PlatformCallbackResponse.Refused(400, "the body is not a Tencent Cloud SMS callback");
        }
    }

    private static string Full(string? nationCode, string mobile) =>
        nationCode is { Length: > 0 and <= 4 } code && code.All(char.IsAsciiDigit) && !mobile.StartsWith('+') ? "+" + code + mobile : mobile;

    private static PlatformCallbackResponse Ok() =>
        new(200, JsonSerializer.Serialize(new CallbackAnswer(0, "OK"), TencentCloudSmsJsonContext.Default.CallbackAnswer), "application/json; charset=utf-8");

    [LoggerMessage(EventId = 5660, Level = LogLevel.Warning, Message = "A Tencent Cloud SMS callback was refused: missing or wrong token")]
    private static partial void LogRefused(ILogger logger);

    [LoggerMessage(EventId = 5661, Level = LogLevel.Information, Message = "Tencent Cloud SMS status callback: {Items} receipts, {Matched} recorded, {Unmatched} unmatched")]
    private static partial void LogReceipts(ILogger logger, int items, int matched, int unmatched);

    [LoggerMessage(EventId = 5662, Level = LogLevel.Information, Message = "Tencent Cloud SMS reply callback handled (unsubscribed: {Unsubscribed})")]
    private static partial void LogReply(ILogger logger, bool unsubscribed);
}
