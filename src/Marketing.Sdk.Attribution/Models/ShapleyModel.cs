namespace Marketing.Sdk.Attribution;

/// <summary>How a <see cref="ShapleyModel"/> computes the values.</summary>
public enum ShapleyMethod
{
    /// <summary>The classic formula over every coalition of channels (2^n coalitions; up to <see cref="ShapleyOptions.MaxExactChannels"/> channels).</summary>
    Exact = 0,
    /// <summary>The simplified formula of Zhao et al. (2018), φ_j = Σ_{S ∋ j} R(S) / |S|: exact for the <see cref="ShapleyValueFunction.Conversions"/> game, linear in the number of distinct channel sets.</summary>
    Simplified,
    /// <summary>The ordered Shapley value of Zhao et al. (2018): the simplified value split further over the touch positions at which the channel occurs.</summary>
    Ordered,
    /// <summary>Monte-Carlo over random channel orders (seeded), with a confidence bound per channel; for more channels than exact enumeration allows.</summary>
    Sampled,
}

/// <summary>The characteristic function of the coalition game.</summary>
public enum ShapleyValueFunction
{
    /// <summary>v(S) = conversions (or value) of journeys whose channel set is a subset of S. Additive over channel sets, so the simplified formula is exact.</summary>
    Conversions = 0,
    /// <summary>
    /// v(S) = conversion rate of journeys whose channel set is a subset of S (conversions over
    /// converting plus non-converting journeys); the values are scaled so they add up to the total
    /// conversions (or value).
    /// </summary>
    ConversionRate,
}

/// <summary>Settings of a <see cref="ShapleyModel"/>.</summary>
public sealed record ShapleyOptions
{
    /// <summary>The method. Default <see cref="ShapleyMethod.Exact"/>.</summary>
    public ShapleyMethod Method { get; init; } = ShapleyMethod.Exact;

    /// <summary>The characteristic function. Default <see cref="ShapleyValueFunction.Conversions"/>.</summary>
    public ShapleyValueFunction ValueFunction { get; init; } = ShapleyValueFunction.Conversions;

    /// <summary>Largest channel count for <see cref="ShapleyMethod.Exact"/>. Default 20 (about a million coalitions).</summary>
    public int MaxExactChannels { get; init; } = 20;

    /// <summary>Random channel orders drawn by <see cref="ShapleyMethod.Sampled"/>. Default 2 000.</summary>
    public int Samples { get; init; } = 2_000;

    /// <summary>Confidence level of the sampled bound. Default 0.95.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Random seed of <see cref="ShapleyMethod.Sampled"/>. Default 0.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Shapley-value attribution: channels are players, and a coalition's worth is what the journeys
/// made only of its channels produced. Every method satisfies efficiency (credits add up to the
/// total), symmetry and the null-player axiom; the sampled method does so for each sampled order.
/// </summary>
public sealed class ShapleyModel : AttributionModel
{
    private readonly ShapleyOptions _options;

    /// <summary>Creates the model.</summary>
    /// <param name="options">Settings; defaults (exact, conversions game) when null.</param>
    public ShapleyModel(ShapleyOptions? options = null)
    {
        _options = options ?? new ShapleyOptions();
        if (_options.MaxExactChannels is < 1 or > 26)
        {
            throw new MarketingValidationException("maxExactChannels", ValidationReason.OutOfRange, "Between 1 and 26 channels.");
        }
        if (_options.Samples < 2)
        {
            throw new MarketingValidationException("samples", ValidationReason.OutOfRange, "At least two samples.");
        }
        if (!(_options.ConfidenceLevel is > 0 and < 1))
        {
            throw new MarketingValidationException("confidenceLevel", ValidationReason.OutOfRange, "Strictly between 0 and 1.");
        }
        if (_options.ValueFunction == ShapleyValueFunction.ConversionRate && _options.Method is ShapleyMethod.Simplified or ShapleyMethod.Ordered)
        {
            throw new MarketingValidationException("method", ValidationReason.Inconsistent,
                "The simplified and ordered formulas hold only for the additive conversions game.");
        }
    }

