namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// WeCom's <c>errcode</c> values the client acts on, and their <see cref="PlatformErrorClass"/>. Sources: the global
/// error-code page (https://developer.work.weixin.qq.com/document/path/90313) and the pages of each endpoint; see
/// docs/platforms/wechat.md. Codes not listed here are business errors: permanent.
/// </summary>
public static class WeComErrorCodes
{
    /// <summary><c>-1</c>: system busy; retry.</summary>
    public const int SystemBusy = -1;
    /// <summary><c>40001</c>: invalid secret (on <c>gettoken</c>) or invalid credential.</summary>
    public const int InvalidCredential = 40001;
    /// <summary><c>40013</c>: invalid corp id.</summary>
    public const int InvalidCorpId = 40013;
    /// <summary><c>40014</c>: invalid access token.</summary>
    public const int InvalidAccessToken = 40014;
    /// <summary><c>41001</c>: access token missing.</summary>
    public const int AccessTokenMissing = 41001;
    /// <summary><c>42001</c>: access token expired.</summary>
    public const int AccessTokenExpired = 42001;
    /// <summary><c>45009</c>: API call frequency or quota exceeded.</summary>
    public const int FrequencyLimit = 45009;
    /// <summary><c>45011</c>: API called too often.</summary>
    public const int CalledTooOften = 45011;
    /// <summary><c>45033</c>: too many concurrent calls.</summary>
    public const int ConcurrencyLimit = 45033;
    /// <summary><c>41063</c>: the mass message is still being dispatched; try again later.</summary>
    public const int MassMessageDispatching = 41063;
    /// <summary><c>48002</c>: the API is forbidden for this application.</summary>
    public const int ApiForbidden = 48002;
    /// <summary><c>60011</c>: no privilege over the member, department or tag.</summary>
    public const int NoPrivilege = 60011;
    /// <summary><c>60020</c>: the caller's IP is not on the application's trusted list.</summary>
    public const int IpNotAllowed = 60020;
    /// <summary><c>40096</c>: invalid external contact user id.</summary>
    public const int InvalidExternalUserId = 40096;
    /// <summary><c>84061</c>: no external-contact relationship (the customer deleted the member, or never added them).</summary>
    public const int NotExternalContact = 84061;
    /// <summary><c>81013</c>: every recipient of an app message is invalid.</summary>
    public const int AllRecipientsInvalid = 81013;
    /// <summary><c>41051</c>: the welcome code is invalid, expired or used.</summary>
    public const int InvalidWelcomeCode = 41051;

    /// <summary>The class of a non-zero <c>errcode</c>.</summary>
    /// <param name="code">The code.</param>
    /// <param name="onTokenEndpoint">Whether the answer came from <c>gettoken</c> (where 40001 means a wrong secret, not an expired token).</param>
    public static PlatformErrorClass Classify(int code, bool onTokenEndpoint = false) => code switch
    {
        SystemBusy or MassMessageDispatching => PlatformErrorClass.Transient,
        FrequencyLimit or CalledTooOften or ConcurrencyLimit => PlatformErrorClass.RateLimited,
        InvalidCredential or InvalidCorpId when onTokenEndpoint => PlatformErrorClass.Unauthorized,
        InvalidAccessToken or AccessTokenExpired or InvalidCredential or AccessTokenMissing => PlatformErrorClass.AuthenticationExpired,
        ApiForbidden or NoPrivilege or IpNotAllowed or InvalidCorpId => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };

    /// <summary>Whether a code says the customer cannot be reached on WeCom (no relationship, invalid external user id).</summary>
    /// <param name="code">The code.</param>
    public static bool IsInvalidRecipient(int code) => code is NotExternalContact or InvalidExternalUserId or AllRecipientsInvalid;
}
