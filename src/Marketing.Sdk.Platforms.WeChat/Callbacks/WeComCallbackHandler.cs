using Marketing.Sdk.Platforms.Callbacks;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// The callbacks of one WeCom app (https://developer.work.weixin.qq.com/document/path/90930 "接收消息与事件";
/// customer-contact events, https://developer.work.weixin.qq.com/document/path/92130). URL verification decrypts
/// <c>echostr</c> and answers its plaintext; pushes are always encrypted. <c>change_external_contact</c> events
/// become <see cref="WeChatCallbackEventTypes.WeComContactAdded"/> (with the <c>WelcomeCode</c>) and
/// <see cref="WeChatCallbackEventTypes.WeComContactRemoved"/>, each with the customer's
/// <see cref="IdentityKind.WeComExternalUserId"/>; other messages are acknowledged and not recorded.
/// </summary>
internal sealed class WeComCallbackHandler(WeComCallbackOptions options, IServiceProvider services, TimeProvider timeProvider, WeChatCallbackMetrics metrics, ILogger<WeComCallbackHandler> logger)
    : WeChatCallbackHandler<WeComCallbackOptions>(options, services, timeProvider, metrics, logger)
{
    private const int MaxEchoLength = 1024;

    private readonly Channel _channel = new(options.Channel);

    /// <summary>WeCom takes an empty answer as "received, no reply".</summary>
    protected override string Acknowledgement => "";

    protected override string VerifyUrl(PlatformCallbackRequest request, out string reserved)
    {
        var signature = Parameter(request, "msg_signature");
        var timestamp = Parameter(request, "timestamp");
        var nonce = Parameter(request, "nonce");
        var echo = Parameter(request, "echostr", MaxEchoLength);
        reserved = Authenticate(timestamp, signature, WeChatMessageCrypto.Sign(Options.Token, timestamp, nonce, echo));
        return Crypto!.Decrypt(echo);
    }

    protected override WeChatCallbackXml Open(PlatformCallbackRequest request, out string reserved) =>
        OpenEncrypted(request, out reserved);

    protected override async ValueTask<bool> HandleMessageAsync(WeChatCallbackXml message, CancellationToken cancellationToken)
    {
        var messageType = message["MsgType"] ?? "";
        var eventName = message["Event"] ?? "";
        var change = message["ChangeType"] ?? "";
        if (!string.Equals(messageType, "event", StringComparison.Ordinal) || !string.Equals(eventName, "change_external_contact", StringComparison.Ordinal))
        {
            LogIgnored(messageType, eventName);
            return false;
        }
        EventType type;
        var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
        switch (change)
        {
            case "add_external_contact":
                type = WeChatCallbackEventTypes.WeComContactAdded;
                Add(properties, WeChatCallbackEventTypes.StateProperty, message["State"]);
                Add(properties, WeChatCallbackEventTypes.WelcomeCodeProperty, message["WelcomeCode"]);
                break;
            case "del_external_contact":
                type = WeChatCallbackEventTypes.WeComContactRemoved;
                properties[WeChatCallbackEventTypes.RemovedByProperty] = "member";
                break;
            case "del_follow_user":
                type = WeChatCallbackEventTypes.WeComContactRemoved;
                properties[WeChatCallbackEventTypes.RemovedByProperty] = "customer";
                break;
            default:
                LogIgnored("event", eventName + "/" + change);
                return false;
        }
        var externalUserId = Required(message, "ExternalUserID");
        Add(properties, WeChatCallbackEventTypes.FollowUserProperty, message["UserID"]);
        var marketingEvent = new MarketingEvent
        {
            Id = EventId("wecom", message["ToUserName"], message["FromUserName"], message["CreateTime"], eventName, change, message["UserID"], externalUserId),
            Type = type,
            OccurredAt = CreateTime(message),
            Identities = [Identity.WeComExternalUserId(externalUserId)],
            Channel = _channel,
            Properties = properties,
        };
        await TrackAsync(marketingEvent, eventName + "/" + change, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static void Add(Dictionary<string, PropertyValue> properties, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value) && value.Length <= 256)
        {
            properties[name] = value;
        }
    }
}
