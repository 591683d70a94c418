using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Recommendations;

/// <summary>The default <see cref="IRecommender"/>: hybrid candidates, business rules in order, explanations.</summary>
internal sealed class Recommender : IRecommender
{
    private readonly RecommendationModelHolder _holder;
    private readonly IReadOnlyList<IRecommendationRule> _rules;
    private readonly RecommendationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IProfileStore? _profiles;
    private readonly RecommendationModelSync? _sync;
    private readonly IEventStore? _events;
    private readonly IRecommendationCatalog? _catalog;
    private readonly RecommendationMetrics _metrics;
    private Task<FallbackModel>? _fallback;

    public Recommender(RecommendationModelHolder holder, IEnumerable<IRecommendationRule> rules, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<Recommender> logger,
        IProfileStore? profiles = null, RecommendationModelSync? sync = null, IEventStore? events = null, IRecommendationCatalog? catalog = null, RecommendationMetrics? metrics = null)
    {
        _holder = holder;
        _options = options.Value;
        _rules = Pipeline(_options, rules);
        _time = time;
        _logger = logger;
        _profiles = profiles;
        _sync = sync;
        _events = events;
        _catalog = catalog;
        _metrics = metrics ?? new RecommendationMetrics();
    }

    /// <summary>A popularity-only model built from the event store when no trained model is held, kept for one check interval.</summary>
    private sealed record FallbackModel(RecommendationModel Model, bool HasCatalogue, DateTimeOffset BuiltAt);

