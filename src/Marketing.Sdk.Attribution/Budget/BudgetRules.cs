using System.Globalization;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Attribution;

/// <summary>Whether a budget line funds a proven channel or a test.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BudgetTier>))]
public enum BudgetTier
{
    /// <summary>A channel or campaign with a track record.</summary>
    Proven = 0,
    /// <summary>An experiment.</summary>
    Test,
}

/// <summary>A campaign (or channel) budget the rules may propose to change.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="CampaignId">The campaign, or null for a channel-level budget.</param>
/// <param name="DailyBudget">The current daily budget.</param>
/// <param name="Tier">Proven or test.</param>
public sealed record BudgetLine(Channel Channel, string? CampaignId, decimal DailyBudget, BudgetTier Tier = BudgetTier.Proven)
{
    /// <summary>Products the line promotes (for stock-driven pausing).</summary>
    public IReadOnlyList<string> PromotedProductIds { get; init; } = [];

    /// <summary>Whether the line is currently paused.</summary>
    public bool Paused { get; init; }
}

/// <summary>Stock of a product: what is left and the reference level (e.g. stock at campaign start).</summary>
/// <param name="Current">Units in stock now.</param>
/// <param name="Reference">Reference units (&gt; 0).</param>
public sealed record StockLevel(int Current, int Reference);

/// <summary>Whether an audience of a campaign is currently reachable online (e.g. active in the app) or not.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Audience">Audience name (no personal data).</param>
/// <param name="Online">Whether the audience is online.</param>
public sealed record AudienceState(Channel Channel, string? CampaignId, string Audience, bool Online);

/// <summary>Everything the rules look at.</summary>
public sealed record BudgetContext
{
    /// <summary>The budget lines.</summary>
    public required IReadOnlyList<BudgetLine> Lines { get; init; }

    /// <summary>KPI rows (matched to lines by channel and campaign).</summary>
    public IReadOnlyList<KpiRow> Kpis { get; init; } = [];

    /// <summary>Stock per product id.</summary>
    public IReadOnlyDictionary<string, StockLevel> Stock { get; init; } = new Dictionary<string, StockLevel>();

    /// <summary>Marginal ROAS per line (revenue from the next unit of spend), when a response curve is known; average ROAS is used otherwise.</summary>
    public IReadOnlyDictionary<(Channel Channel, string? CampaignId), double> MarginalRoas { get; init; } =
        new Dictionary<(Channel, string?), double>();

    /// <summary>Audience states, for bid multipliers.</summary>
    public IReadOnlyList<AudienceState> Audiences { get; init; } = [];

    /// <summary>The KPI row of a line, if any.</summary>
    /// <param name="line">The line.</param>
    public KpiRow? KpiFor(BudgetLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        foreach (var k in Kpis)
        {
            if (k.Channel == line.Channel && string.Equals(k.CampaignId, line.CampaignId, StringComparison.Ordinal))
            {
                return k;
            }
        }
        return null;
    }
}

/// <summary>What a proposal would do.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BudgetAction>))]
public enum BudgetAction
{
    /// <summary>Pause the line.</summary>
    Pause = 0,
    /// <summary>Change the daily budget to <see cref="BudgetProposal.ProposedBudget"/>.</summary>
    SetBudget,
    /// <summary>Apply <see cref="BudgetProposal.BidMultiplier"/> to bids for <see cref="BudgetProposal.Audience"/>.</summary>
    SetBidMultiplier,
}

/// <summary>A proposed change, with the reason. Proposals are never applied by the SDK; platform clients apply the ones a person or policy accepts.</summary>
/// <param name="Rule">The rule that proposed it.</param>
/// <param name="Channel">The channel.</param>
/// <param name="CampaignId">The campaign, or null.</param>
/// <param name="Action">What to do.</param>
/// <param name="Explanation">Why, in words.</param>
public sealed record BudgetProposal(string Rule, Channel Channel, string? CampaignId, BudgetAction Action, string Explanation)
{
    /// <summary>The current daily budget.</summary>
    public decimal? CurrentBudget { get; init; }

    /// <summary>The proposed daily budget (for <see cref="BudgetAction.SetBudget"/>).</summary>
    public decimal? ProposedBudget { get; init; }

    /// <summary>The proposed bid multiplier (for <see cref="BudgetAction.SetBidMultiplier"/>).</summary>
    public double? BidMultiplier { get; init; }

    /// <summary>The audience the multiplier applies to.</summary>
    public string? Audience { get; init; }
}

/// <summary>The proposals of one evaluation.</summary>
/// <param name="GeneratedAt">When the plan was made.</param>
/// <param name="Proposals">The proposals, in rule order.</param>
public sealed record BudgetPlan(DateTimeOffset GeneratedAt, IReadOnlyList<BudgetProposal> Proposals);

/// <summary>A budget rule: looks at the context and proposes actions. Never changes anything itself.</summary>
public interface IBudgetRule
{
    /// <summary>Rule name for proposals.</summary>
    string Name { get; }

