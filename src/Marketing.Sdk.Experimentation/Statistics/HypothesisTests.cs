namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>How the standard error of a difference of proportions is estimated for the z statistic.</summary>
public enum ProportionVariance
{
    /// <summary>From the pooled rate (statsmodels <c>proportions_ztest</c> default): exact under the null.</summary>
    Pooled,
    /// <summary>From each group's own rate (Wald).</summary>
    Unpooled,
}

/// <summary>Confidence interval for a difference of proportions.</summary>
public enum DifferenceIntervalMethod
{
    /// <summary>Newcombe's hybrid score interval from two Wilson intervals (Newcombe 1998, method 10; statsmodels <c>newcomb</c>); well-behaved at 0 % and 100 %.</summary>
    Newcombe,
    /// <summary>The Wald interval d ± z·se (unpooled standard error).</summary>
    Wald,
}

/// <summary>Result of a two-proportion z-test (treatment minus control).</summary>
/// <param name="ControlRate">Control conversion rate.</param>
/// <param name="TreatmentRate">Treatment conversion rate.</param>
/// <param name="Difference">Treatment rate − control rate.</param>
/// <param name="ZStatistic">The z statistic.</param>
/// <param name="PValue">The p-value for <paramref name="Alternative"/>.</param>
/// <param name="DifferenceInterval">Two-sided confidence interval for the difference.</param>
/// <param name="RelativeLift">Treatment / control − 1, or <see langword="null"/> when the control rate is 0.</param>
/// <param name="RelativeLiftInterval">Two-sided interval for the lift (Katz log method), or <see langword="null"/> when either group has no conversions.</param>
/// <param name="Variance">How the standard error was estimated.</param>
/// <param name="Alternative">The alternative hypothesis.</param>
public sealed record ProportionTestResult(
    double ControlRate,
    double TreatmentRate,
    double Difference,
    double ZStatistic,
    double PValue,
    ConfidenceInterval DifferenceInterval,
    double? RelativeLift,
    ConfidenceInterval? RelativeLiftInterval,
    ProportionVariance Variance,
    Alternative Alternative);

/// <summary>The standard error of a one-sample proportion z-test.</summary>
public enum OneSampleProportionVariance
{
    /// <summary>From the observed rate, √(p̂(1−p̂)/n) (Wald; statsmodels <c>proportions_ztest(count, nobs, value)</c> default).</summary>
    Observed,
    /// <summary>From the hypothesised rate, √(p₀(1−p₀)/n) (score test; statsmodels <c>proportions_ztest(..., prop_var=value)</c>).</summary>
    Hypothesized,
}

/// <summary>Result of a one-sample proportion z-test (observed rate against a hypothesised rate).</summary>
/// <param name="Rate">The observed rate p̂ = conversions / units.</param>
/// <param name="HypothesizedRate">The rate under the null, p₀.</param>
/// <param name="Difference">p̂ − p₀.</param>
/// <param name="ZStatistic">The z statistic.</param>
/// <param name="PValue">The p-value for <paramref name="Alternative"/> (<see cref="Alternative.Greater"/>: the rate is above p₀).</param>
/// <param name="RateInterval">Two-sided Wilson interval for the rate.</param>
/// <param name="Variance">How the standard error was estimated.</param>
/// <param name="Alternative">The alternative hypothesis.</param>
public sealed record OneSampleProportionTestResult(
    double Rate,
    double HypothesizedRate,
    double Difference,
    double ZStatistic,
    double PValue,
    ConfidenceInterval RateInterval,
    OneSampleProportionVariance Variance,
    Alternative Alternative);

