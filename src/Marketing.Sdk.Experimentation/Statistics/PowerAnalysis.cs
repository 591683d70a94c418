namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>The variance model behind a sample size for two proportions.</summary>
public enum ProportionSampleSizeMethod
{
    /// <summary>
    /// Null variance from the pooled rate p̄, alternative variance from each rate (Fleiss, Levin &amp;
    /// Paik, without continuity correction): n_c = (z_α·√(p̄q̄(1+1/k)) + z_β·√(p_c q_c + p_t q_t/k))² / Δ².
    /// </summary>
    PooledNull,
    /// <summary>Null variance from the baseline rate only, as in Evan Miller's online calculator.</summary>
    BaselineNull,
    /// <summary>Cohen's arcsine effect size h = 2·asin√p_t − 2·asin√p_c (statsmodels <c>NormalIndPower</c> with <c>proportion_effectsize</c>).</summary>
    ArcsineCohenH,
}

/// <summary>The reference distribution of the test statistic in a power calculation for means.</summary>
public enum PowerDistribution
{
    /// <summary>
    /// Student's t with n_c + n_t − 2 degrees of freedom and the noncentral t under the alternative,
    /// as statsmodels' <c>TTestIndPower</c> (the default): right for the t test an analysis runs,
    /// noticeably larger samples than the normal approximation below about 30 units per group.
    /// </summary>
    StudentT,
    /// <summary>The normal approximation (z test): the textbook closed form n = (z_α + z_β)²·σ²(1 + 1/k)/Δ², as statsmodels' <c>NormalIndPower</c>.</summary>
    Normal,
}

/// <summary>Units needed per group.</summary>
/// <param name="ExactControl">The unrounded control-group size from the formula.</param>
/// <param name="Control">Control units (rounded up).</param>
/// <param name="Treatment">Treatment units per treatment group (rounded up, ratio × control).</param>
public sealed record SampleSizeResult(double ExactControl, long Control, long Treatment)
{
    /// <summary>Control plus one treatment group.</summary>
    public long Total => Control + Treatment;
}

/// <summary>
/// Sample size, power and minimum detectable effect for comparing two proportions (z test) or two
/// means (t test by default, z test as an option; see <see cref="PowerDistribution"/>). Sample sizes use the dominant tail (the textbook closed form); power includes both tails
/// for two-sided tests. <c>ratio</c> is treatment units per control unit.
/// </summary>
public static class PowerAnalysis
{
    /// <summary>Units per group to detect a change from <paramref name="baselineRate"/> to <paramref name="treatmentRate"/>.</summary>
    /// <param name="baselineRate">Control conversion rate in (0, 1).</param>
    /// <param name="treatmentRate">Conversion rate to detect, in (0, 1), different from the baseline.</param>
    /// <param name="alpha">Significance level, default 0.05.</param>
    /// <param name="power">Desired power, default 0.8.</param>
    /// <param name="alternative">Two-sided (default) or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit, default 1.</param>
    /// <param name="method">Variance model, default <see cref="ProportionSampleSizeMethod.PooledNull"/>.</param>
    public static SampleSizeResult ProportionsSampleSize(
        double baselineRate,
        double treatmentRate,
        double alpha = 0.05,
        double power = 0.8,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        ProportionSampleSizeMethod method = ProportionSampleSizeMethod.PooledNull)
    {
        CheckProportions(baselineRate, treatmentRate, alpha, ratio);
        Guard.OpenUnit(power, nameof(power));
        var n = ExactProportionsSize(baselineRate, treatmentRate, PValues.CriticalZ(alpha, alternative), Normal.Quantile(power), ratio, method);
        return Round(n, ratio);
    }

    /// <summary>Power of the test with <paramref name="controlUnits"/> control units.</summary>
    /// <param name="baselineRate">Control conversion rate.</param>
    /// <param name="treatmentRate">Treatment conversion rate.</param>
    /// <param name="controlUnits">Control units (treatment units = ratio × control).</param>
    /// <param name="alpha">Significance level.</param>
    /// <param name="alternative">Two-sided or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit.</param>
    /// <param name="method">Variance model.</param>
    public static double ProportionsPower(
        double baselineRate,
        double treatmentRate,
        double controlUnits,
        double alpha = 0.05,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        ProportionSampleSizeMethod method = ProportionSampleSizeMethod.PooledNull)
    {
        CheckProportions(baselineRate, treatmentRate, alpha, ratio);
        Guard.Positive(controlUnits, nameof(controlUnits));
        var (delta, s0, s1) = Components(baselineRate, treatmentRate, ratio, method);
        var scale = Math.Sqrt(controlUnits);
        var za = PValues.CriticalZ(alpha, alternative);
        return TwoTailPower(Math.Abs(delta) * scale, za * s0, s1, alternative);
    }

