using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>Flags the cleaning pipeline sets on an accepted event.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A flags enum named for what it is.")]
[JsonConverter(typeof(JsonStringEnumConverter<EventFlags>))]
public enum EventFlags
{
    /// <summary>Nothing noted.</summary>
    None = 0,
    /// <summary>The event's session looks automated (too many clicks, inhuman gaps).</summary>
    SuspectedBot = 1,
    /// <summary>The region was filled in by the geo resolver.</summary>
    RegionInferred = 2,
    /// <summary>At least one identity was set aside by an identity-resolution rule (e.g. a shared device).</summary>
    IdentityGuarded = 4,
}

/// <summary>
/// Something a customer did: a page view, a search, a cart change, an order, an ad click…
/// <see cref="Id"/> is the de-duplication key: sending the same event twice stores it once.
/// </summary>
public sealed record MarketingEvent
{
    /// <summary>Unique id of the event, chosen by the sender (e.g. a UUID or "order-123:purchase"); the de-duplication key.</summary>
    public required string Id { get; init; }

    /// <summary>What happened.</summary>
    public required EventType Type { get; init; }

    /// <summary>When it happened, with the sender's UTC offset.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The identifiers of the customer known at the time of the event (at least one).</summary>
    [PersonalData]
    public IReadOnlyList<Identity> Identities { get; init; } = [];

    /// <summary>The unified profile the event belongs to; set by identity resolution on ingestion. A caller may set it (a well-formed id) for an event without identities.</summary>
    [PseudonymousData]
    public CustomerId? CustomerId { get; init; }

    /// <summary>The channel the customer came through, if known.</summary>
    public Channel? Channel { get; init; }

    /// <summary>The campaign the event is attributed to by the sender, if any.</summary>
    public string? CampaignId { get; init; }

    /// <summary>The session (visit) id, if any.</summary>
    [PseudonymousData]
    public string? SessionId { get; init; }

    /// <summary>The region (ISO 3166-2 code or a region name), if known; filled from <see cref="IpAddress"/> when missing and a geo resolver is registered.</summary>
    [PersonalData]
    public string? Region { get; init; }

    /// <summary>The client IP address, used only to infer <see cref="Region"/>; personal data, never logged.</summary>
    [PersonalData]
    public string? IpAddress { get; init; }

    /// <summary>Monetary value of the event (order total for purchases, refunded amount for refunds).</summary>
    public Money? Value { get; init; }

    /// <summary>The order, for <see cref="EventType.Purchase"/> and <see cref="EventType.Refund"/> events.</summary>
    [PersonalData]
    public Order? Order { get; init; }

    /// <summary>Free-form properties (see <see cref="EventProperties"/> for well-known names).</summary>
    [PersonalData]
    public IReadOnlyDictionary<string, PropertyValue> Properties { get; init; } = EmptyProperties;

    /// <summary>Flags set by the cleaning pipeline. Server-owned: a caller's value must hold only defined flags and is then replaced on ingestion.</summary>
    public EventFlags Flags { get; init; }

    /// <summary>When the SDK accepted the event. Server-owned: a caller's value must be a plausible date and is then replaced on ingestion.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    /// <summary>The value of a property, or <see cref="PropertyValue.Null"/>.</summary>
    /// <param name="name">The property name.</param>
    public PropertyValue Property(string name) => Properties.TryGetValue(name, out var v) ? v : PropertyValue.Null;

    /// <summary>Describes the event without identities, IP address or property values.</summary>
    public override string ToString() =>
        $"MarketingEvent {{ Type = {Type}, OccurredAt = {OccurredAt:O}, Identities = {Identities.Count}, Channel = {Channel}, Properties = {Properties.Count}, Flags = {Flags} }}";

    internal static readonly IReadOnlyDictionary<string, PropertyValue> EmptyProperties =
        new Dictionary<string, PropertyValue>(0);
}

/// <summary>Well-known event property names (snake_case, as on the wire).</summary>
public static class EventProperties
{
    /// <summary>Product id (product_view, add_to_cart, remove_from_cart, review).</summary>
    public const string ProductId = "product_id";
    /// <summary>Product category.</summary>
    public const string Category = "category";
    /// <summary>Brand.</summary>
    public const string Brand = "brand";
    /// <summary>Unit price as a number in the event's currency.</summary>
    public const string Price = "price";
    /// <summary>Currency of <see cref="Price"/>.</summary>
    public const string Currency = "currency";
    /// <summary>Quantity.</summary>
    public const string Quantity = "quantity";
    /// <summary>Search text.</summary>
    public const string Query = "query";
    /// <summary>Page URL or path; on a page_view or ad_click, the landing URL with its query (the platform packages capture ad click ids such as <c>gclid</c> from it).</summary>
    public const string Url = "url";
    /// <summary>Referrer URL.</summary>
    public const string Referrer = "referrer";
    /// <summary>Message id (message_open, message_click).</summary>
    public const string MessageId = "message_id";
    /// <summary>Ad creative id (ad_click, ad_impression).</summary>
    public const string CreativeId = "creative_id";
    /// <summary>
    /// A click id whose platform the sender did not name. The platform packages do not read it: they capture click ids
    /// by platform from <see cref="Url"/> (the landing URL of a page_view or ad_click) and <see cref="LaunchQuery"/>.
    /// </summary>
    public const string ClickId = "click_id";
    /// <summary>
    /// The query string a mini program, mini game or app was launched with (e.g. WeChat <c>wx.getLaunchOptionsSync().query</c>
    /// serialised as <c>gdt_vid=…&amp;weixinadinfo=…</c>); the platform packages capture ad click ids from it as from a landing <see cref="Url"/>.
    /// </summary>
    public const string LaunchQuery = "launch_query";
    /// <summary>Review rating (1–5).</summary>
    public const string Rating = "rating";
}