/// <summary>Two-proportion z-test for conversion rates.</summary>
public static class ProportionTest
{
    /// <summary>
    /// Tests treatment against control. z = (p_t − p_c)/se with se from the pooled rate
    /// √(p̄(1−p̄)(1/n_c + 1/n_t)) or unpooled √(p_c(1−p_c)/n_c + p_t(1−p_t)/n_t). When se = 0
    /// (both groups at 0 % or both at 100 %) the statistic is 0 and p = 1.
    /// </summary>
    /// <param name="control">Control counts.</param>
    /// <param name="treatment">Treatment counts.</param>
    /// <param name="variance">Pooled (default) or unpooled standard error.</param>
    /// <param name="alternative">Two-sided (default) or one-sided.</param>
    /// <param name="confidenceLevel">Level of the intervals, default 0.95.</param>
    /// <param name="intervalMethod">Interval for the difference; default Newcombe.</param>
    /// <exception cref="MarketingValidationException">Negative counts, conversions above units, or no units.</exception>
    public static ProportionTestResult TwoSample(
        ConversionCounts control,
        ConversionCounts treatment,
        ProportionVariance variance = ProportionVariance.Pooled,
        Alternative alternative = Alternative.TwoSided,
        double confidenceLevel = 0.95,
        DifferenceIntervalMethod intervalMethod = DifferenceIntervalMethod.Newcombe)
    {
        control.Validate("control");
        treatment.Validate("treatment");
        Guard.OpenUnit(confidenceLevel, nameof(confidenceLevel));
        double nc = control.Units, nt = treatment.Units;
        double pc = control.Rate, pt = treatment.Rate;
        var diff = pt - pc;
        double se;
        if (variance == ProportionVariance.Pooled)
        {
            var pooled = (double)(control.Conversions + treatment.Conversions) / (nc + nt);
            se = Math.Sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt));
        }
        else
        {
            se = Math.Sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt);
        }
        var z = se > 0 ? diff / se : diff == 0 ? 0 : Math.CopySign(double.PositiveInfinity, diff);
        var p = PValues.FromStatistic(z, alternative, Normal.UpperTail);
        var zc = -Normal.Quantile((1 - confidenceLevel) / 2);
        var interval = intervalMethod == DifferenceIntervalMethod.Wald
            ? Wald(diff, pc, nc, pt, nt, zc, confidenceLevel)
            : Newcombe(control, treatment, zc, confidenceLevel);
        double? lift = pc > 0 ? pt / pc - 1 : null;
        ConfidenceInterval? liftInterval = null;
        if (control.Conversions > 0 && treatment.Conversions > 0)
        {
            var logSe = Math.Sqrt(1.0 / treatment.Conversions - 1 / nt + 1.0 / control.Conversions - 1 / nc);
            var ratio = pt / pc;
            liftInterval = new ConfidenceInterval(ratio * Math.Exp(-zc * logSe) - 1, ratio * Math.Exp(zc * logSe) - 1, confidenceLevel);
        }
        return new ProportionTestResult(pc, pt, diff, z, p, interval, lift, liftInterval, variance, alternative);
    }

    /// <summary>
    /// Tests one observed rate against a hypothesised rate p₀ (e.g. a conversion rate against a
    /// benchmark): z = (p̂ − p₀)/se with se from the observed rate (default, as statsmodels
    /// <c>proportions_ztest(count, nobs, value)</c>) or from p₀ (score test). When se = 0 (p̂ at 0 %
    /// or 100 % with the observed variance) the statistic is ±∞ unless p̂ = p₀, and then 0 with p = 1.
    /// </summary>
    /// <param name="counts">Units and conversions.</param>
    /// <param name="hypothesizedRate">p₀ in (0, 1).</param>
    /// <param name="variance">Observed (default) or hypothesised-rate standard error.</param>
    /// <param name="alternative">Two-sided (default) or one-sided.</param>
    /// <param name="confidenceLevel">Level of the Wilson interval, default 0.95.</param>
    /// <exception cref="MarketingValidationException">Negative counts, conversions above units, no units, or p₀ outside (0, 1).</exception>
    public static OneSampleProportionTestResult OneSample(
        ConversionCounts counts,
        double hypothesizedRate,
        OneSampleProportionVariance variance = OneSampleProportionVariance.Observed,
        Alternative alternative = Alternative.TwoSided,
        double confidenceLevel = 0.95)
    {
        counts.Validate(nameof(counts));
        Guard.OpenUnit(hypothesizedRate, nameof(hypothesizedRate));
        Guard.OpenUnit(confidenceLevel, nameof(confidenceLevel));
        double n = counts.Units;
        var rate = counts.Rate;
        var diff = rate - hypothesizedRate;
        var p = variance == OneSampleProportionVariance.Observed ? rate : hypothesizedRate;
        var se = Math.Sqrt(p * (1 - p) / n);
        var z = se > 0 ? diff / se : diff == 0 ? 0 : Math.CopySign(double.PositiveInfinity, diff);
        var pValue = PValues.FromStatistic(z, alternative, Normal.UpperTail);
        return new OneSampleProportionTestResult(rate, hypothesizedRate, diff, z, pValue, Wilson(counts, confidenceLevel), variance, alternative);
    }

    /// <summary>The Wilson score interval for one proportion.</summary>
    /// <param name="counts">Units and conversions.</param>
    /// <param name="confidenceLevel">Coverage, default 0.95.</param>
    public static ConfidenceInterval Wilson(ConversionCounts counts, double confidenceLevel = 0.95)
    {
        counts.Validate("counts");
        Guard.OpenUnit(confidenceLevel, nameof(confidenceLevel));
        var z = -Normal.Quantile((1 - confidenceLevel) / 2);
        var (lo, hi) = WilsonBounds(counts, z);
        return new ConfidenceInterval(lo, hi, confidenceLevel);
    }

    private static (double Lower, double Upper) WilsonBounds(ConversionCounts c, double z)
    {
        double n = c.Units;
        var p = c.Rate;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var center = (p + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }

    private static ConfidenceInterval Wald(double diff, double pc, double nc, double pt, double nt, double z, double level)
    {
        var se = Math.Sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt);
        return new ConfidenceInterval(diff - z * se, diff + z * se, level);
    }

    private static ConfidenceInterval Newcombe(ConversionCounts control, ConversionCounts treatment, double z, double level)
    {
        var (lc, uc) = WilsonBounds(control, z);
        var (lt, ut) = WilsonBounds(treatment, z);
        double pc = control.Rate, pt = treatment.Rate;
        var diff = pt - pc;
        var lower = diff - Math.Sqrt((pt - lt) * (pt - lt) + (uc - pc) * (uc - pc));
        var upper = diff + Math.Sqrt((ut - pt) * (ut - pt) + (pc - lc) * (pc - lc));
        return new ConfidenceInterval(lower, upper, level);
    }
}

