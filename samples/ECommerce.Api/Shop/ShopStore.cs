using System.Collections.Concurrent;
using Marketing.Sdk;

namespace ECommerce.Api.Shop;

/// <summary>
/// The shop's own data, in memory for the demo: a fixed catalogue, carts and orders per member, and
/// the account contact data. A real shop keeps these in its own database; the SDK keeps its own.
/// </summary>
public sealed class ShopStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, CartLine>> _carts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PlacedOrder> _orders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccountRequest> _accounts = new(StringComparer.Ordinal);

    /// <summary>The catalogue.</summary>
    public IReadOnlyList<CatalogueItem> Catalogue { get; } =
    [
        new("sku-100", "Trail running shoes", "shoes", "Fleetfoot", new Money(89.90m, "EUR")),
        new("sku-101", "Merino running socks", "apparel", "Fleetfoot", new Money(14.50m, "EUR")),
        new("sku-200", "Insulated water bottle", "accessories", "Hydra", new Money(24.00m, "EUR")),
        new("sku-300", "Lightweight rain jacket", "apparel", "Northway", new Money(129.00m, "EUR")),
        new("sku-400", "Headlamp 400 lm", "accessories", "Lumen", new Money(39.95m, "EUR")),
    ];

    /// <summary>The catalogue as recommendation products.</summary>
    public IReadOnlyList<Product> Products => [.. Catalogue.Select(c => new Product { ProductId = c.ProductId, Title = c.Title, Price = c.Price, Category = c.Category, Brand = c.Brand })];

    public CatalogueItem? Find(string productId) => Catalogue.FirstOrDefault(c => c.ProductId == productId);

    public Cart GetCart(string memberId)
    {
        var lines = _carts.TryGetValue(memberId, out var cart) ? cart.Values.OrderBy(l => l.ProductId, StringComparer.Ordinal).ToList() : [];
        return new Cart(lines, lines.Count == 0 ? Money.Zero("EUR") : Money.Sum(lines.Select(l => l.UnitPrice * l.Quantity), "EUR"));
    }

    public Cart Add(string memberId, CatalogueItem item, int quantity)
    {
        var cart = _carts.GetOrAdd(memberId, _ => new ConcurrentDictionary<string, CartLine>(StringComparer.Ordinal));
        cart.AddOrUpdate(item.ProductId, _ => new CartLine(item.ProductId, quantity, item.Price), (_, l) => l with { Quantity = Math.Min(99, l.Quantity + quantity) });
        return GetCart(memberId);
    }

    public bool Remove(string memberId, string productId) => _carts.TryGetValue(memberId, out var cart) && cart.TryRemove(productId, out _);

    /// <summary>Turns the cart into an order (or returns <see langword="null"/> for an empty cart).</summary>
    public PlacedOrder? Checkout(string memberId)
    {
        if (!_carts.TryRemove(memberId, out var cart) || cart.IsEmpty)
        {
            return null;
        }
        var lines = cart.Values.OrderBy(l => l.ProductId, StringComparer.Ordinal).ToList();
        var order = new PlacedOrder("o-" + Guid.CreateVersion7(time.GetUtcNow()).ToString("N")[..16], memberId, time.GetUtcNow(), lines,
            Money.Sum(lines.Select(l => l.UnitPrice * l.Quantity), "EUR"));
        _orders[order.OrderId] = order;
        return order;
    }

    public PlacedOrder? GetOrder(string memberId, string orderId) =>
        _orders.TryGetValue(orderId, out var order) && order.MemberId == memberId ? order : null;

    public void SaveAccount(string memberId, AccountRequest account) => _accounts[memberId] = account;

    public AccountRequest? GetAccount(string memberId) => _accounts.GetValueOrDefault(memberId);

    public void ForgetAccount(string memberId)
    {
        _accounts.TryRemove(memberId, out _);
        _carts.TryRemove(memberId, out _);
    }
}
