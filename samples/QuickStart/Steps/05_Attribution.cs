using Marketing.Sdk;
using Marketing.Sdk.Attribution;

namespace QuickStart;

internal sealed record AttributionReport(
    int Paths,
    double Conversions,
    IReadOnlyList<AttributionResult> Models,
    FunnelAnalysis Funnel,
    IReadOnlyList<KpiRow> Kpis,
    BudgetPlan Plan);

/// <summary>
/// Step 5: measurement. Touchpoint paths from the shop's events, every attribution model side by
/// side, the purchase funnel, KPIs per channel from synthetic platform spend, and the budget rules'
/// proposals (never applied by the SDK).
/// </summary>
internal static class AttributionStep
{
    /// <summary>
    /// Synthetic platform reports, per paid channel: cost per click (CNY) and click-through rate. The
    /// shop only sees the clicks; the platforms report the impressions and the spend.
    /// </summary>
    private static readonly (Channel Channel, decimal Cpc, double Ctr, BudgetTier Tier)[] Platforms =
    [
        (Channel.Search, 30m, 0.035, BudgetTier.Proven),
        (Channel.Baidu, 55m, 0.028, BudgetTier.Proven),
        (Channel.Douyin, 18m, 0.012, BudgetTier.Proven),
        (Channel.WeChat, 14m, 0.018, BudgetTier.Proven),
        (Channel.Xiaohongshu, 22m, 0.022, BudgetTier.Test),
        (Channel.Kuaishou, 40m, 0.011, BudgetTier.Test),
        (Channel.Bilibili, 60m, 0.015, BudgetTier.Test),
        (Channel.Email, 0.4m, 0.03, BudgetTier.Proven),
        (Channel.Sms, 0.6m, 0.02, BudgetTier.Proven),
        (Channel.PrivateDomain, 0.3m, 0.05, BudgetTier.Proven),
    ];

    private static readonly string[] ModelColumns = ["first", "last", "last non-d", "linear", "decay 7d", "position", "markov", "shapley"];

    /// <summary>Attribution options of the sample, registered with <c>m.AddAttribution(AttributionStep.Configure)</c>.</summary>
    public static void Configure(AttributionOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        // Keep touch ages so time decay works in hours with a 7-day half-life.
        o.Paths = new PathBuilderOptions { KeepTouchAges = true, Currency = "CNY" };
        o.TimeDecayHalfLife = TimeSpan.FromDays(7);
    }