    /// <summary>Proposes actions.</summary>
    /// <param name="context">The context.</param>
    IEnumerable<BudgetProposal> Evaluate(BudgetContext context);
}

/// <summary>Runs budget rules and collects their proposals; a line paused by an earlier rule is not re-budgeted by later ones.</summary>
/// <param name="rules">The rules, in priority order.</param>
/// <param name="timeProvider">The clock; system clock when null.</param>
public sealed class BudgetRuleEngine(IEnumerable<IBudgetRule> rules, TimeProvider? timeProvider = null)
{
    private readonly IBudgetRule[] _rules = rules?.ToArray() ?? throw new ArgumentNullException(nameof(rules));
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The rules, in order.</summary>
    public IReadOnlyList<IBudgetRule> Rules => _rules;

    /// <summary>Evaluates every rule.</summary>
    /// <param name="context">The context.</param>
    public BudgetPlan Propose(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var proposals = new List<BudgetProposal>();
        var paused = new HashSet<(Channel, string?)>();
        foreach (var rule in _rules)
        {
            foreach (var p in rule.Evaluate(context))
            {
                if (paused.Contains((p.Channel, p.CampaignId)) && p.Action != BudgetAction.Pause)
                {
                    continue;
                }
                if (p.Action == BudgetAction.Pause && !paused.Add((p.Channel, p.CampaignId)))
                {
                    continue;
                }
                proposals.Add(p);
            }
        }
        return new BudgetPlan(_time.GetUtcNow(), proposals);
    }

    internal static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Pauses (or cuts) lines whose ROI is below a floor, once they have spent enough to judge.</summary>
/// <param name="floor">The ROI floor (default 1.5).</param>
/// <param name="cutFraction">When null, pause; otherwise cut the budget by this fraction (0–1).</param>
/// <param name="minimumSpend">Spend below which a line is not judged (default 0).</param>
public sealed class RoiFloorRule(double floor = 1.5, double? cutFraction = null, decimal minimumSpend = 0m) : IBudgetRule
{
    /// <inheritdoc />
    public string Name => "roi_floor";

    /// <inheritdoc />
    public IEnumerable<BudgetProposal> Evaluate(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cutFraction is < 0 or > 1)
        {
            throw new MarketingValidationException("cutFraction", ValidationReason.OutOfRange, "Between 0 and 1.");
        }
        foreach (var line in context.Lines)
        {
            if (line.Paused || context.KpiFor(line) is not { Roi: { } roi } k || k.Spend < minimumSpend || roi >= floor)
            {
                continue;
            }
            var why = BudgetRuleEngine.Text($"ROI {roi:0.00} is below the floor {floor:0.00} (spend {k.Spend:0.00} {k.Currency}, revenue {k.Revenue:0.00} {k.Currency}).");
            yield return cutFraction is { } f
                ? new BudgetProposal(Name, line.Channel, line.CampaignId, BudgetAction.SetBudget, why)
                {
                    CurrentBudget = line.DailyBudget,
                    ProposedBudget = decimal.Round(line.DailyBudget * (1 - (decimal)f), 2),
                }
                : new BudgetProposal(Name, line.Channel, line.CampaignId, BudgetAction.Pause, why) { CurrentBudget = line.DailyBudget };
        }
    }
}

/// <summary>
/// Moves the total budget of the active lines towards shares proportional to marginal ROAS
/// (average ROAS when no marginal figure is given), changing no line by more than
/// <paramref name="maxChange"/> of its budget per step; the total stays the same up to rounding.
/// </summary>
/// <param name="maxChange">Largest relative change per line (default 0.3).</param>
/// <param name="minimumChange">Smallest relative change worth proposing (default 0.05).</param>
public sealed class MarginalRoasReallocationRule(double maxChange = 0.3, double minimumChange = 0.05) : IBudgetRule
{
    /// <inheritdoc />
    public string Name => "marginal_roas_reallocation";

    /// <inheritdoc />
    public IEnumerable<BudgetProposal> Evaluate(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lines = context.Lines.Where(l => !l.Paused).ToList();
        var roas = lines.Select(l => context.MarginalRoas.TryGetValue((l.Channel, l.CampaignId), out var m) ? m : context.KpiFor(l)?.Roas ?? 0).ToArray();
        var total = lines.Sum(l => l.DailyBudget);
        var sumRoas = roas.Where(r => r > 0).Sum();
        if (total <= 0 || sumRoas <= 0)
        {
            yield break;
        }
        var bounded = new decimal[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            var target = total * (decimal)(Math.Max(0, roas[i]) / sumRoas);
            var current = lines[i].DailyBudget;
            var lo = current * (decimal)(1 - maxChange);
            var hi = current * (decimal)(1 + maxChange);
            bounded[i] = Math.Clamp(target, lo, Math.Max(lo, hi));
        }
        // Rescale so the total is unchanged.
        var sumBounded = bounded.Sum();
        for (var i = 0; i < lines.Count; i++)
        {
            var proposed = decimal.Round(sumBounded > 0 ? bounded[i] * total / sumBounded : lines[i].DailyBudget, 2);
            var current = lines[i].DailyBudget;
            if (current > 0 && Math.Abs((double)((proposed - current) / current)) < minimumChange)
            {
                continue;
            }
            yield return new BudgetProposal(Name, lines[i].Channel, lines[i].CampaignId, BudgetAction.SetBudget,
                BudgetRuleEngine.Text($"ROAS {roas[i]:0.00} against a budget-weighted mix; moving towards a {roas[i] / sumRoas:P0} share of {total:0.00} (at most {maxChange:P0} per step)."))
            {
                CurrentBudget = current,
                ProposedBudget = proposed,
            };
        }
    }
}

