namespace Marketing.Sdk.Attribution;

/// <summary>One step of a funnel.</summary>
/// <param name="Name">Display name.</param>
/// <param name="EventType">The event that completes the step.</param>
public sealed record FunnelStep(string Name, EventType EventType);

/// <summary>A funnel: ordered steps a customer completes within a conversion window from the first step.</summary>
/// <param name="Steps">The steps, in order (at least two).</param>
/// <param name="ConversionWindow">Time allowed from the first step to the last.</param>
public sealed record FunnelDefinition(IReadOnlyList<FunnelStep> Steps, TimeSpan ConversionWindow);

/// <summary>How many customers reached one step.</summary>
/// <param name="Name">The step.</param>
/// <param name="Reached">Customers who reached the step.</param>
/// <param name="StepConversionRate">Reached ÷ reached at the previous step (1 for the first step; 0 when the previous step had nobody).</param>
/// <param name="OverallConversionRate">Reached ÷ reached at the first step.</param>
/// <param name="DroppedOff">Customers who reached the previous step but not this one (0 for the first step).</param>
/// <param name="MedianTimeFromStart">Median time from the first step to this one, over customers who reached it.</param>
/// <param name="MeanTimeFromStart">Mean time from the first step to this one.</param>
public sealed record FunnelStepResult(string Name, long Reached, double StepConversionRate, double OverallConversionRate,
    long DroppedOff, TimeSpan? MedianTimeFromStart, TimeSpan? MeanTimeFromStart);

/// <summary>A funnel's step results for all customers or one group.</summary>
/// <param name="Group">The group (e.g. a channel name), or null for everybody.</param>
/// <param name="Steps">One result per step.</param>
public sealed record FunnelReport(string? Group, IReadOnlyList<FunnelStepResult> Steps);

/// <summary>A funnel for everybody and broken down by group.</summary>
/// <param name="Overall">All customers.</param>
/// <param name="Groups">One report per group, ordered by group name.</param>
public sealed record FunnelAnalysis(FunnelReport Overall, IReadOnlyList<FunnelReport> Groups);

/// <summary>
/// Computes funnels from behaviour events: per customer, the deepest run of the steps in order,
/// each after the previous, all within the conversion window from the first step's event.
/// </summary>
public sealed class FunnelAnalyzer
{
    /// <summary>Groups customers by the channel of their first-step event (<c>(none)</c> when it has none).</summary>
    public static Func<MarketingEvent, string?> ByChannel { get; } = e => e.Channel?.Value ?? "(none)";