    public static async Task<AttributionReport> RunAsync(QuickStartContext run)
    {
        run.Heading(5, "Attribution and measurement");
        var events = (await run.GetEventsAsync()).Where(e => !e.Flags.HasFlag(EventFlags.SuspectedBot)).ToList();

        // Paths and every model side by side.
        var paths = run.Get<PathBuilder>().Build(events, run.ShopEnd);
        var results = run.Get<AttributionModelSet>().Compare(paths, byCampaign: true);
        run.Line($"{paths.Count:N0} distinct paths (30-day lookback, session de-duplication): {paths.TotalConversions:N0} conversions worth {paths.TotalValue:N0} CNY, {paths.TotalNulls:N0} non-converting journeys");
        run.Line("Attributed conversions per channel by model (Markov order 1 with its removal effect; Shapley by Zhao et al.):");
        var markov = results.Single(r => r.Model.StartsWith("markov", StringComparison.Ordinal));
        var channels = results.SelectMany(r => r.Channels).Select(c => c.Channel).Distinct()
            .OrderByDescending(c => markov.For(c)?.Conversions ?? 0).ToList();
        var table = new Table(["channel", .. ModelColumns, "removal eff."]);
        foreach (var channel in channels)
        {
            table.Add([channel.Value, .. results.Select(r => (object?)(r.For(channel)?.Conversions ?? 0).ToString("N1")), markov.For(channel)?.RemovalEffect?.ToString("0.000")]);
        }
        table.Add(["total", .. results.Select(r => (object?)r.Channels.Sum(c => c.Conversions).ToString("N1")), null]);
        table.WriteTo(run.Out);
        run.Line();

        // Funnel, overall and by the channel of the first step.
        var funnel = run.Get<FunnelAnalyzer>().Analyze(events, new FunnelDefinition(
            [
                new FunnelStep("product_view", EventType.ProductView),
                new FunnelStep("add_to_cart", EventType.AddToCart),
                new FunnelStep("begin_checkout", EventType.BeginCheckout),
                new FunnelStep("purchase", EventType.Purchase),
            ],
            TimeSpan.FromDays(7)), FunnelAnalyzer.ByChannel);
        run.Line("Funnel (7-day window from the first product view):");
        var funnelTable = new Table("step", "customers", "step conv.", "overall", "dropped", "median time");
        foreach (var s in funnel.Overall.Steps)
        {
            funnelTable.Add(s.Name, s.Reached, Table.Percent(s.StepConversionRate), Table.Percent(s.OverallConversionRate), s.DroppedOff, Table.Duration(s.MedianTimeFromStart));
        }
        funnelTable.WriteTo(run.Out);
        var byChannel = funnel.Groups.OrderByDescending(g => g.Steps[0].Reached).Select(g => $"{g.Group} {Table.Percent(g.Steps[^1].OverallConversionRate)}");
        run.Line("view-to-purchase by entry channel: " + string.Join(", ", byChannel));
        run.Line();

        // KPIs from synthetic platform spend, credited with the Markov model.
        var clicks = events.Where(e => e.Type == EventType.AdClick && e.Channel is not null)
            .GroupBy(e => e.Channel!.Value).ToDictionary(g => g.Key, g => (long)g.Count());
        var spend = Platforms.Where(p => clicks.ContainsKey(p.Channel)).Select(p =>
        {
            var c = clicks[p.Channel];
            return new SpendRecord(p.Channel, null, new Money(p.Cpc * c, "CNY"), (long)Math.Round(c / p.Ctr), c);
        }).ToList();
        var kpis = run.Get<KpiCalculator>().Compute(spend, markov, new KpiBenchmarks { Ctr = 0.02, Roas = 4 }, grossMargin: 0.35m);
        run.Line("KPIs per channel (synthetic platform spend; conversions and revenue credited by the Markov model; ROI at a 35 % gross margin):");
        var kpiTable = new Table("channel", "spend", "impr.", "clicks", "CTR", "CVR", "CPC", "CPA", "ROAS", "ROI", "flags").Left(10);
        foreach (var k in kpis.Where(k => k.CampaignId is null).OrderByDescending(k => k.Roas ?? 0))
        {
            kpiTable.Add(k.Channel.Value, k.Spend.ToString("N0"), k.Impressions, k.Clicks, k.Ctr is { } ctr ? Table.Percent(ctr) : null,
                k.Cvr is { } cvr ? Table.Percent(cvr) : null, k.Cpc, k.Cpa, k.Roas, k.Roi, k.Anomalies == KpiAnomaly.None ? string.Empty : k.Anomalies.ToString());
        }
        kpiTable.WriteTo(run.Out);
        run.Line();

        // Budget rules: proposals with their reasons.
        var lines = Platforms.Where(p => clicks.ContainsKey(p.Channel)).Select((p, i) => new BudgetLine(p.Channel, null,
            decimal.Round(p.Cpc * clicks[p.Channel] / run.ShopOptions.Days, 2), p.Tier)
        {
            PromotedProductIds = [run.Shop.Products[i].ProductId],
        }).ToList();
        var stock = lines.SelectMany(l => l.PromotedProductIds).Distinct()
            .ToDictionary(id => id, id => new StockLevel(run.Shop.Products.First(p => p.ProductId == id).StockQuantity ?? 0, 500));
        var plan = run.Get<BudgetRuleEngine>().Propose(new BudgetContext
        {
            Lines = lines,
            Kpis = kpis,
            Stock = stock,
            Audiences = [new AudienceState(Channel.WeChat, null, "app_open_now", true), new AudienceState(Channel.Douyin, null, "night_viewers", false)],
        });
        run.Line($"Budget proposals ({plan.Proposals.Count}; proposed only, nothing is applied):");
        var planTable = new Table("rule", "channel", "action", "daily now", "proposed", "reason").Left(1, 2, 5);
        foreach (var p in plan.Proposals)
        {
            planTable.Add(p.Rule, p.Channel.Value, p.Action == BudgetAction.SetBidMultiplier ? $"bid x{p.BidMultiplier:0.0#}" : p.Action.ToString(),
                p.CurrentBudget, p.ProposedBudget, p.Explanation);
        }
        planTable.WriteTo(run.Out);
        run.Line();
        return new AttributionReport(paths.Count, paths.TotalConversions, results, funnel, kpis, plan);
    }
}