    /// <inheritdoc />
    public override string Name => _options.Method switch
    {
        ShapleyMethod.Exact => "shapley",
        ShapleyMethod.Simplified => "shapley(simplified)",
        ShapleyMethod.Ordered => "shapley(ordered)",
        _ => "shapley(sampled)",
    } + (_options.ValueFunction == ShapleyValueFunction.ConversionRate ? "[rate]" : string.Empty);

    /// <inheritdoc />
    protected override AttributionResult Run(PathSet paths, bool byCampaign, CancellationToken cancellationToken)
    {
        var n = paths.Channels.Count;
        var conv = new double[n];
        var value = new double[n];
        double[]? convMargin = null, valueMargin = null;
        IReadOnlyList<PositionCredit> positions = [];
        switch (_options.Method)
        {
            case ShapleyMethod.Simplified:
                Simplified(paths, conv, value, cancellationToken);
                break;
            case ShapleyMethod.Ordered:
                positions = Ordered(paths, conv, value, cancellationToken);
                break;
            case ShapleyMethod.Exact:
                if (n > _options.MaxExactChannels)
                {
                    throw new AttributionException(FormattableString.Invariant(
                        $"Exact Shapley values are limited to {_options.MaxExactChannels} channels; the paths have {n}. Use the simplified or sampled method."));
                }
                var games = Coalitions.Build(paths, cancellationToken);
                Exact(games, n, conv, value);
                break;
            default:
                if (n > 64)
                {
                    throw new AttributionException("Sampled Shapley values are limited to 64 channels.");
                }
                convMargin = new double[n];
                valueMargin = new double[n];
                Sampled(Coalitions.Build(paths, cancellationToken), n, conv, value, convMargin, valueMargin, cancellationToken);
                break;
        }
        if (_options.ValueFunction == ShapleyValueFunction.ConversionRate)
        {
            Rescale(conv, paths.TotalConversions, convMargin);
            Rescale(value, paths.TotalValue, valueMargin);
        }
        var credits = new ChannelCredit[n];
        for (var c = 0; c < n; c++)
        {
            credits[c] = new ChannelCredit(paths.Channels[c], conv[c], value[c])
            {
                ConversionsMargin = convMargin?[c],
                ValueMargin = valueMargin?[c],
            };
        }
        return new AttributionResult
        {
            Model = Name,
            Channels = credits,
            Campaigns = byCampaign ? SplitByCampaign(paths, credits) : [],
            Positions = positions,
            TotalConversions = paths.TotalConversions,
            TotalValue = paths.TotalValue,
        };
    }

    private static void Rescale(double[] phi, double total, double[]? margin)
    {
        var sum = phi.Sum();
        var f = sum > 0 ? total / sum : 0;
        for (var i = 0; i < phi.Length; i++)
        {
            phi[i] *= f;
            if (margin is not null)
            {
                margin[i] *= f;
            }
        }
    }

