using System.Diagnostics;
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

    public Recommender(RecommendationModelHolder holder, IEnumerable<IRecommendationRule> rules, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<Recommender> logger)
        : this(holder, rules, options, time, logger, null)
    {
    }

    public Recommender(RecommendationModelHolder holder, IEnumerable<IRecommendationRule> rules, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<Recommender> logger, IProfileStore? profiles)
    {
        _holder = holder;
        _options = options.Value;
        _rules = Pipeline(_options, rules);
        _time = time;
        _logger = logger;
        _profiles = profiles;
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
        var model = _holder.Current ?? throw new RecommendationException(RecommendationErrorReason.ModelNotReady, "No recommendation model has been published yet.");
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
        var effects = new List<RuleEffect>(_rules.Count);
        foreach (var rule in _rules)
        {
            effects.Add(rule.Apply(context, candidates));
            candidates.Sort(HybridModel.CompareCandidates);
        }
        var items = new List<Recommendation>(Math.Min(count, candidates.Count));
        foreach (var c in candidates.Take(count))
        {
            items.Add(new Recommendation(c.ProductId, items.Count + 1, c.Score, Explain(model, user, c, segment)));
        }
        RecommendationTelemetry.Requests.Add(1);
        if (coldStart)
        {
            RecommendationTelemetry.ColdStarts.Add(1);
            Log.ColdStart(_logger, customerId);
        }
        activity?.SetTag("recommendations.count", items.Count);
        activity?.SetTag("recommendations.cold_start", coldStart);
        return new RecommendationList(customerId, items, effects, coldStart, _time.GetUtcNow());
    }

    public ValueTask<IReadOnlyList<Recommendation>> SimilarItemsAsync(string productId, int count = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(productId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        cancellationToken.ThrowIfCancellationRequested();
        var model = _holder.Current ?? throw new RecommendationException(RecommendationErrorReason.ModelNotReady, "No recommendation model has been published yet.");
        using var activity = RecommendationTelemetry.Source.StartActivity("similar_items");
        var candidates = model.Hybrid.SimilarItems(productId, Math.Max(count * 4, _options.CandidatePoolSize)).ToList();
        new InStockRule().Apply(new RuleContext { Catalogue = model.Catalogue, Prices = model.Prices, Count = count }, candidates);
        var title = Title(model, productId);
        var result = candidates.Take(count).Select((c, k) => new Recommendation(c.ProductId, k + 1, c.Score,
            c.CoOccurrenceScore > 0
                ? [new RecommendationReason(ReasonKind.CoOccurrence, $"Customers who chose {title} also chose this.", productId)]
                : [new RecommendationReason(ReasonKind.ContentSimilarity, $"Similar to {title}.", productId)])).ToArray();
        RecommendationTelemetry.Requests.Add(1);
        return ValueTask.FromResult<IReadOnlyList<Recommendation>>(result);
    }

    /// <summary>1 − mean price percentile of the given products (those with a known price); <see langword="null"/> when none.</summary>
    internal static double? InferPriceSensitivity(RecommendationModel model, IEnumerable<string> products)
    {
        var p = products.Select(model.Prices.Percentile).Where(x => x.HasValue).Select(x => x!.Value).ToArray();
        return p.Length == 0 ? null : 1 - p.Average();
    }

    private static List<RecommendationReason> Explain(RecommendationModel model, string user, RecommendationCandidate c, string? segment)
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
                segment is null ? "Popular right now." : $"Popular with customers like you ({segment})."));
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

/// <summary>Trains the recommendation model from the event store and publishes it.</summary>
public sealed class RecommendationTrainer
{
    private readonly RecommendationModelHolder _holder;
    private readonly IEventStore _events;
    private readonly RecommendationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the trainer (normally resolved from DI).</summary>
    /// <param name="holder">Where the model is published.</param>
    /// <param name="events">The event store to read behaviour from.</param>
    /// <param name="options">Settings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The logger.</param>
    public RecommendationTrainer(RecommendationModelHolder holder, IEventStore events, IOptions<RecommendationOptions> options, TimeProvider time, ILogger<RecommendationTrainer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _holder = holder ?? throw new ArgumentNullException(nameof(holder));
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>
    /// Reads product views, carts, reviews and purchases of the training window, builds every model
    /// and publishes it.
    /// </summary>
    /// <param name="catalogue">The current catalogue.</param>
    /// <param name="segmentOf">The popularity segment of a customer id, if segments are used.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<RecommendationModel> TrainAsync(IEnumerable<Product> catalogue, Func<string, string?>? segmentOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        using var activity = RecommendationTelemetry.Source.StartActivity("train");
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
        _holder.Publish(model);
        RecommendationTelemetry.ModelsPublished.Add(1);
        Log.ModelPublished(_logger, interactions.Count, model.Hybrid.Sar?.UserCount ?? 0, model.Catalogue.Count);
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
internal sealed class RecommendationEventListener(RecommendationModelHolder holder, IOptions<RecommendationOptions> options, ILogger<RecommendationEventListener> logger) : IMarketingEventListener
{
    public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var interactions = InteractionExtractor.FromEvents(events, options.Value.EventWeights).ToList();
        if (holder.Update(interactions))
        {
            RecommendationTelemetry.IncrementalUpdates.Add(1);
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
}

internal static class RecommendationTelemetry
{
    public const string Name = "Marketing.Sdk.Recommendations";
    public static readonly ActivitySource Source = new(Name);
    private static readonly System.Diagnostics.Metrics.Meter Meter = new(Name);
    public static readonly System.Diagnostics.Metrics.Counter<long> Requests = Meter.CreateCounter<long>("marketing.recommendations.requests", description: "Recommendation lists served.");
    public static readonly System.Diagnostics.Metrics.Counter<long> ColdStarts = Meter.CreateCounter<long>("marketing.recommendations.cold_starts", description: "Lists served to customers without history.");
    public static readonly System.Diagnostics.Metrics.Counter<long> ModelsPublished = Meter.CreateCounter<long>("marketing.recommendations.models_published", description: "Models trained and published.");
    public static readonly System.Diagnostics.Metrics.Counter<long> IncrementalUpdates = Meter.CreateCounter<long>("marketing.recommendations.incremental_updates", description: "Incremental model updates from accepted events.");
}
