namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>An always-valid result: it may be looked at after every new observation.</summary>
/// <param name="Difference">Treatment − control (rates or means).</param>
/// <param name="LogLikelihoodRatio">ln Λ, the log mixture likelihood ratio against "no difference".</param>
/// <param name="AlwaysValidPValue">The always-valid p-value (running minimum of min(1, 1/Λ) for a monitor).</param>
/// <param name="AlwaysValidInterval">The always-valid confidence interval for the difference (intersection over looks for a monitor).</param>
/// <param name="RejectNull">Whether the p-value is at or below α: stopping now keeps the false-positive rate ≤ α.</param>
public sealed record SequentialTestResult(
    double Difference,
    double LogLikelihoodRatio,
    double AlwaysValidPValue,
    ConfidenceInterval AlwaysValidInterval,
    bool RejectNull);

/// <summary>
/// The mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis &amp; Walsh,
/// "Peeking at A/B Tests" (KDD 2017) / "Always Valid Inference" (Operations Research 2022), with a
/// normal mixing distribution N(0, τ²) over the difference θ and the normal approximation
/// θ̂ ~ N(θ, s²), s² = σ_c²/n_c + σ_t²/n_t:
/// Λ = √(s²/(s²+τ²))·exp(τ²θ̂²/(2s²(s²+τ²))). By Ville's inequality P(∃n: Λ_n ≥ 1/α) ≤ α under the null,
/// so p = min(1, 1/Λ) may be checked daily without inflating false positives. The always-valid interval
/// is θ̂ ± √(s²(s²+τ²)/τ² · (ln((s²+τ²)/s²) − 2 ln α)).
/// </summary>
public static class MixtureSprt
{
    /// <summary>Tests two conversion rates at the current sample.</summary>
    /// <param name="control">Control counts.</param>
    /// <param name="treatment">Treatment counts.</param>
    /// <param name="mixingStandardDeviation">τ: the scale of effects expected (absolute, in rate units), &gt; 0.</param>
    /// <param name="alpha">Significance level, default 0.05.</param>
    public static SequentialTestResult TestProportions(ConversionCounts control, ConversionCounts treatment, double mixingStandardDeviation, double alpha = 0.05)
    {
        control.Validate("control");
        treatment.Validate("treatment");
        double pc = control.Rate, pt = treatment.Rate;
        var s2 = pc * (1 - pc) / control.Units + pt * (1 - pt) / treatment.Units;
        return Compute(pt - pc, s2, mixingStandardDeviation, alpha);
    }

    /// <summary>Tests two means at the current sample.</summary>
    /// <param name="control">Control summary.</param>
    /// <param name="treatment">Treatment summary.</param>
    /// <param name="mixingStandardDeviation">τ: the scale of effects expected, in the metric's units, &gt; 0.</param>
    /// <param name="alpha">Significance level, default 0.05.</param>
    public static SequentialTestResult TestMeans(SampleSummary control, SampleSummary treatment, double mixingStandardDeviation, double alpha = 0.05)
    {
        control.Validate("control");
        treatment.Validate("treatment");
        var s2 = control.Variance / control.Count + treatment.Variance / treatment.Count;
        return Compute(treatment.Mean - control.Mean, s2, mixingStandardDeviation, alpha);
    }

    /// <summary>The test from an estimated difference and its variance.</summary>
    /// <param name="difference">θ̂.</param>
    /// <param name="variance">s², the variance of θ̂ (≥ 0).</param>
    /// <param name="mixingStandardDeviation">τ &gt; 0.</param>
    /// <param name="alpha">Significance level.</param>
    public static SequentialTestResult Compute(double difference, double variance, double mixingStandardDeviation, double alpha = 0.05)
    {
        Guard.Finite(difference, nameof(difference));
        Guard.NotNegative(variance, nameof(variance));
        Guard.Positive(mixingStandardDeviation, nameof(mixingStandardDeviation));
        Guard.OpenUnit(alpha, nameof(alpha));
        var tau2 = mixingStandardDeviation * mixingStandardDeviation;
        if (variance == 0)
        {
            // No sampling noise left: either nothing differs or the groups are separated completely.
            return difference == 0
                ? new SequentialTestResult(0, 0, 1, new ConfidenceInterval(double.NegativeInfinity, double.PositiveInfinity, 1 - alpha), false)
                : new SequentialTestResult(difference, double.PositiveInfinity, 0, new ConfidenceInterval(difference, difference, 1 - alpha), true);
        }
        var total = variance + tau2;
        var logLambda = 0.5 * Math.Log(variance / total) + tau2 * difference * difference / (2 * variance * total);
        var p = Math.Min(1, Math.Exp(-logLambda));
        var half = Math.Sqrt(variance * total / tau2 * (Math.Log(total / variance) - 2 * Math.Log(alpha)));
        return new SequentialTestResult(difference, logLambda, p, new ConfidenceInterval(difference - half, difference + half, 1 - alpha), p <= alpha);
    }
}

/// <summary>
/// Follows one comparison over repeated looks: keeps the running minimum of the always-valid p-value
/// and the running intersection of the always-valid intervals. Not thread-safe.
/// </summary>
public sealed class SequentialMonitor
{
    private readonly double _alpha;
    private readonly double _tau;
    private double _p = 1;
    private double _lower = double.NegativeInfinity;
    private double _upper = double.PositiveInfinity;

    /// <summary>Creates a monitor.</summary>
    /// <param name="mixingStandardDeviation">τ &gt; 0, in the metric's units.</param>
    /// <param name="alpha">Significance level, default 0.05.</param>
    public SequentialMonitor(double mixingStandardDeviation, double alpha = 0.05)
    {
        Guard.Positive(mixingStandardDeviation, nameof(mixingStandardDeviation));
        Guard.OpenUnit(alpha, nameof(alpha));
        _tau = mixingStandardDeviation;
        _alpha = alpha;
    }

    /// <summary>Number of looks so far.</summary>
    public int Looks { get; private set; }

    /// <summary>Takes a look at cumulative conversion counts.</summary>
    /// <param name="control">Cumulative control counts.</param>
    /// <param name="treatment">Cumulative treatment counts.</param>
    public SequentialTestResult Observe(ConversionCounts control, ConversionCounts treatment) =>
        Fold(MixtureSprt.TestProportions(control, treatment, _tau, _alpha));

    /// <summary>Takes a look at cumulative summaries of a continuous metric.</summary>
    /// <param name="control">Cumulative control summary.</param>
    /// <param name="treatment">Cumulative treatment summary.</param>
    public SequentialTestResult ObserveMeans(SampleSummary control, SampleSummary treatment) =>
        Fold(MixtureSprt.TestMeans(control, treatment, _tau, _alpha));

    private SequentialTestResult Fold(SequentialTestResult now)
    {
        Looks++;
        _p = Math.Min(_p, now.AlwaysValidPValue);
        _lower = Math.Max(_lower, now.AlwaysValidInterval.Lower);
        _upper = Math.Min(_upper, now.AlwaysValidInterval.Upper);
        if (_lower > _upper)
        {
            // Intervals can only fail to intersect with probability ≤ α; report the latest one then.
            _lower = now.AlwaysValidInterval.Lower;
            _upper = now.AlwaysValidInterval.Upper;
        }
        return now with { AlwaysValidPValue = _p, AlwaysValidInterval = new ConfidenceInterval(_lower, _upper, 1 - _alpha), RejectNull = _p <= _alpha };
    }
}