    /// <summary>The model to serve: the held one, else the store's current version (first call), else the popularity fallback.</summary>
    private async ValueTask<(RecommendationModel Model, long? Version, RecommendationFallbackReason? Fallback, bool HasCatalogue)> ModelAsync(CancellationToken cancellationToken)
    {
        if (_holder.Current is null && _sync is not null)
        {
            await _sync.EnsureInitialisedAsync(cancellationToken).ConfigureAwait(false);
        }
        // Read the pair once: the version belongs to the model read with it (or to an older one while a swap is under way).
        var version = _holder.CurrentVersion;
        if (_holder.Current is { } model)
        {
            return (model, version?.Version, null, true);
        }
        var reason = _sync is { Initialised: true, LastSeenVersion: null } or null ? RecommendationFallbackReason.NoModelPublished : RecommendationFallbackReason.ModelUnavailable;
        var fallback = await FallbackAsync(cancellationToken).ConfigureAwait(false);
        _metrics.Fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason == RecommendationFallbackReason.NoModelPublished ? "no_model_published" : "model_unavailable"));
        Log.Fallback(_logger, reason);
        return (fallback.Model, null, reason, fallback.HasCatalogue);
    }

    /// <summary>The cached fallback, rebuilt once per check interval by one caller while the others wait for it.</summary>
    private async ValueTask<FallbackModel> FallbackAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = Volatile.Read(ref _fallback);
            if (current is { IsCompleted: false })
            {
                return await current.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            var now = _time.GetUtcNow();
            if (current is { IsCompletedSuccessfully: true } && now - current.Result.BuiltAt < _options.ModelCheckInterval && now >= current.Result.BuiltAt)
            {
                return current.Result;
            }
            // One shared build, not cancelled by the caller that happened to start it.
            var build = new TaskCompletionSource<FallbackModel>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref _fallback, build.Task, current) != current)
            {
                continue;
            }
            try
            {
                build.SetResult(await BuildFallbackAsync(now).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // Handed to every waiter; the next call builds again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                build.SetException(ex);
            }
            return await build.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<FallbackModel> BuildFallbackAsync(DateTimeOffset now)
    {
        var cancellationToken = CancellationToken.None;
        var interactions = new List<Interaction>();
        if (_events is not null)
        {
            var events = new List<MarketingEvent>();
            await foreach (var e in _events.ReadAsync(new EventQuery { Types = InteractionExtractor.EventTypes.ToArray(), From = now - _options.TrainingWindow }, cancellationToken).ConfigureAwait(false))
            {
                events.Add(e);
            }
            interactions.AddRange(InteractionExtractor.FromEvents(events, _options.EventWeights));
        }
        IReadOnlyCollection<Product> products = _catalog is null ? [] : await _catalog.GetProductsAsync(cancellationToken).ConfigureAwait(false);
        Func<string, string?>? segmentOf = _catalog is null ? null : _catalog.SegmentOf;
        var popularityOptions = _options.Popularity.ReferenceTime is null ? _options.Popularity with { ReferenceTime = now } : _options.Popularity;
        var popularity = PopularityModel.Fit(interactions, popularityOptions, segmentOf);
        var content = ContentModel.Fit(products, _options.Content);
        var hybrid = new HybridModel(null, null, popularity, new HybridWeights { CoOccurrence = 0, Content = 0, Popularity = 1 }, _options.CandidatePoolSize);
        return new FallbackModel(RecommendationModel.Restore(hybrid, now, segmentOf, content, null, null), _catalog is not null, now);
    }

    /// <summary>
    /// The rules in the order they run: the default rules (less those named in
    /// <see cref="RecommendationOptions.RemovedDefaultRules"/>; a registered rule with a default
    /// rule's name takes its place), then the other registered rules in registration order.
    /// </summary>
    internal static IReadOnlyList<IRecommendationRule> Pipeline(RecommendationOptions o, IEnumerable<IRecommendationRule> registered)
    {
        var custom = registered.ToList();
        var rules = new List<IRecommendationRule>();
        foreach (var rule in DefaultRules(o))
        {
            if (o.RemovedDefaultRules.Contains(rule.Name, StringComparer.Ordinal))
            {
                continue;
            }
            var replacement = custom.FindIndex(c => string.Equals(c.Name, rule.Name, StringComparison.Ordinal));
            if (replacement >= 0)
            {
                rules.Add(custom[replacement]);
                custom.RemoveAt(replacement);
            }
            else
            {
                rules.Add(rule);
            }
        }
        rules.AddRange(custom);
        return rules;
    }

    /// <summary>The default rules as the settings enable them.</summary>
    internal static IReadOnlyList<IRecommendationRule> DefaultRules(RecommendationOptions o)
    {
        var rules = new List<IRecommendationRule> { new PinnedItemsRule(), new InStockRule() };
        if (o.ExcludePurchased)
        {
            rules.Add(new ExcludePurchasedRule());
        }
        if (o.PriceBandTolerance > 0)
        {
            rules.Add(new PriceBandRule(o.PriceBandTolerance));
        }
        if (o.MarginBoost > 0)
        {
            rules.Add(new MarginBoostRule(o.MarginBoost));
        }
        if (o.MaxPerCategory > 0)
        {
            rules.Add(new CategoryDiversityRule(o.MaxPerCategory));
        }
        return rules;
    }

    public async ValueTask<RecommendationList> RecommendForCustomerAsync(CustomerId customerId, RecommendationRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId.Value, nameof(customerId));
        cancellationToken.ThrowIfCancellationRequested();
        request ??= new RecommendationRequest();
        var count = request.Count ?? _options.DefaultCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var (model, version, fallback, hasCatalogue) = await ModelAsync(cancellationToken).ConfigureAwait(false);
        using var activity = RecommendationTelemetry.Source.StartActivity("recommend_for_customer");
        var user = customerId.Value;
        var profile = _profiles is null ? null : await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        var segment = request.Segment ?? (_options.SegmentTrait is { } st ? profile?.Trait(st).AsString() : null) ?? model.SegmentOf?.Invoke(user);
        var history = model.Hybrid.History(user);
        var coldStart = !model.Hybrid.KnowsUser(user);
        var purchased = history.Where(kv => kv.Value == InteractionKind.Purchase).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var sensitivity = request.PriceSensitivity
            ?? (profile?.Trait(_options.PriceSensitivityTrait).AsNumber() is { } n ? (double)n : (double?)null)
            ?? InferPriceSensitivity(model, purchased.Count > 0 ? purchased : history.Keys);
        var pool = Math.Max(_options.CandidatePoolSize, count * 4);
        var candidates = model.Hybrid.Candidates(user, segment, pool).ToList();
        var context = new RuleContext
        {
            Catalogue = model.Catalogue,
            Prices = model.Prices,
            PurchasedProductIds = purchased,
            PriceSensitivity = sensitivity is { } s ? Math.Clamp(s, 0, 1) : null,
            PinnedProductIds = request.PinnedProductIds,
            Count = count,
        };
        // The fallback without a catalogue knows no product's stock or price: the rules would remove everything.
        var rules = hasCatalogue ? _rules : [];
        var effects = new List<RuleEffect>(rules.Count);
        foreach (var rule in rules)
        {
            effects.Add(rule.Apply(context, candidates));
            candidates.Sort(HybridModel.CompareCandidates);
        }
        var items = new List<Recommendation>(Math.Min(count, candidates.Count));
        foreach (var c in candidates.Take(count))
        {
            items.Add(new Recommendation(c.ProductId, items.Count + 1, c.Score, Explain(model, user, c, segment, fallback is not null)));
        }
        _metrics.Requests.Add(1);
        if (coldStart)
        {
            _metrics.ColdStarts.Add(1);
            Log.ColdStart(_logger, customerId);
        }
        activity?.SetTag("recommendations.count", items.Count);
        activity?.SetTag("recommendations.cold_start", coldStart);
        activity?.SetTag("recommendations.model_version", version);
        return new RecommendationList(customerId, items, effects, coldStart, _time.GetUtcNow()) { ModelVersion = version, Fallback = fallback };
    }

    public async ValueTask<IReadOnlyList<Recommendation>> SimilarItemsAsync(string productId, int count = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(productId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        cancellationToken.ThrowIfCancellationRequested();
        var (model, _, fallback, hasCatalogue) = await ModelAsync(cancellationToken).ConfigureAwait(false);
        if (fallback is not null)
        {
            var exclude = new HashSet<string>(StringComparer.Ordinal) { productId };
            var popular = model.Hybrid.Popularity!.Top(Math.Max(count * 4, _options.CandidatePoolSize), null, exclude)
                .Select(p => new RecommendationCandidate(p.ItemId) { Score = p.Score, PopularityScore = p.Score }).ToList();
            if (hasCatalogue)
            {
                new InStockRule().Apply(new RuleContext { Catalogue = model.Catalogue, Prices = model.Prices, Count = count }, popular);
            }
            _metrics.Requests.Add(1);
            return popular.Take(count).Select((c, k) => new Recommendation(c.ProductId, k + 1, c.Score,
                [new RecommendationReason(ReasonKind.Popularity, "Popular right now; no similarity model has been trained yet.")])).ToArray();
        }
        using var activity = RecommendationTelemetry.Source.StartActivity("similar_items");
        var candidates = model.Hybrid.SimilarItems(productId, Math.Max(count * 4, _options.CandidatePoolSize)).ToList();
        new InStockRule().Apply(new RuleContext { Catalogue = model.Catalogue, Prices = model.Prices, Count = count }, candidates);
        var title = Title(model, productId);
        var result = candidates.Take(count).Select((c, k) => new Recommendation(c.ProductId, k + 1, c.Score,
            c.CoOccurrenceScore > 0
                ? [new RecommendationReason(ReasonKind.CoOccurrence, $"Customers who chose {title} also chose this.", productId)]
                : [new RecommendationReason(ReasonKind.ContentSimilarity, $"Similar to {title}.", productId)])).ToArray();
        _metrics.Requests.Add(1);
        return result;
    }

    /// <summary>1 − mean price percentile of the given products (those with a known price); <see langword="null"/> when none.</summary>
    internal static double? InferPriceSensitivity(RecommendationModel model, IEnumerable<string> products)
    {
        var p = products.Select(model.Prices.Percentile).Where(x => x.HasValue).Select(x => x!.Value).ToArray();
        return p.Length == 0 ? null : 1 - p.Average();
    }

    private static List<RecommendationReason> Explain(RecommendationModel model, string user, RecommendationCandidate c, string? segment, bool fallback)
    {
        var reasons = new List<RecommendationReason>();
        if (c.CoOccurrenceScore > 0 && model.Hybrid.Sar?.Explain(user, c.ProductId) is { } sar)
        {
            reasons.Add(new RecommendationReason(ReasonKind.CoOccurrence,
                $"Because you {Verb(sar.BecauseOfKind)} {Title(model, sar.BecauseOfItemId)}.", sar.BecauseOfItemId));
        }
        if (c.ContentScore > 0 && model.Hybrid.Content?.Explain(user, c.ProductId) is { } content)
        {
            reasons.Add(new RecommendationReason(ReasonKind.ContentSimilarity,
                $"Similar to {Title(model, content.ItemId)}, which you {Verb(content.Kind)}.", content.ItemId));
        }
        if (c.PopularityScore > 0 && reasons.Count == 0)
        {
            reasons.Add(new RecommendationReason(ReasonKind.Popularity,
                fallback ? "Popular right now; no personalised model has been trained yet."
                : segment is null ? "Popular right now." : $"Popular with customers like you ({segment})."));
        }
        foreach (var note in c.Notes)
        {
            reasons.Add(new RecommendationReason(ReasonKind.Rule, note));
        }
        return reasons;
    }

    private static string Verb(InteractionKind kind) => kind switch
    {
        InteractionKind.Purchase => "bought",
        InteractionKind.Cart => "added to your cart",
        InteractionKind.View => "viewed",
        InteractionKind.Rating => "reviewed",
        _ => "showed interest in",
    };

    private static string Title(RecommendationModel model, string productId) =>
        model.Catalogue.TryGetValue(productId, out var p) ? string.Create(CultureInfo.InvariantCulture, $"\"{p.Title}\"") : productId;
}

