using Marketing.Sdk.Lifecycle.Churn;
using Marketing.Sdk.Lifecycle.Models;
using Marketing.Sdk.Lifecycle.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Lifecycle.Tests;

public class StageAndChurnTests
{
    private static async Task<List<CustomerStage>> AllAsync(LifecycleStageTracker tracker)
    {
        var list = new List<CustomerStage>();
        await foreach (var s in tracker.StreamAsync())
        {
            list.Add(s);
        }
        return list;
    }

    [Fact]
    public async Task Default_rules_walk_a_customer_through_the_funnel_with_history_and_time_in_stage()
    {
        using var h = new Harness(_ => { });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        var steps = new[] { EventType.PageView, EventType.ProductView, EventType.Purchase, EventType.PageView, EventType.Purchase, EventType.Review };
        foreach (var type in steps)
        {
            await h.Track(type);
            h.Time.Advance(TimeSpan.FromDays(1));
        }
        var stage = await tracker.GetAsync(Harness.Alice);
        Assert.Equal(LifecycleStages.Advocacy, stage!.Stage);
        Assert.Equal(2, stage.Purchases);
        Assert.Equal(
            [LifecycleStages.Awareness, LifecycleStages.Interest, LifecycleStages.Purchase, LifecycleStages.Repurchase, LifecycleStages.Advocacy],
            stage.History.Select(t => t.To));
        Assert.Equal(TimeSpan.FromDays(1), stage.TimeInStage(h.Time.GetUtcNow()));
        Assert.Equal(Harness.Start, stage.FirstSeen);
    }

    [Fact]
    public async Task A_redelivered_event_is_applied_once()
    {
        using var h = new Harness(_ => { });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        var purchase = h.Event(EventType.Purchase);
        await h.TrackAllAsync([purchase]);
        await h.TrackAllAsync([purchase]);
        var stage = await tracker.GetAsync(Harness.Alice);
        Assert.Equal((LifecycleStages.Purchase, 1), (stage!.Stage, stage.Purchases));
    }

    [Fact]
    public async Task Custom_rules_replace_the_defaults()
    {
        using var h = new Harness(o =>
        {
            o.StageModel.Rules.Clear();
            o.StageModel.Rules.Add(new StageTransitionRule { To = "member", From = [LifecycleStages.New], On = [EventType.SignUp] });
        });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        await h.Track(EventType.PageView);
        Assert.Equal(LifecycleStages.New, (await tracker.GetAsync(Harness.Alice))!.Stage);
        await h.Track(EventType.SignUp);
        Assert.Equal("member", (await tracker.GetAsync(Harness.Alice))!.Stage);
    }

    [Fact]
    public async Task Distribution_and_transition_matrix_by_first_seen_month()
    {
        using var h = new Harness(_ => { });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        var june = new[] { "c_1", "c_2", "c_3" }.Select(id => new CustomerId(id)).ToArray();
        await h.TrackAllAsync([h.Event(EventType.PageView, june[0]), h.Event(EventType.Purchase, june[1]), h.Event(EventType.ProductView, june[2])]);
        h.Time.Advance(TimeSpan.FromDays(40)); // July
        var july = new CustomerId("c_4");
        await h.TrackAllAsync([h.Event(EventType.PageView, july), h.Event(EventType.Purchase, june[1])]);

        var rows = await LifecycleReports.StageDistributionAsync(tracker.StreamAsync());
        var all = rows.Where(r => r.Cohort == LifecycleReports.AllCohorts).ToDictionary(r => r.Stage, r => r.Count);
        Assert.Equal(new Dictionary<string, int> { ["awareness"] = 2, ["interest"] = 1, ["repurchase"] = 1 }, all);
        Assert.Equal(3, rows.Where(r => r.Cohort == "2025-06").Sum(r => r.Count));
        Assert.Equal(1, rows.Single(r => r.Cohort == "2025-07").Count);
        foreach (var cohort in rows.GroupBy(r => r.Cohort))
        {
            Assert.Equal(1.0, cohort.Sum(r => r.Share), 1e-12);
        }

        var matrix = await LifecycleReports.TransitionMatrixAsync(tracker.StreamAsync());
        Assert.Equal(4, matrix.Where(r => r.From == LifecycleStages.New).Sum(r => r.Count));
        Assert.Equal(1, matrix.Single(r => r.From == LifecycleStages.Purchase && r.To == LifecycleStages.Repurchase).Count);
        foreach (var row in matrix.GroupBy(r => r.From))
        {
            Assert.Equal(1.0, row.Sum(r => r.Share), 1e-12);
        }
        var juneOnly = await LifecycleReports.TransitionMatrixAsync(tracker.StreamAsync(), "2025-06");
        Assert.Equal(3, juneOnly.Where(r => r.From == LifecycleStages.New).Sum(r => r.Count));
    }

    [Fact]
    public void Churn_bands_follow_p_alive_and_the_customers_own_rhythm()
    {
        var model = new BgNbdModel(new BgNbdParameters(0.242594, 4.413643, 0.792919, 2.425907));
        var scorer = new ChurnRiskScorer(model);
        var regular = scorer.Assess(new CustomerSummary(10, 38, 39));   // bought weekly-ish, last week
        var lapsed = scorer.Assess(new CustomerSummary(10, 10, 39));    // 10 purchases early on, silent for 29 weeks
        var oneTimeRecent = scorer.Assess(new CustomerSummary(0, 0, 2));
        var oneTimeOld = scorer.Assess(new CustomerSummary(0, 0, 39));
        Assert.Equal(ChurnRiskBand.Low, regular.Band);
        Assert.False(regular.Overdue);
        Assert.Equal(ChurnRiskBand.Critical, lapsed.Band);
        Assert.True(lapsed.ProbabilityAlive < 0.15);
        Assert.Equal(ChurnRiskBand.Low, oneTimeRecent.Band);
        Assert.Equal(ChurnRiskBand.Medium, oneTimeOld.Band); // P(alive) = 1, but overdue against the population gap α/r ≈ 18 weeks
        Assert.Equal(1.0, oneTimeOld.ProbabilityAlive);
    }

    [Fact]
    public void Churn_bands_cover_the_cdnow_cohort()
    {
        var summaries = ReferenceData.PlainSummaries();
        var model = BgNbdModel.Fit(summaries).Model;
        var scorer = new ChurnRiskScorer(model);
        var bands = scorer.CountBands(summaries);
        Assert.Equal(summaries.Count, bands.Values.Sum());
        Assert.All(Enum.GetValues<ChurnRiskBand>(), b => Assert.True(bands[b] > 0, $"no customer in band {b}"));
        Assert.Throws<MarketingValidationException>(() => new ChurnRiskScorer(model, new ChurnRiskOptions { LowRiskMinProbability = 0.2, MediumRiskMinProbability = 0.5 }));
    }
}
