namespace Marketing.Sdk.Recommendations;

/// <summary>
/// Where each product's price lies in its catalogue: the mid-rank percentile among products of the
/// same currency (0 = cheapest, 1 = dearest) and the price band (quantile bucket 0 … bands − 1).
/// Used by content vectors, the price-band rule, price-sensitivity inference and the fairness audit.
/// </summary>
public sealed class PriceLadder
{
    private readonly Dictionary<string, double> _percentile;

    private PriceLadder(int bands, Dictionary<string, double> percentile)
    {
        Bands = bands;
        _percentile = percentile;
    }

    internal IReadOnlyDictionary<string, double> Percentiles => _percentile;

    internal static PriceLadder Restore(int bands, Dictionary<string, double> percentile) => new(bands, percentile);

    /// <summary>Number of bands.</summary>
    public int Bands { get; }

    /// <summary>Builds the ladder.</summary>
    /// <param name="products">The catalogue.</param>
    /// <param name="bands">Number of price bands (2–20); default 5.</param>
    public static PriceLadder Build(IEnumerable<Product> products, int bands = 5)
    {
        ArgumentNullException.ThrowIfNull(products);
        if (bands is < 2 or > 20)
        {
            throw new MarketingValidationException("bands", ValidationReason.OutOfRange, "Between 2 and 20 price bands.");
        }
        var percentile = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var group in products.GroupBy(p => p.Price.Currency, StringComparer.Ordinal))
        {
            var prices = group.GroupBy(p => p.ProductId, StringComparer.Ordinal).Select(g => (Id: g.Key, Price: g.First().Price.Amount)).ToArray();
            var sorted = prices.Select(p => p.Price).Order().ToArray();
            foreach (var (id, price) in prices)
            {
                var below = LowerBound(sorted, price);
                var equal = UpperBound(sorted, price) - below;
                percentile[id] = (below + 0.5 * equal) / sorted.Length;
            }
        }
        return new PriceLadder(bands, percentile);
    }

    /// <summary>The mid-rank price percentile of a product in (0, 1), or <see langword="null"/> when unknown.</summary>
    /// <param name="productId">The product.</param>
    public double? Percentile(string productId) => _percentile.TryGetValue(productId, out var p) ? p : null;

    /// <summary>The price band of a product (0 = cheapest), or <see langword="null"/> when unknown.</summary>
    /// <param name="productId">The product.</param>
    public int? Band(string productId) => Percentile(productId) is { } p ? BandOf(p) : null;

    /// <summary>The band a percentile falls in.</summary>
    /// <param name="percentile">A percentile in [0, 1].</param>
    public int BandOf(double percentile) => Math.Clamp((int)(percentile * Bands), 0, Bands - 1);

    private static int LowerBound(decimal[] a, decimal v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (a[mid] < v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static int UpperBound(decimal[] a, decimal v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (a[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
