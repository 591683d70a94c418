namespace Marketing.Sdk.Platforms.OceanEngine;

/// <summary>
/// Ocean Engine codes (the <c>code</c> of the answer envelope) and how each is handled. No public error table was found
/// for these: the values below are the ones commonly reported by integrators and are UNVERIFIED (see
/// docs/platforms/ocean-engine.md); any code not listed is a permanent business error.
/// </summary>
public static class OceanEngineErrorCodes
{
    /// <summary>Success.</summary>
    public const long Ok = 0;
    /// <summary>Too many requests (UNVERIFIED).</summary>
    public const long TooFrequent = 40100;
    /// <summary>The access token expired: refresh it and retry (UNVERIFIED).</summary>
    public const long AccessTokenExpired = 40102;
    /// <summary>The refresh token expired or was used: an administrator must authorise the app again (UNVERIFIED).</summary>
    public const long RefreshTokenExpired = 40103;
    /// <summary>The access token is empty (UNVERIFIED).</summary>
    public const long AccessTokenEmpty = 40104;
    /// <summary>The access token is invalid (e.g. replaced by a rotation another host made): take the current one (UNVERIFIED).</summary>
    public const long AccessTokenInvalid = 40105;
    /// <summary>The refresh token is invalid (UNVERIFIED).</summary>
    public const long RefreshTokenInvalid = 40107;
    /// <summary>The advertiser's or developer's quota is exhausted (UNVERIFIED).</summary>
    public const long QuotaExceeded = 40110;
    /// <summary>System error: retry (UNVERIFIED).</summary>
    public const long SystemError = 50000;
    /// <summary>The conversion API's code that the community SDK (bububa/oceanengine) treats as not an error; its meaning is UNVERIFIED.</summary>
    public const long ConversionNonFatal = 128;

    /// <summary>
    /// The class of a code: 0 succeeds (<see langword="null"/>); 40100 and 40110 rate limited (wait); 40102 and 40105
    /// expired token (refresh and retry once); 40103, 40104 and 40107 unauthorized (re-authorise); 50000–59999 transient;
    /// every other code a permanent business error.
    /// </summary>
    /// <param name="code">The envelope code.</param>
    public static PlatformErrorClass? Classify(long code) => code switch
    {
        Ok => null,
        TooFrequent or QuotaExceeded => PlatformErrorClass.RateLimited,
        AccessTokenExpired or AccessTokenInvalid => PlatformErrorClass.AuthenticationExpired,
        RefreshTokenExpired or AccessTokenEmpty or RefreshTokenInvalid => PlatformErrorClass.Unauthorized,
        >= 50000 and <= 59999 => PlatformErrorClass.Transient,
        _ => PlatformErrorClass.Permanent,
    };
}

/// <summary>
/// Maps the SDK's event types to Ocean Engine conversion <c>event_type</c>s (the event list of
/// https://event-manager.oceanengine.com/docs/8650/all_events/ as bububa/oceanengine <c>enum/conversion_event_type.go</c> carries it):
/// <list type="table">
/// <listheader><term>SDK event type</term><description>Ocean Engine <c>event_type</c></description></listheader>
/// <item><term><c>purchase</c></term><description><c>active_pay</c> (付费: a payment completed)</description></item>
/// <item><term><c>place_order</c></term><description><c>in_app_order</c> (提交订单)</description></item>
/// <item><term><c>add_to_cart</c></term><description><c>in_app_cart</c> (加入购物车)</description></item>
/// <item><term><c>sign_up</c></term><description><c>active_register</c> (注册)</description></item>
/// <item><term><c>product_view</c></term><description><c>in_app_detail_uv</c> (浏览重点页面)</description></item>
/// </list>
/// Others need an entry in <see cref="OceanEnginePlatformOptions.EventTypes"/>; without one a conversion is rejected before sending.
/// </summary>
public static class OceanEngineEventTypes
{
    /// <summary>The event type of an SDK event type, or <see langword="null"/>.</summary>
    /// <param name="eventType">The SDK event type.</param>
    /// <param name="options">The options (extra mappings).</param>
    public static string? Map(string eventType, OceanEnginePlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(options);
        if (options.EventTypes.TryGetValue(eventType, out var custom) && !string.IsNullOrWhiteSpace(custom))
        {
            return custom;
        }
        return eventType switch
        {
            "purchase" => "active_pay",
            "place_order" => "in_app_order",
            "add_to_cart" => "in_app_cart",
            "sign_up" => "active_register",
            "product_view" => "in_app_detail_uv",
            _ => null,
        };
    }
}

/// <summary>Exact money conversions for Ocean Engine, which states money in yuan.</summary>
public static class OceanEngineMoney
{
    /// <summary>Whether an amount is a non-negative number of whole fen (at most two decimals), as yuan amounts must be.</summary>
    /// <param name="yuan">The amount in yuan.</param>
    public static bool IsWholeFen(decimal yuan) => yuan >= 0 && yuan * 100m == decimal.Truncate(yuan * 100m);

    /// <summary>Yuan to fen when the amount is whole fen and not negative; <see langword="false"/> otherwise (never rounds).</summary>
    /// <param name="yuan">The amount in yuan.</param>
    /// <param name="fen">The amount in fen.</param>
    public static bool TryToFen(decimal yuan, out long fen)
    {
        fen = 0;
        if (!IsWholeFen(yuan) || yuan * 100m > long.MaxValue)
        {
            return false;
        }
        fen = (long)(yuan * 100m);
        return true;
    }
}
