using System.Text.Json;
using Marketing.Sdk.Attribution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Attribution.Tests;

public class FeatureTests
{
    private static readonly Channel Search = Channel.Search;
    private static readonly Channel Email = Channel.Email;
    private static readonly Channel Direct = Channel.Direct;
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Heuristic_weights_follow_their_definitions()
    {
        var set = new PathSetBuilder().Add([Search, Email, Direct, Email], 1, 100).Build();
        Assert.Equal(1, new FirstTouchModel().Attribute(set).For(Search)!.Conversions);
        Assert.Equal(1, new LastTouchModel().Attribute(set).For(Email)!.Conversions);
        Assert.Equal(1, new LastNonDirectModel().Attribute(new PathSetBuilder().Add([Email, Direct], 1).Build()).For(Email)!.Conversions);
        Assert.Equal(0.5, new LinearModel().Attribute(set).For(Email)!.Conversions, 12);
        var u = new PositionBasedModel(0.4, 0.4).Attribute(set);
        Assert.Equal(0.4, u.For(Search)!.Conversions, 12);
        Assert.Equal(0.5, u.For(Email)!.Conversions, 12); // 0.1 in the middle + 0.4 last
        Assert.Equal(0.1, u.For(Direct)!.Conversions, 12);
        // Half-life of one touch: weights 1/8, 1/4, 1/2, 1 over 15/8.
        var decay = new TimeDecayModel().Attribute(set);
        Assert.Equal((1.0 / 8) / (15.0 / 8), decay.For(Search)!.Conversions, 12);
        Assert.Equal(100 * (1.0 / 4 + 1) / (15.0 / 8), decay.For(Email)!.Value, 10);
    }

    [Fact]
    public void Time_decay_uses_touch_ages_when_present()
    {
        var set = new PathSetBuilder().Add([new Touch(Search, AgeHours: 14 * 24), new Touch(Email, AgeHours: 0)], 1).Build();
        var r = new TimeDecayModel(TimeSpan.FromDays(7)).Attribute(set);
        Assert.Equal(0.25 / 1.25, r.For(Search)!.Conversions, 12);
    }

    [Fact]
    public void Campaign_credit_adds_up_to_channel_credit()
    {
        var set = new PathSetBuilder()
            .Add([new Touch(Search, "s1"), new Touch(Email, "e1"), new Touch(Search, "s2")], 2, 50)
            .Add([new Touch(Email, null), new Touch(Search, "s1")], 1, 10, 3)
            .Build();
        foreach (var model in new AttributionModel[] { new LinearModel(), new MarkovChainModel(), new ShapleyModel() })
        {
            var r = model.Attribute(set, byCampaign: true);
            Assert.NotEmpty(r.Campaigns);
            foreach (var c in r.Channels)
            {
                Assert.Equal(c.Conversions, r.Campaigns.Where(x => x.Channel == c.Channel).Sum(x => x.Conversions), 9);
                Assert.Equal(c.Value, r.Campaigns.Where(x => x.Channel == c.Channel).Sum(x => x.Value), 9);
            }
        }
        Assert.Contains(new LinearModel().Attribute(set, true).Campaigns, c => c.Channel == Email && c.CampaignId is null);
    }