/// <summary>
/// Trains the recommendation model from the event store and publishes it: to the model store (a new
/// version every host loads) and to this host at once.
/// </summary>
public sealed class RecommendationTrainer
{
    private readonly RecommendationModelHolder _holder;
    private readonly IEventStore _events;
    private readonly RecommendationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IRecommendationModelStore? _store;
    private readonly IRecommendationCatalog? _catalog;
    private readonly RecommendationMetrics _metrics;

    /// <summary>Creates the trainer (normally resolved from DI).</summary>
    /// <param name="holder">Where the model is published on this host.</param>
    /// <param name="events">The event store to read behaviour from.</param>
    /// <param name="options">Settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="store">The model store every host loads from; <see langword="null"/> publishes to this host only.</param>
    /// <param name="catalog">The catalogue for scheduled retraining; <see langword="null"/> reuses the current model's.</param>
    public RecommendationTrainer(RecommendationModelHolder holder, IEventStore events, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<RecommendationTrainer> logger,
        IRecommendationModelStore? store = null, IRecommendationCatalog? catalog = null)
        : this(holder, events, options, time, logger, store, catalog, null)
    {
    }

    internal RecommendationTrainer(RecommendationModelHolder holder, IEventStore events, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<RecommendationTrainer> logger,
        IRecommendationModelStore? store, IRecommendationCatalog? catalog, RecommendationMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        _holder = holder ?? throw new ArgumentNullException(nameof(holder));
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _store = store;
        _catalog = catalog;
        _metrics = metrics ?? new RecommendationMetrics();
    }

