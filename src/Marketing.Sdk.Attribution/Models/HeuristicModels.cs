namespace Marketing.Sdk.Attribution;

/// <summary>
/// A rule-based model: each journey's conversions and value are split over its touches by fixed
/// weights that sum to 1 (so credits always sum to the totals); a channel touched several times
/// collects the weight of each touch.
/// </summary>
public abstract class HeuristicModel : AttributionModel
{
    /// <summary>Fills <paramref name="weights"/> (same length as <paramref name="steps"/>) with weights that sum to 1.</summary>
    /// <param name="paths">The path set (for channel names).</param>
    /// <param name="steps">The channel index of each touch.</param>
    /// <param name="ages">The age of each touch in hours, or empty when the set has none.</param>
    /// <param name="weights">The weights to fill.</param>
    protected abstract void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights);

    /// <inheritdoc />
    protected override AttributionResult Run(PathSet paths, bool byCampaign, CancellationToken cancellationToken)
    {
        var channels = paths.Channels.Count;
        var conv = new double[channels];
        var value = new double[channels];
        Dictionary<(int, int), (double, double)>? campaigns = byCampaign ? [] : null;
        double[]? buffer = null;
        Span<double> small = stackalloc double[64];
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
            var weights = steps.Length <= small.Length ? small[..steps.Length] : (buffer = buffer is { } b && b.Length >= steps.Length ? b : new double[steps.Length]).AsSpan(0, steps.Length);
            weights.Clear();
            Weigh(paths, steps, paths.GetTouchAges(p), weights);
            for (var i = 0; i < steps.Length; i++)
            {
                var w = weights[i];
                if (w == 0)
                {
                    continue;
                }
                conv[steps[i]] += w * c;
                value[steps[i]] += w * v;
            }
            if (campaigns is not null)
            {
                var camp = paths.GetCampaigns(p);
                for (var i = 0; i < steps.Length; i++)
                {
                    var key = (steps[i], camp[i]);
                    campaigns.TryGetValue(key, out var acc);
                    campaigns[key] = (acc.Item1 + weights[i] * c, acc.Item2 + weights[i] * v);
                }
            }
        }
        return new AttributionResult
        {
            Model = Name,
            Channels = Credits(paths, conv, value),
            Campaigns = campaigns is null
                ? []
                : campaigns.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2)
                    .Select(kv => new CampaignCredit(paths.Channels[kv.Key.Item1], kv.Key.Item2 >= 0 ? paths.Campaigns[kv.Key.Item2] : null, kv.Value.Item1, kv.Value.Item2))
                    .ToList(),
            TotalConversions = paths.TotalConversions,
            TotalValue = paths.TotalValue,
        };
    }
}

/// <summary>All credit to the first touch.</summary>
public sealed class FirstTouchModel : HeuristicModel
{
    /// <inheritdoc />
    public override string Name => "first_touch";

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights) => weights[0] = 1;
}

/// <summary>All credit to the last touch.</summary>
public sealed class LastTouchModel : HeuristicModel
{
    /// <inheritdoc />
    public override string Name => "last_touch";

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights) => weights[^1] = 1;
}

/// <summary>All credit to the last touch that is not direct traffic; to the last touch when every touch is direct.</summary>
/// <param name="direct">The channel treated as direct; <see cref="Channel.Direct"/> by default.</param>
public sealed class LastNonDirectModel(Channel? direct = null) : HeuristicModel
{
    private readonly Channel _direct = direct ?? Channel.Direct;

    /// <inheritdoc />
    public override string Name => "last_non_direct";

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights)
    {
        var direct = paths.IndexOf(_direct);
        for (var i = steps.Length - 1; i >= 0; i--)
        {
            if (steps[i] != direct)
            {
                weights[i] = 1;
                return;
            }
        }
        weights[^1] = 1;
    }
}

/// <summary>Equal credit to every touch (1/n each).</summary>
public sealed class LinearModel : HeuristicModel
{
    /// <inheritdoc />
    public override string Name => "linear";

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights) =>
        weights.Fill(1.0 / steps.Length);
}

