using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>Shared rules for the lower-case names the SDK uses for event types, channels and purposes.</summary>
internal static class Names
{
    /// <summary>Lower-cases, trims and turns spaces and hyphens into underscores; validates <c>[a-z0-9_.]{1,64}</c> starting with a letter.</summary>
    public static string Normalize(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new MarketingValidationException(field, ValidationReason.Missing, "A name is required.");
        }
        var span = value.Trim();
        if (span.Length > 64)
        {
            throw new MarketingValidationException(field, ValidationReason.TooLarge, "Names are at most 64 characters.");
        }
        var chars = new char[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            var c = char.ToLowerInvariant(span[i]);
            c = c is ' ' or '-' ? '_' : c;
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.') || (i == 0 && !char.IsAsciiLetterLower(c)))
            {
                throw new MarketingValidationException(field, ValidationReason.InvalidFormat,
                    "Names start with a letter and contain only ASCII letters, digits, '_' and '.'.");
            }
            chars[i] = c;
        }
        return new string(chars);
    }
}

/// <summary>JSON converter for the string-valued name types (<see cref="EventType"/>, <see cref="Channel"/>, <see cref="ConsentPurpose"/>), also as dictionary keys.</summary>
/// <typeparam name="T">The name type.</typeparam>
public sealed class NameJsonConverter<T> : JsonConverter<T> where T : struct, INameValue<T>
{
    /// <summary>Reads a name.</summary>
    /// <exception cref="JsonException">The token is not a string (or is JSON null), or the name is empty, too long or malformed; the message names the field and the reason, never the value.</exception>
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Create(JsonReadErrors.ReadString(ref reader, T.FieldName));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);

    /// <summary>Reads a name used as a dictionary key.</summary>
    /// <exception cref="JsonException">The name is empty, too long or malformed.</exception>
    /// <inheritdoc />
    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Create(JsonReadErrors.ReadString(ref reader, T.FieldName));

    private static T Create(string value)
    {
        try
        {
            return T.Create(value);
        }
        catch (MarketingValidationException ex)
        {
            throw JsonReadErrors.From(ex);
        }
    }

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WritePropertyName(value.Value);
}

/// <summary>A value type that wraps a normalised name.</summary>
/// <typeparam name="T">The implementing type.</typeparam>
public interface INameValue<T> where T : struct, INameValue<T>
{
    /// <summary>The normalised name.</summary>
    string Value { get; }

    /// <summary>Creates (and normalises) a value.</summary>
    /// <param name="value">The name.</param>
    static abstract T Create(string value);

    /// <summary>The field name validation errors are reported under (e.g. <c>type</c>, <c>channel</c>).</summary>
    static abstract string FieldName { get; }
}

