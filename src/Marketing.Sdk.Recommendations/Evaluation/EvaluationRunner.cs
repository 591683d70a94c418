namespace Marketing.Sdk.Recommendations.Evaluation;

/// <summary>Settings of an offline evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The list length k; default 10.</summary>
    public int K { get; init; } = 10;

    /// <summary>
    /// Whether test items the user already had in training are dropped from the relevant set
    /// (default <see langword="true"/>: recommenders leave seen items out, so they could never be hit).
    /// </summary>
    public bool ExcludeTrainItemsFromRelevant { get; init; } = true;

    /// <summary>Whether recommenders are asked to leave seen items out; default <see langword="true"/>.</summary>
    public bool ExcludeSeen { get; init; } = true;

    /// <summary>Normalisation of average precision; default <see cref="AveragePrecisionNormalization.RelevantCount"/>.</summary>
    public AveragePrecisionNormalization AveragePrecision { get; init; } = AveragePrecisionNormalization.RelevantCount;

    /// <summary>Upper bound of parallel workers; 0 = number of processors.</summary>
    public int MaxDegreeOfParallelism { get; init; }
}

/// <summary>The averaged metrics of one recommender on one split.</summary>
/// <param name="Recommender">The recommender's name.</param>
/// <param name="K">The list length.</param>
/// <param name="Users">Number of test users evaluated (users in train with at least one relevant test item).</param>
/// <param name="PrecisionAtK">Mean precision@k.</param>
/// <param name="RecallAtK">Mean recall@k.</param>
/// <param name="NdcgAtK">Mean nDCG@k.</param>
/// <param name="MapAtK">Mean average precision@k.</param>
/// <param name="Coverage">Catalogue coverage over the training items.</param>
/// <param name="Novelty">Mean self-information (bits) of the recommended items.</param>
public sealed record EvaluationResult(string Recommender, int K, int Users, double PrecisionAtK, double RecallAtK, double NdcgAtK, double MapAtK, double Coverage, double Novelty);

/// <summary>Evaluates any <see cref="IInteractionRecommender"/> on a train/test split.</summary>
public static class EvaluationRunner
{
    /// <summary>Fits each recommender on the training part and evaluates it on the test part.</summary>
    /// <param name="split">The split.</param>
    /// <param name="fitters">Functions that fit a recommender on training interactions.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static IReadOnlyList<EvaluationResult> Run(DataSplit split, IEnumerable<Func<IReadOnlyList<Interaction>, IInteractionRecommender>> fitters, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(fitters);
        return fitters.Select(fit => Evaluate(fit(split.Train), split, options)).ToArray();
    }

    /// <summary>Evaluates a recommender (already fitted on <see cref="DataSplit.Train"/>) on the test part of a split.</summary>
    /// <param name="recommender">The fitted recommender; must be safe for concurrent calls.</param>
    /// <param name="split">The split.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static EvaluationResult Evaluate(IInteractionRecommender recommender, DataSplit split, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recommender);
        ArgumentNullException.ThrowIfNull(split);
        options ??= new EvaluationOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.K);
        var trainItems = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var x in split.Train)
        {
            if (!trainItems.TryGetValue(x.UserId, out var set))
            {
                trainItems[x.UserId] = set = new HashSet<string>(StringComparer.Ordinal);
            }
            set.Add(x.ItemId);
        }
        var usersPerItem = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var set in trainItems.Values)
        {
            foreach (var item in set)
            {
                usersPerItem[item] = usersPerItem.GetValueOrDefault(item) + 1;
            }
        }
        var relevant = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var x in split.Test)
        {
            if (!trainItems.TryGetValue(x.UserId, out var seen) || (options.ExcludeTrainItemsFromRelevant && seen.Contains(x.ItemId)))
            {
                continue;
            }
            if (!relevant.TryGetValue(x.UserId, out var set))
            {
                relevant[x.UserId] = set = new HashSet<string>(StringComparer.Ordinal);
            }
            set.Add(x.ItemId);
        }
        var users = relevant.Keys.Order(StringComparer.Ordinal).ToArray();
        var lists = new IReadOnlyList<string>[users.Length];
        var metrics = new double[users.Length, 4];
        var k = options.K;
        Parallel.For(0, users.Length, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount }, n =>
        {
            var list = recommender.Recommend(users[n], k, options.ExcludeSeen).Select(s => s.ItemId).ToArray();
            var rel = relevant[users[n]];
            lists[n] = list;
            metrics[n, 0] = RankingMetrics.PrecisionAtK(list, rel, k);
            metrics[n, 1] = RankingMetrics.RecallAtK(list, rel, k);
            metrics[n, 2] = RankingMetrics.NdcgAtK(list, rel, k);
            metrics[n, 3] = RankingMetrics.AveragePrecisionAtK(list, rel, k, options.AveragePrecision);
        });
        var sums = new double[4];
        for (var n = 0; n < users.Length; n++)
        {
            for (var m = 0; m < 4; m++)
            {
                sums[m] += metrics[n, m];
            }
        }
        var count = Math.Max(1, users.Length);
        var catalogue = Math.Max(1, usersPerItem.Count);
        return new EvaluationResult(recommender.Name, k, users.Length, sums[0] / count, sums[1] / count, sums[2] / count, sums[3] / count,
            RankingMetrics.CatalogueCoverage(lists, catalogue), RankingMetrics.Novelty(lists, usersPerItem, Math.Max(1, trainItems.Count)));
    }
}
