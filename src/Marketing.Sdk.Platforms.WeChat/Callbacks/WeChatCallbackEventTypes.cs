namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// The SDK events the WeCom and Official Account callbacks become. Each carries the customer's platform identity
/// (<see cref="IdentityKind.WeComExternalUserId"/> or <see cref="IdentityKind.WeChatOpenId"/>), so identity
/// resolution links it to the customer's profile, and an id derived from the callback's own fields, so the
/// platform's redeliveries (it retries three times) are stored once.
/// </summary>
public static class WeChatCallbackEventTypes
{
    /// <summary>A member (sales rep) and a customer became WeCom contacts (<c>change_external_contact</c> / <c>add_external_contact</c>).</summary>
    public static EventType WeComContactAdded { get; } = EventType.Create("wecom_contact_added");

    /// <summary>A WeCom contact ended: the member deleted the customer (<c>del_external_contact</c>) or the customer deleted the member (<c>del_follow_user</c>).</summary>
    public static EventType WeComContactRemoved { get; } = EventType.Create("wecom_contact_removed");

    /// <summary>The customer followed the Official Account (<c>subscribe</c>).</summary>
    public static EventType OfficialAccountFollowed { get; } = EventType.Create("wechat_follow");

    /// <summary>The customer unfollowed the Official Account (<c>unsubscribe</c>); they are also unsubscribed from its channel.</summary>
    public static EventType OfficialAccountUnfollowed { get; } = EventType.Create("wechat_unfollow");

    /// <summary>A subscribe message's (订阅通知) send result that names no message the SDK sent (its send API returns no id).</summary>
    public static EventType SubscribeMessageResult { get; } = EventType.Create("wechat_subscribe_message_result");

    /// <summary>The WeCom member (<c>UserID</c>) of a contact event.</summary>
    public const string FollowUserProperty = "follow_user";

    /// <summary>The <c>State</c> of the "contact me" entry or acquisition link a contact came through.</summary>
    public const string StateProperty = "state";

    /// <summary>The <c>WelcomeCode</c> of a new contact: send the welcome message with it (valid for a short time).</summary>
    public const string WelcomeCodeProperty = "welcome_code";

    /// <summary>Who ended a contact: <c>member</c> (<c>del_external_contact</c>) or <c>customer</c> (<c>del_follow_user</c>).</summary>
    public const string RemovedByProperty = "removed_by";

    /// <summary>The scene of a follow (the <c>EventKey</c> of a follow through a parametric QR code, without its <c>qrscene_</c> prefix).</summary>
    public const string SceneProperty = "scene";

    /// <summary>The template id of a subscribe message result.</summary>
    public const string TemplateProperty = "template";

    /// <summary>The platform's message id of a subscribe message result.</summary>
    public const string ProviderMessageIdProperty = "provider_message_id";

    /// <summary>The outcome of a subscribe message result: <c>delivered</c> or <c>failed</c>.</summary>
    public const string StatusProperty = "status";

    /// <summary>The platform's error code of a failed subscribe message.</summary>
    public const string ErrorCodeProperty = "error_code";
}