/// <summary>
/// The type of a <see cref="MarketingEvent"/>: one of the well-known types below or any custom
/// snake_case name (e.g. <c>coupon_redeemed</c>).
/// </summary>
[JsonConverter(typeof(NameJsonConverter<EventType>))]
public readonly record struct EventType : INameValue<EventType>
{
    /// <summary>Creates an event type; the name is normalised to lower snake_case.</summary>
    /// <param name="value">The name.</param>
    public EventType(string value) => Value = Names.Normalize(value, "type");

    /// <inheritdoc />
    public string Value { get; }

    /// <inheritdoc />
    public static EventType Create(string value) => new(value);

    /// <inheritdoc />
    public static string FieldName => "type";

    /// <summary>A page was viewed.</summary>
    public static EventType PageView { get; } = new("page_view");
    /// <summary>A product detail was viewed.</summary>
    public static EventType ProductView { get; } = new("product_view");
    /// <summary>A search was run.</summary>
    public static EventType Search { get; } = new("search");
    /// <summary>A product was added to the cart.</summary>
    public static EventType AddToCart { get; } = new("add_to_cart");
    /// <summary>A product was removed from the cart.</summary>
    public static EventType RemoveFromCart { get; } = new("remove_from_cart");
    /// <summary>Checkout began.</summary>
    public static EventType BeginCheckout { get; } = new("begin_checkout");
    /// <summary>An order was placed.</summary>
    public static EventType Purchase { get; } = new("purchase");
    /// <summary>An order was (partly) refunded.</summary>
    public static EventType Refund { get; } = new("refund");
    /// <summary>An account was created.</summary>
    public static EventType SignUp { get; } = new("sign_up");
    /// <summary>A customer logged in.</summary>
    public static EventType Login { get; } = new("login");
    /// <summary>An ad was clicked.</summary>
    public static EventType AdClick { get; } = new("ad_click");
    /// <summary>An ad was shown.</summary>
    public static EventType AdImpression { get; } = new("ad_impression");
    /// <summary>A message (email, SMS, WeChat) was opened.</summary>
    public static EventType MessageOpen { get; } = new("message_open");
    /// <summary>A link in a message was clicked.</summary>
    public static EventType MessageClick { get; } = new("message_click");
    /// <summary>Content was shared.</summary>
    public static EventType Share { get; } = new("share");
    /// <summary>A review was written.</summary>
    public static EventType Review { get; } = new("review");

    /// <summary>Every well-known type.</summary>
    public static IReadOnlyList<EventType> WellKnown { get; } =
    [
        PageView, ProductView, Search, AddToCart, RemoveFromCart, BeginCheckout, Purchase, Refund,
        SignUp, Login, AdClick, AdImpression, MessageOpen, MessageClick, Share, Review,
    ];

    /// <summary>Converts a name.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator EventType(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}

/// <summary>
/// A marketing channel: the well-known kinds (search, social, video, email, sms, private domain,
/// offline, direct…) and platform names (Douyin, Xiaohongshu, WeChat, Google, Meta, TikTok…).
/// Any other lower snake_case name is allowed too.
/// </summary>
[JsonConverter(typeof(NameJsonConverter<Channel>))]
public readonly record struct Channel : INameValue<Channel>
{
    /// <summary>Creates a channel; the name is normalised to lower snake_case.</summary>
    /// <param name="value">The name.</param>
    public Channel(string value) => Value = Names.Normalize(value, "channel");

    /// <inheritdoc />
    public string Value { get; }

    /// <inheritdoc />
    public static Channel Create(string value) => new(value);

    /// <inheritdoc />
    public static string FieldName => "channel";

    /// <summary>Direct traffic (typed URL, bookmark, no known source).</summary>
    public static Channel Direct { get; } = new("direct");
    /// <summary>Search engines (organic or paid).</summary>
    public static Channel Search { get; } = new("search");
    /// <summary>Social networks.</summary>
    public static Channel Social { get; } = new("social");
    /// <summary>Video platforms.</summary>
    public static Channel Video { get; } = new("video");
    /// <summary>Email.</summary>
    public static Channel Email { get; } = new("email");
    /// <summary>SMS.</summary>
    public static Channel Sms { get; } = new("sms");
    /// <summary>Private-domain traffic (WeCom groups, mini-program, member communities).</summary>
    public static Channel PrivateDomain { get; } = new("private_domain");
    /// <summary>Offline stores and events.</summary>
    public static Channel Offline { get; } = new("offline");
    /// <summary>Referral links and affiliates.</summary>
    public static Channel Referral { get; } = new("referral");
    /// <summary>Display advertising.</summary>
    public static Channel Display { get; } = new("display");
    /// <summary>Douyin (抖音).</summary>
    public static Channel Douyin { get; } = new("douyin");
    /// <summary>Xiaohongshu (小红书).</summary>
    public static Channel Xiaohongshu { get; } = new("xiaohongshu");
    /// <summary>WeChat (微信).</summary>
    public static Channel WeChat { get; } = new("wechat");
    /// <summary>WeCom (企业微信).</summary>
    public static Channel WeCom { get; } = new("wecom");
    /// <summary>Weibo (微博).</summary>
    public static Channel Weibo { get; } = new("weibo");
    /// <summary>Bilibili.</summary>
    public static Channel Bilibili { get; } = new("bilibili");
    /// <summary>Kuaishou (快手).</summary>
    public static Channel Kuaishou { get; } = new("kuaishou");
    /// <summary>Baidu (百度).</summary>
    public static Channel Baidu { get; } = new("baidu");
    /// <summary>Google.</summary>
    public static Channel Google { get; } = new("google");
    /// <summary>Meta (Facebook, Instagram).</summary>
    public static Channel Meta { get; } = new("meta");
    /// <summary>TikTok.</summary>
    public static Channel TikTok { get; } = new("tiktok");
    /// <summary>Tencent Ads (腾讯广告: WeChat Moments, QQ, Tencent Video…).</summary>
    public static Channel TencentAds { get; } = new("tencent_ads");

    /// <summary>Ocean Engine (巨量引擎: Douyin and Toutiao ads, Qianchuan) as an ad platform.</summary>
    public static Channel OceanEngine { get; } = new("ocean_engine");

    /// <summary>Every well-known channel.</summary>
    public static IReadOnlyList<Channel> WellKnown { get; } =
    [
        Direct, Search, Social, Video, Email, Sms, PrivateDomain, Offline, Referral, Display,
        Douyin, Xiaohongshu, WeChat, WeCom, Weibo, Bilibili, Kuaishou, Baidu, Google, Meta, TikTok, TencentAds, OceanEngine,
    ];

    /// <summary>Converts a name.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator Channel(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}

/// <summary>
/// A purpose of processing that consent is given or withdrawn for (PIPL, GDPR). Well-known purposes
/// below; any other lower snake_case name is allowed.
/// </summary>
[JsonConverter(typeof(NameJsonConverter<ConsentPurpose>))]
public readonly record struct ConsentPurpose : INameValue<ConsentPurpose>
{
    /// <summary>Creates a purpose; the name is normalised to lower snake_case.</summary>
    /// <param name="value">The name.</param>
    public ConsentPurpose(string value) => Value = Names.Normalize(value, "purpose");

    /// <inheritdoc />
    public string Value { get; }

    /// <inheritdoc />
    public static ConsentPurpose Create(string value) => new(value);

    /// <inheritdoc />
    public static string FieldName => "purpose";

    /// <summary>Product analytics.</summary>
    public static ConsentPurpose Analytics { get; } = new("analytics");
    /// <summary>Personalised content and recommendations.</summary>
    public static ConsentPurpose Personalisation { get; } = new("personalisation");
    /// <summary>Targeted (personalised) advertising, including audience sync.</summary>
    public static ConsentPurpose AdTargeting { get; } = new("ad_targeting");
    /// <summary>Advertising measurement (conversion upload).</summary>
    public static ConsentPurpose AdMeasurement { get; } = new("ad_measurement");
    /// <summary>Marketing email.</summary>
    public static ConsentPurpose Email { get; } = new("email");
    /// <summary>Marketing SMS.</summary>
    public static ConsentPurpose Sms { get; } = new("sms");
    /// <summary>Private-domain messaging (WeCom, WeChat).</summary>
    public static ConsentPurpose PrivateDomainMessaging { get; } = new("private_domain_messaging");
    /// <summary>Processing of sensitive personal information (PIPL art. 28–29: separate consent).</summary>
    public static ConsentPurpose SensitiveData { get; } = new("sensitive_data");
    /// <summary>Sharing with third parties (PIPL art. 23: separate consent).</summary>
    public static ConsentPurpose ThirdPartySharing { get; } = new("third_party_sharing");
    /// <summary>Transfer across borders (PIPL art. 39: separate consent).</summary>
    public static ConsentPurpose CrossBorderTransfer { get; } = new("cross_border_transfer");

    /// <summary>Every well-known purpose.</summary>
    public static IReadOnlyList<ConsentPurpose> WellKnown { get; } =
    [
        Analytics, Personalisation, AdTargeting, AdMeasurement, Email, Sms, PrivateDomainMessaging,
        SensitiveData, ThirdPartySharing, CrossBorderTransfer,
    ];

    /// <summary>Converts a name.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator ConsentPurpose(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