/// <summary>Result of Welch's unequal-variance t-test (treatment minus control).</summary>
/// <param name="ControlMean">Control mean.</param>
/// <param name="TreatmentMean">Treatment mean.</param>
/// <param name="Difference">Treatment mean − control mean.</param>
/// <param name="TStatistic">The t statistic.</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite degrees of freedom.</param>
/// <param name="PValue">The p-value for <paramref name="Alternative"/>.</param>
/// <param name="DifferenceInterval">Two-sided t interval for the difference.</param>
/// <param name="RelativeLift">Treatment / control − 1, or <see langword="null"/> when the control mean is 0.</param>
/// <param name="RelativeLiftInterval">Delta-method normal interval for the lift, or <see langword="null"/> when the control mean is 0.</param>
/// <param name="Alternative">The alternative hypothesis.</param>
public sealed record WelchTestResult(
    double ControlMean,
    double TreatmentMean,
    double Difference,
    double TStatistic,
    double DegreesOfFreedom,
    double PValue,
    ConfidenceInterval DifferenceInterval,
    double? RelativeLift,
    ConfidenceInterval? RelativeLiftInterval,
    Alternative Alternative);

/// <summary>Welch's t-test for a continuous metric such as revenue per user.</summary>
public static class WelchTest
{
    /// <summary>
    /// t = (m_t − m_c)/√(v_c/n_c + v_t/n_t), ν = (v_c/n_c + v_t/n_t)² / ((v_c/n_c)²/(n_c−1) + (v_t/n_t)²/(n_t−1)),
    /// p from Student's t with ν degrees of freedom (scipy <c>ttest_ind(equal_var=False)</c>).
    /// </summary>
    /// <param name="control">Control summary (count ≥ 2).</param>
    /// <param name="treatment">Treatment summary (count ≥ 2).</param>
    /// <param name="alternative">Two-sided (default) or one-sided.</param>
    /// <param name="confidenceLevel">Interval level, default 0.95.</param>
    /// <exception cref="MarketingValidationException">Fewer than two units, negative variance or non-finite input.</exception>
    public static WelchTestResult Compute(SampleSummary control, SampleSummary treatment, Alternative alternative = Alternative.TwoSided, double confidenceLevel = 0.95)
    {
        control.Validate("control");
        treatment.Validate("treatment");
        Guard.OpenUnit(confidenceLevel, nameof(confidenceLevel));
        var ac = control.Variance / control.Count;
        var at = treatment.Variance / treatment.Count;
        var se2 = ac + at;
        var se = Math.Sqrt(se2);
        var diff = treatment.Mean - control.Mean;
        double df, t, p;
        if (se2 > 0)
        {
            df = se2 * se2 / (ac * ac / (control.Count - 1) + at * at / (treatment.Count - 1));
            t = diff / se;
            p = PValues.FromStatistic(t, alternative, x => StudentT.UpperTail(x, df));
        }
        else
        {
            df = control.Count + treatment.Count - 2;
            t = diff == 0 ? 0 : Math.CopySign(double.PositiveInfinity, diff);
            p = PValues.FromStatistic(t, alternative, x => x == 0 ? 0.5 : x > 0 ? 0 : 1);
        }
        var tc = StudentT.Quantile(1 - (1 - confidenceLevel) / 2, df);
        var interval = new ConfidenceInterval(diff - tc * se, diff + tc * se, confidenceLevel);
        double? lift = null;
        ConfidenceInterval? liftInterval = null;
        if (control.Mean != 0)
        {
            var ratio = treatment.Mean / control.Mean;
            lift = ratio - 1;
            var m2 = control.Mean * control.Mean;
            var liftSe = Math.Sqrt(at / m2 + treatment.Mean * treatment.Mean * ac / (m2 * m2));
            var z = -Normal.Quantile((1 - confidenceLevel) / 2);
            liftInterval = new ConfidenceInterval(lift.Value - z * liftSe, lift.Value + z * liftSe, confidenceLevel);
        }
        return new WelchTestResult(control.Mean, treatment.Mean, diff, t, df, p, interval, lift, liftInterval, alternative);
    }
}

