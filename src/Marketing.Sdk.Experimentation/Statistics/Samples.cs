namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>Which effect the test looks for (treatment compared with control).</summary>
public enum Alternative
{
    /// <summary>Treatment differs from control in either direction.</summary>
    TwoSided,
    /// <summary>Treatment is greater than control.</summary>
    Greater,
    /// <summary>Treatment is less than control.</summary>
    Less,
}

/// <summary>A confidence (or credible) interval.</summary>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
/// <param name="Level">Coverage, e.g. 0.95.</param>
public sealed record ConfidenceInterval(double Lower, double Upper, double Level)
{
    /// <summary>Whether the interval contains the value.</summary>
    /// <param name="value">The value.</param>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>Units and conversions of one variant (a binary metric).</summary>
/// <param name="Units">Units exposed (≥ 0).</param>
/// <param name="Conversions">Units that converted (0 ≤ conversions ≤ units).</param>
public readonly record struct ConversionCounts(long Units, long Conversions)
{
    /// <summary>Conversions / units (0 when there are no units).</summary>
    public double Rate => Units == 0 ? 0 : (double)Conversions / Units;

    internal void Validate(string field, bool requireUnits = true)
    {
        Guard.Counts(Units, Conversions, field);
        if (requireUnits && Units == 0)
        {
            throw new MarketingValidationException(field + ".units", ValidationReason.OutOfRange, "At least one unit is needed.");
        }
    }
}

/// <summary>Count, mean and sample variance (n − 1 denominator) of a continuous metric such as revenue per user.</summary>
/// <param name="Count">Number of units.</param>
/// <param name="Mean">Sample mean.</param>
/// <param name="Variance">Sample variance with the n − 1 denominator.</param>
public readonly record struct SampleSummary(long Count, double Mean, double Variance)
{
    /// <summary>Summarises values with Welford's numerically stable one-pass algorithm.</summary>
    /// <param name="values">The values (finite).</param>
    public static SampleSummary From(ReadOnlySpan<double> values)
    {
        long n = 0;
        double mean = 0, m2 = 0;
        foreach (var x in values)
        {
            Guard.Finite(x, "values");
            n++;
            var delta = x - mean;
            mean += delta / n;
            m2 += delta * (x - mean);
        }
        return new SampleSummary(n, mean, n > 1 ? m2 / (n - 1) : 0);
    }

    /// <summary>Summarises values.</summary>
    /// <param name="values">The values (finite).</param>
    public static SampleSummary From(IEnumerable<double> values) => From((values ?? throw new ArgumentNullException(nameof(values))).ToArray());

    internal void Validate(string field)
    {
        Guard.NotNegative(Count, field + ".count");
        if (Count < 2)
        {
            throw new MarketingValidationException(field + ".count", ValidationReason.OutOfRange, "At least two units are needed to estimate a variance.");
        }
        Guard.Finite(Mean, field + ".mean");
        Guard.NotNegative(Variance, field + ".variance");
    }
}

internal static class PValues
{
    /// <summary>p-value of a statistic with a symmetric null distribution given its upper tail function.</summary>
    public static double FromStatistic(double statistic, Alternative alternative, Func<double, double> upperTail) => alternative switch
    {
        Alternative.Greater => upperTail(statistic),
        Alternative.Less => upperTail(-statistic),
        _ => Math.Min(1, 2 * upperTail(Math.Abs(statistic))),
    };

    public static double CriticalZ(double alpha, Alternative alternative) =>
        alternative == Alternative.TwoSided ? -Normal.Quantile(alpha / 2) : -Normal.Quantile(alpha);
}
