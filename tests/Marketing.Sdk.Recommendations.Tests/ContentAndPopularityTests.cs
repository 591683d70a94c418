using static Marketing.Sdk.Recommendations.Tests.TestData;

namespace Marketing.Sdk.Recommendations.Tests;

public class ContentModelTests
{
    internal static Product P(string id, string title, decimal price, string? category = null, string? brand = null, int? stock = null, decimal? margin = null, params string[] tags) =>
        new() { ProductId = id, Title = title, Price = new Money(price, "CNY"), Category = category, Brand = brand, StockQuantity = stock, Margin = margin, Tags = tags };

    internal static readonly Product[] Catalogue =
    [
        P("serum", "Hydrating Serum", 199, "beauty/skincare/serum", "Aqua", 10, 0.6m, "autumn", "dry-skin"),
        P("cream", "Hydrating Night Cream", 259, "beauty/skincare/moisturiser", "Aqua", 5, 0.5m, "autumn"),
        P("cleanser", "Gentle Cleanser", 89, "beauty/skincare/cleanser", "Pure", 20, 0.3m),
        P("lipstick", "Velvet Lipstick", 149, "beauty/makeup/lips", "Rouge", 0, 0.7m),
        P("mascara", "Volume Mascara", 129, "beauty/makeup/eyes", "Rouge", 8, 0.4m),
        P("kettle", "Steel Kettle", 99, "home/kitchen", "Hearth", 3, 0.2m),
        P("mask", "Hydrating Sheet Mask", 39, "beauty/skincare/mask", "Aqua", 50, 0.5m, "autumn"),
    ];

    [Fact]
    public void Tf_idf_weights_match_hand_computation()
    {
        // Titles only: N = 2; "hydrating" in both (df 2, idf 1), "serum"/"cream"/"night" in one (idf ln(3/2) + 1).
        var m = ContentModel.Fit([P("a", "Hydrating Serum", 1), P("b", "Hydrating Night Cream", 1)], new ContentOptions { PriceBandWeight = 0 });
        var rare = Math.Log(3.0 / 2) + 1;
        var va = m.Vector("a");
        var norm = Math.Sqrt(1 + rare * rare);
        Assert.Equal(1 / norm, va["t:hydrating"], 12);
        Assert.Equal(rare / norm, va["t:serum"], 12);
        var normB = Math.Sqrt(1 + 2 * rare * rare);
        Assert.Equal(1 / norm * (1 / normB), m.Similarity("a", "b"), 12);
        Assert.Equal(1, m.Similarity("a", "a"), 12);
    }

    [Fact]
    public void Category_prefixes_brand_tags_and_price_band_are_terms()
    {
        var m = ContentModel.Fit(Catalogue);
        var v = m.Vector("serum");
        Assert.Contains("c:beauty", v.Keys);
        Assert.Contains("c:beauty/skincare", v.Keys);
        Assert.Contains("c:beauty/skincare/serum", v.Keys);
        Assert.Contains("b:aqua", v.Keys);
        Assert.Contains("g:autumn", v.Keys);
        Assert.Contains(v.Keys, k => k.StartsWith("p:", StringComparison.Ordinal));
        Assert.Equal(1, Math.Sqrt(v.Values.Sum(x => x * x)), 12);
    }

    [Fact]
    public void Similar_items_prefer_same_line_and_cover_cold_products()
    {
        var m = ContentModel.Fit(Catalogue);
        var similar = m.SimilarItems("serum", 3).Select(x => x.ItemId).ToArray();
        Assert.Equal(["cream", "mask"], similar.Take(2).Order());
        Assert.DoesNotContain("serum", similar);
        Assert.DoesNotContain("kettle", similar);
    }

    [Fact]
    public void Content_recommender_builds_profiles_from_history()
    {
        var m = ContentModel.Fit(Catalogue);
        var r = ContentRecommender.Create(m, [I("u1", "serum", 5, 0, InteractionKind.Purchase), I("u1", "lipstick", 1, 0, InteractionKind.View)]);
        var list = r.Recommend("u1", 3);
        Assert.DoesNotContain(list, x => x.ItemId is "serum" or "lipstick");
        Assert.Contains(list[0].ItemId, new[] { "cream", "mask" });
        var why = r.Explain("u1", "cream")!.Value;
        Assert.Equal("serum", why.ItemId);
        Assert.Equal(InteractionKind.Purchase, why.Kind);
        Assert.Empty(r.Recommend("nobody", 3));
    }

    [Fact]
    public void Price_ladder_uses_mid_rank_percentiles()
    {
        var ladder = PriceLadder.Build(Catalogue, 5);
        // Prices sorted: 39 89 99 129 149 199 259 → 39 is at (0 + 0.5)/7.
        Assert.Equal(0.5 / 7, ladder.Percentile("mask")!.Value, 12);
        Assert.Equal(6.5 / 7, ladder.Percentile("cream")!.Value, 12);
        Assert.Equal(0, ladder.Band("mask"));
        Assert.Equal(4, ladder.Band("cream"));
        Assert.Null(ladder.Band("unknown"));
    }
}

public class PopularityModelTests
{
    private static readonly Interaction[] Data =
    [
        I("n1", "A", 1, 9), I("n2", "A", 1, 9), I("n3", "B", 1, 9),
        I("s1", "C", 1, 9), I("s2", "C", 1, 9), I("s3", "C", 1, 9), I("s1", "B", 1, 9),
        I("old", "D", 1, 0), I("old2", "D", 1, 0), I("old3", "D", 1, 0), I("old4", "D", 1, 0), I("old5", "D", 1, 0),
    ];

    private static string? Region(string user) => user[0] switch { 'n' => "north", 's' => "south", _ => null };

    [Fact]
    public void Recency_weighting_halves_per_half_life()
    {
        var m = PopularityModel.Fit(Data, new PopularityOptions { HalfLife = TimeSpan.FromDays(3) });
        Assert.Equal(5 * 0.125, m.Score("D"), 12); // nine days old, three half-lives
        Assert.Equal(["C", "A", "B", "D"], m.Top(4).Select(x => x.ItemId));
        var counted = PopularityModel.Fit(Data, new PopularityOptions { Measure = PopularityMeasure.DistinctUsers });
        Assert.Equal("D", counted.Top(1)[0].ItemId);
    }

    [Fact]
    public void Segments_rank_their_own_items_and_fill_from_the_overall_ranking()
    {
        var m = PopularityModel.Fit(Data, new PopularityOptions { HalfLife = null }, Region);
        Assert.Equal(["north", "south"], m.Segments);
        var north = m.Top(4, "north");
        Assert.Equal(["A", "B", "D", "C"], north.Select(x => x.ItemId));
        Assert.True(north.Zip(north.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(["C", "B"], m.Recommend("s9", 2).Select(x => x.ItemId)); // unknown user of a known segment
        Assert.DoesNotContain(m.Recommend("s1", 5), x => x.ItemId is "B" or "C");
    }

    [Fact]
    public void Update_matches_a_full_fit()
    {
        var more = new[] { I("n4", "B", 1, 9), I("n5", "B", 1, 9), I("s1", "E", 1, 9) };
        var full = PopularityModel.Fit(Data.Concat(more), new PopularityOptions { HalfLife = null }, Region);
        var updated = PopularityModel.Fit(Data, new PopularityOptions { HalfLife = null }, Region).Update(more);
        Assert.Equal(full.Top(5, "north"), updated.Top(5, "north"));
        Assert.Equal(full.Top(5), updated.Top(5));
    }
}
