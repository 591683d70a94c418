using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>The state of an order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    /// <summary>Placed and paid (or cash on delivery accepted).</summary>
    Placed = 0,
    /// <summary>Shipped or fulfilled.</summary>
    Fulfilled,
    /// <summary>Cancelled before fulfilment.</summary>
    Cancelled,
    /// <summary>Fully refunded.</summary>
    Refunded,
    /// <summary>Partly refunded.</summary>
    PartiallyRefunded,
}

/// <summary>One line of an order.</summary>
public sealed record OrderLine
{
    /// <summary>The product (SKU) id.</summary>
    public required string ProductId { get; init; }

    /// <summary>Number of units (positive).</summary>
    public required int Quantity { get; init; }

    /// <summary>Price of one unit after line discounts.</summary>
    public required Money UnitPrice { get; init; }

    /// <summary>Product category, if the sender knows it (saves a catalogue lookup).</summary>
    public string? Category { get; init; }

    /// <summary><see cref="UnitPrice"/> × <see cref="Quantity"/>.</summary>
    public Money LineTotal => UnitPrice * Quantity;
}

/// <summary>An order placed by a customer.</summary>
public sealed record Order
{
    /// <summary>The shop's order id.</summary>
    [PseudonymousData]
    public required string OrderId { get; init; }

    /// <summary>When the order was placed.</summary>
    public required DateTimeOffset PlacedAt { get; init; }

    /// <summary>The order lines (at least one).</summary>
    public required IReadOnlyList<OrderLine> Lines { get; init; }

    /// <summary>The amount paid, after order-level discounts, shipping and tax as the shop reports revenue; defaults to the sum of the lines.</summary>
    public Money? Total { get; init; }

    /// <summary>Order-level discount (coupons), if any.</summary>
    public Money? Discount { get; init; }

    /// <summary>Coupon code used, if any.</summary>
    [PseudonymousData]
    public string? CouponCode { get; init; }

    /// <summary>The state of the order.</summary>
    public OrderStatus Status { get; init; }

    /// <summary>Currency of the order (that of its first line).</summary>
    public string Currency => Lines.Count > 0 ? Lines[0].UnitPrice.Currency : Total?.Currency ?? "XXX";

    /// <summary><see cref="Total"/>, or the sum of the lines when no total was given.</summary>
    public Money Revenue => Total ?? Money.Sum(Lines.Select(l => l.LineTotal), Currency);

    /// <summary>Total units over all lines.</summary>
    public int Units => Lines.Sum(l => l.Quantity);
}

/// <summary>A product of the catalogue.</summary>
public sealed record Product
{
    /// <summary>The product (SKU) id.</summary>
    public required string ProductId { get; init; }

    /// <summary>Title as shown to customers.</summary>
    public required string Title { get; init; }

    /// <summary>List price.</summary>
    public required Money Price { get; init; }

    /// <summary>Category path, e.g. <c>beauty/skincare/moisturiser</c>.</summary>
    public string? Category { get; init; }

    /// <summary>Brand.</summary>
    public string? Brand { get; init; }

    /// <summary>Free tags (season, ingredients, audience).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Units in stock, if tracked.</summary>
    public int? StockQuantity { get; init; }

    /// <summary>Gross margin as a fraction of price (0–1), if known.</summary>
    public decimal? Margin { get; init; }

    /// <summary>Whether the product can be sold now.</summary>
    public bool IsActive { get; init; } = true;
}

/// <summary>The state of a campaign.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CampaignStatus>))]
public enum CampaignStatus
{
    /// <summary>Prepared, not running.</summary>
    Draft = 0,
    /// <summary>Running.</summary>
    Active,
    /// <summary>Paused.</summary>
    Paused,
    /// <summary>Finished.</summary>
    Ended,
}

/// <summary>A marketing campaign on one channel.</summary>
public sealed record Campaign
{
    /// <summary>The campaign id (the shop's own, or the platform's).</summary>
    public required string CampaignId { get; init; }

    /// <summary>Display name.</summary>
    public required string Name { get; init; }

    /// <summary>The channel the campaign runs on.</summary>
    public required Channel Channel { get; init; }

    /// <summary>The campaign's id on the ad platform, if it runs on one.</summary>
    public string? PlatformCampaignId { get; init; }

    /// <summary>Daily budget, if set.</summary>
    public Money? DailyBudget { get; init; }

    /// <summary>Start time.</summary>
    public DateTimeOffset? StartsAt { get; init; }

    /// <summary>End time.</summary>
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>State.</summary>
    public CampaignStatus Status { get; init; }

    /// <summary>Products the campaign promotes (for stock-driven pausing).</summary>
    public IReadOnlyList<string> PromotedProductIds { get; init; } = [];
}
