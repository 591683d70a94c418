using static Marketing.Sdk.Recommendations.Tests.ContentModelTests;
using static Marketing.Sdk.Recommendations.Tests.TestData;

namespace Marketing.Sdk.Recommendations.Tests;

public class RulesTests
{
    private static readonly Dictionary<string, Product> Catalogue = ContentModelTests.Catalogue.ToDictionary(p => p.ProductId);

    private static RuleContext Context(double? sensitivity = null, string[]? purchased = null, string[]? pinned = null) => new()
    {
        Catalogue = Catalogue,
        Prices = PriceLadder.Build(Catalogue.Values),
        PriceSensitivity = sensitivity,
        PurchasedProductIds = (purchased ?? []).ToHashSet(),
        PinnedProductIds = pinned ?? [],
    };

    private static List<RecommendationCandidate> All(params string[] extra) =>
        Catalogue.Keys.Concat(extra).Select((id, k) => new RecommendationCandidate(id) { Score = 10 - k }).ToList();

    [Fact]
    public void In_stock_removes_out_of_stock_inactive_and_unknown_products()
    {
        var list = All("ghost");
        var effect = new InStockRule().Apply(Context(), list);
        Assert.Equal(2, effect.Removed); // lipstick (stock 0) and ghost
        Assert.DoesNotContain(list, c => c.ProductId is "lipstick" or "ghost");
        Assert.Contains("out of stock", effect.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Exclude_purchased_removes_bought_products()
    {
        var list = All();
        var effect = new ExcludePurchasedRule().Apply(Context(purchased: ["serum", "kettle"]), list);
        Assert.Equal(2, effect.Removed);
        Assert.Equal(5, list.Count);
    }

    [Fact]
    public void Price_band_keeps_value_lines_for_price_sensitive_customers_and_premium_for_others()
    {
        var value = All();
        var e1 = new PriceBandRule(0.3).Apply(Context(sensitivity: 0.9), value);
        Assert.All(value, c => Assert.True(PriceLadder.Build(Catalogue.Values).Percentile(c.ProductId) <= 0.1 + 0.3 + 1e-9));
        Assert.Contains("value-oriented", e1.Description, StringComparison.Ordinal);
        Assert.Contains(value, c => c.ProductId == "mask");
        var premium = All();
        new PriceBandRule(0.3).Apply(Context(sensitivity: 0.1), premium);
        Assert.Contains(premium, c => c.ProductId == "cream");
        Assert.DoesNotContain(premium, c => c.ProductId == "mask");
        Assert.All(premium, c => Assert.Contains(c.Notes, n => n.Contains("price range", StringComparison.Ordinal)));
        var unknown = All();
        Assert.Equal(0, new PriceBandRule().Apply(Context(), unknown).Removed);
    }

    [Fact]
    public void Margin_boost_scales_scores_by_margin()
    {
        var list = new List<RecommendationCandidate> { new("serum") { Score = 1 }, new("ghost") { Score = 1 } };
        var effect = new MarginBoostRule(0.5).Apply(Context(), list);
        Assert.Equal(1.3, list[0].Score, 12); // 1 + 0.5 × 0.6
        Assert.Equal(1, list[1].Score);
        Assert.Equal(1, effect.Boosted);
        Assert.Equal("Margin boost +30%.", list[0].Notes.Single());
    }

    [Fact]
    public void Diversity_caps_each_category_keeping_the_best()
    {
        var list = All();
        var rule = new CategoryDiversityRule(2);
        var effect = rule.Apply(Context(), list);
        Assert.Equal(4, effect.Removed); // six beauty products → two kept
        Assert.Equal(["serum", "cream", "kettle"], list.Select(c => c.ProductId));
        Assert.Equal("beauty", rule.CategoryOf(Catalogue["mask"]));
    }

    [Fact]
    public void Pinned_items_go_first_in_order_and_unknown_pins_are_ignored()
    {
        var list = All().Where(c => c.ProductId != "kettle").ToList();
        var effect = new PinnedItemsRule().Apply(Context(pinned: ["kettle", "nope", "mask"]), list);
        Assert.Equal(1, effect.Added);
        list.Sort(HybridModel.CompareCandidates);
        Assert.Equal(["kettle", "mask"], list.Take(2).Select(c => c.ProductId));
    }

    [Fact]
    public void Invalid_rule_settings_are_rejected()
    {
        Assert.Throws<MarketingValidationException>(() => new CategoryDiversityRule(0));
        Assert.Throws<MarketingValidationException>(() => new PriceBandRule(0));
        Assert.Throws<MarketingValidationException>(() => new MarginBoostRule(-1));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool Pipeline_keeps_stock_purchase_and_cap_invariants(int[] scores, int[] stock, int[] bought, byte cap)
    {
        var products = Enumerable.Range(0, 12).Select(k => P("p" + k, "Product " + k, 10 + k, "cat" + (k % 3) + "/sub", stock: stock.Length > k ? stock[k] % 4 : null)).ToDictionary(p => p.ProductId);
        var purchased = bought.Select(b => "p" + ((b & int.MaxValue) % 12)).ToHashSet();
        var max = cap % 4 + 1;
        var context = new RuleContext { Catalogue = products, Prices = PriceLadder.Build(products.Values), PurchasedProductIds = purchased };
        var list = products.Keys.Select((id, k) => new RecommendationCandidate(id) { Score = scores.Length > k ? scores[k] : 0 }).ToList();
        foreach (var rule in new IRecommendationRule[] { new InStockRule(), new ExcludePurchasedRule(), new MarginBoostRule(), new CategoryDiversityRule(max) })
        {
            rule.Apply(context, list);
            list.Sort(HybridModel.CompareCandidates);
        }
        return list.All(c => products[c.ProductId].StockQuantity is null or > 0 && !purchased.Contains(c.ProductId))
            && list.GroupBy(c => products[c.ProductId].Category!.Split('/')[0]).All(g => g.Count() <= max);
    }
}

public class HybridModelTests
{
    private static readonly Interaction[] History =
    [
        I("u1", "serum", 5, 0, InteractionKind.Purchase), I("u1", "cream", 3, 0, InteractionKind.Cart),
        I("u2", "serum", 5, 0, InteractionKind.Purchase), I("u2", "cream", 5, 0, InteractionKind.Purchase), I("u2", "mask", 5),
        I("u3", "serum", 1, 0, InteractionKind.View), I("u3", "mask", 5),
        I("u4", "kettle", 5), I("u5", "kettle", 5), I("u6", "mascara", 5),
    ];

    [Fact]
    public void Blends_sources_and_falls_back_to_popularity_for_cold_users()
    {
        var model = RecommendationModel.Build(History, ContentModelTests.Catalogue, new RecommendationOptions { Sar = new SarOptions() });
        var hybrid = model.Hybrid;
        var u1 = hybrid.Candidates("u1", null, 10);
        Assert.Equal("mask", u1[0].ProductId);
        Assert.True(u1[0].CoOccurrenceScore > 0);
        Assert.DoesNotContain(u1, c => c.ProductId is "serum" or "cream");
        Assert.True(u1.Zip(u1.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        var cold = hybrid.Candidates("newcomer", null, 10);
        Assert.All(cold, c => Assert.Equal(0, c.CoOccurrenceScore + c.ContentScore));
        Assert.Equal("serum", cold[0].ProductId); // 5 + 5 + 1 beats mask and kettle (10 each)
        Assert.False(hybrid.KnowsUser("newcomer"));
        Assert.Equal(hybrid.Recommend("u3", 3), hybrid.Recommend("u3", 3));
    }

    [Fact]
    public void Similar_items_use_content_for_products_without_interactions()
    {
        var model = RecommendationModel.Build(History, ContentModelTests.Catalogue);
        var similar = model.Hybrid.SimilarItems("cleanser", 3);
        Assert.NotEmpty(similar);
        Assert.All(similar, c => Assert.Equal(0, c.CoOccurrenceScore));
        Assert.Contains(model.Hybrid.SimilarItems("serum", 3), c => c.CoOccurrenceScore > 0);
    }
}
