namespace Marketing.Sdk.Recommendations;

/// <summary>What popularity counts.</summary>
public enum PopularityMeasure
{
    /// <summary>The sum of interaction weights, each decayed by the half-life (recency-weighted; "trending" with a short half-life).</summary>
    DecayedWeight,
    /// <summary>The number of distinct users who interacted with the item (the classic popularity baseline; no decay).</summary>
    DistinctUsers,
}

/// <summary>Settings of the popularity recommender.</summary>
public sealed record PopularityOptions
{
    /// <summary>What popularity counts; default <see cref="PopularityMeasure.DecayedWeight"/>.</summary>
    public PopularityMeasure Measure { get; init; } = PopularityMeasure.DecayedWeight;

    /// <summary>Half-life of the recency weighting for <see cref="PopularityMeasure.DecayedWeight"/>; <see langword="null"/> = no decay. Default 14 days.</summary>
    public TimeSpan? HalfLife { get; init; } = TimeSpan.FromDays(14);

    /// <summary>The instant at which decay factors are 1; defaults to the latest interaction.</summary>
    public DateTimeOffset? ReferenceTime { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Measure))
        {
            throw new MarketingValidationException("measure", ValidationReason.OutOfRange, "Unknown popularity measure.");
        }
        if (HalfLife is { } h && h <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("halfLife", ValidationReason.OutOfRange, "The half-life must be positive.");
        }
    }
}

/// <summary>
/// Popularity and trending fallback: items ranked by recency-weighted interaction weight (or by
/// distinct users), overall and per customer segment. Serves cold-start users and fills lists the
/// personalised recommenders cannot fill.
/// </summary>
public sealed class PopularityModel : IInteractionRecommender
{
    private const string Global = "";
    private readonly Dictionary<string, double[]> _scores;
    private readonly Dictionary<string, int[]> _ranked;
    private readonly string?[] _segmentOfUser;
    private readonly Func<string, string?>? _segmentOf;

    private PopularityModel(PopularityOptions options, InteractionMatrix matrix, Dictionary<string, double[]> scores, string?[] segmentOfUser, Func<string, string?>? segmentOf)
    {
        Options = options;
        Matrix = matrix;
        _scores = scores;
        _segmentOfUser = segmentOfUser;
        _segmentOf = segmentOf;
        _ranked = scores.ToDictionary(kv => kv.Key, kv => Rank(kv.Value, matrix.Items.Rank), StringComparer.Ordinal);
    }

    internal IReadOnlyDictionary<string, double[]> Scores => _scores;

    internal string?[] SegmentOfUser => _segmentOfUser;

    internal static PopularityModel Restore(PopularityOptions options, InteractionMatrix matrix, Dictionary<string, double[]> scores, string?[] segmentOfUser, Func<string, string?>? segmentOf) =>
        new(options, matrix, scores, segmentOfUser, segmentOf);

    /// <summary>The settings.</summary>
    public PopularityOptions Options { get; }

    /// <inheritdoc />
    public string Name => Options.Measure == PopularityMeasure.DistinctUsers ? "Popularity (users)" : "Popularity (recency-weighted)";

    /// <summary>The segments with their own ranking.</summary>
    public IReadOnlyCollection<string> Segments => _scores.Keys.Where(k => k.Length > 0).Order(StringComparer.Ordinal).ToArray();

    internal InteractionMatrix Matrix { get; }

    /// <summary>Fits the model.</summary>
    /// <param name="interactions">The interactions.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="segmentOf">The segment of a user (e.g. region, value layer), or <see langword="null"/> for none; <see langword="null"/> = no segments.</param>
    public static PopularityModel Fit(IEnumerable<Interaction> interactions, PopularityOptions? options = null, Func<string, string?>? segmentOf = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        options ??= new PopularityOptions();
        options.Validate();
        var halfLife = options.Measure == PopularityMeasure.DecayedWeight ? options.HalfLife : null;
        return FitMatrix(InteractionMatrix.Build(interactions, halfLife, options.ReferenceTime), options, segmentOf);
    }

    internal static PopularityModel FitMatrix(InteractionMatrix m, PopularityOptions options, Func<string, string?>? segmentOf)
    {
        var segments = new string?[m.UserCount];
        var scores = new Dictionary<string, double[]>(StringComparer.Ordinal) { [Global] = new double[m.ItemCount] };
        for (var u = 0; u < m.UserCount; u++)
        {
            segments[u] = segmentOf?.Invoke(m.Users.Ids[u]);
            AddUser(scores, m, options, u, segments[u], 1);
        }
        return new PopularityModel(options, m, scores, segments, segmentOf);
    }

