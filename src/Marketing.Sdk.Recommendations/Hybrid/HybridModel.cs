namespace Marketing.Sdk.Recommendations;

/// <summary>Blend weights of the hybrid ranker (each source's scores are first scaled to [0, 1]).</summary>
public sealed record HybridWeights
{
    /// <summary>Weight of the item-item (co-occurrence) scores; default 0.6.</summary>
    public double CoOccurrence { get; init; } = 0.6;

    /// <summary>Weight of the content scores; default 0.25.</summary>
    public double Content { get; init; } = 0.25;

    /// <summary>Weight of the popularity scores; default 0.15.</summary>
    public double Popularity { get; init; } = 0.15;

    internal void Validate()
    {
        foreach (var (name, w) in new[] { ("coOccurrence", CoOccurrence), ("content", Content), ("popularity", Popularity) })
        {
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new MarketingValidationException("weights." + name, ValidationReason.OutOfRange, "Blend weights are finite and not negative.");
            }
        }
        if (CoOccurrence + Content + Popularity <= 0)
        {
            throw new MarketingValidationException("weights", ValidationReason.OutOfRange, "At least one blend weight must be positive.");
        }
    }
}

/// <summary>
/// A candidate item while it is being ranked: the blended score, each source's scaled score, and the
/// notes business rules leave on it. Mutable on purpose: rules change scores, pin and annotate.
/// </summary>
public sealed class RecommendationCandidate
{
    /// <summary>Creates a candidate.</summary>
    /// <param name="productId">The product.</param>
    public RecommendationCandidate(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        ProductId = productId;
    }

    /// <summary>The product.</summary>
    public string ProductId { get; }

    /// <summary>The current ranking score (higher is better).</summary>
    public double Score { get; set; }

    /// <summary>The item-item score scaled to [0, 1] (0 when that source did not propose it).</summary>
    public double CoOccurrenceScore { get; init; }

    /// <summary>The content score scaled to [0, 1].</summary>
    public double ContentScore { get; init; }

    /// <summary>The popularity score scaled to [0, 1].</summary>
    public double PopularityScore { get; init; }

    /// <summary>Position among pinned items (0 first), or <see langword="null"/> when not pinned. Pinned items come first.</summary>
    public int? PinnedAt { get; set; }

    /// <summary>What rules did to this candidate, in order.</summary>
    public IList<string> Notes { get; } = new List<string>();

    /// <inheritdoc />
    public override string ToString() => $"{ProductId} {Score:0.####}";
}

/// <summary>
/// The hybrid ranker: candidates from the item-item model, the content model and popularity are
/// each scaled by their largest score and blended with <see cref="HybridWeights"/>. Users without
/// history get popularity only (cold start); items without interactions reach lists through content.
/// </summary>
public sealed class HybridModel : IInteractionRecommender
{
    /// <summary>Creates the ranker; any source may be missing.</summary>
    /// <param name="sar">The item-item model.</param>
    /// <param name="content">The content recommender.</param>
    /// <param name="popularity">The popularity model.</param>
    /// <param name="weights">Blend weights; defaults when <see langword="null"/>.</param>
    /// <param name="candidatePoolSize">How many candidates each source contributes; default 100.</param>
    public HybridModel(SarModel? sar, ContentRecommender? content, PopularityModel? popularity, HybridWeights? weights = null, int candidatePoolSize = 100)
    {
        weights ??= new HybridWeights();
        weights.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(candidatePoolSize);
        Sar = sar;
        Content = content;
        Popularity = popularity;
        Weights = weights;
        CandidatePoolSize = candidatePoolSize;
    }

    /// <summary>The item-item model.</summary>
    public SarModel? Sar { get; }

    /// <summary>The content recommender.</summary>
    public ContentRecommender? Content { get; }

    /// <summary>The popularity model.</summary>
    public PopularityModel? Popularity { get; }

    /// <summary>The blend weights.</summary>
    public HybridWeights Weights { get; }

    /// <summary>Candidates per source.</summary>
    public int CandidatePoolSize { get; }

    /// <inheritdoc />
    public string Name => "Hybrid";

    /// <inheritdoc />
    public IReadOnlyList<ScoredItem> Recommend(string userId, int count, bool excludeSeen = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Candidates(userId, null, Math.Max(count, CandidatePoolSize), excludeSeen)
            .Take(count).Select(c => new ScoredItem(c.ProductId, c.Score)).ToArray();
    }

    /// <summary>Whether any source knows the user's history.</summary>
    /// <param name="userId">The user.</param>
    public bool KnowsUser(string userId) =>
        (Sar?.Matrix.Users.TryGet(userId, out _) ?? false) || (Content?.History.Users.TryGet(userId, out _) ?? false);

