using System.Runtime.InteropServices;

namespace Marketing.Sdk.Attribution;

/// <summary>How a <see cref="MarkovChainModel"/> computes conversion probabilities.</summary>
public enum MarkovSolver
{
    /// <summary>Exact: solves the absorbing chain's linear system (dense LU for small state spaces, Gauss–Seidel to machine precision for large ones).</summary>
    Exact = 0,
    /// <summary>Monte-Carlo: simulates walks through the chain (seeded, deterministic), as ChannelAttribution does.</summary>
    Simulation,
}

/// <summary>What a <see cref="MarkovChainModel"/> does with the journeys that did not convert.</summary>
public enum MarkovNullHandling
{
    /// <summary>
    /// Non-converting journeys enter the chain and end in NULL (ChannelAttribution's
    /// <c>markov_model(..., var_null = "total_null")</c>). Default.
    /// </summary>
    Observed = 0,
    /// <summary>
    /// Non-converting journeys are left out: the chain is fitted to converting journeys only and NULL
    /// is reached only through a removed channel (ChannelAttribution's <c>markov_model</c> without
    /// <c>var_null</c>).
    /// </summary>
    Ignore,
}

/// <summary>Settings of a <see cref="MarkovChainModel"/>.</summary>
public sealed record MarkovOptions
{
    /// <summary>Order k ≥ 1: a state is the last k channels of the journey (fewer at its start). Default 1.</summary>
    public int Order { get; init; } = 1;

    /// <summary>Exact solution or simulation. Default <see cref="MarkovSolver.Exact"/>.</summary>
    public MarkovSolver Solver { get; init; } = MarkovSolver.Exact;

    /// <summary>Simulated walks (simulation only). Default 1 000 000.</summary>
    public int Simulations { get; init; } = 1_000_000;

    /// <summary>Steps after which a simulated walk counts as not converting; null for 10 × the longest path.</summary>
    public int? MaxSimulationSteps { get; init; }

    /// <summary>Random seed of the simulation. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>State spaces up to this size are solved by dense LU; larger ones by Gauss–Seidel. Default 800.</summary>
    public int DenseStateLimit { get; init; } = 800;

    /// <summary>Whether non-converting journeys enter the chain. Default <see cref="MarkovNullHandling.Observed"/>.</summary>
    public MarkovNullHandling NullHandling { get; init; } = MarkovNullHandling.Observed;

    /// <summary>
    /// Collapse repeated consecutive touches of one channel (a &gt; a &gt; b becomes a &gt; b) before
    /// fitting, as many Markov attribution write-ups do. At order 1 the exact solution does not change
    /// (a self-loop only rescales its state's other transitions); at higher orders it merges states
    /// such as (a, a) into (a), and in simulation it shortens walks. Default <see langword="false"/>.
    /// </summary>
    public bool RemoveSelfLoops { get; init; }
}

/// <summary>
/// Markov-chain attribution (Anderl et al. 2016; the ChannelAttribution package): fits a k-order
/// chain START → states → {CONVERSION, NULL} to the journeys, computes each channel's removal
/// effect RE(c) = 1 − P(conversion | c removed) / P(conversion), where removing c sends every
/// state containing c to NULL, and attributes conversions in proportion to the removal effects.
/// Conversion value is attributed by value removal effects: the chain's expected value, where a
/// conversion from state s is worth the mean value of the observed conversions that ended in s.
/// </summary>
public sealed class MarkovChainModel : AttributionModel
{
    private const int Start = -1;
    private const int Conv = -2;
    private const int Null = -3;

    private readonly MarkovOptions _options;

    /// <summary>Creates the model.</summary>
    /// <param name="options">Settings; defaults (order 1, exact) when null.</param>
    public MarkovChainModel(MarkovOptions? options = null)
    {
        _options = options ?? new MarkovOptions();
        if (_options.Order < 1)
        {
            throw new MarketingValidationException("order", ValidationReason.OutOfRange, "The order is at least 1.");
        }
        if (_options.Simulations < 1)
        {
            throw new MarketingValidationException("simulations", ValidationReason.OutOfRange, "At least one simulation.");
        }
        if (_options.MaxSimulationSteps is < 1)
        {
            throw new MarketingValidationException("maxSimulationSteps", ValidationReason.OutOfRange, "At least one step.");
        }
    }

    /// <inheritdoc />
    public override string Name => FormattableString.Invariant($"markov(order={_options.Order}")
        + (_options.Solver == MarkovSolver.Exact ? "" : ",simulated")
        + (_options.NullHandling == MarkovNullHandling.Ignore ? ",no-nulls" : "")
        + (_options.RemoveSelfLoops ? ",no-self-loops" : "")
        + ")";

