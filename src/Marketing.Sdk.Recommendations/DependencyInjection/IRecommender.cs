namespace Marketing.Sdk.Recommendations;

/// <summary>Where a recommendation came from.</summary>
public enum ReasonKind
{
    /// <summary>Bought or viewed together with something the customer did ("because you viewed X").</summary>
    CoOccurrence,
    /// <summary>Similar in content to something the customer did.</summary>
    ContentSimilarity,
    /// <summary>Popular overall or in the customer's segment.</summary>
    Popularity,
    /// <summary>A business rule changed its rank (boost, pin).</summary>
    Rule,
}

/// <summary>One reason for a recommendation.</summary>
/// <param name="Kind">The kind of reason.</param>
/// <param name="Text">A sentence for the customer or a merchandiser (product titles only, no personal data).</param>
/// <param name="RelatedProductId">The product the reason refers to, if any.</param>
public sealed record RecommendationReason(ReasonKind Kind, string Text, string? RelatedProductId = null);

/// <summary>One recommended product.</summary>
/// <param name="ProductId">The product.</param>
/// <param name="Rank">Position, 1 first.</param>
/// <param name="Score">Final score after rules.</param>
/// <param name="Reasons">Why it is recommended, most important first.</param>
public sealed record Recommendation(string ProductId, int Rank, double Score, IReadOnlyList<RecommendationReason> Reasons);

/// <summary>Recommendations for a customer.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Items">The products, best first.</param>
/// <param name="RuleEffects">What each business rule did, in order.</param>
/// <param name="ColdStart">Whether the customer had no history (popularity only).</param>
/// <param name="GeneratedAt">When the list was made.</param>
public sealed record RecommendationList(CustomerId CustomerId, IReadOnlyList<Recommendation> Items, IReadOnlyList<RuleEffect> RuleEffects, bool ColdStart, DateTimeOffset GeneratedAt)
{
    /// <summary>The stored model version the list was made from; <see langword="null"/> for a model published to this host only, or a fallback.</summary>
    public long? ModelVersion { get; init; }

    /// <summary>
    /// Why the list comes from the popularity fallback instead of a trained model, or
    /// <see langword="null"/> when a trained model served it.
    /// </summary>
    public RecommendationFallbackReason? Fallback { get; init; }
}

/// <summary>Why a list was served by the popularity fallback.</summary>
public enum RecommendationFallbackReason
{
    /// <summary>No model was ever published to the model store (and none was trained on this host): popular products of the training window.</summary>
    NoModelPublished,
    /// <summary>A model was published but this host could not load it (store unreachable, or the version is corrupt) and holds none.</summary>
    ModelUnavailable,
}

/// <summary>
/// The catalogue for scheduled retraining and for the popularity fallback. Optional: without it,
/// scheduled retraining reuses the catalogue of the current model, and the fallback serves popular
/// products without the catalogue rules (stock, price band, diversity).
/// </summary>
public interface IRecommendationCatalog
{
    /// <summary>The current products.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyCollection<Product>> GetProductsAsync(CancellationToken cancellationToken = default);

    /// <summary>The popularity segment of a customer id at training time; <see langword="null"/> (the default) for none.</summary>
    /// <param name="customerId">The customer id.</param>
    string? SegmentOf(string customerId) => null;
}

/// <summary>Per-call settings of <see cref="IRecommender.RecommendForCustomerAsync"/>.</summary>
public sealed record RecommendationRequest
{
    /// <summary>List length; the configured default when <see langword="null"/>.</summary>
    public int? Count { get; init; }

    /// <summary>Products to pin to the top, in order.</summary>
    public IReadOnlyList<string> PinnedProductIds { get; init; } = [];

    /// <summary>Segment for popularity; read from the profile when <see langword="null"/>.</summary>
    public string? Segment { get; init; }

    /// <summary>Price sensitivity in [0, 1]; read from the profile or inferred from purchases when <see langword="null"/>.</summary>
    public double? PriceSensitivity { get; init; }
}

/// <summary>Serves recommendations from the published model, with business rules and explanations.</summary>
public interface IRecommender
{
    /// <summary>"Picked for you": personalised products for a customer, after business rules, with reasons.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="request">Per-call settings.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <remarks>
    /// When no model is held, the host first loads the store's current version; when none was ever
    /// published (or it cannot be loaded) the list comes from popularity and says why in
    /// <see cref="RecommendationList.Fallback"/>. It never fails for lack of a model.
    /// </remarks>
    ValueTask<RecommendationList> RecommendForCustomerAsync(CustomerId customerId, RecommendationRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>"Customers who bought this also bought": products similar to one product (co-occurrence, then content for new products); only sellable products.</summary>
    /// <param name="productId">The product.</param>
    /// <param name="count">How many at most.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <remarks>Without any model, popular products are returned (each reason says so).</remarks>
    ValueTask<IReadOnlyList<Recommendation>> SimilarItemsAsync(string productId, int count = 10, CancellationToken cancellationToken = default);
}