    /// <summary>The items the user interacted with, with the strongest kind of each.</summary>
    /// <param name="userId">The user.</param>
    public IReadOnlyDictionary<string, InteractionKind> History(string userId)
    {
        var result = new Dictionary<string, InteractionKind>(StringComparer.Ordinal);
        foreach (var m in new[] { Sar?.Matrix, Content?.History, Popularity?.Matrix })
        {
            if (m is null || !m.Users.TryGet(userId, out var u))
            {
                continue;
            }
            for (var k = 0; k < m.UserItems[u].Length; k++)
            {
                var id = m.Items.Ids[m.UserItems[u][k]];
                var kind = (InteractionKind)InteractionMatrix.HighestKind(m.Kinds[u][k]);
                if (!result.TryGetValue(id, out var existing) || kind > existing)
                {
                    result[id] = kind;
                }
            }
        }
        return result;
    }

    /// <summary>Blended candidates for a user, best first (score descending, then product id).</summary>
    /// <param name="userId">The user.</param>
    /// <param name="segment">The user's segment for popularity, or <see langword="null"/> for the overall ranking.</param>
    /// <param name="poolSize">Candidates per source.</param>
    /// <param name="excludeSeen">Whether the user's items are left out.</param>
    public IReadOnlyList<RecommendationCandidate> Candidates(string userId, string? segment, int poolSize, bool excludeSeen = true)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(poolSize);
        var sar = Weights.CoOccurrence > 0 && Sar is not null ? Sar.Recommend(userId, poolSize, excludeSeen) : [];
        var content = Weights.Content > 0 && Content is not null ? Content.Recommend(userId, poolSize, excludeSeen) : [];
        IReadOnlyList<ScoredItem> popular = [];
        if (Weights.Popularity > 0 && Popularity is not null)
        {
            var seen = excludeSeen ? new HashSet<string>(History(userId).Keys, StringComparer.Ordinal) : null;
            popular = Popularity.Top(poolSize, segment, seen);
        }
        return Blend(sar, content, popular);
    }

    /// <summary>Items similar to <paramref name="itemId"/>: item-item neighbours blended with content neighbours (content alone for items without interactions).</summary>
    /// <param name="itemId">The item.</param>
    /// <param name="count">How many at most.</param>
    public IReadOnlyList<RecommendationCandidate> SimilarItems(string itemId, int count)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pool = Math.Max(count, CandidatePoolSize);
        var sar = Sar?.SimilarItems(itemId, pool) ?? [];
        var content = Content?.Model.SimilarItems(itemId, pool) ?? [];
        return Blend(sar, content, []).Where(c => c.ProductId != itemId).Take(count).ToArray();
    }

    private List<RecommendationCandidate> Blend(IReadOnlyList<ScoredItem> sar, IReadOnlyList<ScoredItem> content, IReadOnlyList<ScoredItem> popular)
    {
        var parts = new Dictionary<string, double[]>(StringComparer.Ordinal);
        void Add(IReadOnlyList<ScoredItem> items, int source)
        {
            var max = items.Count == 0 ? 0 : items.Max(x => x.Score);
            if (max <= 0)
            {
                return;
            }
            foreach (var x in items)
            {
                if (!parts.TryGetValue(x.ItemId, out var p))
                {
                    parts[x.ItemId] = p = new double[3];
                }
                p[source] = x.Score / max;
            }
        }
        Add(sar, 0);
        Add(content, 1);
        Add(popular, 2);
        var result = new List<RecommendationCandidate>(parts.Count);
        foreach (var (id, p) in parts)
        {
            result.Add(new RecommendationCandidate(id)
            {
                CoOccurrenceScore = p[0],
                ContentScore = p[1],
                PopularityScore = p[2],
                Score = Weights.CoOccurrence * p[0] + Weights.Content * p[1] + Weights.Popularity * p[2],
            });
        }
        result.Sort(CompareCandidates);
        return result;
    }

    /// <summary>Pinned first (by pin position), then score descending, then product id (ordinal).</summary>
    internal static int CompareCandidates(RecommendationCandidate a, RecommendationCandidate b)
    {
        if (a.PinnedAt.HasValue || b.PinnedAt.HasValue)
        {
            if (!b.PinnedAt.HasValue)
            {
                return -1;
            }
            if (!a.PinnedAt.HasValue)
            {
                return 1;
            }
            var p = a.PinnedAt.Value.CompareTo(b.PinnedAt.Value);
            if (p != 0)
            {
                return p;
            }
        }
        var c = b.Score.CompareTo(a.Score);
        return c != 0 ? c : string.CompareOrdinal(a.ProductId, b.ProductId);
    }
}
