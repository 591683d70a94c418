using Marketing.Sdk.Recommendations.Evaluation;
using Marketing.Sdk.Recommendations.Fairness;
using static Marketing.Sdk.Recommendations.Tests.TestData;

namespace Marketing.Sdk.Recommendations.Tests;

public class FairnessAuditTests
{
    private static UserRecommendations R(string user, params string[] items) => new(user, items.Select(i => new ScoredItem(i, 1)).ToArray());

    [Fact]
    public void Exposure_shares_and_disparity_ratios_match_hand_computation()
    {
        // Group f: two users see [cheap, dear] each; group m: one user sees [dear, dear2].
        var recs = new[] { R("f1", "cheap", "dear"), R("f2", "cheap", "dear"), R("m1", "dear", "dear2") };
        string Group(string u) => u[..1];
        string Band(string item) => item == "cheap" ? "low" : "high";
        var uniform = FairnessAudit.Audit("band", recs, Group, Band, new FairnessOptions { Weighting = ExposureWeighting.Uniform });
        var low = uniform.Rows.Single(r => r.Value == "low");
        Assert.Equal(0.5, low.ShareByGroup["f"], 12);
        Assert.Equal(0, low.ShareByGroup["m"], 12);
        Assert.Equal(0, low.DisparityRatio, 12);
        Assert.True(low.Flagged);
        var high = uniform.Rows.Single(r => r.Value == "high");
        Assert.Equal(0.5, high.DisparityRatio, 12); // 0.5 / 1.0
        Assert.Equal(4.0 / 6, high.OverallShare, 12);
        Assert.False(uniform.Passed);
        Assert.Equal(2, uniform.UsersByGroup["f"]);

        // Position-discounted: f sees cheap at rank 1 (weight 1) and dear at rank 2 (1/log2 3).
        var discounted = FairnessAudit.Audit("band", recs, Group, Band);
        var share = 1 / (1 + 1 / Math.Log2(3));
        Assert.Equal(share, discounted.Rows.Single(r => r.Value == "low").ShareByGroup["f"], 12);
    }

    [Fact]
    public void Equal_lists_pass_and_unknown_groups_are_left_out()
    {
        var recs = new[] { R("a1", "x", "y"), R("b1", "x", "y"), R("zz", "q") };
        var report = FairnessAudit.AuditItems(recs, u => u == "zz" ? null : u[..1]);
        Assert.True(report.Passed);
        Assert.Equal(1, report.MinDisparityRatio, 12);
        Assert.DoesNotContain(report.Rows, r => r.Value == "q");
    }

    [Fact]
    public void Price_band_audit_uses_the_ladder()
    {
        var ladder = PriceLadder.Build(ContentModelTests.Catalogue);
        var recs = new[] { R("f1", "mask", "cleanser"), R("m1", "cream", "serum") };
        var report = FairnessAudit.AuditPriceBands(recs, u => u[..1], ladder);
        Assert.False(report.Passed);
        Assert.Equal(0, report.MinDisparityRatio);
        Assert.Equal("price_band", report.Attribute);
    }
}

public class EvaluationTests
{
    [Fact]
    public void Chronological_split_cuts_at_the_instant()
    {
        var data = new[] { I("u", "a", day: 0), I("u", "b", day: 5), I("u", "c", day: 10) };
        var split = DataSplitter.Chronological(data, T0.AddDays(5));
        Assert.Equal(["a"], split.Train.Select(x => x.ItemId));
        Assert.Equal(["b", "c"], split.Test.Select(x => x.ItemId));
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public bool Random_split_is_stratified_deterministic_and_keeps_pairs_together(int[] raw, int seed)
    {
        var data = SarModelTests.Random(raw, users: 5, items: 17);
        var a = DataSplitter.RandomStratified(data, 0.75, seed);
        var b = DataSplitter.RandomStratified(data, 0.75, seed);
        var trainPairs = a.Train.Select(x => (x.UserId, x.ItemId)).ToHashSet();
        return a.Train.SequenceEqual(b.Train) && a.Test.SequenceEqual(b.Test)
            && a.Train.Count + a.Test.Count == data.Count
            && a.Test.All(x => !trainPairs.Contains((x.UserId, x.ItemId)))
            && data.GroupBy(x => x.UserId).All(g =>
            {
                var n = g.Select(x => x.ItemId).Distinct().Count();
                var inTrain = a.Train.Where(x => x.UserId == g.Key).Select(x => x.ItemId).Distinct().Count();
                return n == 1 ? inTrain == 1 : inTrain == Math.Clamp((int)Math.Round(0.75 * n, MidpointRounding.AwayFromZero), 1, n - 1);
            });
    }

    [Fact]
    public void Runner_computes_metrics_over_test_users()
    {
        var train = new[] { I("u1", "A"), I("u1", "B"), I("u2", "A"), I("u2", "B"), I("u2", "C"), I("u3", "B"), I("u3", "C"), I("u4", "A") };
        var test = new[] { I("u4", "B"), I("u4", "A"), I("u1", "C"), I("u9", "A") };
        var split = new DataSplit(train, test);
        var results = EvaluationRunner.Run(split, [t => SarModel.Fit(t)], new EvaluationOptions { K = 2 });
        var r = Assert.Single(results);
        // u4: [B, C] vs {B} (A was seen in train) → P 0.5, R 1, nDCG 1, AP 1; u1: [C] vs {C} → P 0.5, R 1, nDCG 1, AP 1.
        Assert.Equal(2, r.Users);
        Assert.Equal(0.5, r.PrecisionAtK, 12);
        Assert.Equal(1, r.RecallAtK, 12);
        Assert.Equal(1, r.NdcgAtK, 12);
        Assert.Equal(1, r.MapAtK, 12);
        Assert.Equal(2.0 / 3, r.Coverage, 12); // B and C of A, B, C
        Assert.Equal("SAR (jaccard)", r.Recommender);
    }

    [Fact]
    public async Task Reader_parses_movielens_layout_and_quoted_csv()
    {
        var ml = new StringReader("196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
        var rows = await InteractionFileReader.ReadAsync(ml, InteractionFileFormat.MovieLens100K).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(new Interaction("196", "242", DateTimeOffset.FromUnixTimeSeconds(881250949), 3, InteractionKind.Rating), rows[0]);

        var csv = new StringReader("user,item,qty,when\nc1,\"A, \"\"big\"\" one\",2,2011-01-02 10:00:00\nc2,B,-1,2011-01-02 10:00:00\n,B,1,2011-01-02 10:00:00\n");
        var parsed = await InteractionFileReader.ReadAsync(csv, new InteractionFileFormat()).ToListAsync();
        var single = Assert.Single(parsed);
        Assert.Equal("A, \"big\" one", single.ItemId);
        Assert.Equal(new DateTimeOffset(2011, 1, 2, 10, 0, 0, TimeSpan.Zero), single.OccurredAt);

        var bad = new StringReader("h\nu,i,x,1\n");
        var ex = await Assert.ThrowsAsync<RecommendationException>(async () => await InteractionFileReader.ReadAsync(bad, new InteractionFileFormat()).ToListAsync());
        Assert.Equal(RecommendationErrorReason.InvalidData, ex.Reason);
        Assert.Contains("Line 2", ex.Message, StringComparison.Ordinal);
    }
}