    /// <summary>Adds interactions and returns the updated model (this one is unchanged).</summary>
    /// <param name="interactions">The new interactions.</param>
    public PopularityModel Update(IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var added = interactions as IReadOnlyList<Interaction> ?? interactions.ToList();
        if (added.Count == 0)
        {
            return this;
        }
        var m = Matrix.WithAdded(added, out var touched);
        var scores = _scores.ToDictionary(kv => kv.Key, kv => Grow(kv.Value, m.ItemCount), StringComparer.Ordinal);
        var segments = new string?[m.UserCount];
        Array.Copy(_segmentOfUser, segments, _segmentOfUser.Length);
        foreach (var u in touched.Keys)
        {
            if (u < Matrix.UserCount)
            {
                AddUser(scores, Matrix, Options, u, segments[u], -1);
            }
            else
            {
                segments[u] = _segmentOf?.Invoke(m.Users.Ids[u]);
            }
            AddUser(scores, m, Options, u, segments[u], 1);
        }
        return new PopularityModel(Options, m, scores, segments, _segmentOf);
    }

    /// <inheritdoc />
    public IReadOnlyList<ScoredItem> Recommend(string userId, int count, bool excludeSeen = true)
    {
        ArgumentNullException.ThrowIfNull(userId);
        string? segment;
        HashSet<string>? seen = null;
        if (Matrix.Users.TryGet(userId, out var u))
        {
            segment = _segmentOfUser[u];
            if (excludeSeen)
            {
                seen = new HashSet<string>(Matrix.UserItems[u].Select(i => Matrix.Items.Ids[i]), StringComparer.Ordinal);
            }
        }
        else
        {
            segment = _segmentOf?.Invoke(userId);
        }
        return Top(count, segment, seen);
    }

    /// <summary>
    /// The most popular items of a segment, filled up from the overall ranking when the segment has
    /// fewer than <paramref name="count"/> items; best first.
    /// </summary>
    /// <param name="count">How many at most.</param>
    /// <param name="segment">The segment, or <see langword="null"/> for the overall ranking.</param>
    /// <param name="exclude">Items to leave out.</param>
    public IReadOnlyList<ScoredItem> Top(int count, string? segment = null, IReadOnlySet<string>? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new List<ScoredItem>(count);
        var taken = new HashSet<int>();
        foreach (var key in segment is null ? [Global] : new[] { segment, Global })
        {
            if (!_ranked.TryGetValue(key, out var ranked) || ranked.Length == 0)
            {
                continue;
            }
            var scores = _scores[key];
            // Fill items from the overall ranking score below every segment item, in overall order.
            var fill = key.Length == 0 && result.Count > 0;
            var floor = fill ? result[^1].Score / scores[ranked[0]] : 1.0;
            foreach (var i in ranked)
            {
                if (result.Count >= count)
                {
                    return result;
                }
                var id = Matrix.Items.Ids[i];
                if (scores[i] > 0 && taken.Add(i) && (exclude is null || !exclude.Contains(id)))
                {
                    result.Add(new ScoredItem(id, fill ? scores[i] * floor * 0.5 : scores[i]));
                }
            }
        }
        return result;
    }

    /// <summary>The popularity score of an item in a segment (overall when <paramref name="segment"/> is <see langword="null"/>).</summary>
    /// <param name="itemId">The item.</param>
    /// <param name="segment">The segment.</param>
    public double Score(string itemId, string? segment = null) =>
        Matrix.Items.TryGet(itemId, out var i) && _scores.TryGetValue(segment ?? Global, out var s) ? s[i] : 0;

    private static void AddUser(Dictionary<string, double[]> scores, InteractionMatrix m, PopularityOptions options, int u, string? segment, int sign)
    {
        if (segment is not null && !scores.ContainsKey(segment))
        {
            scores[segment] = new double[scores[Global].Length];
        }
        var items = m.UserItems[u];
        for (var k = 0; k < items.Length; k++)
        {
            var v = sign * (options.Measure == PopularityMeasure.DistinctUsers ? 1.0 : m.Affinity[u][k]);
            scores[Global][items[k]] += v;
            if (segment is not null)
            {
                scores[segment][items[k]] += v;
            }
        }
    }

    private static int[] Rank(double[] scores, int[] rank)
    {
        var order = Enumerable.Range(0, scores.Length).Where(i => scores[i] > 0).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var c = scores[b].CompareTo(scores[a]);
            return c != 0 ? c : rank[a].CompareTo(rank[b]);
        });
        return order;
    }

    private static double[] Grow(double[] source, int count)
    {
        var r = new double[count];
        source.CopyTo(r, 0);
        return r;
    }
}