    /// <summary>
    /// The smallest absolute increase over <paramref name="baselineRate"/> detectable with the given
    /// power (solved by bisection on the sample-size formula), or <see langword="null"/> when no
    /// rate up to 100 % is detectable.
    /// </summary>
    /// <param name="baselineRate">Control conversion rate in (0, 1).</param>
    /// <param name="controlUnits">Control units available.</param>
    /// <param name="alpha">Significance level.</param>
    /// <param name="power">Desired power.</param>
    /// <param name="alternative">Two-sided or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit.</param>
    /// <param name="method">Variance model.</param>
    public static double? ProportionsMinimumDetectableEffect(
        double baselineRate,
        double controlUnits,
        double alpha = 0.05,
        double power = 0.8,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        ProportionSampleSizeMethod method = ProportionSampleSizeMethod.PooledNull)
    {
        Guard.OpenUnit(baselineRate, nameof(baselineRate));
        Guard.OpenUnit(alpha, nameof(alpha));
        Guard.OpenUnit(power, nameof(power));
        Guard.Positive(ratio, nameof(ratio));
        Guard.Positive(controlUnits, nameof(controlUnits));
        var za = PValues.CriticalZ(alpha, alternative);
        var zb = Normal.Quantile(power);
        double lo = 0, hi = 1 - baselineRate;
        double Size(double d) => ExactProportionsSize(baselineRate, baselineRate + d, za, zb, ratio, method);
        if (Size(hi * (1 - 1e-12)) > controlUnits)
        {
            return null;
        }
        for (var i = 0; i < 200 && hi - lo > 1e-15; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (mid == lo || mid == hi)
            {
                break;
            }
            if (Size(mid) > controlUnits)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return hi;
    }

    /// <summary>
    /// Units per group to detect a difference of means. With <see cref="PowerDistribution.StudentT"/>
    /// (default) the smallest n_c at which the two-sample t test reaches the power — the root that
    /// statsmodels' <c>TTestIndPower().solve_power(effect_size=Δ/σ, alpha, power, ratio)</c> finds,
    /// noncentrality Δ/√(σ_c²/n_c + σ_t²/n_t), n_c + n_t − 2 degrees of freedom; with
    /// <see cref="PowerDistribution.Normal"/> the closed form n_c = (z_α + z_β)²·(σ_c² + σ_t²/k)/Δ².
    /// For a standardised effect size d (Cohen's d) pass <c>difference: d, controlStandardDeviation: 1</c>.
    /// </summary>
    /// <param name="difference">The difference of means to detect (non-zero).</param>
    /// <param name="controlStandardDeviation">Control standard deviation.</param>
    /// <param name="treatmentStandardDeviation">Treatment standard deviation; defaults to the control's.</param>
    /// <param name="alpha">Significance level.</param>
    /// <param name="power">Desired power.</param>
    /// <param name="alternative">Two-sided or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit.</param>
    /// <param name="distribution">The t distribution (default) or the normal approximation.</param>
    public static SampleSizeResult MeansSampleSize(
        double difference,
        double controlStandardDeviation,
        double? treatmentStandardDeviation = null,
        double alpha = 0.05,
        double power = 0.8,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        PowerDistribution distribution = PowerDistribution.StudentT)
    {
        var variance = CheckMeans(difference, controlStandardDeviation, treatmentStandardDeviation, alpha, ratio);
        Guard.OpenUnit(power, nameof(power));
        var z = PValues.CriticalZ(alpha, alternative) + Normal.Quantile(power);
        var normal = z * z * variance / (difference * difference);
        if (distribution == PowerDistribution.Normal)
        {
            return Round(normal, ratio);
        }
        var effect = Math.Abs(difference) / Math.Sqrt(variance);
        return Round(SolveT(n => TPower(effect, n, alpha, alternative, ratio), power, Math.Max(normal, 1), 2 / (1 + ratio)), ratio);
    }

    /// <summary>Power of the two-sample t test (statsmodels <c>TTestIndPower.power</c>) at n_c control units; effect = |Δ|/√(σ_c² + σ_t²/k).</summary>
    private static double TPower(double effect, double controlUnits, double alpha, Alternative alternative, double ratio)
    {
        var df = controlUnits * (1 + ratio) - 2;
        if (!(df > 0))
        {
            return 0;
        }
        var delta = effect * Math.Sqrt(controlUnits);
        if (alternative == Alternative.TwoSided)
        {
            var critical = StudentT.Quantile(1 - alpha / 2, df);
            return NoncentralT.UpperTail(critical, df, delta) + NoncentralT.Cdf(-critical, df, delta);
        }
        return NoncentralT.UpperTail(StudentT.Quantile(1 - alpha, df), df, delta);
    }

    /// <summary>The n at which an increasing power function reaches <paramref name="target"/>, by bracketing and bisection to 1e-10 relative.</summary>
    private static double SolveT(Func<double, double> powerAt, double target, double start, double lowest)
    {
        double lo = lowest, hi = Math.Max(start, lowest * 2);
        while (powerAt(hi) < target)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1e15)
            {
                throw new MarketingValidationException("power", ValidationReason.OutOfRange, "The power cannot be reached with a finite sample.");
            }
        }
        for (var i = 0; i < 200 && hi - lo > 1e-10 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (powerAt(mid) < target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return hi;
    }

    /// <summary>Power of the test for a difference of means: the two-sample t test (default, statsmodels <c>TTestIndPower.power</c>) or the z test.</summary>
    /// <param name="difference">The true difference.</param>
    /// <param name="controlStandardDeviation">Control standard deviation.</param>
    /// <param name="controlUnits">Control units.</param>
    /// <param name="treatmentStandardDeviation">Treatment standard deviation; defaults to the control's.</param>
    /// <param name="alpha">Significance level.</param>
    /// <param name="alternative">Two-sided or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit.</param>
    /// <param name="distribution">The t distribution (default) or the normal approximation.</param>
    public static double MeansPower(
        double difference,
        double controlStandardDeviation,
        double controlUnits,
        double? treatmentStandardDeviation = null,
        double alpha = 0.05,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        PowerDistribution distribution = PowerDistribution.StudentT)
    {
        var variance = CheckMeans(difference, controlStandardDeviation, treatmentStandardDeviation, alpha, ratio);
        Guard.Positive(controlUnits, nameof(controlUnits));
        var s = Math.Sqrt(variance);
        if (distribution == PowerDistribution.StudentT)
        {
            if (controlUnits * (1 + ratio) <= 2)
            {
                throw new MarketingValidationException(nameof(controlUnits), ValidationReason.OutOfRange, "The t test needs more than two units in all.");
            }
            return TPower(Math.Abs(difference) / s, controlUnits, alpha, alternative, ratio);
        }
        return TwoTailPower(Math.Abs(difference) * Math.Sqrt(controlUnits), PValues.CriticalZ(alpha, alternative) * s, s, alternative);
    }

    /// <summary>The smallest detectable difference of means: with the t distribution (default) the Δ at which the t test reaches the power; with the normal approximation (z_α + z_β)·√(σ_c²/n_c + σ_t²/n_t).</summary>
    /// <param name="controlStandardDeviation">Control standard deviation.</param>
    /// <param name="controlUnits">Control units.</param>
    /// <param name="treatmentStandardDeviation">Treatment standard deviation; defaults to the control's.</param>
    /// <param name="alpha">Significance level.</param>
    /// <param name="power">Desired power.</param>
    /// <param name="alternative">Two-sided or one-sided.</param>
    /// <param name="ratio">Treatment units per control unit.</param>
    /// <param name="distribution">The t distribution (default) or the normal approximation.</param>
    public static double MeansMinimumDetectableEffect(
        double controlStandardDeviation,
        double controlUnits,
        double? treatmentStandardDeviation = null,
        double alpha = 0.05,
        double power = 0.8,
        Alternative alternative = Alternative.TwoSided,
        double ratio = 1,
        PowerDistribution distribution = PowerDistribution.StudentT)
    {
        var variance = CheckMeans(1, controlStandardDeviation, treatmentStandardDeviation, alpha, ratio);
        Guard.OpenUnit(power, nameof(power));
        Guard.Positive(controlUnits, nameof(controlUnits));
        var normal = (PValues.CriticalZ(alpha, alternative) + Normal.Quantile(power)) * Math.Sqrt(variance / controlUnits);
        if (distribution == PowerDistribution.Normal)
        {
            return normal;
        }
        if (controlUnits * (1 + ratio) <= 2)
        {
            throw new MarketingValidationException(nameof(controlUnits), ValidationReason.OutOfRange, "The t test needs more than two units in all.");
        }
        var sd = Math.Sqrt(variance);
        // Power rises with the difference: bisect on Δ (the t answer is always above the normal one).
        return SolveT(d => TPower(d / sd, controlUnits, alpha, alternative, ratio), power, normal, 0);
    }

    private static double ExactProportionsSize(double pc, double pt, double za, double zb, double ratio, ProportionSampleSizeMethod method)
    {
        var (delta, s0, s1) = Components(pc, pt, ratio, method);
        var numerator = za * s0 + zb * s1;
        return numerator * numerator / (delta * delta);
    }

    /// <summary>Effect and the per-√n standard deviations under the null (s0) and the alternative (s1).</summary>
    private static (double Delta, double S0, double S1) Components(double pc, double pt, double k, ProportionSampleSizeMethod method)
    {
        switch (method)
        {
            case ProportionSampleSizeMethod.ArcsineCohenH:
                {
                    var h = 2 * Math.Asin(Math.Sqrt(pt)) - 2 * Math.Asin(Math.Sqrt(pc));
                    var s = Math.Sqrt(1 + 1 / k);
                    return (h, s, s);
                }
            case ProportionSampleSizeMethod.BaselineNull:
                return (pt - pc, Math.Sqrt(pc * (1 - pc) * (1 + 1 / k)), Math.Sqrt(pc * (1 - pc) + pt * (1 - pt) / k));
            default:
                {
                    var pooled = (pc + k * pt) / (1 + k);
                    return (pt - pc, Math.Sqrt(pooled * (1 - pooled) * (1 + 1 / k)), Math.Sqrt(pc * (1 - pc) + pt * (1 - pt) / k));
                }
        }
    }

    private static double TwoTailPower(double effectTimesRootN, double criticalTimesS0, double s1, Alternative alternative)
    {
        var power = Normal.Cdf((effectTimesRootN - criticalTimesS0) / s1);
        if (alternative == Alternative.TwoSided)
        {
            power += Normal.Cdf((-effectTimesRootN - criticalTimesS0) / s1);
        }
        return power;
    }

    private static SampleSizeResult Round(double exact, double ratio)
    {
        var control = (long)Math.Ceiling(exact - 1e-9);
        var treatment = (long)Math.Ceiling(exact * ratio - 1e-9);
        return new SampleSizeResult(exact, Math.Max(control, 2), Math.Max(treatment, 2));
    }

    private static void CheckProportions(double pc, double pt, double alpha, double ratio)
    {
        Guard.OpenUnit(pc, "baselineRate");
        Guard.OpenUnit(pt, "treatmentRate");
        Guard.OpenUnit(alpha, nameof(alpha));
        Guard.Positive(ratio, nameof(ratio));
        if (pc == pt)
        {
            throw new MarketingValidationException("treatmentRate", ValidationReason.Inconsistent, "The rate to detect must differ from the baseline.");
        }
    }

    private static double CheckMeans(double difference, double sc, double? st, double alpha, double ratio)
    {
        Guard.Finite(difference, nameof(difference));
        if (difference == 0)
        {
            throw new MarketingValidationException(nameof(difference), ValidationReason.OutOfRange, "The difference to detect must be non-zero.");
        }
        Guard.Positive(sc, "controlStandardDeviation");
        var t = st ?? sc;
        Guard.Positive(t, "treatmentStandardDeviation");
        Guard.OpenUnit(alpha, nameof(alpha));
        Guard.Positive(ratio, nameof(ratio));
        return sc * sc + t * t / ratio;
    }
}