    /// <summary>
    /// Reads product views, carts, reviews and purchases of the training window, builds every model
    /// and publishes it: stored as a new version in the model store (other hosts pick it up at their
    /// next check), then served on this host.
    /// </summary>
    /// <param name="catalogue">The current catalogue.</param>
    /// <param name="segmentOf">The popularity segment of a customer id, if segments are used. The function is not stored: a host that loads the version knows the segments of the customers seen in training.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RecommendationException"><see cref="RecommendationErrorReason.StalePublisher"/> when the store refused the version (it is then served on this host only).</exception>
    public Task<RecommendationModel> TrainAsync(IEnumerable<Product> catalogue, Func<string, string?>? segmentOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        return TrainCoreAsync(catalogue, segmentOf, null, cancellationToken);
    }

    /// <summary>A scheduled run: the registered catalogue (or the current model's), published under the lease's fencing token.</summary>
    internal async Task<RecommendationModel> RetrainAsync(long? fencingToken, CancellationToken cancellationToken)
    {
        IEnumerable<Product> catalogue = _catalog is not null
            ? await _catalog.GetProductsAsync(cancellationToken).ConfigureAwait(false)
            : _holder.Current?.Catalogue.Values ?? [];
        Func<string, string?>? segmentOf = _catalog is null ? null : _catalog.SegmentOf;
        var model = await TrainCoreAsync(catalogue, segmentOf, fencingToken, cancellationToken).ConfigureAwait(false);
        _metrics.ScheduledRetrains.Add(1);
        return model;
    }

