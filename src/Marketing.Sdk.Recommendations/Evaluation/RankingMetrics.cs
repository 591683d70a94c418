namespace Marketing.Sdk.Recommendations.Evaluation;

/// <summary>How average precision at k is normalised.</summary>
public enum AveragePrecisionNormalization
{
    /// <summary>
    /// Divide by the number of relevant items |R| (the convention of the Microsoft Recommenders
    /// evaluation used for the published SAR MovieLens figures).
    /// </summary>
    RelevantCount,
    /// <summary>Divide by min(k, |R|) (the convention of <c>ml_metrics.apk</c> and many IR texts).</summary>
    MinOfKAndRelevantCount,
}

/// <summary>
/// Ranking metrics for one recommendation list against the set of relevant items (binary
/// relevance unless graded gains are given). All are in [0, 1]; an empty relevant set gives 0.
/// </summary>
public static class RankingMetrics
{
    /// <summary>Precision@k: relevant items among the first k recommended, divided by k.</summary>
    /// <param name="recommended">The ranked list, best first.</param>
    /// <param name="relevant">The relevant items.</param>
    /// <param name="k">The cut-off (positive).</param>
    public static double PrecisionAtK(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k)
    {
        Check(recommended, relevant, k);
        return Hits(recommended, relevant, k) / (double)k;
    }

    /// <summary>Recall@k: relevant items among the first k recommended, divided by the number of relevant items.</summary>
    /// <param name="recommended">The ranked list, best first.</param>
    /// <param name="relevant">The relevant items.</param>
    /// <param name="k">The cut-off (positive).</param>
    public static double RecallAtK(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k)
    {
        Check(recommended, relevant, k);
        return relevant.Count == 0 ? 0 : Hits(recommended, relevant, k) / (double)relevant.Count;
    }

    /// <summary>
    /// nDCG@k with binary relevance: DCG = Σ_{r ≤ k, item r relevant} 1 / log₂(r + 1), divided by the
    /// DCG of an ideal list (min(k, |R|) relevant items first).
    /// </summary>
    /// <param name="recommended">The ranked list, best first.</param>
    /// <param name="relevant">The relevant items.</param>
    /// <param name="k">The cut-off (positive).</param>
    public static double NdcgAtK(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k)
    {
        Check(recommended, relevant, k);
        var gains = relevant.ToDictionary(x => x, _ => 1.0, StringComparer.Ordinal);
        return NdcgAtK(recommended, gains, k);
    }

    /// <summary>
    /// nDCG@k with graded gains: DCG = Σ_{r ≤ k} gain(item r) / log₂(r + 1), divided by the DCG of the
    /// gains sorted in decreasing order.
    /// </summary>
    /// <param name="recommended">The ranked list, best first.</param>
    /// <param name="gains">The gain of each relevant item (absent items have gain 0; gains are not negative).</param>
    /// <param name="k">The cut-off (positive).</param>
    public static double NdcgAtK(IReadOnlyList<string> recommended, IReadOnlyDictionary<string, double> gains, int k)
    {
        ArgumentNullException.ThrowIfNull(recommended);
        ArgumentNullException.ThrowIfNull(gains);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var dcg = 0.0;
        var n = Math.Min(k, recommended.Count);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < n; r++)
        {
            // A repeated item earns its gain once, at its first position.
            if (gains.TryGetValue(recommended[r], out var g) && counted.Add(recommended[r]))
            {
                dcg += g / Math.Log2(r + 2);
            }
        }
        var ideal = gains.Values.Where(g => g > 0).OrderDescending().Take(k).Select((g, r) => g / Math.Log2(r + 2)).Sum();
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>
    /// Average precision at k: Σ_{r ≤ k, item r relevant} Precision@r divided by |R| or min(k, |R|);
    /// MAP@k is its mean over users.
    /// </summary>
    /// <param name="recommended">The ranked list, best first.</param>
    /// <param name="relevant">The relevant items.</param>
    /// <param name="k">The cut-off (positive).</param>
    /// <param name="normalization">The denominator.</param>
    public static double AveragePrecisionAtK(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k, AveragePrecisionNormalization normalization = AveragePrecisionNormalization.RelevantCount)
    {
        Check(recommended, relevant, k);
        if (relevant.Count == 0)
        {
            return 0;
        }
        var hits = 0;
        var sum = 0.0;
        var n = Math.Min(k, recommended.Count);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < n; r++)
        {
            if (relevant.Contains(recommended[r]) && counted.Add(recommended[r]))
            {
                hits++;
                sum += hits / (double)(r + 1);
            }
        }
        var denominator = normalization == AveragePrecisionNormalization.RelevantCount ? relevant.Count : Math.Min(k, relevant.Count);
        return sum / denominator;
    }

    /// <summary>Catalogue coverage: distinct items recommended to anyone, divided by the catalogue size.</summary>
    /// <param name="lists">The recommendation lists.</param>
    /// <param name="catalogueSize">Number of items that could have been recommended.</param>
    public static double CatalogueCoverage(IEnumerable<IReadOnlyList<string>> lists, int catalogueSize)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(catalogueSize);
        return lists.SelectMany(l => l).Distinct(StringComparer.Ordinal).Count() / (double)catalogueSize;
    }

    /// <summary>
    /// Mean self-information of the recommended items, −log₂ p(i) with p(i) the share of users who
    /// interacted with item i (at least one user is assumed, so unseen items count as 1/users).
    /// Higher is more novel.
    /// </summary>
    /// <param name="lists">The recommendation lists.</param>
    /// <param name="usersPerItem">Number of users who interacted with each item.</param>
    /// <param name="userCount">Number of users.</param>
    public static double Novelty(IEnumerable<IReadOnlyList<string>> lists, IReadOnlyDictionary<string, int> usersPerItem, int userCount)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(usersPerItem);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(userCount);
        var sum = 0.0;
        long n = 0;
        foreach (var list in lists)
        {
            foreach (var item in list)
            {
                var users = Math.Max(1, usersPerItem.GetValueOrDefault(item));
                sum += -Math.Log2(users / (double)userCount);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static int Hits(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k)
    {
        var n = Math.Min(k, recommended.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hits = 0;
        for (var r = 0; r < n; r++)
        {
            if (relevant.Contains(recommended[r]) && seen.Add(recommended[r]))
            {
                hits++;
            }
        }
        return hits;
    }

    private static void Check(IReadOnlyList<string> recommended, IReadOnlySet<string> relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(recommended);
        ArgumentNullException.ThrowIfNull(relevant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
    }
}