/// <summary>
/// Time decay: a touch of age <c>a</c> before the conversion weighs <c>2^(−a / halfLife)</c>,
/// normalised over the journey. With touch ages (hours) in the path set the half-life is
/// <see cref="HalfLife"/>; without them the age of a touch is its number of touches before the
/// last one and the half-life is <see cref="HalfLifeTouches"/>.
/// </summary>
public sealed class TimeDecayModel : HeuristicModel
{
    /// <summary>Creates the model.</summary>
    /// <param name="halfLife">Half-life in time (default 7 days).</param>
    /// <param name="halfLifeTouches">Half-life in touches, used when paths have no ages (default 1).</param>
    public TimeDecayModel(TimeSpan? halfLife = null, double halfLifeTouches = 1)
    {
        HalfLife = halfLife ?? TimeSpan.FromDays(7);
        if (HalfLife <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("halfLife", ValidationReason.OutOfRange, "The half-life is positive.");
        }
        if (!(halfLifeTouches > 0) || !double.IsFinite(halfLifeTouches))
        {
            throw new MarketingValidationException("halfLifeTouches", ValidationReason.OutOfRange, "The half-life is positive.");
        }
        HalfLifeTouches = halfLifeTouches;
    }

    /// <summary>Half-life in time.</summary>
    public TimeSpan HalfLife { get; }

    /// <summary>Half-life in touches (for paths without ages).</summary>
    public double HalfLifeTouches { get; }

    /// <inheritdoc />
    public override string Name => "time_decay";

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights)
    {
        var n = steps.Length;
        var sum = 0.0;
        if (ages.IsEmpty)
        {
            for (var i = 0; i < n; i++)
            {
                sum += weights[i] = Math.Pow(2, -(n - 1 - i) / HalfLifeTouches);
            }
        }
        else
        {
            var hl = HalfLife.TotalHours;
            var min = double.MaxValue;
            foreach (var a in ages)
            {
                min = Math.Min(min, a);
            }
            for (var i = 0; i < n; i++)
            {
                // Shift by the youngest touch so very old journeys do not underflow to zero.
                sum += weights[i] = Math.Pow(2, -(ages[i] - min) / hl);
            }
        }
        for (var i = 0; i < n; i++)
        {
            weights[i] /= sum;
        }
    }
}

/// <summary>
/// Position-based ("U-shaped"): <see cref="First"/> to the first touch, <see cref="Last"/> to the
/// last, the rest spread evenly over the touches between. A two-touch journey splits
/// first : last in proportion; a one-touch journey gives it everything. 40/20/40 is
/// <c>new(0.4, 0.4)</c>, 30/40/30 is <c>new(0.3, 0.3)</c>.
/// </summary>
public sealed class PositionBasedModel : HeuristicModel
{
    /// <summary>Creates the model.</summary>
    /// <param name="first">Share of the first touch (0–1).</param>
    /// <param name="last">Share of the last touch (0–1); first + last ≤ 1.</param>
    public PositionBasedModel(double first = 0.4, double last = 0.4)
    {
        if (!(first >= 0) || !(last >= 0) || first + last > 1 + 1e-12 || first + last <= 0)
        {
            throw new MarketingValidationException("first", ValidationReason.OutOfRange, "First and last shares are in [0, 1], positive together and sum to at most 1.");
        }
        First = first;
        Last = last;
    }

    /// <summary>Share of the first touch.</summary>
    public double First { get; }

    /// <summary>Share of the last touch.</summary>
    public double Last { get; }

    /// <inheritdoc />
    public override string Name => FormattableString.Invariant($"position_based({First:0.##}/{1 - First - Last:0.##}/{Last:0.##})");

    /// <inheritdoc />
    protected override void Weigh(PathSet paths, ReadOnlySpan<int> steps, ReadOnlySpan<double> ages, Span<double> weights)
    {
        var n = steps.Length;
        if (n == 1)
        {
            weights[0] = 1;
            return;
        }
        if (n == 2)
        {
            weights[0] = First / (First + Last);
            weights[1] = Last / (First + Last);
            return;
        }
        var middle = (1 - First - Last) / (n - 2);
        weights.Fill(middle);
        weights[0] = First;
        weights[^1] = Last;
    }
}
