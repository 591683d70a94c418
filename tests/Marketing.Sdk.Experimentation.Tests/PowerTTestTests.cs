using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

/// <summary>
/// t-distribution power and sample size, and the one-sample proportion z-test, against statsmodels
/// 0.13.5 / scipy (Debian python3-statsmodels): the numbers below were printed by
/// <c>Reference/power_reference.py</c> (its output is kept in <c>Reference/power_reference.txt</c>).
/// </summary>
public class PowerTTestTests
{
    [Theory]
    // TTestIndPower().solve_power(effect_size=d, alpha, power, ratio, alternative) → nobs1
    [InlineData(0.5, 0.05, 0.8, 1.0, Alternative.TwoSided, 63.765610587854056)]
    [InlineData(0.2, 0.05, 0.8, 1.0, Alternative.TwoSided, 393.4056930002516)]
    [InlineData(0.8, 0.05, 0.9, 1.0, Alternative.TwoSided, 33.82554233183192)]
    [InlineData(1.5, 0.05, 0.8, 1.0, Alternative.TwoSided, 8.060294283892878)]
    [InlineData(0.5, 0.05, 0.8, 2.0, Alternative.TwoSided, 47.74192064561705)]
    [InlineData(0.5, 0.01, 0.95, 1.0, Alternative.Greater, 127.52708483268333)]
    public void Sample_size_for_means_matches_statsmodels_TTestIndPower(double d, double alpha, double power, double ratio, Alternative alternative, double expected)
    {
        var result = PowerAnalysis.MeansSampleSize(d, 1, alpha: alpha, power: power, alternative: alternative, ratio: ratio);
        // statsmodels' brentq stops at its own tolerance; the roots agree to about 1e-8.
        Approx.Relative(expected, result.ExactControl, 1e-7);
        Assert.Equal((long)Math.Ceiling(expected), result.Control);
    }

    [Theory]
    // TTestIndPower().power(effect_size=d, nobs1, alpha, ratio, alternative)
    [InlineData(0.5, 20, 0.05, 1.0, Alternative.TwoSided, 0.33793902869253206)]
    [InlineData(0.3, 50, 0.05, 1.5, Alternative.TwoSided, 0.37100721339354825)]
    [InlineData(1.0, 5, 0.05, 1.0, Alternative.TwoSided, 0.28629549342627775)]
    [InlineData(0.4, 30, 0.05, 1.0, Alternative.Greater, 0.45471469560706357)]
    public void Power_for_means_matches_statsmodels_TTestIndPower(double d, double n1, double alpha, double ratio, Alternative alternative, double expected) =>
        Approx.Relative(expected, PowerAnalysis.MeansPower(d, 1, n1, alpha: alpha, alternative: alternative, ratio: ratio), 1e-9);

    [Fact]
    public void Minimum_detectable_effect_matches_statsmodels_and_the_normal_option_keeps_the_closed_form()
    {
        // TTestIndPower().solve_power(nobs1=50, alpha=0.05, power=0.8) → 0.5658802975131415, but its
        // default root-finding stops early there (power(0.56588029…) = 0.7999973); brentq with
        // xtol=1e-15 on TTestIndPower().power gives 0.5658822437391183 (power 0.8000000000).
        Approx.Relative(0.5658822437391183, PowerAnalysis.MeansMinimumDetectableEffect(1, 50), 1e-9);
        Approx.Relative(0.5658802975131415, PowerAnalysis.MeansMinimumDetectableEffect(1, 50), 1e-5);
        // The normal option is the closed form 2(z₀.₉₇₅ + z₀.₈)²/d² (dominant tail); statsmodels'
        // NormalIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8) → 62.79088416571135 also
        // counts the opposite tail, 2.5e-6 relative below.
        var closedForm = 2 * Math.Pow(1.959963984540054 + 0.8416212335729143, 2) / 0.25;
        Approx.Relative(closedForm, PowerAnalysis.MeansSampleSize(0.5, 1, distribution: PowerDistribution.Normal).ExactControl, 1e-12);
        Approx.Relative(62.79088416571135, closedForm, 3e-6);
        // The t test needs more units than the normal approximation, most at small samples.
        Assert.True(PowerAnalysis.MeansSampleSize(1.5, 1).ExactControl > PowerAnalysis.MeansSampleSize(1.5, 1, distribution: PowerDistribution.Normal).ExactControl + 1);
    }

    [Fact]
    public void Sample_size_in_raw_units_is_the_standardised_one_scaled()
    {
        // Δ = 5, σ = 10 is d = 0.5.
        Approx.Relative(63.765610587854056, PowerAnalysis.MeansSampleSize(5, 10).ExactControl, 1e-7);
        Approx.Relative(0.8, PowerAnalysis.MeansPower(5, 10, 63.765610587854056), 1e-7);
    }

    [Theory]
    // scipy.stats.nct.cdf(x, df, nc)
    [InlineData(2.0, 10, 1.5, 0.6591540724421909)]
    [InlineData(-1.0, 5, 0.5, 0.08244409105672335)]
    [InlineData(3.0, 98, 2.5, 0.6848733668808182)]
    [InlineData(1.0, 3.5, -2.0, 0.9972419167440271)]
    public void Noncentral_t_cdf_matches_scipy(double x, double df, double nc, double expected) =>
        Approx.Relative(expected, NoncentralT.Cdf(x, df, nc), 1e-10);

    [Theory]
    // proportions_ztest(count, nobs, value, alternative, prop_var) → (z, p). The first row is the
    // example in statsmodels' documentation (5 of 83 against 0.05: p = 0.695).
    [InlineData(5, 83, 0.05, Alternative.TwoSided, OneSampleProportionVariance.Observed, 0.3921260263140161, 0.6949650981148476)]
    [InlineData(5, 83, 0.05, Alternative.TwoSided, OneSampleProportionVariance.Hypothesized, 0.428088020390997, 0.6685870382092176)]
    [InlineData(30, 200, 0.1, Alternative.Greater, OneSampleProportionVariance.Observed, 1.9802950859533481, 0.023835190328080732)]
    [InlineData(30, 200, 0.1, Alternative.Less, OneSampleProportionVariance.Hypothesized, 2.3570226039551576, 0.9907889372729505)]
    public void One_sample_proportion_z_test_matches_statsmodels_proportions_ztest(long count, long nobs, double value, Alternative alternative, OneSampleProportionVariance variance, double z, double p)
    {
        var result = ProportionTest.OneSample(new ConversionCounts(nobs, count), value, variance, alternative);
        Approx.Relative(z, result.ZStatistic, 1e-12);
        Approx.Relative(p, result.PValue, 1e-10);
        Assert.Equal((double)count / nobs, result.Rate);
        Assert.True(result.RateInterval.Lower < result.Rate && result.Rate < result.RateInterval.Upper);
    }

    [Fact]
    public void One_sample_test_rejects_bad_input_with_typed_errors()
    {
        Assert.Throws<MarketingValidationException>(() => ProportionTest.OneSample(new ConversionCounts(10, 11), 0.5));
        Assert.Throws<MarketingValidationException>(() => ProportionTest.OneSample(new ConversionCounts(10, 1), 0));
        Assert.Throws<MarketingValidationException>(() => ProportionTest.OneSample(new ConversionCounts(0, 0), 0.5));
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.MeansPower(0.5, 1, 1));
    }
}