    private static void Simplified(PathSet paths, double[] conv, double[] value, CancellationToken cancellationToken)
    {
        var distinct = new int[paths.Channels.Count];
        var seen = new int[paths.Channels.Count];
        for (var p = 0; p < paths.Count; p++)
        {
            if ((p & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var c = paths.GetConversions(p);
            var v = paths.GetValue(p);
            if (c == 0 && v == 0)
            {
                continue;
            }
            var k = 0;
            foreach (var s in paths.GetSteps(p))
            {
                if (seen[s] != p + 1)
                {
                    seen[s] = p + 1;
                    distinct[k++] = s;
                }
            }
            for (var i = 0; i < k; i++)
            {
                conv[distinct[i]] += c / k;
                value[distinct[i]] += v / k;
            }
        }
    }

    private static List<PositionCredit> Ordered(PathSet paths, double[] conv, double[] value, CancellationToken cancellationToken)
    {
        var n = paths.Channels.Count;
        var occurrences = new int[n];
        var seen = new int[n];
        var byPosition = new Dictionary<(int Channel, int Position), (double Conv, double Value)>();
        for (var p = 0; p < paths.Count; p++)
        {
            if ((p & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var c = paths.GetConversions(p);
            var v = paths.GetValue(p);
            if (c == 0 && v == 0)
            {
                continue;
            }
            var steps = paths.GetSteps(p);
            var k = 0;
            foreach (var s in steps)
            {
                if (seen[s] != p + 1)
                {
                    seen[s] = p + 1;
                    occurrences[s] = 0;
                    k++;
                }
                occurrences[s]++;
            }
            for (var i = 0; i < steps.Length; i++)
            {
                var s = steps[i];
                var share = 1.0 / (k * occurrences[s]);
                conv[s] += c * share;
                value[s] += v * share;
                var key = (s, i + 1);
                byPosition.TryGetValue(key, out var acc);
                byPosition[key] = (acc.Conv + c * share, acc.Value + v * share);
            }
        }
        return byPosition.OrderBy(kv => kv.Key.Channel).ThenBy(kv => kv.Key.Position)
            .Select(kv => new PositionCredit(paths.Channels[kv.Key.Channel], kv.Key.Position, kv.Value.Conv, kv.Value.Value))
            .ToList();
    }

    private void Exact(Coalitions games, int n, double[] conv, double[] value)
    {
        var size = 1 << n;
        var vc = new double[size];
        var vv = new double[size];
        var vj = _options.ValueFunction == ShapleyValueFunction.ConversionRate ? new double[size] : null;
        for (var i = 0; i < games.Masks.Length; i++)
        {
            var m = (int)games.Masks[i];
            vc[m] += games.Conversions[i];
            vv[m] += games.Values[i];
            if (vj is not null)
            {
                vj[m] += games.Journeys[i];
            }
        }
        // Zeta transform: v(S) = Σ_{T ⊆ S} R(T).
        for (var bit = 0; bit < n; bit++)
        {
            var b = 1 << bit;
            for (var s = 0; s < size; s++)
            {
                if ((s & b) != 0)
                {
                    vc[s] += vc[s ^ b];
                    vv[s] += vv[s ^ b];
                    if (vj is not null)
                    {
                        vj[s] += vj[s ^ b];
                    }
                }
            }
        }
        if (vj is not null)
        {
            for (var s = 0; s < size; s++)
            {
                vc[s] = vj[s] > 0 ? vc[s] / vj[s] : 0;
                vv[s] = vj[s] > 0 ? vv[s] / vj[s] : 0;
            }
        }
        // Shapley weights w(k) = k!(n−k−1)!/n! by coalition size k of S (j ∉ S).
        var weight = new double[n];
        for (var k = 0; k < n; k++)
        {
            weight[k] = 1.0 / (n * Binomial(n - 1, k));
        }
        for (var s = 0; s < size; s++)
        {
            var k = System.Numerics.BitOperations.PopCount((uint)s);
            if (k == n)
            {
                continue;
            }
            var w = weight[k];
            for (var j = 0; j < n; j++)
            {
                var b = 1 << j;
                if ((s & b) == 0)
                {
                    conv[j] += w * (vc[s | b] - vc[s]);
                    value[j] += w * (vv[s | b] - vv[s]);
                }
            }
        }
    }

    private void Sampled(Coalitions games, int n, double[] conv, double[] value, double[] convMargin, double[] valueMargin, CancellationToken cancellationToken)
    {
        var random = new Random(_options.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        var position = new int[n];
        var rate = _options.ValueFunction == ShapleyValueFunction.ConversionRate;
        // For each order, a coalition T joins the growing prefix when its last member (in that order) does.
        var joinedConv = new double[n];
        var joinedValue = new double[n];
        var joinedJourneys = new double[n];
        var sumC = new double[n];
        var sumC2 = new double[n];
        var sumV = new double[n];
        var sumV2 = new double[n];
        var samples = _options.Samples;
        for (var t = 0; t < samples; t++)
        {
            if ((t & 0xFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            random.Shuffle(order);
            for (var i = 0; i < n; i++)
            {
                position[order[i]] = i;
            }
            Array.Clear(joinedConv);
            Array.Clear(joinedValue);
            Array.Clear(joinedJourneys);
            for (var g = 0; g < games.Masks.Length; g++)
            {
                var mask = games.Masks[g];
                var last = -1;
                while (mask != 0)
                {
                    var j = System.Numerics.BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    last = Math.Max(last, position[j]);
                }
                joinedConv[last] += games.Conversions[g];
                joinedValue[last] += games.Values[g];
                joinedJourneys[last] += games.Journeys[g];
            }
            double accC = 0, accV = 0, accJ = 0, prevC = 0, prevV = 0;
            for (var i = 0; i < n; i++)
            {
                accC += joinedConv[i];
                accV += joinedValue[i];
                accJ += joinedJourneys[i];
                var curC = rate ? (accJ > 0 ? accC / accJ : 0) : accC;
                var curV = rate ? (accJ > 0 ? accV / accJ : 0) : accV;
                var j = order[i];
                var mc = curC - prevC;
                var mv = curV - prevV;
                sumC[j] += mc;
                sumC2[j] += mc * mc;
                sumV[j] += mv;
                sumV2[j] += mv * mv;
                prevC = curC;
                prevV = curV;
            }
        }
        var z = NormalQuantile(0.5 + _options.ConfidenceLevel / 2);
        for (var j = 0; j < n; j++)
        {
            conv[j] = sumC[j] / samples;
            value[j] = sumV[j] / samples;
            var varC = Math.Max(0, (sumC2[j] - samples * conv[j] * conv[j]) / (samples - 1));
            var varV = Math.Max(0, (sumV2[j] - samples * value[j] * value[j]) / (samples - 1));
            convMargin[j] = z * Math.Sqrt(varC / samples);
            valueMargin[j] = z * Math.Sqrt(varV / samples);
        }
    }

    private static double Binomial(int n, int k)
    {
        var r = 1.0;
        for (var i = 1; i <= k; i++)
        {
            r = r * (n - k + i) / i;
        }
        return r;
    }

    /// <summary>Inverse of the standard normal distribution function (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    internal static double NormalQuantile(double p)
    {
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        var r = p - 0.5;
        var s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }

    /// <summary>Journeys grouped by their channel set (bit mask).</summary>
    internal sealed class Coalitions
    {
        public required ulong[] Masks { get; init; }
        public required double[] Conversions { get; init; }
        public required double[] Values { get; init; }
        public required double[] Journeys { get; init; }

        public static Coalitions Build(PathSet paths, CancellationToken cancellationToken)
        {
            if (paths.Channels.Count > 64)
            {
                throw new AttributionException("Coalition games are limited to 64 channels.");
            }
            var index = new Dictionary<ulong, int>();
            var masks = new List<ulong>();
            var conv = new List<double>();
            var value = new List<double>();
            var journeys = new List<double>();
            for (var p = 0; p < paths.Count; p++)
            {
                if ((p & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                ulong mask = 0;
                foreach (var s in paths.GetSteps(p))
                {
                    mask |= 1UL << s;
                }
                if (!index.TryGetValue(mask, out var i))
                {
                    i = masks.Count;
                    index.Add(mask, i);
                    masks.Add(mask);
                    conv.Add(0);
                    value.Add(0);
                    journeys.Add(0);
                }
                conv[i] += paths.GetConversions(p);
                value[i] += paths.GetValue(p);
                journeys[i] += paths.GetConversions(p) + paths.GetNulls(p);
            }
            return new Coalitions { Masks = [.. masks], Conversions = [.. conv], Values = [.. value], Journeys = [.. journeys] };
        }
    }
}
