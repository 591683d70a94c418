using System.Globalization;

namespace Marketing.Sdk.Recommendations;

/// <summary>What a rule did to a candidate list.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Removed">Candidates removed.</param>
/// <param name="Boosted">Candidates whose score changed.</param>
/// <param name="Added">Candidates added (pinned items that were not candidates).</param>
/// <param name="Description">A sentence for merchandisers (no personal data).</param>
public sealed record RuleEffect(string Rule, int Removed, int Boosted, int Added, string Description);

/// <summary>What rules may know about the request.</summary>
public sealed record RuleContext
{
    /// <summary>The catalogue by product id.</summary>
    public required IReadOnlyDictionary<string, Product> Catalogue { get; init; }

    /// <summary>Price percentiles and bands of the catalogue.</summary>
    public required PriceLadder Prices { get; init; }

    /// <summary>Products the customer bought.</summary>
    public IReadOnlySet<string> PurchasedProductIds { get; init; } = new HashSet<string>();

    /// <summary>The customer's price sensitivity in [0, 1] (1 = buys the cheapest, 0 = buys the dearest), if known.</summary>
    public double? PriceSensitivity { get; init; }

    /// <summary>Products to pin to the top, in order.</summary>
    public IReadOnlyList<string> PinnedProductIds { get; init; } = [];

    /// <summary>The requested list length.</summary>
    public int Count { get; init; } = 10;
}

/// <summary>The names of the default rules, in the order the default pipeline runs them.</summary>
/// <remarks>
/// <c>AddRecommendations()</c> always runs the default pipeline (each rule subject to its setting in
/// <see cref="RecommendationOptions"/>); a default rule leaves it only when named in
/// <see cref="RecommendationOptions.RemovedDefaultRules"/> (or
/// <c>RemoveDefaultRecommendationRule(name)</c>), and a registered rule with a default rule's name
/// takes that rule's place.
/// </remarks>
public static class RecommendationRuleNames
{
    /// <summary><see cref="PinnedItemsRule"/>.</summary>
    public const string Pinned = "pinned";

    /// <summary><see cref="InStockRule"/>.</summary>
    public const string InStock = "in_stock";

    /// <summary><see cref="ExcludePurchasedRule"/> (when <see cref="RecommendationOptions.ExcludePurchased"/>).</summary>
    public const string ExcludePurchased = "exclude_purchased";

    /// <summary><see cref="PriceBandRule"/> (when <see cref="RecommendationOptions.PriceBandTolerance"/> &gt; 0).</summary>
    public const string PriceBand = "price_band";

    /// <summary><see cref="MarginBoostRule"/> (when <see cref="RecommendationOptions.MarginBoost"/> &gt; 0).</summary>
    public const string MarginBoost = "margin_boost";

    /// <summary><see cref="CategoryDiversityRule"/> (when <see cref="RecommendationOptions.MaxPerCategory"/> &gt; 0).</summary>
    public const string CategoryDiversity = "category_diversity";

    /// <summary>Every default rule name, in pipeline order.</summary>
    public static IReadOnlyList<string> Defaults { get; } = [Pinned, InStock, ExcludePurchased, PriceBand, MarginBoost, CategoryDiversity];
}

/// <summary>
/// A business rule: filters, boosts or pins candidates and reports what it did. Registered rules
/// run after the default rules, in registration order; a registered rule whose
/// <see cref="Name"/> is a default rule's name replaces that rule in place (see
/// <see cref="RecommendationRuleNames"/>).
/// </summary>
public interface IRecommendationRule
{
    /// <summary>A short stable name (e.g. <c>in_stock</c>).</summary>
    string Name { get; }

    /// <summary>Applies the rule to the candidates (best first); may remove, rescore, pin, add and annotate.</summary>
    /// <param name="context">The request context.</param>
    /// <param name="candidates">The candidates; the caller re-sorts after every rule.</param>
    RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates);
}

/// <summary>Removes products that cannot be sold: inactive, out of stock (stock ≤ 0 when tracked) or not in the catalogue.</summary>
public sealed class InStockRule : IRecommendationRule
{
    /// <inheritdoc />
    public string Name => RecommendationRuleNames.InStock;

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        var removed = RuleHelpers.RemoveWhere(candidates, c =>
            !context.Catalogue.TryGetValue(c.ProductId, out var p) || !p.IsActive || p.StockQuantity is <= 0);
        return new RuleEffect(Name, removed, 0, 0, $"Removed {removed} product(s) that are inactive, out of stock or not in the catalogue.");
    }
}

