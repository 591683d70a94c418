using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>
/// One event as a browser or app sends it to <c>POST {prefix}/events</c>. Only what the caller may
/// state: there is no customer id, no flags, no received-at time and no person-level identity — the
/// server sets those (see <see cref="ITrackingIdentityResolver"/>). Unknown members are rejected
/// with 400, so a caller that tries to set <c>customerId</c> or <c>flags</c> learns it cannot.
/// </summary>
public sealed record TrackEventRequest
{
    /// <summary>The event's id, chosen by the sender (e.g. a UUID); the de-duplication key. Required.</summary>
    public string? Id { get; init; }

    /// <summary>The event type: a well-known name (<c>page_view</c>, <c>add_to_cart</c>…) or a custom snake_case name. Required.</summary>
    public string? Type { get; init; }

    /// <summary>When it happened, with the sender's UTC offset (ISO 8601). Required.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    /// <summary>Anonymous ids of the device or browser (kinds <c>DeviceId</c> and <c>CookieId</c> only).</summary>
    public IReadOnlyList<AnonymousIdRequest> AnonymousIds { get; set; } = [];

    /// <summary>The channel the customer came through, if known (e.g. <c>search</c>, <c>wechat</c>).</summary>
    public string? Channel { get; init; }

    /// <summary>The campaign, if any.</summary>
    public string? CampaignId { get; init; }

    /// <summary>The session (visit) id, if any.</summary>
    public string? SessionId { get; init; }

    /// <summary>Monetary value of the event, if any.</summary>
    public MoneyRequest? Value { get; init; }

    /// <summary>The order, for <c>purchase</c> and <c>refund</c> events.</summary>
    public OrderRequest? Order { get; init; }

    /// <summary>Free-form properties: names of ASCII letters, digits, '_', '.' and '-'; values are strings, numbers or booleans.</summary>
    public IReadOnlyDictionary<string, JsonElement> Properties { get; set; } = new Dictionary<string, JsonElement>(0);
}

/// <summary>An anonymous id the caller may send.</summary>
public sealed record AnonymousIdRequest
{
    /// <summary><c>DeviceId</c> or <c>CookieId</c> (case-insensitive). Required.</summary>
    public string? Kind { get; init; }

    /// <summary>The id. Required.</summary>
    public string? Value { get; init; }
}

/// <summary>An amount of money on the wire.</summary>
public sealed record MoneyRequest
{
    /// <summary>The amount in major units (e.g. 12.34). Required; at most 1 000 000 000 000 in magnitude.</summary>
    public decimal? Amount { get; init; }

    /// <summary>An ISO 4217 code (e.g. <c>EUR</c>). Required.</summary>
    public string? Currency { get; init; }
}

/// <summary>An order on the wire.</summary>
public sealed record OrderRequest
{
    /// <summary>The shop's order id. Required.</summary>
    public string? OrderId { get; init; }

    /// <summary>When the order was placed. Required.</summary>
    public DateTimeOffset? PlacedAt { get; init; }

    /// <summary>The order lines (at least one).</summary>
    public IReadOnlyList<OrderLineRequest> Lines { get; set; } = [];

    /// <summary>The amount charged, if it differs from the sum of the lines.</summary>
    public MoneyRequest? Total { get; init; }

    /// <summary>The discount granted, if any.</summary>
    public MoneyRequest? Discount { get; init; }

    /// <summary>The coupon code used, if any.</summary>
    public string? CouponCode { get; init; }
}

/// <summary>An order line on the wire.</summary>
public sealed record OrderLineRequest
{
    /// <summary>The product id. Required.</summary>
    public string? ProductId { get; init; }

    /// <summary>The quantity (1 to 1 000 000). Required.</summary>
    public int? Quantity { get; init; }

    /// <summary>The unit price. Required.</summary>
    public MoneyRequest? UnitPrice { get; init; }

    /// <summary>The product category, if known.</summary>
    public string? Category { get; init; }
}

/// <summary>A batch of events for <c>POST {prefix}/events/batch</c>.</summary>
public sealed record TrackBatchRequest
{
    /// <summary>The events (1 to <see cref="MarketingTrackingOptions.MaxBatchSize"/>).</summary>
    public IReadOnlyList<TrackEventRequest> Events { get; set; } = [];
}

/// <summary>What happened to one tracked event.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrackOutcome>))]
public enum TrackOutcome
{
    /// <summary>Validated, cleaned, resolved and stored.</summary>
    Accepted,
    /// <summary>An event with the same id was accepted before; nothing was stored again.</summary>
    Duplicate,
    /// <summary>A cleaning rule dropped the event (e.g. a bot session).</summary>
    Dropped,
    /// <summary>The event was rejected; see the error.</summary>
    Rejected,
}

/// <summary>Why an event or a request was rejected: the field, the reason and a stable code, never the value.</summary>
/// <param name="Field">The offending field as a path (e.g. <c>anonymousIds[0].kind</c>).</param>
/// <param name="Reason">Why: a <see cref="ValidationReason"/> name or one of <c>InvalidJson</c>, <c>UnknownMember</c>, <c>DuplicateMember</c>, <c>NullNotAllowed</c>, <c>NotAllowed</c>, <c>InvalidValue</c>.</param>
/// <param name="Code">A stable machine code (e.g. <c>validation.invalid_format</c>).</param>
/// <param name="Detail">A human-readable explanation without personal data.</param>
public sealed record TrackingError(string Field, string Reason, string Code, string Detail);

/// <summary>The answer to one tracked event.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="Status">What happened.</param>
/// <param name="DropReason">Why it was dropped, when <paramref name="Status"/> is <see cref="TrackOutcome.Dropped"/>.</param>
public sealed record TrackEventResponse(string? EventId, TrackOutcome Status, string? DropReason = null);

/// <summary>The answer for one item of a batch.</summary>
/// <param name="Index">The item's position in the request.</param>
/// <param name="EventId">The event's id, when it could be read.</param>
/// <param name="Status">What happened.</param>
/// <param name="DropReason">Why it was dropped, if it was.</param>
/// <param name="Error">Why it was rejected, if it was.</param>
public sealed record TrackItemResponse(int Index, string? EventId, TrackOutcome Status, string? DropReason = null, TrackingError? Error = null);

/// <summary>The answer to a batch: totals and one result per item, in request order.</summary>
/// <param name="Accepted">Accepted events.</param>
/// <param name="Duplicates">Duplicate events.</param>
/// <param name="Dropped">Dropped events.</param>
/// <param name="Rejected">Rejected events.</param>
/// <param name="Items">One result per item.</param>
public sealed record TrackBatchResponse(int Accepted, int Duplicates, int Dropped, int Rejected, IReadOnlyList<TrackItemResponse> Items);

/// <summary>Strict reading of the request models: unknown members, duplicate members, JSON <c>null</c> for collections and numbers in strings are refused.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrackEventRequest))]
[JsonSerializable(typeof(TrackBatchRequest))]
[JsonSerializable(typeof(TrackEventResponse))]
[JsonSerializable(typeof(TrackBatchResponse))]
internal sealed partial class TrackingJsonContext : JsonSerializerContext;

/// <summary>The batch envelope, read leniently so that each item is then read (and rejected) on its own.</summary>
internal sealed record RawBatch
{
    public IReadOnlyList<JsonElement> Events { get; set; } = [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(RawBatch))]
internal sealed partial class TrackingEnvelopeJsonContext : JsonSerializerContext;