    /// <summary>Analyses events (any order; grouped by <see cref="MarketingEvent.CustomerId"/>, events without one are skipped).</summary>
    /// <param name="events">The events.</param>
    /// <param name="funnel">The funnel.</param>
    /// <param name="groupBy">Optional grouping of customers by their first-step event (e.g. <see cref="ByChannel"/>, or a segment lookup).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async Task<FunnelAnalysis> AnalyzeAsync(IAsyncEnumerable<MarketingEvent> events, FunnelDefinition funnel,
        Func<MarketingEvent, string?>? groupBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var list = new List<MarketingEvent>();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            list.Add(e);
        }
        return Analyze(list, funnel, groupBy);
    }

    /// <summary>Analyses events (see <see cref="AnalyzeAsync"/>).</summary>
    /// <param name="events">The events.</param>
    /// <param name="funnel">The funnel.</param>
    /// <param name="groupBy">Optional grouping of customers by their first-step event.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "An injectable service.")]
    public FunnelAnalysis Analyze(IEnumerable<MarketingEvent> events, FunnelDefinition funnel, Func<MarketingEvent, string?>? groupBy = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        Validate(funnel);
        var steps = funnel.Steps;
        var relevant = steps.Select(s => s.EventType).ToHashSet();
        var byCustomer = new Dictionary<CustomerId, List<MarketingEvent>>();
        foreach (var e in events)
        {
            if (e?.CustomerId is { } id && relevant.Contains(e.Type))
            {
                if (!byCustomer.TryGetValue(id, out var l))
                {
                    byCustomer[id] = l = [];
                }
                l.Add(e);
            }
        }
        var overall = new Accumulator(steps.Count);
        var groups = new SortedDictionary<string, Accumulator>(StringComparer.Ordinal);
        var times = new TimeSpan[steps.Count];
        foreach (var (_, list) in byCustomer.OrderBy(kv => kv.Key))
        {
            list.Sort(static (a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
            var (depth, first) = Deepest(list, steps, funnel.ConversionWindow, times);
            if (depth == 0)
            {
                continue;
            }
            overall.Add(depth, times);
            if (groupBy is not null && groupBy(first!) is { } g)
            {
                if (!groups.TryGetValue(g, out var acc))
                {
                    groups[g] = acc = new Accumulator(steps.Count);
                }
                acc.Add(depth, times);
            }
        }
        return new FunnelAnalysis(overall.Report(null, steps), groups.Select(kv => kv.Value.Report(kv.Key, steps)).ToList());
    }

    private static void Validate(FunnelDefinition funnel)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        if (funnel.Steps is null || funnel.Steps.Count < 2)
        {
            throw new MarketingValidationException("steps", ValidationReason.Missing, "A funnel has at least two steps.");
        }
        if (funnel.ConversionWindow <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("conversionWindow", ValidationReason.OutOfRange, "The conversion window is positive.");
        }
    }

    private static (int Depth, MarketingEvent? First) Deepest(List<MarketingEvent> events, IReadOnlyList<FunnelStep> steps,
        TimeSpan window, TimeSpan[] times)
    {
        var best = 0;
        MarketingEvent? bestFirst = null;
        var current = new TimeSpan[steps.Count];
        for (var start = 0; start < events.Count; start++)
        {
            var first = events[start];
            if (first.Type != steps[0].EventType)
            {
                continue;
            }
            var depth = 1;
            current[0] = TimeSpan.Zero;
            for (var i = start + 1; i < events.Count && depth < steps.Count; i++)
            {
                var elapsed = events[i].OccurredAt - first.OccurredAt;
                if (elapsed > window)
                {
                    break;
                }
                if (events[i].Type == steps[depth].EventType)
                {
                    current[depth++] = elapsed;
                }
            }
            if (depth > best)
            {
                best = depth;
                bestFirst = first;
                Array.Copy(current, times, depth);
                if (best == steps.Count)
                {
                    break;
                }
            }
        }
        return (best, bestFirst);
    }

    private sealed class Accumulator(int steps)
    {
        private readonly long[] _reached = new long[steps];
        private readonly List<TimeSpan>[] _times = Enumerable.Range(0, steps).Select(_ => new List<TimeSpan>()).ToArray();

        public void Add(int depth, TimeSpan[] times)
        {
            for (var i = 0; i < depth; i++)
            {
                _reached[i]++;
                _times[i].Add(times[i]);
            }
        }

        public FunnelReport Report(string? group, IReadOnlyList<FunnelStep> steps)
        {
            var results = new FunnelStepResult[steps.Count];
            for (var i = 0; i < steps.Count; i++)
            {
                var reached = _reached[i];
                var previous = i == 0 ? reached : _reached[i - 1];
                var t = _times[i];
                t.Sort();
                TimeSpan? median = t.Count == 0 ? null
                    : t.Count % 2 == 1 ? t[t.Count / 2]
                    : TimeSpan.FromTicks((t[(t.Count / 2) - 1].Ticks + t[t.Count / 2].Ticks) / 2);
                TimeSpan? mean = t.Count == 0 ? null : TimeSpan.FromTicks((long)t.Average(x => (double)x.Ticks));
                results[i] = new FunnelStepResult(steps[i].Name, reached,
                    i == 0 ? 1 : previous > 0 ? (double)reached / previous : 0,
                    _reached[0] > 0 ? (double)reached / _reached[0] : 0,
                    i == 0 ? 0 : previous - reached, median, mean);
            }
            return new FunnelReport(group, results);
        }
    }
}