/// <summary>Removes products the customer already bought.</summary>
public sealed class ExcludePurchasedRule : IRecommendationRule
{
    /// <inheritdoc />
    public string Name => RecommendationRuleNames.ExcludePurchased;

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        var removed = RuleHelpers.RemoveWhere(candidates, c => context.PurchasedProductIds.Contains(c.ProductId));
        return new RuleEffect(Name, removed, 0, 0, $"Removed {removed} product(s) the customer already bought.");
    }
}

/// <summary>
/// Matches price to the customer's price sensitivity s: the preferred price percentile is 1 − s
/// (value lines for price-sensitive buyers, premium lines for quality-driven ones). Products farther
/// than <see cref="Tolerance"/> from it are removed; the rest are boosted by up to
/// <see cref="Boost"/> the closer they are. No effect when the sensitivity is unknown.
/// </summary>
/// <param name="tolerance">Largest accepted distance in percentile (0–1]; default 0.35.</param>
/// <param name="boost">Largest relative boost; default 0.3.</param>
public sealed class PriceBandRule(double tolerance = 0.35, double boost = 0.3) : IRecommendationRule
{
    /// <summary>Largest accepted distance between a product's price percentile and the preferred one.</summary>
    public double Tolerance { get; } = tolerance is > 0 and <= 1 ? tolerance : throw new MarketingValidationException("tolerance", ValidationReason.OutOfRange, "The tolerance lies in (0, 1].");

    /// <summary>Largest relative boost for a product exactly at the preferred percentile.</summary>
    public double Boost { get; } = boost >= 0 && !double.IsInfinity(boost) ? boost : throw new MarketingValidationException("boost", ValidationReason.OutOfRange, "The boost is finite and not negative.");

    /// <inheritdoc />
    public string Name => RecommendationRuleNames.PriceBand;

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        if (context.PriceSensitivity is not { } s)
        {
            return new RuleEffect(Name, 0, 0, 0, "No price sensitivity known; prices not matched.");
        }
        var preferred = 1 - Math.Clamp(s, 0, 1);
        var removed = RuleHelpers.RemoveWhere(candidates, c =>
            c.PinnedAt is null && context.Prices.Percentile(c.ProductId) is { } p && Math.Abs(p - preferred) > Tolerance);
        var boosted = 0;
        foreach (var c in candidates)
        {
            if (context.Prices.Percentile(c.ProductId) is { } p && Math.Abs(p - preferred) <= Tolerance)
            {
                var factor = 1 + Boost * (1 - Math.Abs(p - preferred) / Tolerance);
                c.Score *= factor;
                boosted++;
                c.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"Fits the customer's price range (band {context.Prices.BandOf(p) + 1} of {context.Prices.Bands}, +{(factor - 1) * 100:0}%)."));
            }
        }
        var profile = s >= 0.5 ? "value-oriented" : "quality-oriented";
        return new RuleEffect(Name, removed, boosted, 0, string.Create(CultureInfo.InvariantCulture,
            $"Customer is {profile} (price sensitivity {s:0.00}): removed {removed} product(s) outside the price percentile range {Math.Max(0, preferred - Tolerance):0.00}–{Math.Min(1, preferred + Tolerance):0.00}, boosted {boosted}."));
    }
}

/// <summary>Multiplies the score by 1 + <see cref="Weight"/> × margin for products with a known margin (0–1).</summary>
/// <param name="weight">The boost per unit of margin; default 0.2.</param>
public sealed class MarginBoostRule(double weight = 0.2) : IRecommendationRule
{
    /// <summary>The boost per unit of margin.</summary>
    public double Weight { get; } = weight >= 0 && !double.IsInfinity(weight) ? weight : throw new MarketingValidationException("weight", ValidationReason.OutOfRange, "The weight is finite and not negative.");