    /// <inheritdoc />
    protected override AttributionResult Run(PathSet paths, bool byCampaign, CancellationToken cancellationToken)
    {
        var original = paths;
        paths = Prepare(paths, _options);
        var chain = Chain.Fit(paths, _options.Order, flatCounts: true, cancellationToken);
        var channels = paths.Channels.Count;
        double[] reConv, reValue;
        double pConv;
        if (_options.Solver == MarkovSolver.Exact)
        {
            (pConv, reConv, reValue) = chain.SolveExact(channels, _options.DenseStateLimit, cancellationToken);
        }
        else
        {
            var maxSteps = _options.MaxSimulationSteps ?? Math.Max(1, 10 * MaxLength(paths));
            (pConv, reConv, reValue) = chain.Simulate(channels, _options.Simulations, maxSteps, _options.Seed, cancellationToken);
        }
        var conv = Distribute(reConv, paths.TotalConversions);
        var value = Distribute(reValue, paths.TotalValue);
        var credits = new ChannelCredit[channels];
        for (var c = 0; c < channels; c++)
        {
            credits[c] = new ChannelCredit(paths.Channels[c], conv[c], value[c])
            {
                RemovalEffect = reConv[c],
                ValueRemovalEffect = reValue[c],
            };
        }
        return new AttributionResult
        {
            Model = Name,
            Channels = credits,
            Campaigns = byCampaign ? SplitByCampaign(original, credits) : [],
            TotalConversions = paths.TotalConversions,
            TotalValue = paths.TotalValue,
            ConversionProbability = pConv,
        };
    }

    /// <summary>The journeys the chain is fitted to: without non-conversions and/or self-loops as the options say (channels keep their indexes).</summary>
    internal static PathSet Prepare(PathSet paths, MarkovOptions options)
    {
        var dropNulls = options.NullHandling == MarkovNullHandling.Ignore;
        if (!dropNulls && !options.RemoveSelfLoops)
        {
            return paths;
        }
        var builder = new PathSetBuilder();
        foreach (var channel in paths.Channels)
        {
            builder.AddChannel(channel);
        }
        var scratch = new List<int>();
        for (var p = 0; p < paths.Count; p++)
        {
            var conversions = paths.GetConversions(p);
            var nulls = dropNulls ? 0 : paths.GetNulls(p);
            if (conversions + nulls <= 0)
            {
                continue;
            }
            var steps = paths.GetSteps(p);
            scratch.Clear();
            foreach (var step in steps)
            {
                if (!options.RemoveSelfLoops || scratch.Count == 0 || scratch[^1] != step)
                {
                    scratch.Add(step);
                }
            }
            builder.Add(CollectionsMarshal.AsSpan(scratch), conversions, paths.GetValue(p), nulls);
        }
        return builder.Build();
    }

    private static int MaxLength(PathSet paths)
    {
        var max = 0;
        for (var p = 0; p < paths.Count; p++)
        {
            max = Math.Max(max, paths.GetSteps(p).Length);
        }
        return max;
    }

    private static double[] Distribute(double[] effects, double total)
    {
        var sum = 0.0;
        foreach (var e in effects)
        {
            sum += e;
        }
        var result = new double[effects.Length];
        if (sum <= 0)
        {
            return result;
        }
        for (var i = 0; i < effects.Length; i++)
        {
            result[i] = total * effects[i] / sum;
        }
        return result;
    }

    /// <summary>The fitted chain: transient states, their transition probabilities and conversion values.</summary>
    internal sealed class Chain
    {
        // Transitions of transient state s: targets[rowStart[s]..rowStart[s+1]) with probabilities; targets ≥ 0 are states.
        public required int[] RowStart { get; init; }
        public required int[] Targets { get; init; }
        public required double[] Probabilities { get; init; }
        public required double[] ToConversion { get; init; }
        public required double[] ToNull { get; init; }
        public required double[] MeanValue { get; init; }
        public required double[] StartProbabilities { get; init; }
        public required int[][] StateChannels { get; init; }
        public required int[] NewestChannel { get; init; }

        public int StateCount => StartProbabilities.Length;