    private async Task<RecommendationModel> TrainCoreAsync(IEnumerable<Product> catalogue, Func<string, string?>? segmentOf, long? fencingToken, CancellationToken cancellationToken)
    {
        using var activity = RecommendationTelemetry.Source.StartActivity("train");
        var started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var events = new List<MarketingEvent>();
        await foreach (var e in _events.ReadAsync(new EventQuery { Types = InteractionExtractor.EventTypes.ToArray(), From = now - _options.TrainingWindow }, cancellationToken).ConfigureAwait(false))
        {
            events.Add(e);
        }
        var interactions = InteractionExtractor.FromEvents(events, _options.EventWeights).ToList();
        var sar = _options.Sar.ReferenceTime is null ? _options.Sar with { ReferenceTime = now } : _options.Sar;
        var popularity = _options.Popularity.ReferenceTime is null ? _options.Popularity with { ReferenceTime = now } : _options.Popularity;
        var model = RecommendationModel.Build(interactions, catalogue, CopyWith(_options, sar, popularity), now, segmentOf);
        _metrics.ModelsPublished.Add(1);
        Log.ModelPublished(_logger, interactions.Count, model.Hybrid.Sar?.UserCount ?? 0, model.Catalogue.Count);
        if (_store is null)
        {
            _holder.Publish(model);
            return model;
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["interactions"] = interactions.Count,
            ["customers"] = model.Hybrid.Sar?.UserCount ?? 0,
            ["items"] = model.Hybrid.Sar?.ItemCount ?? 0,
            ["products"] = model.Catalogue.Count,
            ["cooccurrence_nonzeros"] = model.Hybrid.Sar?.CooccurrenceNonZeros ?? 0,
            ["content_terms"] = model.ContentModel.TermCount,
            ["training_seconds"] = _time.GetElapsedTime(started).TotalSeconds,
        };
        RecommendationModelVersion version;
        try
        {
            version = await _store.PublishAsync(model, metrics, fencingToken, cancellationToken).ConfigureAwait(false);
        }
        catch (RecommendationException ex) when (ex.Reason == RecommendationErrorReason.StalePublisher && fencingToken is null)
        {
            // Trained by hand on this host while a newer lease holder publishes: serve it here, say so.
            _holder.Publish(model);
            throw;
        }
        if (!_holder.PublishVersion(model, version))
        {
            // A newer version is already held (published by another host meanwhile): keep serving it.
            Log.NewerVersionHeld(_logger, version.Version);
        }
        activity?.SetTag("recommendations.model_version", version.Version);
        return model;
    }

    private static RecommendationOptions CopyWith(RecommendationOptions o, SarOptions sar, PopularityOptions popularity) => new()
    {
        Sar = sar,
        Content = o.Content,
        Popularity = popularity,
        Weights = o.Weights,
        EventWeights = o.EventWeights,
        DefaultCount = o.DefaultCount,
        CandidatePoolSize = o.CandidatePoolSize,
        TrainingWindow = o.TrainingWindow,
        ExcludePurchased = o.ExcludePurchased,
        MaxPerCategory = o.MaxPerCategory,
        MarginBoost = o.MarginBoost,
        PriceBandTolerance = o.PriceBandTolerance,
        PriceSensitivityTrait = o.PriceSensitivityTrait,
        SegmentTrait = o.SegmentTrait,
    };
}