/// <summary>Result of a sample-ratio-mismatch check.</summary>
/// <param name="ChiSquare">Pearson's χ² statistic.</param>
/// <param name="DegreesOfFreedom">Number of groups − 1.</param>
/// <param name="PValue">P(χ² ≥ statistic).</param>
/// <param name="IsMismatch">Whether <paramref name="PValue"/> is below the threshold.</param>
/// <param name="ExpectedCounts">Counts expected from the weights.</param>
public sealed record SampleRatioResult(double ChiSquare, int DegreesOfFreedom, double PValue, bool IsMismatch, IReadOnlyList<double> ExpectedCounts);

/// <summary>Chi-square goodness-of-fit test of observed group sizes against the designed split.</summary>
public static class SampleRatioTest
{
    /// <summary>χ² = Σ (O − E)²/E with E = N·wᵢ/Σw and k − 1 degrees of freedom (scipy <c>chisquare</c>).</summary>
    /// <param name="observed">Units per group.</param>
    /// <param name="weights">Designed weights per group (normalised).</param>
    /// <param name="threshold">p-value below which a mismatch is flagged; default 0.001.</param>
    /// <exception cref="MarketingValidationException">Empty or mismatched lists, negative counts or weights, or no units.</exception>
    public static SampleRatioResult Check(IReadOnlyList<long> observed, IReadOnlyList<double> weights, double threshold = 0.001)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(weights);
        Guard.OpenUnit(threshold, nameof(threshold));
        if (observed.Count < 2)
        {
            throw new MarketingValidationException("observed", ValidationReason.Missing, "At least two groups are needed.");
        }
        if (weights.Count != observed.Count)
        {
            throw new MarketingValidationException("weights", ValidationReason.Inconsistent, "Give one weight per group.");
        }
        double total = 0, weightSum = 0;
        for (var i = 0; i < observed.Count; i++)
        {
            Guard.NotNegative(observed[i], $"observed[{i}]");
            Guard.Positive(weights[i], $"weights[{i}]");
            total += observed[i];
            weightSum += weights[i];
        }
        if (total == 0)
        {
            throw new MarketingValidationException("observed", ValidationReason.OutOfRange, "At least one unit is needed.");
        }
        var expected = new double[observed.Count];
        double chi = 0;
        for (var i = 0; i < observed.Count; i++)
        {
            expected[i] = total * weights[i] / weightSum;
            var d = observed[i] - expected[i];
            chi += d * d / expected[i];
        }
        var df = observed.Count - 1;
        var p = ChiSquare.UpperTail(chi, df);
        return new SampleRatioResult(chi, df, p, p < threshold, expected);
    }
}

