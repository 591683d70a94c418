namespace Marketing.Sdk.Platforms.TikTok;

/// <summary>
/// Maps the SDK's event types to TikTok's standard event names (Events API 2.0):
/// <c>purchase</c> → <c>CompletePayment</c> (or <c>Purchase</c>, see <see cref="TikTokPlatformOptions.PurchaseEventName"/>),
/// <c>add_to_cart</c> → <c>AddToCart</c>, <c>begin_checkout</c> → <c>InitiateCheckout</c>,
/// <c>product_view</c> → <c>ViewContent</c>, <c>sign_up</c> → <c>CompleteRegistration</c>,
/// <c>search</c> → <c>Search</c>, <c>place_order</c> → <c>PlaceAnOrder</c>. Other types need an entry in
/// <see cref="TikTokPlatformOptions.EventNames"/>; without one a conversion is rejected before sending.
/// </summary>
public static class TikTokEvents
{
    /// <summary>The SDK event type for an order placed but not yet paid (TikTok <c>PlaceAnOrder</c>).</summary>
    public static EventType PlaceOrder { get; } = new("place_order");

    /// <summary>The TikTok event name of an SDK event type, or <see langword="null"/> when there is none.</summary>
    /// <param name="eventType">The SDK event type (e.g. <c>purchase</c>).</param>
    /// <param name="options">The client options (purchase name and extra mappings).</param>
    public static string? Map(string eventType, TikTokPlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(options);
        if (options.EventNames.TryGetValue(eventType, out var custom) && !string.IsNullOrWhiteSpace(custom))
        {
            return custom;
        }
        return eventType switch
        {
            "purchase" => options.PurchaseEventName,
            "add_to_cart" => "AddToCart",
            "begin_checkout" => "InitiateCheckout",
            "product_view" => "ViewContent",
            "sign_up" => "CompleteRegistration",
            "search" => "Search",
            "place_order" => "PlaceAnOrder",
            _ => null,
        };
    }
}

/// <summary>TikTok's business codes (the <c>code</c> of the answer envelope) and how each is handled.</summary>
public static class TikTokErrorCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>Partial success: some items were not taken; the answer's data says which.</summary>
    public const int PartialSuccess = 20001;
    /// <summary>No permission for the advertiser or operation.</summary>
    public const int NoPermission = 40001;
    /// <summary>A parameter is invalid (for Events API batches: one bad row fails the whole batch).</summary>
    public const int InvalidParameter = 40002;
    /// <summary>Too many requests.</summary>
    public const int RateLimited = 40100;
    /// <summary>The access token is missing or empty.</summary>
    public const int AccessTokenMissing = 40104;
    /// <summary>The access token is invalid, expired or revoked.</summary>
    public const int AccessTokenInvalid = 40105;
    /// <summary>A temporary internal error.</summary>
    public const int InternalTimeout = 40700;

    /// <summary>
    /// The class of a business code: 0 and 20001 succeed (<see langword="null"/>); 40100 rate limited;
    /// 40104/40105 expired token (refresh and retry once); 40001 unauthorized; 40700 and 5xxxx transient;
    /// every other code permanent.
    /// </summary>
    /// <param name="code">The envelope code.</param>
    public static PlatformErrorClass? Classify(int code) => code switch
    {
        Ok or PartialSuccess => null,
        RateLimited => PlatformErrorClass.RateLimited,
        AccessTokenMissing or AccessTokenInvalid => PlatformErrorClass.AuthenticationExpired,
        NoPermission => PlatformErrorClass.Unauthorized,
        InternalTimeout => PlatformErrorClass.Transient,
        >= 50000 and <= 59999 => PlatformErrorClass.Transient,
        _ => PlatformErrorClass.Permanent,
    };
}
