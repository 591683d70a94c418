using System.Globalization;

namespace Marketing.Sdk.Lifecycle.Stages;

/// <summary>How many customers of a cohort are in a stage.</summary>
/// <param name="Cohort">The cohort: first-seen month as <c>yyyy-MM</c> (UTC), or <see cref="LifecycleReports.AllCohorts"/>.</param>
/// <param name="Stage">The stage.</param>
/// <param name="Count">Customers in the stage.</param>
/// <param name="Share">Share of the cohort's customers (0–1).</param>
public sealed record StageDistributionRow(string Cohort, string Stage, int Count, double Share);

/// <summary>How often customers moved from one stage to another.</summary>
/// <param name="From">The stage left (<see cref="LifecycleStages.New"/> for first staging).</param>
/// <param name="To">The stage entered.</param>
/// <param name="Count">Number of such moves.</param>
/// <param name="Share">Share of all moves out of <paramref name="From"/> (a row of the transition matrix, summing to 1).</param>
public sealed record StageTransitionRow(string From, string To, int Count, double Share);

/// <summary>Stage distribution and transition-matrix reports over customers' stages.</summary>
public static class LifecycleReports
{
    /// <summary>The cohort label of the rows that cover every customer.</summary>
    public const string AllCohorts = "all";

    /// <summary>The cohort of a customer: the UTC month they were first seen, <c>yyyy-MM</c>.</summary>
    /// <param name="stage">The customer's stage record.</param>
    public static string CohortOf(CustomerStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        return stage.FirstSeen.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
    }

    /// <summary>Customers per current stage, overall and per first-seen-month cohort, stages in funnel order.</summary>
    /// <param name="stages">Every customer's stage (e.g. <see cref="LifecycleStageTracker.StreamAsync"/>).</param>
    /// <param name="stageOrder">Stage order (unknown stages follow, by name).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public static async ValueTask<IReadOnlyList<StageDistributionRow>> StageDistributionAsync(IAsyncEnumerable<CustomerStage> stages, IReadOnlyList<string>? stageOrder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var counts = new Dictionary<(string Cohort, string Stage), int>();
        await foreach (var s in stages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var cohort in new[] { AllCohorts, CohortOf(s) })
            {
                counts[(cohort, s.Stage)] = counts.GetValueOrDefault((cohort, s.Stage)) + 1;
            }
        }
        var order = stageOrder ?? LifecycleStages.Default;
        int Rank(string stage) => order.Contains(stage) ? order.TakeWhile(s => s != stage).Count() : order.Count;
        var totals = counts.GroupBy(c => c.Key.Cohort).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
        return counts
            .OrderBy(c => c.Key.Cohort == AllCohorts ? 0 : 1).ThenBy(c => c.Key.Cohort, StringComparer.Ordinal)
            .ThenBy(c => Rank(c.Key.Stage)).ThenBy(c => c.Key.Stage, StringComparer.Ordinal)
            .Select(c => new StageDistributionRow(c.Key.Cohort, c.Key.Stage, c.Value, (double)c.Value / totals[c.Key.Cohort]))
            .ToList();
    }

    /// <summary>The transition matrix: counts and row shares of every stage change in the customers' histories.</summary>
    /// <param name="stages">Every customer's stage.</param>
    /// <param name="cohort">Only customers of this first-seen month (<c>yyyy-MM</c>); everyone when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public static async ValueTask<IReadOnlyList<StageTransitionRow>> TransitionMatrixAsync(IAsyncEnumerable<CustomerStage> stages, string? cohort = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var counts = new Dictionary<(string From, string To), int>();
        await foreach (var s in stages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (cohort is not null && CohortOf(s) != cohort)
            {
                continue;
            }
            foreach (var t in s.History)
            {
                counts[(t.From, t.To)] = counts.GetValueOrDefault((t.From, t.To)) + 1;
            }
        }
        var outgoing = counts.GroupBy(c => c.Key.From).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
        return counts
            .OrderBy(c => c.Key.From, StringComparer.Ordinal).ThenBy(c => c.Key.To, StringComparer.Ordinal)
            .Select(c => new StageTransitionRow(c.Key.From, c.Key.To, c.Value, (double)c.Value / outgoing[c.Key.From]))
            .ToList();
    }
}