    /// <inheritdoc />
    public string Name => RecommendationRuleNames.MarginBoost;

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        var boosted = 0;
        foreach (var c in candidates)
        {
            if (context.Catalogue.TryGetValue(c.ProductId, out var p) && p.Margin is { } m && m > 0)
            {
                var factor = 1 + Weight * (double)Math.Clamp(m, 0m, 1m);
                c.Score *= factor;
                boosted++;
                c.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"Margin boost +{(factor - 1) * 100:0.#}%."));
            }
        }
        return new RuleEffect(Name, 0, boosted, 0, string.Create(CultureInfo.InvariantCulture, $"Boosted {boosted} product(s) by up to {Weight * 100:0.#}% for their margin."));
    }
}

/// <summary>
/// Keeps at most <see cref="MaxPerCategory"/> products per category (the first
/// <see cref="Depth"/> levels of the category path) among the best-scored candidates, so one
/// category cannot fill the list. Pinned products count toward the cap but are never removed.
/// </summary>
/// <param name="maxPerCategory">Cap per category (positive); default 3.</param>
/// <param name="depth">Category path levels that define a category; default 1 (top level).</param>
public sealed class CategoryDiversityRule(int maxPerCategory = 3, int depth = 1) : IRecommendationRule
{
    /// <summary>Cap per category.</summary>
    public int MaxPerCategory { get; } = maxPerCategory > 0 ? maxPerCategory : throw new MarketingValidationException("maxPerCategory", ValidationReason.OutOfRange, "The cap is positive.");

    /// <summary>Category path levels that define a category.</summary>
    public int Depth { get; } = depth > 0 ? depth : throw new MarketingValidationException("depth", ValidationReason.OutOfRange, "The depth is positive.");

    /// <inheritdoc />
    public string Name => RecommendationRuleNames.CategoryDiversity;

    /// <summary>The category key of a product under this rule, or <see langword="null"/> when it has none.</summary>
    /// <param name="product">The product.</param>
    public string? CategoryOf(Product? product)
    {
        if (string.IsNullOrWhiteSpace(product?.Category))
        {
            return null;
        }
        var parts = product.Category.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join('/', parts.Take(Depth)).ToLowerInvariant();
    }

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        var ordered = candidates.OrderBy(c => c, Comparer<RecommendationCandidate>.Create(HybridModel.CompareCandidates)).ToList();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var drop = new HashSet<RecommendationCandidate>();
        foreach (var c in ordered)
        {
            if (CategoryOf(context.Catalogue.GetValueOrDefault(c.ProductId)) is not { } cat)
            {
                continue;
            }
            var n = counts.GetValueOrDefault(cat) + 1;
            counts[cat] = n;
            if (n > MaxPerCategory && c.PinnedAt is null)
            {
                drop.Add(c);
            }
        }
        var removed = RuleHelpers.RemoveWhere(candidates, drop.Contains);
        return new RuleEffect(Name, removed, 0, 0, string.Create(CultureInfo.InvariantCulture, $"Kept at most {MaxPerCategory} product(s) per category; removed {removed}."));
    }
}

/// <summary>Pins the request's products (<see cref="RuleContext.PinnedProductIds"/>) to the top in the given order, adding those that were not candidates.</summary>
public sealed class PinnedItemsRule : IRecommendationRule
{
    /// <inheritdoc />
    public string Name => RecommendationRuleNames.Pinned;

    /// <inheritdoc />
    public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        int pinned = 0, added = 0;
        var byId = candidates.ToDictionary(c => c.ProductId, StringComparer.Ordinal);
        foreach (var id in context.PinnedProductIds.Distinct(StringComparer.Ordinal))
        {
            if (!byId.TryGetValue(id, out var c))
            {
                if (!context.Catalogue.ContainsKey(id))
                {
                    continue;
                }
                c = new RecommendationCandidate(id);
                candidates.Add(c);
                byId[id] = c;
                added++;
            }
            c.PinnedAt = pinned++;
            c.Notes.Add("Featured by the shop.");
        }
        return new RuleEffect(Name, 0, 0, added, $"Pinned {pinned} product(s) to the top ({added} added).");
    }
}

internal static class RuleHelpers
{
    public static int RemoveWhere(IList<RecommendationCandidate> candidates, Func<RecommendationCandidate, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var removed = 0;
        for (var k = candidates.Count - 1; k >= 0; k--)
        {
            if (predicate(candidates[k]))
            {
                candidates.RemoveAt(k);
                removed++;
            }
        }
        return removed;
    }
}
