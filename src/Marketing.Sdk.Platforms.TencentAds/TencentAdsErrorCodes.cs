namespace Marketing.Sdk.Platforms.TencentAds;

/// <summary>Tencent Ads business codes (the <c>code</c> of the answer envelope) and how each is handled (https://developers.e.qq.com/v3.0/docs/errors).</summary>
public static class TencentAdsErrorCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>System busy: retry.</summary>
    public const int SystemBusy = 10000;
    /// <summary>System maintenance: retry later.</summary>
    public const int Maintenance = 10001;
    /// <summary>The access token expired: refresh it and retry.</summary>
    public const int AccessTokenExpired = 11000;
    /// <summary>The access token is invalid (e.g. replaced by a rotation another host made): take the current one.</summary>
    public const int AccessTokenInvalid = 11002;
    /// <summary>Too many requests (11008, 11016–11019 are the per-second, per-minute and per-day limits).</summary>
    public const int RateLimited = 11008;
    /// <summary>The refresh token expired or was used up: an administrator must authorise the app again.</summary>
    public const int RefreshTokenExpired = 11012;
    /// <summary>The token lacks the scope of the operation.</summary>
    public const int OutOfScope = 11014;
    /// <summary>The first of the system exceptions (30000–30099) worth one to three retries.</summary>
    public const int SystemExceptionFirst = 30000;
    /// <summary>The last of the system exceptions.</summary>
    public const int SystemExceptionLast = 30099;

    /// <summary>
    /// The class of a code: 0 succeeds (<see langword="null"/>); 10000, 10001 and 30000–30099 transient (retry);
    /// 11000, 11002, 11004 and 11005 expired token (refresh and retry once); 11008 and 11016–11019 rate limited (wait);
    /// 11012 and 11014 unauthorized (re-authorise: no retry helps); every other code a permanent business error.
    /// </summary>
    /// <param name="code">The envelope code.</param>
    public static PlatformErrorClass? Classify(int code) => code switch
    {
        Ok => null,
        SystemBusy or Maintenance => PlatformErrorClass.Transient,
        >= SystemExceptionFirst and <= SystemExceptionLast => PlatformErrorClass.Transient,
        AccessTokenExpired or AccessTokenInvalid or 11004 or 11005 => PlatformErrorClass.AuthenticationExpired,
        RateLimited or 11016 or 11017 or 11018 or 11019 => PlatformErrorClass.RateLimited,
        RefreshTokenExpired or OutOfScope => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };
}

/// <summary>
/// Maps the SDK's event types to Tencent Ads <c>action_type</c>s: <c>purchase</c> → <c>PURCHASE</c>,
/// <c>place_order</c> → <c>COMPLETE_ORDER</c>, <c>add_to_cart</c> → <c>ADD_TO_CART</c>, <c>sign_up</c> → <c>REGISTER</c>,
/// <c>product_view</c> → <c>VIEW_CONTENT</c>, <c>begin_checkout</c> → <c>CHECKOUT</c>, <c>search</c> → <c>SEARCH</c>.
/// Others need an entry in <see cref="TencentAdsPlatformOptions.ActionTypes"/>; without one a conversion is rejected before sending.
/// </summary>
public static class TencentAdsActionTypes
{
    /// <summary>The SDK event type for an order placed (Tencent <c>COMPLETE_ORDER</c>, 下单).</summary>
    public static EventType PlaceOrder { get; } = new("place_order");

    /// <summary>The action type of an SDK event type, or <see langword="null"/>.</summary>
    /// <param name="eventType">The SDK event type.</param>
    /// <param name="options">The options (extra mappings).</param>
    public static string? Map(string eventType, TencentAdsPlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ActionTypes.TryGetValue(eventType, out var custom) && !string.IsNullOrWhiteSpace(custom))
        {
            return custom;
        }
        return eventType switch
        {
            "purchase" => "PURCHASE",
            "place_order" => "COMPLETE_ORDER",
            "add_to_cart" => "ADD_TO_CART",
            "sign_up" => "REGISTER",
            "product_view" => "VIEW_CONTENT",
            "begin_checkout" => "CHECKOUT",
            "search" => "SEARCH",
            _ => null,
        };
    }
}
