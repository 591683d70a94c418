using Marketing.Sdk;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Churn;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Models;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Storage;

namespace QuickStart;

internal sealed record LifecycleReport(
    IReadOnlyList<StageDistributionRow> Stages,
    BgNbdParameters BgNbd,
    GammaGammaParameters GammaGamma,
    int Buyers,
    double HoldoutPredicted,
    int HoldoutActual,
    IReadOnlyList<(CustomerId Customer, CustomerScore Score)> TopClv,
    IReadOnlyDictionary<ChurnRiskBand, int> ChurnBands,
    IReadOnlyDictionary<(string Journey, JourneyActionStatus Status), int> JourneyActions,
    IReadOnlyList<JourneyActionRecord> CartCoupons);

/// <summary>
/// Step 4: the customer lifecycle. Stages (tracked in real time during the replay), BG/NBD purchase
/// and Gamma-Gamma spend models fitted on the shop's purchases, lifetime value, churn-risk bands, and
/// what the journeys did while the shop was replayed.
/// </summary>
internal static class LifecycleStep
{
    /// <summary>The sample's journeys, registered with <c>m.AddLifecycle(LifecycleStep.ConfigureJourneys)</c>.</summary>
    public static void ConfigureJourneys(LifecycleOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Journeys.RunScheduler = false; // the sample calls JourneyEngine.RunDueAsync itself, on its own clock
        // Each send_message step names a channel and a template; the messaging package's handler sends it (step 10).
        // Messaging decides every contact rule itself (consent per channel, unsubscribes, caps, quiet hours — deferring
        // rather than dropping), so the engine's own message gates and caps are turned off instead of applied twice.
        o.Journeys.RequireMessageConsent = false;
        o.Journeys.QuietHoursStart = null;
        o.Journeys.CustomerCap = null;
        o.Journeys.DefaultChannelCap = null;
        // A WeCom coupon one hour after a cart is abandoned; buying first ends the journey.
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Reentry(true, TimeSpan.FromDays(7))
            .Wait(TimeSpan.FromHours(1)).SendMessage(Channel.WeCom, "cart_coupon", new Dictionary<string, string> { ["code"] = "CART10" }));
        // A recall text by Alibaba Cloud SMS after 7 days without a login, at most once in 30 days.
        o.Journeys.Add("recall_7d", j => j
            .OnInactivity(TimeSpan.FromDays(7), EventType.Login).Reentry(true, TimeSpan.FromDays(30)).SendMessage(Channel.Sms, "we_miss_you", new Dictionary<string, string> { ["coupon"] = "BACK15" }));
        // A review request by the Official Account three days after a purchase, when the parcel has arrived.
        o.Journeys.Add("review_request", j => j
            .OnEvent(EventType.Purchase).Wait(TimeSpan.FromDays(3))
            .SendMessage(Channel.WeChat, "review_request", new Dictionary<string, string> { ["thing1"] = "Your order arrived", ["thing2"] = "Tell us how it went" }));
    }

    private static async IAsyncEnumerable<CustomerStage> CurrentOnly(IAsyncEnumerable<CustomerStage> stages, HashSet<CustomerId> profiles, Action skipped)
    {
        await foreach (var s in stages)
        {
            if (profiles.Contains(s.CustomerId))
            {
                yield return s;
            }
            else
            {
                skipped();
            }
        }
    }

    public static async Task<LifecycleReport> RunAsync(QuickStartContext run)
    {
        run.Heading(4, "Lifecycle");

        // Stages, per first-seen month.
        // The tracker keeps the stage under the id the events carried; ids merged into another profile
        // since then no longer exist, so only current profiles are counted.
        var tracker = run.Get<LifecycleStageTracker>();
        var profileIds = new HashSet<CustomerId>();
        await foreach (var p in run.Get<IProfileStore>().StreamAsync())
        {
            profileIds.Add(p.Id);
        }
        var merged = 0;
        var stages = await LifecycleReports.StageDistributionAsync(CurrentOnly(tracker.StreamAsync(), profileIds, () => merged++));
        var cohorts = stages.Select(s => s.Cohort).Distinct().ToList();
        var stageNames = stages.Select(s => s.Stage).Distinct().ToList();
        run.Line("Stage distribution (customers per current stage, by first-seen month):");
        var stageTable = new Table(["cohort", .. stageNames, "total"]);
        foreach (var cohort in cohorts)
        {
            var rows = stages.Where(s => s.Cohort == cohort).ToList();
            stageTable.Add([cohort, .. stageNames.Select(n => (object?)(rows.FirstOrDefault(r => r.Stage == n)?.Count ?? 0)), rows.Sum(r => r.Count)]);
        }
        stageTable.WriteTo(run.Out);
        run.Line($"({merged:N0} stage records of profiles merged into others since are left out)");
        run.Line();

        // Purchase summaries (weekly units, calendar days in shop time). A holdout check first:
        // fit on the first 60 days, predict the last 30, compare with what happened.
        var purchases = new List<MarketingEvent>();
        await foreach (var e in run.Get<IEventStore>().ReadAsync(new EventQuery { Types = [EventType.Purchase] }))
        {
            purchases.Add(e);
        }
        var lastDay = DateOnly.FromDateTime(run.ShopEnd.ToOffset(TimeSpan.FromHours(8)).DateTime).AddDays(-1);
        var holdoutDays = 30;
        var split = await CustomerSummaryBuilder.BuildAsync(purchases.ToAsyncEnumerable(), new CustomerSummaryOptions
        {
            CalibrationEnd = lastDay.AddDays(-holdoutDays),
            HoldoutEnd = lastDay,
            TimeZone = QuickStartContext.ShopTimeZone,
        });
        var check = BgNbdModel.Fit([.. split.Select(r => r.Calibration)]).Model;
        var predicted = split.Sum(r => check.ExpectedPurchases(r.Calibration, holdoutDays / 7.0));
        var actual = split.Sum(r => r.HoldoutFrequency);

        var rows90 = await CustomerSummaryBuilder.BuildAsync(purchases.ToAsyncEnumerable(), new CustomerSummaryOptions
        {
            CalibrationEnd = lastDay,
            TimeZone = QuickStartContext.ShopTimeZone,
        });
        var summaries = rows90.Select(r => r.Calibration).ToList();
        var bgFit = BgNbdModel.Fit(summaries);
        var ggFit = GammaGammaModel.Fit(summaries);
        var bg = bgFit.Model.Parameters;
        var gg = ggFit.Model.Parameters;
        run.Line($"BG/NBD on {summaries.Count:N0} buyers (weekly units): r = {bg.R:G4}, alpha = {bg.Alpha:G4}, a = {bg.A:G4}, b = {bg.B:G4}   (log-likelihood {bgFit.Diagnostics.LogLikelihood:N1}, {bgFit.Diagnostics.Method}, {bgFit.Diagnostics.Iterations} iterations)");
        run.Line($"Gamma-Gamma on {ggFit.Diagnostics.Observations:N0} repeat buyers: p = {gg.P:G4}, q = {gg.Q:G4}, gamma = {gg.Gamma:G4}   (population mean spend {ggFit.Model.PopulationMeanSpend:N2} CNY)");
        if (bg.A < 1e-3)
        {
            run.Line("  (a -> 0: the fit finds no dropout in these 90 days, so P(alive) stays near 1 and the churn bands rest on the overdue rule)");
        }
        if (gg.Q > 1e3)
        {
            run.Line("  (q, gamma -> large: spend hardly varies between customers, so everyone's expected spend is the population mean)");
        }
        run.Line($"holdout check: fitted on {split.Count:N0} buyers up to {lastDay.AddDays(-holdoutDays):yyyy-MM-dd}, predicted {predicted:N0} purchase days in the last {holdoutDays} days, actual {actual:N0}");

        // Lifetime value over the next year (monthly discounting at 1 %), top 5 by CLV.
        var clvOptions = new ClvOptions { Horizon = 52, StepLength = 52.0 / 12, DiscountRate = 0.01 };
        var scores = CustomerLifetimeValue.ScoreAll(bgFit.Model, ggFit.Model, summaries, clvOptions);
        var top = rows90.Select((r, i) => (r.CustomerId, Summary: r.Calibration, Score: scores[i]))
            .OrderByDescending(t => t.Score.LifetimeValue).ThenBy(t => t.CustomerId).Take(5).ToList();
        run.Line($"Top 5 customers by predicted 12-month CLV (total over all buyers {scores.Sum(s => s.LifetimeValue):N0} CNY):");
        var clvTable = new Table("customer", "repeat days", "recency w", "age w", "P(alive)", "exp. purchases", "exp. spend", "CLV CNY");
        foreach (var t in top)
        {
            clvTable.Add(t.CustomerId.Value, t.Summary.Frequency, t.Summary.Recency.ToString("0.0"), t.Summary.T.ToString("0.0"),
                t.Score.ProbabilityAlive.ToString("0.000"), t.Score.ExpectedPurchases, t.Score.ExpectedAverageSpend, t.Score.LifetimeValue);
        }
        clvTable.WriteTo(run.Out);

        // Churn risk: P(alive) plus "overdue against the customer's own rhythm".
        var bands = new ChurnRiskScorer(bgFit.Model).CountBands(summaries);
        run.Line("Churn-risk bands: " + string.Join("   ", bands.OrderBy(b => b.Key).Select(b => $"{b.Key.ToString().ToLowerInvariant()} {b.Value:N0} ({Table.Percent((double)b.Value / Math.Max(summaries.Count, 1), 0)})")));
        run.Line();

        // What the journeys did during the replay (from the engine's action log).
        var engine = run.Get<JourneyEngine>();
        var log = new Dictionary<(string, JourneyActionStatus), int>();
        var reasons = new Dictionary<(string, JourneyActionStatus), string?>();
        var cartCoupons = new List<JourneyActionRecord>();
        await foreach (var record in engine.ReadActionLogAsync())
        {
            if (record is { JourneyId: "cart_abandoned", Status: JourneyActionStatus.Executed })
            {
                cartCoupons.Add(record);
            }
            var key = (record.JourneyId, record.Status);
            log[key] = log.GetValueOrDefault(key) + 1;
            reasons.TryAdd(key, record.Reason);
        }
        run.Line("Journey actions during the replay (one ledger entry per action; retries never repeat one):");
        var journeyTable = new Table("journey", "action", "status", "count", "reason").Left(1, 2, 4);
        foreach (var journey in engine.Journeys)
        {
            var kind = journey.Steps.OfType<ActionStep>().FirstOrDefault()?.Action is { } a
                ? a.Kind + (a.Channel is { } c ? $" ({c.Value}, {a.Parameters.GetValueOrDefault("template")})" : "")
                : "-";
            var any = false;
            foreach (var ((id, status), count) in log.Where(l => l.Key.Item1 == journey.Id).OrderBy(l => l.Key.Item2))
            {
                journeyTable.Add(id, kind, status.ToString().ToLowerInvariant(), count, reasons[(id, status)] ?? string.Empty);
                any = true;
            }
            if (!any)
            {
                journeyTable.Add(journey.Id, kind, "none yet", 0, string.Empty);
            }
        }
        journeyTable.WriteTo(run.Out);
        run.Line($"(the replay lets the engine run due work every {IngestionStep.DueInterval.TotalHours:0} h of shop time, so a coupon goes out 1 to {1 + IngestionStep.DueInterval.TotalHours:0} h after the cart)");
        run.Line("(executed: handed to the SDK's messaging, which checks consent, unsubscribes, caps and quiet hours per channel and delivers through the outbox; step 10 shows the outcome)");
        run.Line();

        var actions = log.ToDictionary(l => (l.Key.Item1, l.Key.Item2), l => l.Value);
        return new LifecycleReport(stages, bg, gg, summaries.Count, predicted, actual,
            top.Select(t => (t.CustomerId, t.Score)).ToList(), bands, actions, cartCoupons);
    }
}
