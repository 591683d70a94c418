namespace Marketing.Sdk.Recommendations;

/// <summary>How item-item similarity is derived from co-occurrence counts c(i,j) and item counts c(i,i).</summary>
public enum ItemSimilarity
{
    /// <summary>The raw co-occurrence count c(i,j).</summary>
    Cooccurrence,
    /// <summary>Jaccard: c(i,j) / (c(i,i) + c(j,j) − c(i,j)).</summary>
    Jaccard,
    /// <summary>Lift: c(i,j) / (c(i,i) · c(j,j)).</summary>
    Lift,
    /// <summary>Cosine: c(i,j) / √(c(i,i) · c(j,j)).</summary>
    Cosine,
}

/// <summary>Settings of the SAR-style item-item recommender.</summary>
public sealed record SarOptions
{
    /// <summary>Similarity measure; default <see cref="ItemSimilarity.Jaccard"/>.</summary>
    public ItemSimilarity Similarity { get; init; } = ItemSimilarity.Jaccard;

    /// <summary>
    /// Half-life of the time decay of affinities: an interaction this old counts half. <see langword="null"/>
    /// (the default) disables decay.
    /// </summary>
    public TimeSpan? HalfLife { get; init; }

    /// <summary>The instant at which decay factors are 1; defaults to the latest interaction of the training data.</summary>
    public DateTimeOffset? ReferenceTime { get; init; }

    /// <summary>Item pairs seen together by fewer users than this are not similar (SAR's support threshold); default 1.</summary>
    public int SupportThreshold { get; init; } = 1;

    /// <summary>
    /// How many most-similar neighbours each item keeps for scoring (0 keeps all, the exact SAR
    /// product). Default 200: scores then sum over each seen item's 200 nearest items.
    /// </summary>
    public int MaxNeighbours { get; init; } = 200;

    /// <summary>Upper bound of parallel workers for fitting and batch scoring; default 0 = number of processors.</summary>
    public int MaxDegreeOfParallelism { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Similarity))
        {
            throw new MarketingValidationException("similarity", ValidationReason.OutOfRange, "Unknown similarity measure.");
        }
        if (HalfLife is { } h && h <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("halfLife", ValidationReason.OutOfRange, "The half-life must be positive.");
        }
        if (SupportThreshold < 1)
        {
            throw new MarketingValidationException("supportThreshold", ValidationReason.OutOfRange, "The support threshold is at least 1.");
        }
        if (MaxNeighbours < 0 || MaxDegreeOfParallelism < 0)
        {
            throw new MarketingValidationException(MaxNeighbours < 0 ? "maxNeighbours" : "maxDegreeOfParallelism", ValidationReason.Negative, "Must not be negative.");
        }
    }

    internal ParallelOptions Parallel => new() { MaxDegreeOfParallelism = MaxDegreeOfParallelism > 0 ? MaxDegreeOfParallelism : Environment.ProcessorCount };
}

/// <summary>Why the item-item recommender proposes an item: the seen item that contributed most.</summary>
/// <param name="ItemId">The recommended item.</param>
/// <param name="BecauseOfItemId">The user's item that contributed the largest share of the score.</param>
/// <param name="BecauseOfKind">The strongest thing the user did with that item.</param>
/// <param name="Contribution">That item's share of the score (affinity × similarity).</param>
/// <param name="Score">The total score.</param>
public sealed record SarExplanation(string ItemId, string BecauseOfItemId, InteractionKind BecauseOfKind, double Contribution, double Score);
