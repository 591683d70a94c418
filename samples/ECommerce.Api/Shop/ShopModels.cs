using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk;

namespace ECommerce.Api.Shop;

/// <summary>A product of the shop's catalogue.</summary>
public sealed record CatalogueItem(string ProductId, string Title, string Category, string Brand, Money Price);

/// <summary>A line of a cart or an order.</summary>
public sealed record CartLine(string ProductId, int Quantity, Money UnitPrice);

/// <summary>A customer's cart.</summary>
public sealed record Cart(IReadOnlyList<CartLine> Lines, Money Total);

/// <summary>A placed order.</summary>
public sealed record PlacedOrder(string OrderId, string MemberId, DateTimeOffset PlacedAt, IReadOnlyList<CartLine> Lines, Money Total);

/// <summary>Adds a product to the cart.</summary>
public sealed record AddToCartRequest(string ProductId, int Quantity);

/// <summary>The shop account's contact data (the shop's own data; used to match conversions, hashed before it leaves).</summary>
public sealed record AccountRequest(string? Email, string? Phone);

/// <summary>A consent decision for one purpose (e.g. <c>ad_measurement</c>).</summary>
public sealed record ConsentRequest(string Purpose, bool Granted);

/// <summary>A segment definition in the rule language.</summary>
public sealed record SegmentRequest(string Rule);

/// <summary>JSON metadata of the shop's own wire models.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CatalogueItem))]
[JsonSerializable(typeof(IReadOnlyList<CatalogueItem>))]
[JsonSerializable(typeof(Cart))]
[JsonSerializable(typeof(PlacedOrder))]
[JsonSerializable(typeof(AddToCartRequest))]
[JsonSerializable(typeof(AccountRequest))]
[JsonSerializable(typeof(ConsentRequest))]
[JsonSerializable(typeof(SegmentRequest))]
[JsonSerializable(typeof(Dictionary<string, bool>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ShopJsonContext : JsonSerializerContext;