/// <summary>Feeds accepted events into the published model incrementally (no full retrain).</summary>
internal sealed class RecommendationEventListener(RecommendationModelHolder holder, IOptions<RecommendationOptions> options, RecommendationMetrics metrics, ILogger<RecommendationEventListener> logger) : IMarketingEventListener
{
    public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var interactions = InteractionExtractor.FromEvents(events, options.Value.EventWeights).ToList();
        if (holder.Update(interactions))
        {
            metrics.IncrementalUpdates.Add(1);
            Log.IncrementalUpdate(logger, interactions.Count);
        }
        return ValueTask.CompletedTask;
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Recommendation model published: {Interactions} interactions, {Users} customers, {Products} products.")]
    public static partial void ModelPublished(ILogger logger, int interactions, int users, int products);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Customer {CustomerId} has no history; serving popular products.")]
    public static partial void ColdStart(ILogger logger, CustomerId customerId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Debug, Message = "Recommendation model updated incrementally with {Interactions} interactions.")]
    public static partial void IncrementalUpdate(ILogger logger, int interactions);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Recommendation model version {Version} stored: {Bytes} bytes in {Chunks} chunks; made current: {Switched}.")]
    public static partial void ModelStored(ILogger logger, long version, long bytes, int chunks, bool switched);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Recommendation model version {Version} loaded ({Bytes} bytes).")]
    public static partial void ModelLoaded(ILogger logger, long version, long bytes);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Error, Message = "Recommendation model version {Version} cannot be loaded: {Problem} Still serving version {Serving} (0 = none).")]
    public static partial void ModelCorrupt(ILogger logger, long version, string problem, long serving);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Warning, Message = "Checking the model store for a newer recommendation model failed ({ErrorCode}); the next check tries again.")]
    public static partial void ModelCheckFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 7014, Level = LogLevel.Debug, Message = "Model store check failure details.")]
    public static partial void ModelCheckFailedDetail(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7015, Level = LogLevel.Information, Message = "Recommendation model version {Version} deleted by retention.")]
    public static partial void ModelDeleted(ILogger logger, long version);

    [LoggerMessage(EventId = 7016, Level = LogLevel.Warning, Message = "Deleting old recommendation model versions failed ({ErrorCode}); the next publish tries again.")]
    public static partial void RetentionFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 7017, Level = LogLevel.Debug, Message = "Model retention failure details.")]
    public static partial void RetentionFailedDetail(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7018, Level = LogLevel.Warning, Message = "Scheduled recommendation retraining failed ({ErrorCode}); the next run tries again.")]
    public static partial void RetrainFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 7019, Level = LogLevel.Debug, Message = "Scheduled retraining failure details.")]
    public static partial void RetrainFailedDetail(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Debug, Message = "Scheduled retraining skipped: version {Version} is younger than the retraining interval.")]
    public static partial void RetrainSkipped(ILogger logger, long version);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Information, Message = "Recommendation model version {Version} stored, but this host already serves a newer one.")]
    public static partial void NewerVersionHeld(ILogger logger, long version);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Debug, Message = "No trained recommendation model is held ({Reason}); serving the popularity fallback.")]
    public static partial void Fallback(ILogger logger, RecommendationFallbackReason reason);
}

internal static class RecommendationTelemetry
{
    public const string Name = "Marketing.Sdk.Recommendations";
    public static readonly ActivitySource Source = new(Name);
}

/// <summary>The package's instruments. One instance per service provider (through <see cref="IMeterFactory"/> when available).</summary>
internal sealed class RecommendationMetrics
{
    public RecommendationMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(RecommendationTelemetry.Name) ?? new Meter(RecommendationTelemetry.Name);
        Requests = meter.CreateCounter<long>("marketing.recommendations.requests", "{list}", "Recommendation lists served.");
        ColdStarts = meter.CreateCounter<long>("marketing.recommendations.cold_starts", "{list}", "Lists served to customers without history.");
        ModelsPublished = meter.CreateCounter<long>("marketing.recommendations.models_published", "{model}", "Models trained and published.");
        IncrementalUpdates = meter.CreateCounter<long>("marketing.recommendations.incremental_updates", "{update}", "Incremental model updates from accepted events.");
        ModelsStored = meter.CreateCounter<long>("marketing.recommendations.models_stored", "{version}", "Model versions written to the model store.");
        ModelBytes = meter.CreateHistogram<long>("marketing.recommendations.model_size", "By", "Size of each stored model version.");
        ModelsLoaded = meter.CreateCounter<long>("marketing.recommendations.models_loaded", "{version}", "Model versions loaded from the model store.");
        LoadFailures = meter.CreateCounter<long>("marketing.recommendations.model_load_failures", "{failure}", "Model store checks or loads that failed, by reason (corrupt, store).");
        Fallbacks = meter.CreateCounter<long>("marketing.recommendations.fallbacks", "{list}", "Lists served by the popularity fallback, by reason.");
        ScheduledRetrains = meter.CreateCounter<long>("marketing.recommendations.scheduled_retrains", "{run}", "Scheduled retraining runs that published a model.");
    }

    public Counter<long> Requests { get; }
    public Counter<long> ColdStarts { get; }
    public Counter<long> ModelsPublished { get; }
    public Counter<long> IncrementalUpdates { get; }
    public Counter<long> ModelsStored { get; }
    public Histogram<long> ModelBytes { get; }
    public Counter<long> ModelsLoaded { get; }
    public Counter<long> LoadFailures { get; }
    public Counter<long> Fallbacks { get; }
    public Counter<long> ScheduledRetrains { get; }
}