/// <summary>
/// The 70/20/10 rule: of the total budget, <paramref name="proven"/> goes to proven lines,
/// <paramref name="test"/> to tests and the rest stays in reserve; within a tier, budgets keep
/// their current proportions.
/// </summary>
/// <param name="proven">Share for proven lines (default 0.7).</param>
/// <param name="test">Share for tests (default 0.2).</param>
/// <param name="tolerance">Relative difference below which no change is proposed (default 0.01).</param>
public sealed class ExploreExploitSplitRule(double proven = 0.7, double test = 0.2, double tolerance = 0.01) : IBudgetRule
{
    /// <inheritdoc />
    public string Name => "split_70_20_10";

    /// <inheritdoc />
    public IEnumerable<BudgetProposal> Evaluate(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (proven < 0 || test < 0 || proven + test > 1)
        {
            throw new MarketingValidationException("proven", ValidationReason.OutOfRange, "Shares are non-negative and sum to at most 1.");
        }
        var lines = context.Lines.Where(l => !l.Paused).ToList();
        var total = lines.Sum(l => l.DailyBudget);
        if (total <= 0)
        {
            yield break;
        }
        foreach (var (tier, share) in new[] { (BudgetTier.Proven, proven), (BudgetTier.Test, test) })
        {
            var tierLines = lines.Where(l => l.Tier == tier).ToList();
            var tierTotal = tierLines.Sum(l => l.DailyBudget);
            var target = total * (decimal)share;
            foreach (var line in tierLines)
            {
                var proposed = decimal.Round(tierTotal > 0 ? target * line.DailyBudget / tierTotal : target / tierLines.Count, 2);
                if (line.DailyBudget > 0 && Math.Abs((double)((proposed - line.DailyBudget) / line.DailyBudget)) < tolerance)
                {
                    continue;
                }
                yield return new BudgetProposal(Name, line.Channel, line.CampaignId, BudgetAction.SetBudget,
                    BudgetRuleEngine.Text($"{tier} lines should hold {share:P0} of the {total:0.00} total ({1 - proven - test:P0} in reserve); this line keeps its share within the tier."))
                {
                    CurrentBudget = line.DailyBudget,
                    ProposedBudget = proposed,
                };
            }
        }
    }
}

/// <summary>Pauses lines whose promoted products have fallen below a share of their reference stock.</summary>
/// <param name="threshold">Stock share below which to pause (default 0.3).</param>
public sealed class StockPauseRule(double threshold = 0.3) : IBudgetRule
{
    /// <inheritdoc />
    public string Name => "stock_pause";

    /// <inheritdoc />
    public IEnumerable<BudgetProposal> Evaluate(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var line in context.Lines)
        {
            if (line.Paused)
            {
                continue;
            }
            foreach (var product in line.PromotedProductIds)
            {
                if (context.Stock.TryGetValue(product, out var stock) && stock.Reference > 0 &&
                    (double)stock.Current / stock.Reference < threshold)
                {
                    yield return new BudgetProposal(Name, line.Channel, line.CampaignId, BudgetAction.Pause,
                        BudgetRuleEngine.Text($"Promoted product {product} is at {(double)stock.Current / stock.Reference:P0} of its reference stock, below {threshold:P0}."))
                    {
                        CurrentBudget = line.DailyBudget,
                    };
                    break;
                }
            }
        }
    }
}

/// <summary>Raises bids for audiences that are online and lowers them for those that are offline.</summary>
/// <param name="online">Multiplier for online audiences (default 1.2).</param>
/// <param name="offline">Multiplier for offline audiences (default 0.8).</param>
public sealed class AudienceBidRule(double online = 1.2, double offline = 0.8) : IBudgetRule
{
    /// <inheritdoc />
    public string Name => "audience_bid";

    /// <inheritdoc />
    public IEnumerable<BudgetProposal> Evaluate(BudgetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var a in context.Audiences)
        {
            var m = a.Online ? online : offline;
            if (m == 1)
            {
                continue;
            }
            yield return new BudgetProposal(Name, a.Channel, a.CampaignId, BudgetAction.SetBidMultiplier,
                BudgetRuleEngine.Text($"Audience {a.Audience} is {(a.Online ? "online" : "offline")}; bid × {m:0.00}."))
            {
                BidMultiplier = m,
                Audience = a.Audience,
            };
        }
    }
}
