using Marketing.Sdk.Recommendations.Evaluation;

namespace Marketing.Sdk.Recommendations.Tests;

public class RankingMetricsTests
{
    // Hand-computed: list a b c d e, relevant {a, c, f}, k = 5.
    private static readonly string[] List = ["a", "b", "c", "d", "e"];
    private static readonly HashSet<string> Relevant = ["a", "c", "f"];

    [Fact]
    public void Precision_and_recall_match_hand_computation()
    {
        Assert.Equal(0.4, RankingMetrics.PrecisionAtK(List, Relevant, 5), 12);   // 2 / 5
        Assert.Equal(2.0 / 3, RankingMetrics.RecallAtK(List, Relevant, 5), 12); // 2 / 3
    }

    [Fact]
    public void Precision_at_three_counts_two_hits()
    {
        Assert.Equal(2.0 / 3, RankingMetrics.PrecisionAtK(List, Relevant, 3), 12);
        // k larger than the list: missing positions count as misses.
        Assert.Equal(0.2, RankingMetrics.PrecisionAtK(List, Relevant, 10), 12);
    }

    [Fact]
    public void Ndcg_matches_hand_computation()
    {
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309297536
        var expected = 1.5 / (1 + 1 / Math.Log2(3) + 0.5);
        Assert.Equal(expected, RankingMetrics.NdcgAtK(List, Relevant, 5), 12);
        Assert.Equal(0.7039180890, RankingMetrics.NdcgAtK(List, Relevant, 5), 9);
    }

    [Fact]
    public void Graded_ndcg_matches_the_wikipedia_example()
    {
        // en.wikipedia.org/wiki/Discounted_cumulative_gain: D1..D6 with relevances 3 2 3 0 1 2, plus
        // D7 (3) and D8 (2) not retrieved: DCG6 = 6.861, IDCG6 = 8.740 (3,3,3,2,2,2), nDCG6 = 0.785.
        string[] list = ["D1", "D2", "D3", "D4", "D5", "D6"];
        var gains = new Dictionary<string, double> { ["D1"] = 3, ["D2"] = 2, ["D3"] = 3, ["D4"] = 0, ["D5"] = 1, ["D6"] = 2, ["D7"] = 3, ["D8"] = 2 };
        Assert.Equal(0.785, RankingMetrics.NdcgAtK(list, gains, 6), 3);
    }

    [Fact]
    public void Average_precision_matches_hand_computation_for_both_normalisations()
    {
        // Hits at ranks 1 and 3: P@1 = 1, P@3 = 2/3; sum 5/3.
        Assert.Equal(5.0 / 9, RankingMetrics.AveragePrecisionAtK(List, Relevant, 5), 12); // / |R| = 3
        Assert.Equal(5.0 / 9, RankingMetrics.AveragePrecisionAtK(List, Relevant, 5, AveragePrecisionNormalization.MinOfKAndRelevantCount), 12); // min(5, 3) = 3
        // k = 2: only rank 1 hits → 1 / min(2, 3) = 0.5.
        Assert.Equal(0.5, RankingMetrics.AveragePrecisionAtK(List, Relevant, 2, AveragePrecisionNormalization.MinOfKAndRelevantCount), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecisionAtK(List, Relevant, 2), 12);
    }

    [Fact]
    public void Perfect_and_empty_lists_give_the_extremes()
    {
        string[] perfect = ["a", "c", "f"];
        Assert.Equal(1, RankingMetrics.NdcgAtK(perfect, Relevant, 3), 12);
        Assert.Equal(1, RankingMetrics.AveragePrecisionAtK(perfect, Relevant, 3), 12);
        Assert.Equal(1, RankingMetrics.RecallAtK(perfect, Relevant, 3), 12);
        Assert.Equal(0, RankingMetrics.NdcgAtK([], Relevant, 3));
        Assert.Equal(0, RankingMetrics.RecallAtK(List, new HashSet<string>(), 3));
    }

    [Fact]
    public void Duplicated_recommendations_are_not_counted_twice()
    {
        string[] dup = ["a", "a", "a"];
        Assert.Equal(1.0 / 3, RankingMetrics.PrecisionAtK(dup, Relevant, 3), 12);
    }

    [Fact]
    public void Coverage_and_novelty_match_hand_computation()
    {
        IReadOnlyList<string>[] lists = [["a", "b"], ["b", "c"]];
        Assert.Equal(0.3, RankingMetrics.CatalogueCoverage(lists, 10), 12);
        // 8 users; a seen by 4 (1 bit), b by 2 (2 bits), c by 1 (3 bits): (1 + 2 + 2 + 3) / 4 = 2.
        var pop = new Dictionary<string, int> { ["a"] = 4, ["b"] = 2, ["c"] = 1 };
        Assert.Equal(2.0, RankingMetrics.Novelty(lists, pop, 8), 12);
    }

    [Fact]
    public void Invalid_k_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.PrecisionAtK(List, Relevant, 0));

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool Metrics_stay_in_unit_interval_and_recall_is_monotone(int[] recommended, int[] relevant, byte k)
    {
        var list = recommended.Select(x => (Math.Abs(x % 20)).ToString()).ToArray();
        var rel = relevant.Select(x => (Math.Abs(x % 20)).ToString()).ToHashSet();
        var kk = k % 15 + 1;
        var values = new[]
        {
            RankingMetrics.PrecisionAtK(list, rel, kk), RankingMetrics.RecallAtK(list, rel, kk), RankingMetrics.NdcgAtK(list, rel, kk),
            RankingMetrics.AveragePrecisionAtK(list, rel, kk), RankingMetrics.AveragePrecisionAtK(list, rel, kk, AveragePrecisionNormalization.MinOfKAndRelevantCount),
        };
        return values.All(v => v >= 0 && v <= 1 + 1e-12)
            && RankingMetrics.RecallAtK(list, rel, kk + 1) >= RankingMetrics.RecallAtK(list, rel, kk);
    }
}
