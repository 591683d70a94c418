using System.Globalization;
using Marketing.Sdk.Platforms.Callbacks;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// The callbacks of one WeChat Official Account (服务号): URL verification answers <c>echostr</c> after the
/// <c>signature</c> check; pushes are decrypted in safe mode (<c>encrypt_type=aes</c>, <c>msg_signature</c>) and,
/// only when <see cref="WeChatOfficialAccountCallbackOptions.AllowPlaintext"/> is set, read in plaintext mode.
/// <c>subscribe</c> / <c>unsubscribe</c> become <see cref="WeChatCallbackEventTypes.OfficialAccountFollowed"/> /
/// <see cref="WeChatCallbackEventTypes.OfficialAccountUnfollowed"/> with the customer's openid, and an unfollow
/// unsubscribes the customer from the account's channel on the <see cref="ISuppressionList"/> (a new follow lifts
/// that unsubscribe). <c>TEMPLATESENDJOBFINISH</c> and <c>subscribe_msg_sent_event</c> are reported to the
/// <see cref="IMessageStatusReporter"/> by the platform's message id. Answers <c>success</c>.
/// </summary>
internal sealed class WeChatOfficialAccountCallbackHandler(WeChatOfficialAccountCallbackOptions options, IServiceProvider services, TimeProvider timeProvider, WeChatCallbackMetrics metrics, ILogger<WeChatOfficialAccountCallbackHandler> logger)
    : WeChatCallbackHandler<WeChatOfficialAccountCallbackOptions>(options, services, timeProvider, metrics, logger)
{
    private readonly Channel _channel = new(options.Channel);
    private readonly Channel _subscribeChannel = new(options.SubscribeMessageChannel ?? options.Channel);

    protected override string Acknowledgement => "success";

    protected override string VerifyUrl(PlatformCallbackRequest request, out string reserved)
    {
        var signature = Parameter(request, "signature");
        var timestamp = Parameter(request, "timestamp");
        var nonce = Parameter(request, "nonce");
        var echo = Parameter(request, "echostr");
        reserved = Authenticate(timestamp, signature, WeChatMessageCrypto.Sign(Options.Token, timestamp, nonce));
        // Echoed back verbatim: only a plain token is reflected.
        return echo.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? echo
            : throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.EchoFormat);
    }

    protected override WeChatCallbackXml Open(PlatformCallbackRequest request, out string reserved)
    {
        if (request.Query.TryGetValue("encrypt_type", out var mode) && string.Equals(mode, "aes", StringComparison.OrdinalIgnoreCase))
        {
            if (Crypto is null)
            {
                throw new WeChatCallbackRefusal(403, WeChatCallbackReasons.Signature);
            }
            return OpenEncrypted(request, out reserved);
        }
        if (!Options.AllowPlaintext)
        {
            throw new WeChatCallbackRefusal(403, WeChatCallbackReasons.PlaintextNotAllowed);
        }
        var signature = Parameter(request, "signature");
        var timestamp = Parameter(request, "timestamp");
        var nonce = Parameter(request, "nonce");
        reserved = Authenticate(timestamp, signature, WeChatMessageCrypto.Sign(Options.Token, timestamp, nonce));
        return WeChatCallbackXml.Parse(request.Body, MaxCharacters);
    }

    protected override async ValueTask<bool> HandleMessageAsync(WeChatCallbackXml message, CancellationToken cancellationToken)
    {
        var messageType = message["MsgType"] ?? "";
        var eventName = message["Event"] ?? "";
        if (!string.Equals(messageType, "event", StringComparison.Ordinal))
        {
            LogIgnored(messageType, "-");
            return false;
        }
        switch (eventName.ToLowerInvariant())
        {
            case "subscribe":
                await FollowAsync(message, eventName, cancellationToken).ConfigureAwait(false);
                return true;
            case "unsubscribe":
                await UnfollowAsync(message, eventName, cancellationToken).ConfigureAwait(false);
                return true;
            case "templatesendjobfinish":
                await TemplateFinishedAsync(message, cancellationToken).ConfigureAwait(false);
                return true;
            case "subscribe_msg_sent_event":
                await SubscribeMessagesSentAsync(message, eventName, cancellationToken).ConfigureAwait(false);
                return true;
            default:
                LogIgnored("event", eventName);
                return false;
        }
    }

    private MarketingEvent FollowEvent(WeChatCallbackXml message, string eventName, EventType type, IReadOnlyDictionary<string, PropertyValue>? properties = null)
    {
        var openId = Required(message, "FromUserName");
        return new MarketingEvent
        {
            Id = EventId("wechat", message["ToUserName"], openId, message["CreateTime"], eventName),
            Type = type,
            OccurredAt = CreateTime(message),
            Identities = [Identity.WeChatOpenId(openId)],
            Channel = _channel,
            Properties = properties ?? new Dictionary<string, PropertyValue>(0),
        };
    }

    private async ValueTask FollowAsync(WeChatCallbackXml message, string eventName, CancellationToken cancellationToken)
    {
        var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
        if (message["EventKey"] is { Length: > 0 and <= 128 } key)
        {
            properties[WeChatCallbackEventTypes.SceneProperty] = key.StartsWith("qrscene_", StringComparison.Ordinal) ? key["qrscene_".Length..] : key;
        }
        var customer = await TrackAsync(FollowEvent(message, eventName, WeChatCallbackEventTypes.OfficialAccountFollowed, properties), "subscribe", cancellationToken).ConfigureAwait(false);
        if (customer is not { } id || Optional<ISuppressionList>() is not { } suppressions)
        {
            return;
        }
        // Following again opts back in to the account's messages: lift the unfollow's unsubscribe (never a block or complaint).
        var entries = await suppressions.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (entries.Any(e => e.Channel == _channel && e.Reason == SuppressionReason.Unsubscribed)
            && await suppressions.RemoveAsync(id, _channel, cancellationToken).ConfigureAwait(false))
        {
            WeChatCallbackLog.Resubscribed(Logger, Name, _channel.Value);
        }
    }

    private async ValueTask UnfollowAsync(WeChatCallbackXml message, string eventName, CancellationToken cancellationToken)
    {
        var customer = await TrackAsync(FollowEvent(message, eventName, WeChatCallbackEventTypes.OfficialAccountUnfollowed), "unsubscribe", cancellationToken).ConfigureAwait(false);
        if (Optional<ISuppressionList>() is not { } suppressions)
        {
            return;
        }
        if (customer is not { } id)
        {
            WeChatCallbackLog.NoCustomer(Logger, Name, "unsubscribe");
            return;
        }
        await suppressions.AddAsync(id, _channel, SuppressionReason.Unsubscribed, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask TemplateFinishedAsync(WeChatCallbackXml message, CancellationToken cancellationToken)
    {
        // The platform spells it MsgID; some SDKs read MsgId.
        var messageId = message["MsgID"] ?? message["MsgId"];
        if (messageId is not { Length: > 0 and <= 64 } || !messageId.All(char.IsAsciiDigit))
        {
            throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
        }
        var (status, code) = TemplateStatus(message["Status"] ?? "");
        await ReportAsync(_channel, messageId, status, CreateTime(message), code, "TEMPLATESENDJOBFINISH", cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SubscribeMessagesSentAsync(WeChatCallbackXml message, string eventName, CancellationToken cancellationToken)
    {
        var occurredAt = CreateTime(message);
        foreach (var item in message.List("SubscribeMsgSentEvent"))
        {
            if (item.GetValueOrDefault("MsgID") is not { Length: > 0 and <= 64 } messageId || !messageId.All(char.IsAsciiDigit))
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Malformed);
            }
            var errorCode = item.GetValueOrDefault("ErrorCode") ?? "";
            var delivered = errorCode == "0";
            var code = delivered ? null : PlatformCode(errorCode);
            var status = delivered ? ProviderMessageStatus.Delivered : ProviderMessageStatus.Failed;
            if (await ReportAsync(_subscribeChannel, messageId, status, occurredAt, code, eventName, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            // bizsend returns no message id, so the result usually names no SDK message: keep it as an event of the customer.
            var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal)
            {
                [WeChatCallbackEventTypes.ProviderMessageIdProperty] = messageId,
                [WeChatCallbackEventTypes.StatusProperty] = delivered ? "delivered" : "failed",
                [MessageEventTypes.ChannelProperty] = _subscribeChannel.Value,
            };
            if (item.GetValueOrDefault("TemplateId") is { Length: > 0 and <= 128 } template)
            {
                properties[WeChatCallbackEventTypes.TemplateProperty] = template;
            }
            if (code is not null)
            {
                properties[WeChatCallbackEventTypes.ErrorCodeProperty] = code;
            }
            var openId = Required(message, "FromUserName");
            await TrackAsync(new MarketingEvent
            {
                Id = EventId("wechat", message["ToUserName"], openId, message["CreateTime"], eventName, messageId),
                Type = WeChatCallbackEventTypes.SubscribeMessageResult,
                OccurredAt = occurredAt,
                Identities = [Identity.WeChatOpenId(openId)],
                Channel = _subscribeChannel,
                Properties = properties,
            }, eventName, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<bool> ReportAsync(Channel channel, string messageId, ProviderMessageStatus status, DateTimeOffset occurredAt, string? code, string what, CancellationToken cancellationToken)
    {
        if (Optional<IMessageStatusReporter>() is not { } reporter)
        {
            WeChatCallbackLog.NoReporter(Logger, Name);
            return false;
        }
        var known = await reporter.ReportAsync(channel, messageId, status, occurredAt, code, cancellationToken).ConfigureAwait(false);
        if (known)
        {
            WeChatCallbackLog.Reported(Logger, Name, what, status);
        }
        else
        {
            WeChatCallbackLog.UnknownMessage(Logger, Name, what);
        }
        return known;
    }

    /// <summary>
    /// The template send result (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html):
    /// <c>success</c>, <c>failed:user block</c> (the user refuses the account's messages), <c>failed: system failed</c>;
    /// other <c>failed:…</c> kinds are seen too (<c>failed:freq limit</c>).
    /// </summary>
    internal static (ProviderMessageStatus Status, string? Code) TemplateStatus(string status)
    {
        if (string.Equals(status.Trim(), "success", StringComparison.OrdinalIgnoreCase))
        {
            return (ProviderMessageStatus.Delivered, null);
        }
        var reason = status.StartsWith("failed:", StringComparison.OrdinalIgnoreCase) ? status["failed:".Length..] : status;
        return (ProviderMessageStatus.Failed, PlatformCode(reason));
    }

    /// <summary>A platform code safe to store: lower-case ASCII letters, digits and '_', at most 64 (<c>user block</c> → <c>user_block</c>).</summary>
    internal static string PlatformCode(string text)
    {
        var chars = text.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(64).ToArray();
        var code = new string(chars).Trim('_');
        return code.Length == 0 ? "unknown" : code;
    }
}
