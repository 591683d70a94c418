namespace Marketing.Sdk.Recommendations;

/// <summary>
/// Everything a trained recommender needs: the item-item, content and popularity models blended by
/// a <see cref="HybridModel"/>, and the catalogue. Immutable; publish it through
/// <see cref="RecommendationModelHolder"/>.
/// </summary>
public sealed class RecommendationModel
{
    private RecommendationModel(HybridModel hybrid, IReadOnlyDictionary<string, Product> catalogue, PriceLadder prices, DateTimeOffset trainedAt, Func<string, string?>? segmentOf, ContentModel content, DateTimeOffset? dataFrom, DateTimeOffset? dataTo)
    {
        DataFrom = dataFrom;
        DataTo = dataTo;
        Hybrid = hybrid;
        Catalogue = catalogue;
        Prices = prices;
        TrainedAt = trainedAt;
        SegmentOf = segmentOf;
        ContentModel = content;
    }

    /// <summary>The hybrid ranker and its sources.</summary>
    public HybridModel Hybrid { get; }

    /// <summary>The catalogue by product id.</summary>
    public IReadOnlyDictionary<string, Product> Catalogue { get; }

    /// <summary>Price percentiles and bands of the catalogue.</summary>
    public PriceLadder Prices { get; }

    /// <summary>When the model was trained.</summary>
    public DateTimeOffset TrainedAt { get; }

    /// <summary>When the earliest interaction the model learned from happened; <see langword="null"/> when it learned from none.</summary>
    public DateTimeOffset? DataFrom { get; }

    /// <summary>When the latest interaction the model learned from happened (incremental updates move it); <see langword="null"/> when it learned from none.</summary>
    public DateTimeOffset? DataTo { get; }

    internal Func<string, string?>? SegmentOf { get; }

    internal static RecommendationModel Restore(HybridModel hybrid, DateTimeOffset trainedAt, Func<string, string?>? segmentOf, ContentModel content, DateTimeOffset? dataFrom, DateTimeOffset? dataTo) =>
        new(hybrid, content.Products, content.Prices, trainedAt, segmentOf, content, dataFrom, dataTo);

    internal ContentModel ContentModel { get; }

    /// <summary>Builds every model from interactions and a catalogue.</summary>
    /// <param name="interactions">The interactions.</param>
    /// <param name="catalogue">The products (cold-start products without interactions are covered by content).</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="trainedAt">When the model was trained.</param>
    /// <param name="segmentOf">The popularity segment of a user, if segments are used.</param>
    public static RecommendationModel Build(IEnumerable<Interaction> interactions, IEnumerable<Product> catalogue, RecommendationOptions? options = null, DateTimeOffset? trainedAt = null, Func<string, string?>? segmentOf = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(catalogue);
        options ??= new RecommendationOptions();
        var failures = new RecommendationOptionsValidator().Validate(null, options);
        if (failures.Failed)
        {
            throw new MarketingValidationException("options", ValidationReason.OutOfRange, failures.FailureMessage);
        }
        var list = interactions as IReadOnlyList<Interaction> ?? interactions.ToList();
        var products = catalogue as IReadOnlyCollection<Product> ?? catalogue.ToList();
        var content = ContentModel.Fit(products, options.Content);
        var sar = SarModel.Fit(list, options.Sar);
        var popularity = PopularityModel.Fit(list, options.Popularity, segmentOf);
        var contentRecommender = new ContentRecommender(content, sar.Matrix);
        var hybrid = new HybridModel(sar, contentRecommender, popularity, options.Weights, options.CandidatePoolSize);
        var at = trainedAt ?? (list.Count == 0 ? DateTimeOffset.UnixEpoch : list.Max(x => x.OccurredAt));
        DateTimeOffset? from = list.Count == 0 ? null : list.Min(x => x.OccurredAt);
        DateTimeOffset? to = list.Count == 0 ? null : list.Max(x => x.OccurredAt);
        return new RecommendationModel(hybrid, content.Products, content.Prices, at, segmentOf, content, from, to);
    }

    /// <summary>Adds interactions incrementally (item-item and popularity update without a full retrain); returns the new model.</summary>
    /// <param name="interactions">The new interactions.</param>
    public RecommendationModel Update(IEnumerable<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var list = interactions as IReadOnlyList<Interaction> ?? interactions.ToList();
        if (list.Count == 0)
        {
            return this;
        }
        var sar = Hybrid.Sar?.Update(list);
        var popularity = Hybrid.Popularity?.Update(list);
        var content = sar is null ? Hybrid.Content : new ContentRecommender(ContentModel, sar.Matrix);
        var hybrid = new HybridModel(sar, content, popularity, Hybrid.Weights, Hybrid.CandidatePoolSize);
        var min = list.Min(x => x.OccurredAt);
        var max = list.Max(x => x.OccurredAt);
        return new RecommendationModel(hybrid, Catalogue, Prices, TrainedAt, SegmentOf, ContentModel,
            DataFrom is { } f && f < min ? f : min, DataTo is { } t && t > max ? t : max);
    }
}

/// <summary>
/// Holds the model that <see cref="IRecommender"/> serves on this host; swapped atomically by
/// training, by loading a newer stored version and by incremental updates.
/// </summary>
public sealed class RecommendationModelHolder
{
    private readonly Lock _gate = new();
    private RecommendationModel? _current;
    private RecommendationModelVersion? _version;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The current model, or <see langword="null"/> before the first training or load.</summary>
    public RecommendationModel? Current => Volatile.Read(ref _current);

    /// <summary>
    /// The stored version the current model is (incremental updates since keep it), or
    /// <see langword="null"/> when the model was published only to this host or none is held.
    /// </summary>
    public RecommendationModelVersion? CurrentVersion => Volatile.Read(ref _version);

    /// <summary>Replaces the current model on this host only (it is not stored; the next newer stored version replaces it).</summary>
    /// <param name="model">The model.</param>
    public void Publish(RecommendationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            Volatile.Write(ref _current, model);
            Volatile.Write(ref _version, null);
            Signal();
        }
    }

    /// <summary>Serves a stored version unless a newer one is already held; returns whether it was taken.</summary>
    internal bool PublishVersion(RecommendationModel model, RecommendationModelVersion version)
    {
        lock (_gate)
        {
            if (_version is { } held && held.Version >= version.Version)
            {
                return false;
            }
            Volatile.Write(ref _current, model);
            Volatile.Write(ref _version, version);
            Signal();
            return true;
        }
    }

    /// <summary>Completes when a model of at least <paramref name="version"/> is served (used by tests and tools).</summary>
    internal async Task WaitForVersionAsync(long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_version?.Version >= version)
                {
                    return;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    /// <summary>Applies interactions to the current model, if any; returns whether a model was updated.</summary>
    /// <param name="interactions">The new interactions.</param>
    public bool Update(IReadOnlyList<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        lock (_gate)
        {
            if (_current is null || interactions.Count == 0)
            {
                return false;
            }
            Volatile.Write(ref _current, _current.Update(interactions));
            return true;
        }
    }
}
