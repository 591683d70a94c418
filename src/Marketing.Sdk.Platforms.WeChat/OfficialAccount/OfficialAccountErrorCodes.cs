namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>
/// The Official Account's business codes (the <c>errcode</c> of the <c>{errcode, errmsg}</c> envelope, sent with
/// HTTP 200) and how each is handled. Sources: the global return-code table
/// (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html), the stable_token page
/// (https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken) and the template/subscribe
/// message pages; see docs/platforms/wechat-official-account.md.
/// </summary>
public static class OfficialAccountErrorCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>System busy: retry later.</summary>
    public const int SystemBusy = -1;
    /// <summary>Invalid credential (the access token is invalid or not the latest).</summary>
    public const int InvalidCredential = 40001;
    /// <summary>Invalid openid (not a user of this account).</summary>
    public const int InvalidOpenId = 40003;
    /// <summary>Invalid AppID.</summary>
    public const int InvalidAppId = 40013;
    /// <summary>Invalid access token.</summary>
    public const int InvalidAccessToken = 40014;
    /// <summary>Invalid template id.</summary>
    public const int InvalidTemplateId = 40037;
    /// <summary>Invalid AppSecret.</summary>
    public const int InvalidAppSecret = 40125;
    /// <summary>The caller's IP is not on the account's IP allow-list.</summary>
    public const int IpNotAllowed = 40164;
    /// <summary>The access token expired.</summary>
    public const int AccessTokenExpired = 42001;
    /// <summary>The recipient does not follow the account (template messages need a follower).</summary>
    public const int RequireSubscribe = 43004;
    /// <summary>The user refused (or has no remaining) subscribe-message authorisation for the template.</summary>
    public const int UserRefused = 43101;
    /// <summary>The daily quota of the API is used up (also: stable_token force refreshes beyond the daily limit).</summary>
    public const int DailyQuota = 45009;
    /// <summary>The per-minute quota of the API is used up.</summary>
    public const int MinuteQuota = 45011;
    /// <summary>A template parameter is invalid (wrong key, too long, wrong characters for its kind).</summary>
    public const int InvalidArgument = 47003;
    /// <summary>The API is not authorised for this account.</summary>
    public const int ApiUnauthorized = 48001;
    /// <summary>The user has not authorised the API.</summary>
    public const int UserUnauthorized = 50001;
    /// <summary>The user is restricted (possibly banned).</summary>
    public const int UserRestricted = 50002;

    /// <summary>
    /// The class of a business code: 0 succeeds (<see langword="null"/>); -1 transient; 45009 and 45011 rate limited;
    /// 40001, 40014 and 42001 expired token (fetch a token and retry once); 40013, 40125, 40164, 48001 unauthorized
    /// (an operator must fix the account); every other code permanent.
    /// </summary>
    /// <param name="code">The <c>errcode</c>.</param>
    public static PlatformErrorClass? Classify(int code) => code switch
    {
        Ok => null,
        SystemBusy => PlatformErrorClass.Transient,
        DailyQuota or MinuteQuota => PlatformErrorClass.RateLimited,
        InvalidCredential or InvalidAccessToken or AccessTokenExpired => PlatformErrorClass.AuthenticationExpired,
        InvalidAppId or InvalidAppSecret or IpNotAllowed or ApiUnauthorized => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };

    /// <summary>Whether a code concerns one recipient only (not a follower, refused, invalid openid, restricted), so the other messages of a call go on.</summary>
    /// <param name="code">The <c>errcode</c>.</param>
    public static bool IsRecipientError(int code) =>
        code is RequireSubscribe or UserRefused or InvalidOpenId or UserUnauthorized or UserRestricted or InvalidArgument;
}