        public static Chain Fit(PathSet paths, int order, bool flatCounts, CancellationToken cancellationToken)
        {
            var channels = paths.Channels.Count;
            if (Math.Pow(channels + 1, order) >= long.MaxValue / 4.0)
            {
                throw new AttributionException("The Markov order is too high for the number of channels.");
            }
            var stateIndex = new Dictionary<long, int>();
            var stateKeys = new List<long>();
            var counts = new Dictionary<long, double>();
            var toConv = new List<double>();
            var endConv = new List<double>();
            var endValue = new List<double>();
            var startCounts = new List<double>();
            var radix = channels + 1L;
            long top = 1;
            for (var i = 1; i < order; i++)
            {
                top *= radix;
            }

            // With a small key space, states and transition counts live in flat arrays instead of
            // dictionaries: keyToState[key] is state + 1, and flow[s * stride + c] counts the moves from
            // state s on to channel c (c = channels: conversion, channels + 1: null). Since the next
            // state is determined by s and c, this holds the same counts as the (from, to) dictionary.
            var stride = channels + 2;
            var keySpace = Math.Pow(radix, order);
            var keyToState = flatCounts && keySpace * stride <= 1 << 23 ? new int[(int)keySpace] : null;
            var flow = keyToState is null ? null : new List<double>();

            int StateOf(long key)
            {
                if (keyToState is not null)
                {
                    var e = keyToState[key];
                    if (e != 0)
                    {
                        return e - 1;
                    }
                    keyToState[key] = stateKeys.Count + 1;
                    CollectionsMarshal.SetCount(flow!, flow!.Count + stride);
                }
                if (!stateIndex.TryGetValue(key, out var s))
                {
                    s = stateKeys.Count;
                    stateIndex.Add(key, s);
                    stateKeys.Add(key);
                    toConv.Add(0);
                    endConv.Add(0);
                    endValue.Add(0);
                    startCounts.Add(0);
                }
                return s;
            }

            void Count(int from, int to, double w)
            {
                var key = ((long)(from + 1) << 32) | (uint)(to + 3);
                counts[key] = counts.GetValueOrDefault(key) + w;
            }

            for (var p = 0; p < paths.Count; p++)
            {
                if ((p & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var conv = paths.GetConversions(p);
                var nulls = paths.GetNulls(p);
                var w = conv + nulls;
                if (w <= 0)
                {
                    continue;
                }
                var steps = paths.GetSteps(p);
                long key = 0;
                var from = Start;
                for (var i = 0; i < steps.Length; i++)
                {
                    // Shift the newest channel in; drop the oldest beyond the order.
                    key = (i >= order ? key % top : key) * radix + steps[i] + 1;
                    var s = StateOf(key);
                    if (from == Start)
                    {
                        startCounts[s] += w;
                    }
                    else if (flow is not null)
                    {
                        CollectionsMarshal.AsSpan(flow)[from * stride + steps[i]] += w;
                    }
                    else
                    {
                        Count(from, s, w);
                    }
                    from = s;
                }
                if (conv > 0)
                {
                    if (flow is not null)
                    {
                        CollectionsMarshal.AsSpan(flow)[from * stride + channels] += conv;
                    }
                    else
                    {
                        Count(from, Conv, conv);
                    }
                    endConv[from] += conv;
                    endValue[from] += paths.GetValue(p);
                }
                if (nulls > 0)
                {
                    if (flow is not null)
                    {
                        CollectionsMarshal.AsSpan(flow)[from * stride + channels + 1] += nulls;
                    }
                    else
                    {
                        Count(from, Null, nulls);
                    }
                }
            }
            if (flow is not null)
            {
                var counted = CollectionsMarshal.AsSpan(flow);
                for (var s = 0; s < stateKeys.Count; s++)
                {
                    for (var c = 0; c < stride; c++)
                    {
                        var w = counted[s * stride + c];
                        if (w > 0)
                        {
                            Count(s, c == channels ? Conv : c == channels + 1 ? Null : keyToState![(stateKeys[s] % top) * radix + c + 1] - 1, w);
                        }
                    }
                }
            }

            var m = stateKeys.Count;
            var outTotal = new double[m];
            var perState = new List<(int To, double W)>[m];
            for (var s = 0; s < m; s++)
            {
                perState[s] = [];
            }
            foreach (var (key, w) in counts)
            {
                var from = (int)(key >> 32) - 1;
                var to = (int)(uint)key - 3;
                outTotal[from] += w;
                perState[from].Add((to, w));
            }
            var rowStart = new int[m + 1];
            var targets = new List<int>();
            var probs = new List<double>();
            var pConv = new double[m];
            var pNull = new double[m];
            for (var s = 0; s < m; s++)
            {
                rowStart[s] = targets.Count;
                foreach (var (to, w) in perState[s].OrderBy(t => t.To))
                {
                    var pr = w / outTotal[s];
                    if (to == Conv)
                    {
                        pConv[s] = pr;
                    }
                    else if (to == Null)
                    {
                        pNull[s] = pr;
                    }
                    else
                    {
                        targets.Add(to);
                        probs.Add(pr);
                    }
                }
            }
            rowStart[m] = targets.Count;
            var startTotal = startCounts.Sum();
            var stateChannels = new int[m][];
            var newest = new int[m];
            var meanValue = new double[m];
            for (var s = 0; s < m; s++)
            {
                var list = new List<int>(order);
                var k = stateKeys[s];
                newest[s] = (int)(k % radix) - 1;
                while (k > 0)
                {
                    var c = (int)(k % radix) - 1;
                    if (!list.Contains(c))
                    {
                        list.Add(c);
                    }
                    k /= radix;
                }
                stateChannels[s] = [.. list];
                meanValue[s] = endConv[s] > 0 ? endValue[s] / endConv[s] : 0;
            }
            return new Chain
            {
                RowStart = rowStart,
                Targets = [.. targets],
                Probabilities = [.. probs],
                ToConversion = pConv,
                ToNull = pNull,
                MeanValue = meanValue,
                StartProbabilities = startCounts.Select(c => startTotal > 0 ? c / startTotal : 0).ToArray(),
                StateChannels = stateChannels,
                NewestChannel = newest,
            };
        }

        public (double P, double[] ReConv, double[] ReValue) SolveExact(int channels, int denseLimit, CancellationToken cancellationToken)
        {
            var m = StateCount;
            var removed = new bool[m];
            var (pAll, vAll) = Solve(removed, denseLimit);
            var reConv = new double[channels];
            var reValue = new double[channels];
            for (var c = 0; c < channels; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var any = false;
                for (var s = 0; s < m; s++)
                {
                    removed[s] = Array.IndexOf(StateChannels[s], c) >= 0;
                    any |= removed[s];
                }
                if (!any)
                {
                    continue;
                }
                var (p, v) = Solve(removed, denseLimit);
                reConv[c] = pAll > 0 ? Math.Clamp(1 - p / pAll, 0, 1) : 0;
                reValue[c] = vAll > 0 ? Math.Clamp(1 - v / vAll, 0, 1) : 0;
            }
            return (pAll, reConv, reValue);
        }

        /// <summary>Conversion probability and expected value from START with the given states sent to NULL.</summary>
        internal (double P, double V) Solve(bool[] removed, int denseLimit)
        {
            var m = StateCount;
            var map = new int[m];
            var n = 0;
            for (var s = 0; s < m; s++)
            {
                map[s] = removed[s] ? -1 : n++;
            }
            var x = new double[n];
            var y = new double[n];
            if (n <= denseLimit)
            {
                SolveDense(map, n, x, y);
            }
            else
            {
                SolveIterative(map, x, y);
            }
            double p = 0, v = 0;
            for (var s = 0; s < m; s++)
            {
                if (map[s] >= 0)
                {
                    p += StartProbabilities[s] * x[map[s]];
                    v += StartProbabilities[s] * y[map[s]];
                }
            }
            return (p, v);
        }

        private void SolveDense(int[] map, int n, double[] x, double[] y)
        {
            // (I − Q) [x y] = [r r∘value], Gaussian elimination with partial pivoting.
            var a = new double[n, n];
            var m = StateCount;
            for (var s = 0; s < m; s++)
            {
                var i = map[s];
                if (i < 0)
                {
                    continue;
                }
                a[i, i] += 1;
                for (var t = RowStart[s]; t < RowStart[s + 1]; t++)
                {
                    var j = map[Targets[t]];
                    if (j >= 0)
                    {
                        a[i, j] -= Probabilities[t];
                    }
                }
                x[i] = ToConversion[s];
                y[i] = ToConversion[s] * MeanValue[s];
            }
            for (var col = 0; col < n; col++)
            {
                var pivot = col;
                for (var r = col + 1; r < n; r++)
                {
                    if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                    {
                        pivot = r;
                    }
                }
                if (pivot != col)
                {
                    for (var k = 0; k < n; k++)
                    {
                        (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
                    }
                    (x[col], x[pivot]) = (x[pivot], x[col]);
                    (y[col], y[pivot]) = (y[pivot], y[col]);
                }
                var d = a[col, col];
                if (d == 0)
                {
                    // A closed recurrent class without exits cannot occur: every state was left at least once.
                    throw new AttributionException("The transition matrix has a state that is never left.");
                }
                for (var r = col + 1; r < n; r++)
                {
                    var f = a[r, col] / d;
                    if (f == 0)
                    {
                        continue;
                    }
                    for (var k = col; k < n; k++)
                    {
                        a[r, k] -= f * a[col, k];
                    }
                    x[r] -= f * x[col];
                    y[r] -= f * y[col];
                }
            }
            for (var r = n - 1; r >= 0; r--)
            {
                double sx = x[r], sy = y[r];
                for (var k = r + 1; k < n; k++)
                {
                    sx -= a[r, k] * x[k];
                    sy -= a[r, k] * y[k];
                }
                x[r] = sx / a[r, r];
                y[r] = sy / a[r, r];
            }
        }

        private void SolveIterative(int[] map, double[] x, double[] y)
        {
            // Gauss–Seidel on x = Q x + r; self-loops are folded into the diagonal. Converges
            // because every state reaches an absorbing state (the chain is absorbing).
            var m = StateCount;
            for (var iteration = 0; iteration < 1_000_000; iteration++)
            {
                var delta = 0.0;
                for (var s = 0; s < m; s++)
                {
                    var i = map[s];
                    if (i < 0)
                    {
                        continue;
                    }
                    double sx = ToConversion[s], sy = ToConversion[s] * MeanValue[s], self = 0;
                    for (var t = RowStart[s]; t < RowStart[s + 1]; t++)
                    {
                        var j = map[Targets[t]];
                        if (j == i)
                        {
                            self += Probabilities[t];
                        }
                        else if (j >= 0)
                        {
                            sx += Probabilities[t] * x[j];
                            sy += Probabilities[t] * y[j];
                        }
                    }
                    sx /= 1 - self;
                    sy /= 1 - self;
                    delta = Math.Max(delta, Math.Max(Math.Abs(sx - x[i]), Math.Abs(sy - y[i]) / Math.Max(1, Math.Abs(sy))));
                    x[i] = sx;
                    y[i] = sy;
                }
                if (delta < 1e-15)
                {
                    return;
                }
            }
            throw new AttributionException("The iterative solution of the Markov chain did not converge.");
        }

        public (double P, double[] ReConv, double[] ReValue) Simulate(int channels, int simulations, int maxSteps, int seed, CancellationToken cancellationToken)
        {
            var m = StateCount;
            var random = new Random(seed);
            var startCdf = Cumulative(StartProbabilities);
            // Per state: cumulative probabilities over [targets…, CONV, NULL].
            var cdf = new double[m][];
            for (var s = 0; s < m; s++)
            {
                var row = new double[RowStart[s + 1] - RowStart[s] + 2];
                var acc = 0.0;
                var k = 0;
                for (var t = RowStart[s]; t < RowStart[s + 1]; t++)
                {
                    row[k++] = acc += Probabilities[t];
                }
                row[k++] = acc += ToConversion[s];
                row[k] = acc + ToNull[s];
                cdf[s] = row;
            }
            var visited = new int[channels];
            var stamp = 0;
            double conversions = 0, value = 0;
            var convWithout = new double[channels];
            var valueWithout = new double[channels];
            for (var sim = 0; sim < simulations; sim++)
            {
                if ((sim & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                stamp++;
                var s = Sample(startCdf, random.NextDouble());
                var converted = false;
                for (var step = 0; step < maxSteps; step++)
                {
                    visited[NewestChannel[s]] = stamp;
                    var row = cdf[s];
                    var k = Sample(row, random.NextDouble() * row[^1]);
                    var width = RowStart[s + 1] - RowStart[s];
                    if (k < width)
                    {
                        s = Targets[RowStart[s] + k];
                        continue;
                    }
                    converted = k == width;
                    break;
                }
                if (!converted)
                {
                    continue;
                }
                conversions++;
                value += MeanValue[s];
                for (var c = 0; c < channels; c++)
                {
                    if (visited[c] != stamp)
                    {
                        convWithout[c]++;
                        valueWithout[c] += MeanValue[s];
                    }
                }
            }
            var reConv = new double[channels];
            var reValue = new double[channels];
            for (var c = 0; c < channels; c++)
            {
                reConv[c] = conversions > 0 ? 1 - convWithout[c] / conversions : 0;
                reValue[c] = value > 0 ? 1 - valueWithout[c] / value : 0;
            }
            return (conversions / simulations, reConv, reValue);
        }

        private static double[] Cumulative(double[] p)
        {
            var c = new double[p.Length];
            var acc = 0.0;
            for (var i = 0; i < p.Length; i++)
            {
                c[i] = acc += p[i];
            }
            return c;
        }

        private static int Sample(double[] cdf, double u)
        {
            int lo = 0, hi = cdf.Length - 1;
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                if (cdf[mid] > u)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }
}