/// <summary>Multiple-comparison corrections.</summary>
public enum CorrectionMethod
{
    /// <summary>No correction.</summary>
    None,
    /// <summary>Bonferroni: p·m (family-wise error).</summary>
    Bonferroni,
    /// <summary>Holm's step-down (family-wise error, uniformly more powerful than Bonferroni).</summary>
    Holm,
    /// <summary>Benjamini–Hochberg step-up (false discovery rate).</summary>
    BenjaminiHochberg,
}

/// <summary>Adjusted p-values (as R's <c>p.adjust</c> and statsmodels <c>multipletests</c> return them).</summary>
public static class MultipleComparisons
{
    /// <summary>Adjusts p-values; the result is in the input order.</summary>
    /// <param name="pValues">Raw p-values in [0, 1].</param>
    /// <param name="method">The correction.</param>
    /// <exception cref="MarketingValidationException">A p-value outside [0, 1].</exception>
    public static double[] Adjust(IReadOnlyList<double> pValues, CorrectionMethod method)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        for (var i = 0; i < pValues.Count; i++)
        {
            Guard.ClosedUnit(pValues[i], $"pValues[{i}]");
        }
        var m = pValues.Count;
        var adjusted = new double[m];
        if (m == 0)
        {
            return adjusted;
        }
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ThenBy(i => i).ToArray();
        switch (method)
        {
            case CorrectionMethod.None:
                for (var i = 0; i < m; i++)
                {
                    adjusted[i] = pValues[i];
                }
                break;
            case CorrectionMethod.Bonferroni:
                for (var i = 0; i < m; i++)
                {
                    adjusted[i] = Math.Min(1, pValues[i] * m);
                }
                break;
            case CorrectionMethod.Holm:
                {
                    double running = 0;
                    for (var rank = 0; rank < m; rank++)
                    {
                        var i = order[rank];
                        running = Math.Max(running, Math.Min(1, (m - rank) * pValues[i]));
                        adjusted[i] = running;
                    }
                    break;
                }
            case CorrectionMethod.BenjaminiHochberg:
                {
                    double running = 1;
                    for (var rank = m - 1; rank >= 0; rank--)
                    {
                        var i = order[rank];
                        running = Math.Min(running, Math.Min(1, pValues[i] * m / (rank + 1)));
                        adjusted[i] = running;
                    }
                    break;
                }
            default:
                throw new MarketingValidationException("method", ValidationReason.OutOfRange, "Unknown correction method.");
        }
        return adjusted;
    }

    /// <summary>Holm-adjusted p-values.</summary>
    /// <param name="pValues">Raw p-values.</param>
    public static double[] Holm(IReadOnlyList<double> pValues) => Adjust(pValues, CorrectionMethod.Holm);

    /// <summary>Benjamini–Hochberg-adjusted p-values.</summary>
    /// <param name="pValues">Raw p-values.</param>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues) => Adjust(pValues, CorrectionMethod.BenjaminiHochberg);
}