    private static MarketingEvent Touch(string customer, Channel channel, double hours, string? session = null, string? campaign = null) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Type = EventType.AdClick,
        OccurredAt = T0.AddHours(hours),
        CustomerId = new CustomerId(customer),
        Channel = channel,
        SessionId = session,
        CampaignId = campaign,
    };

    private static MarketingEvent Buy(string customer, double hours, decimal amount) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Type = EventType.Purchase,
        OccurredAt = T0.AddHours(hours),
        CustomerId = new CustomerId(customer),
        Value = new Money(amount, "EUR"),
    };

    [Fact]
    public async Task Paths_respect_lookback_dedupe_and_non_conversions()
    {
        MarketingEvent[] events =
        [
            Touch("c1", Email, -24 * 40),            // outside the 30-day lookback
            Touch("c1", Search, 0, "s1"),
            Touch("c1", Search, 0.1, "s1"),          // same session and channel: one touch
            Touch("c1", Email, 2),
            Buy("c1", 3, 80m),
            Touch("c1", Direct, 5),                  // after the conversion: non-converting journey
            Touch("c2", Search, 1),
            Touch("c2", Search, 1.2),                // no session, within 30 minutes: one touch
            Touch("c2", Email, 4),
            Buy("c2", 5, 20m),
            Buy("c3", 1, 10m),                       // no touches: not a path
        ];
        var set = await new PathBuilder().BuildAsync(events.ToAsyncEnumerable());
        Assert.Equal(2, set.Count); // "search > email" twice (aggregated) and "direct"
        Assert.Equal("search > email", set.Describe(0));
        Assert.Equal(2, set.GetConversions(0));
        Assert.Equal(100, set.GetValue(0));
        Assert.Equal("direct", set.Describe(1));
        Assert.Equal(1, set.GetNulls(1));
        var noDedupe = new PathBuilder(new PathBuilderOptions { DeduplicateSessions = false }).Build(events);
        Assert.Equal("search > search > email", noDedupe.Describe(0));
    }

    [Fact]
    public void Path_builder_rejects_bad_options_and_mixed_currencies()
    {
        Assert.Throws<MarketingValidationException>(() => new PathBuilder(new PathBuilderOptions { LookbackWindow = TimeSpan.Zero }));
        MarketingEvent[] events = [Touch("a", Email, 0), Buy("a", 1, 5m), Touch("a", Email, 2), Buy("a", 3, 5m) with { Value = new Money(5m, "USD") }];
        Assert.Throws<CurrencyMismatchException>(() => new PathBuilder().Build(events));
    }

    [Fact]
    public void Funnel_counts_steps_drop_off_and_time_by_channel()
    {
        var view = new FunnelStep("view", EventType.ProductView);
        var cart = new FunnelStep("cart", EventType.AddToCart);
        var buy = new FunnelStep("buy", EventType.Purchase);
        MarketingEvent E(string c, EventType t, double h, Channel? ch = null) => new()
        {
            Id = Guid.NewGuid().ToString(), Type = t, OccurredAt = T0.AddHours(h), CustomerId = new CustomerId(c), Channel = ch,
        };
        MarketingEvent[] events =
        [
            E("a", EventType.ProductView, 0, Search), E("a", EventType.AddToCart, 1), E("a", EventType.Purchase, 3),
            E("b", EventType.ProductView, 0, Email), E("b", EventType.AddToCart, 2),
            E("c", EventType.ProductView, 0, Search), E("c", EventType.AddToCart, 1), E("c", EventType.Purchase, 24 * 10), // outside window
            E("d", EventType.AddToCart, 0), // never viewed
        ];
        var analysis = new FunnelAnalyzer().Analyze(events, new FunnelDefinition([view, cart, buy], TimeSpan.FromDays(7)), FunnelAnalyzer.ByChannel);
        var steps = analysis.Overall.Steps;
        Assert.Equal([3L, 3L, 1L], steps.Select(s => s.Reached));
        Assert.Equal(2, steps[2].DroppedOff);
        Assert.Equal(1.0 / 3, steps[2].StepConversionRate, 12);
        Assert.Equal(TimeSpan.FromHours(1), steps[1].MedianTimeFromStart);
        Assert.Equal(TimeSpan.FromHours(3), steps[2].MeanTimeFromStart);
        Assert.Equal(["email", "search"], analysis.Groups.Select(g => g.Group));
        Assert.Equal(1, analysis.Groups[1].Steps[2].Reached);
    }

    private static AttributionResult Attributed() => new()
    {
        Model = "test",
        Channels = [new ChannelCredit(Search, 50, 5000), new ChannelCredit(Email, 10, 300)],
        Campaigns = [new CampaignCredit(Search, "s1", 30, 4000), new CampaignCredit(Search, "s2", 20, 1000)],
        TotalConversions = 60,
        TotalValue = 5300,
    };

    [Fact]
    public void Kpis_follow_their_formulas_and_flag_anomalies()
    {
        SpendRecord[] spend =
        [
            new(Search, "s1", new Money(600m, "EUR"), 100_000, 2_000),
            new(Search, "s2", new Money(400m, "EUR"), 50_000, 500),
            new(Email, null, new Money(200m, "EUR"), 10_000, 50),
        ];
        var rows = new KpiCalculator().Compute(spend, Attributed(), new KpiBenchmarks { Ctr = 0.025, Cpa = 15m },
            newCustomers: new Dictionary<Channel, double> { [Search] = 40 }, lifetimeValue: new Dictionary<Channel, decimal> { [Search] = 100m });
        var search = rows.Single(r => r.Channel == Search && r.CampaignId is null);
        Assert.Equal(1000m, search.Spend);
        Assert.Equal(2500.0 / 150_000, search.Ctr!.Value, 12);
        Assert.Equal(50.0 / 2500, search.Cvr!.Value, 12);
        Assert.Equal(0.4m, search.Cpc);
        Assert.Equal(1000m * 1000m / 150_000, search.Cpm);
        Assert.Equal(20m, search.Cpa);
        Assert.Equal(25m, search.Cac);
        Assert.Equal(5.0, search.Roas!.Value, 12);
        Assert.Equal(4.0, search.Roi!.Value, 12);
        Assert.Equal(100m, search.Aov);
        Assert.Equal(4.0, search.LtvToCac!.Value, 12);
        Assert.True(search.Anomalies.HasFlag(KpiAnomaly.CtrBelowBenchmark)); // 1.67 % < 2.5 % × 0.8
        Assert.True(search.Anomalies.HasFlag(KpiAnomaly.CpaAboveBenchmark)); // 20 > 18
        var email = rows.Single(r => r.Channel == Email);
        Assert.True(email.Anomalies.HasFlag(KpiAnomaly.CtrBelowBenchmark)); // 0.5 % < 2 %
        Assert.True(email.Anomalies.HasFlag(KpiAnomaly.CpaAboveBenchmark)); // 200 / 10 = 20 > 15 × 1.2
        Assert.Equal(20m, email.Cpa);
        Assert.Equal(30, rows.Single(r => r.CampaignId == "s1").Conversions);
    }

    [Fact]
    public void Budget_rules_propose_and_explain_without_applying()
    {
        var kpis = new KpiCalculator().Compute(
            [new SpendRecord(Search, null, new Money(1000m, "EUR"), 1, 1), new SpendRecord(Email, null, new Money(200m, "EUR"), 1, 1)], Attributed());
        var lines = new List<BudgetLine>
        {
            new(Search, null, 100m) { PromotedProductIds = ["sku-1"] },
            new(Email, null, 50m),
            new(Channel.Douyin, null, 50m, BudgetTier.Test),
        };
        var context = new BudgetContext
        {
            Lines = lines,
            Kpis = kpis,
            Stock = new Dictionary<string, StockLevel> { ["sku-1"] = new(20, 100) },
            Audiences = [new AudienceState(Channel.Douyin, null, "app_active", true)],
        };
        var time = new FakeTimeProvider(T0);
        var plan = new BudgetRuleEngine([new StockPauseRule(), new RoiFloorRule(), new ExploreExploitSplitRule(), new AudienceBidRule()], time).Propose(context);
        Assert.Equal(T0, plan.GeneratedAt);
        Assert.Contains(plan.Proposals, p => p.Rule == "stock_pause" && p.Channel == Search && p.Action == BudgetAction.Pause);
        // Email ROI = (300 − 200) / 200 = 0.5 < 1.5.
        Assert.Contains(plan.Proposals, p => p.Rule == "roi_floor" && p.Channel == Email && p.Action == BudgetAction.Pause);
        // 70/20/10 of the 200 total: the test line gets 40.
        var test = plan.Proposals.Single(p => p.Rule == "split_70_20_10" && p.Channel == Channel.Douyin);
        Assert.Equal(40m, test.ProposedBudget);
        // Paused lines get no further budget proposals.
        Assert.DoesNotContain(plan.Proposals, p => p.Channel == Search && p.Action == BudgetAction.SetBudget);
        Assert.Contains(plan.Proposals, p => p.Action == BudgetAction.SetBidMultiplier && p.BidMultiplier == 1.2);
        Assert.All(plan.Proposals, p => Assert.False(string.IsNullOrWhiteSpace(p.Explanation)));
        Assert.Equal(100m, lines[0].DailyBudget); // nothing applied
    }

    [Fact]
    public void Marginal_roas_reallocation_keeps_the_total_and_moves_towards_better_lines()
    {
        var context = new BudgetContext
        {
            Lines = [new BudgetLine(Search, null, 100m), new BudgetLine(Email, null, 100m)],
            MarginalRoas = new Dictionary<(Channel, string?), double> { [(Search, null)] = 4, [(Email, null)] = 1 },
        };
        var proposals = new MarginalRoasReallocationRule(maxChange: 0.3).Evaluate(context).ToList();
        Assert.Equal(2, proposals.Count);
        Assert.Equal(200m, proposals.Sum(p => p.ProposedBudget!.Value));
        Assert.True(proposals.Single(p => p.Channel == Search).ProposedBudget > 100m);
    }

    private sealed class Builder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    [Fact]
    public void AddAttribution_registers_resolvable_services_and_validates_options()
    {
        var services = new ServiceCollection();
        new Builder(services).AddAttribution(o => o.MarkovOrder = 2).AddAttribution();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Assert.NotNull(provider.GetRequiredService<PathBuilder>());
        Assert.NotNull(provider.GetRequiredService<FunnelAnalyzer>());
        Assert.NotNull(provider.GetRequiredService<KpiCalculator>());
        Assert.Equal(5, provider.GetRequiredService<BudgetRuleEngine>().Rules.Count);
        var models = provider.GetRequiredService<AttributionModelSet>();
        Assert.Contains(models.Models, m => m.Name == "markov(order=2)");
        Assert.Equal(8, models.Compare(TestData.Random(2, 4, 20)).Count);

        var bad = new ServiceCollection();
        new Builder(bad).AddAttribution(o => o.PositionFirstShare = 0.9);
        using var badProvider = bad.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<AttributionOptions>>().Value);
    }

    [Fact]
    public void Results_serialise_to_json()
    {
        var result = new MarkovChainModel().Attribute(TestData.Random(3, 3, 10));
        var json = AttributionJson.Serialize(result);
        Assert.True(json.Contains("\"channel\":\"ch0\"", StringComparison.Ordinal), json);
        Assert.Contains("\"removalEffect\"", json);
        var back = AttributionJson.Deserialize<AttributionResult>(json)!;
        Assert.Equal(result.Channels[0].Conversions, back.Channels[0].Conversions);
        Assert.Equal(result.Channels[0].Channel, back.Channels[0].Channel);
        var plan = new BudgetPlan(T0, [new BudgetProposal("r", Email, null, BudgetAction.Pause, "why")]);
        Assert.Contains("\"action\":\"Pause\"", AttributionJson.Serialize(plan));
    }
}
