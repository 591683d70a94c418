using System.Runtime.CompilerServices;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Marketing.Sdk.Recommendations.Tests;

public class DependencyInjectionTests
{
    private sealed class TestBuilder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services => services;
    }

    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MarketingEvent View(string id, string customer, string product, int daysAgo) => new()
    {
        Id = id, Type = EventType.ProductView, OccurredAt = Now.AddDays(-daysAgo), CustomerId = new CustomerId(customer),
        Properties = new Dictionary<string, PropertyValue> { [EventProperties.ProductId] = product },
    };

    private static MarketingEvent Buy(string id, string customer, int daysAgo, params string[] products) => new()
    {
        Id = id, Type = EventType.Purchase, OccurredAt = Now.AddDays(-daysAgo), CustomerId = new CustomerId(customer),
        Order = new Order
        {
            OrderId = id, PlacedAt = Now.AddDays(-daysAgo),
            Lines = products.Select(p => new OrderLine { ProductId = p, Quantity = 1, UnitPrice = new Money(10, "CNY") }).ToArray(),
        },
    };

    private static readonly MarketingEvent[] Events =
    [
        Buy("o1", "c1", 10, "serum", "cream"), Buy("o2", "c2", 9, "serum", "mask", "lipstick"), Buy("o3", "c3", 8, "serum", "mask"),
        Buy("o4", "c4", 7, "kettle"), View("v1", "c5", "mascara", 1), View("v2", "c5", "lipstick", 1), Buy("o5", "c6", 3, "mascara", "lipstick"),
        new() { Id = "anon", Type = EventType.ProductView, OccurredAt = Now, Properties = new Dictionary<string, PropertyValue> { [EventProperties.ProductId] = "serum" } },
    ];

    private static async IAsyncEnumerable<MarketingEvent> Stream(IEnumerable<MarketingEvent> events, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var e in events)
        {
            ct.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask;
    }

    private static ServiceProvider Provider(Action<RecommendationOptions>? configure = null, IProfileStore? profiles = null)
    {
        var store = new Mock<IEventStore>();
        store.Setup(s => s.ReadAsync(It.IsAny<EventQuery>(), It.IsAny<CancellationToken>()))
            .Returns((EventQuery q, CancellationToken ct) => Stream(Events.Where(e => q.Types!.Contains(e.Type) && e.OccurredAt >= q.From), ct));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddSingleton(store.Object);
        services.AddMarketingSdk(); // the state and lease stores every host has
        if (profiles is not null)
        {
            services.AddSingleton(profiles);
        }
        var builder = new TestBuilder(services);
        var returned = configure is null ? builder.AddRecommendations() : builder.AddRecommendations(configure);
        Assert.Same(builder, returned);
        builder.AddRecommendations(); // a second call is harmless
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void Every_registered_service_resolves_once()
    {
        using var sp = Provider();
        sp.GetRequiredService<IStartupValidator>().Validate();
        Assert.IsType<Recommender>(sp.GetRequiredService<IRecommender>());
        Assert.Same(sp.GetRequiredService<RecommendationTrainer>(), sp.GetRequiredService<RecommendationTrainer>());
        Assert.Null(sp.GetRequiredService<RecommendationModelHolder>().Current); // nothing trained yet
        Assert.Single(sp.GetServices<IMarketingEventListener>());
        Assert.Single(sp.GetServices<IValidateOptions<RecommendationOptions>>());
        Assert.Equal(10, sp.GetRequiredService<IOptions<RecommendationOptions>>().Value.DefaultCount);
    }

    [Fact]
    public void Invalid_options_fail_on_start()
    {
        using var sp = Provider(o =>
        {
            o.DefaultCount = 0;
            o.Sar = o.Sar with { SupportThreshold = 0 };
        });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(ex.Failures, f => f.Contains("DefaultCount", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("supportThreshold", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recommending_before_any_model_was_published_serves_popularity_and_says_why()
    {
        using var sp = Provider();
        var list = await sp.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c1"));
        Assert.Equal(RecommendationFallbackReason.NoModelPublished, list.Fallback);
        Assert.Null(list.ModelVersion);
        Assert.Null(sp.GetRequiredService<RecommendationModelHolder>().Current); // nothing was trained
        // Popularity over the training window; c1 bought serum and cream, so both are left out.
        Assert.NotEmpty(list.Items);
        Assert.DoesNotContain(list.Items, i => i.ProductId is "serum" or "cream");
        Assert.All(list.Items, i => Assert.Equal(ReasonKind.Popularity, i.Reasons[0].Kind));
        Assert.All(list.Items, i => Assert.Contains("no personalised model", i.Reasons[0].Text, StringComparison.Ordinal));

        var similar = await sp.GetRequiredService<IRecommender>().SimilarItemsAsync("serum", 3);
        Assert.NotEmpty(similar);
        Assert.DoesNotContain(similar, i => i.ProductId == "serum");
    }

    [Fact]
    public async Task The_popularity_fallback_applies_the_catalogue_rules_when_a_catalogue_is_registered()
    {
        var catalog = new Mock<IRecommendationCatalog>();
        catalog.Setup(c => c.GetProductsAsync(It.IsAny<CancellationToken>())).ReturnsAsync(ContentModelTests.Catalogue.ToArray());
        using var sp = ProviderWith(b => b.Services.AddSingleton(catalog.Object));
        var list = await sp.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c5"), new RecommendationRequest { Count = 10 });
        Assert.Equal(RecommendationFallbackReason.NoModelPublished, list.Fallback);
        Assert.Contains("in_stock", list.RuleEffects.Select(e => e.Rule));
        Assert.DoesNotContain(list.Items, i => i.ProductId == "lipstick"); // out of stock in the catalogue
        Assert.NotEmpty(list.Items);
    }

    [Fact]
    public async Task Trains_from_the_event_store_and_explains_recommendations()
    {
        using var sp = Provider(o => o.PriceBandTolerance = 0);
        var model = await sp.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        Assert.Equal(6, model.Hybrid.Sar!.UserCount);
        Assert.Equal(Now, model.TrainedAt);
        var recommender = sp.GetRequiredService<IRecommender>();

        var list = await recommender.RecommendForCustomerAsync(new CustomerId("c1"), new RecommendationRequest { Count = 3 });
        Assert.False(list.ColdStart);
        var reason = list.Items[0].Reasons[0];
        Assert.Equal(ReasonKind.CoOccurrence, reason.Kind);
        Assert.Equal("Because you bought \"Hydrating Serum\".", reason.Text);
        Assert.Equal("serum", reason.RelatedProductId);
        Assert.DoesNotContain(list.Items, i => i.ProductId is "serum" or "cream" or "lipstick"); // bought, bought, out of stock
        Assert.Equal(["pinned", "in_stock", "exclude_purchased", "margin_boost", "category_diversity"], list.RuleEffects.Select(e => e.Rule));
        Assert.True(list.Items.GroupBy(i => ContentModelTests.Catalogue.Single(p => p.ProductId == i.ProductId).Category!.Split('/')[0]).All(g => g.Count() <= 3));
        Assert.Equal([1, 2, 3], list.Items.Select(i => i.Rank));

        var cold = await recommender.RecommendForCustomerAsync(new CustomerId("newcomer"), new RecommendationRequest { PinnedProductIds = ["kettle"] });
        Assert.True(cold.ColdStart);
        Assert.Equal("kettle", cold.Items[0].ProductId);
        Assert.Contains(cold.Items[0].Reasons, r => r.Text == "Featured by the shop.");
        Assert.Contains(cold.Items.Skip(1).SelectMany(i => i.Reasons), r => r.Kind == ReasonKind.Popularity);

        var similar = await recommender.SimilarItemsAsync("serum", 3);
        Assert.Equal("mask", similar[0].ProductId);
        Assert.StartsWith("Customers who chose \"Hydrating Serum\"", similar[0].Reasons[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(similar, s => s.ProductId == "lipstick");
    }

    [Fact]
    public async Task Price_sensitivity_from_the_profile_drives_the_price_band_rule()
    {
        var profiles = new Mock<IProfileStore>();
        profiles.Setup(p => p.GetAsync(new CustomerId("c4"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CustomerProfile { Id = new CustomerId("c4"), Traits = new Dictionary<string, PropertyValue> { ["price_sensitivity"] = 0.9m } });
        using var sp = Provider(profiles: profiles.Object);
        await sp.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var list = await sp.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c4"));
        var effect = list.RuleEffects.Single(e => e.Rule == "price_band");
        Assert.Contains("value-oriented", effect.Description, StringComparison.Ordinal);
        var ladder = PriceLadder.Build(ContentModelTests.Catalogue);
        Assert.All(list.Items, i => Assert.True(ladder.Percentile(i.ProductId) <= 0.1 + 0.35 + 1e-9));
        Assert.NotEmpty(list.Items);
    }

    [Fact]
    public async Task Accepted_events_update_the_model_incrementally()
    {
        using var sp = Provider();
        await sp.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var holder = sp.GetRequiredService<RecommendationModelHolder>();
        var before = holder.Current!;
        Assert.Equal(0, before.Hybrid.Sar!.Cooccurrence("kettle", "cleanser"));
        await sp.GetServices<IMarketingEventListener>().Single().OnEventsAcceptedAsync([Buy("o9", "c4", 0, "cleanser"), Buy("o10", "c7", 0, "kettle", "cleanser")]);
        var after = holder.Current!;
        Assert.NotSame(before, after);
        Assert.Equal(2, after.Hybrid.Sar!.Cooccurrence("kettle", "cleanser"));
        Assert.Equal(7, after.Hybrid.Sar.UserCount);
        var list = await sp.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c5"), new RecommendationRequest { Count = 5, PriceSensitivity = 0.5 });
        Assert.DoesNotContain(list.Items, i => i.ProductId == "lipstick");
    }

    private sealed class BoostKettleRule : IRecommendationRule
    {
        public string Name => "boost_kettle";

        public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates) => new(Name, 0, 0, 0, "Nothing to do.");
    }

    private sealed class LenientStockRule : IRecommendationRule
    {
        public string Name => RecommendationRuleNames.InStock;

        public RuleEffect Apply(RuleContext context, IList<RecommendationCandidate> candidates) => new(Name, 0, 0, 0, "Keeps everything.");
    }

    private static ServiceProvider ProviderWith(Action<IMarketingBuilder> extra)
    {
        var store = new Mock<IEventStore>();
        store.Setup(s => s.ReadAsync(It.IsAny<EventQuery>(), It.IsAny<CancellationToken>()))
            .Returns((EventQuery q, CancellationToken ct) => Stream(Events.Where(e => q.Types!.Contains(e.Type) && e.OccurredAt >= q.From), ct));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddSingleton(store.Object);
        services.AddMarketingSdk(); // the state and lease stores every host has
        var builder = new TestBuilder(services);
        builder.AddRecommendations(o => o.PriceBandTolerance = 0);
        extra(builder);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task Registering_a_rule_keeps_every_default_rule_in_stock_included()
    {
        using var sp = ProviderWith(b => b.AddRecommendationRule<BoostKettleRule>());
        await sp.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var list = await sp.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c1"), new RecommendationRequest { Count = 3 });
        Assert.Equal(["pinned", "in_stock", "exclude_purchased", "margin_boost", "category_diversity", "boost_kettle"], list.RuleEffects.Select(e => e.Rule));
        Assert.DoesNotContain(list.Items, i => i.ProductId == "lipstick"); // out of stock

        // The same with a plain IRecommendationRule registration, as before the builder method existed.
        using var plain = ProviderWith(b => b.Services.AddSingleton<IRecommendationRule, BoostKettleRule>());
        await plain.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var again = await plain.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c1"), new RecommendationRequest { Count = 3 });
        Assert.Contains("in_stock", again.RuleEffects.Select(e => e.Rule));
    }

    [Fact]
    public async Task Default_rules_leave_only_when_removed_by_name_and_a_same_named_rule_replaces_in_place()
    {
        using var removed = ProviderWith(b => b.RemoveDefaultRecommendationRule(RecommendationRuleNames.ExcludePurchased).RemoveDefaultRecommendationRule(RecommendationRuleNames.CategoryDiversity));
        removed.GetRequiredService<IStartupValidator>().Validate();
        await removed.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var list = await removed.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c1"), new RecommendationRequest { Count = 5 });
        Assert.Equal(["pinned", "in_stock", "margin_boost"], list.RuleEffects.Select(e => e.Rule));

        using var replaced = ProviderWith(b => b.AddRecommendationRule<LenientStockRule>());
        await replaced.GetRequiredService<RecommendationTrainer>().TrainAsync(ContentModelTests.Catalogue);
        var lenient = await replaced.GetRequiredService<IRecommender>().RecommendForCustomerAsync(new CustomerId("c5"), new RecommendationRequest { Count = 10 });
        Assert.Equal(["pinned", "in_stock", "exclude_purchased", "margin_boost", "category_diversity"], lenient.RuleEffects.Select(e => e.Rule));
        Assert.Equal("Keeps everything.", lenient.RuleEffects[1].Description);
    }

    [Fact]
    public async Task Removing_an_unknown_rule_name_fails_on_start()
    {
        using var sp = ProviderWith(b => b.RemoveDefaultRecommendationRule("instock"));
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(ex.Failures, f => f.Contains("RemovedDefaultRules", StringComparison.Ordinal));
    }

    [Fact]
    public void Interaction_extractor_maps_event_types_to_weighted_kinds()
    {
        var x = InteractionExtractor.FromEvents(Events, new InteractionWeights { Purchase = 7 }).ToList();
        Assert.DoesNotContain(x, i => i.UserId.Length == 0);
        Assert.Equal(10, x.Count(i => i.Kind == InteractionKind.Purchase)); // 2 + 3 + 2 + 1 + 2 order lines
        Assert.All(x.Where(i => i.Kind == InteractionKind.Purchase), i => Assert.Equal(7, i.Weight));
        Assert.Equal(2, x.Count(i => i.Kind == InteractionKind.View));
    }
}
