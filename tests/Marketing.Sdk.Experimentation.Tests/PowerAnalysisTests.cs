using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

public class PowerAnalysisTests
{
    [Fact]
    public void Matches_evan_millers_calculator()
    {
        // evanmiller.org/ab-testing/sample-size.html: baseline 20 %, minimum detectable effect 5 % absolute,
        // power 80 %, significance 5 % → "1,030" per variation (the calculator rounds to the nearest unit).
        var r = PowerAnalysis.ProportionsSampleSize(0.20, 0.25, method: ProportionSampleSizeMethod.BaselineNull);
        Assert.Equal(1030, Math.Round(r.ExactControl));
        Assert.Equal(1031, r.Control);
    }

    [Fact]
    public void Means_match_the_normal_approximation_textbook_values()
    {
        // Cohen's d = 0.2 and 0.5 at α = 0.05 two-sided, power 0.8: n = 2(z₀.₉₇₅ + z₀.₈)²/d² = 392.44 and 62.79
        // (statsmodels NormalIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8)).
        var small = PowerAnalysis.MeansSampleSize(0.2, 1, distribution: PowerDistribution.Normal);
        Assert.Equal(392.44, Math.Round(small.ExactControl, 2));
        Assert.Equal(393, small.Control);
        var medium = PowerAnalysis.MeansSampleSize(0.5, 1, distribution: PowerDistribution.Normal);
        Assert.Equal(62.79, Math.Round(medium.ExactControl, 2));
        Assert.Equal(63, medium.Control);
        // One-sided uses z₀.₉₅: 2(1.644854 + 0.841621)²/0.25 = 49.46.
        Assert.Equal(49.46, Math.Round(PowerAnalysis.MeansSampleSize(0.5, 1, alternative: Alternative.Greater, distribution: PowerDistribution.Normal).ExactControl, 2));
    }

    [Fact]
    public void Arcsine_method_uses_cohens_h()
    {
        var h = 2 * Math.Asin(Math.Sqrt(0.25)) - 2 * Math.Asin(Math.Sqrt(0.20));
        var expected = 2 * Math.Pow(1.959963984540054 + 0.8416212335729143, 2) / (h * h);
        Approx.Relative(expected, PowerAnalysis.ProportionsSampleSize(0.20, 0.25, method: ProportionSampleSizeMethod.ArcsineCohenH).ExactControl, 1e-12);
    }

    [Fact]
    public void Power_at_the_computed_sample_size_is_the_target() =>
        Prop.ForAll(Arb.From(Gen.Choose(1, 80)), Arb.From(Gen.Choose(1, 50)), Arb.From(Gen.Elements(
            ProportionSampleSizeMethod.PooledNull, ProportionSampleSizeMethod.BaselineNull, ProportionSampleSizeMethod.ArcsineCohenH)), (base100, lift100, method) =>
        {
            var pc = base100 / 100.0;
            var pt = Math.Min(0.99, pc * (1 + lift100 / 100.0) + 0.001);
            var n = PowerAnalysis.ProportionsSampleSize(pc, pt, power: 0.8, method: method);
            var power = PowerAnalysis.ProportionsPower(pc, pt, n.ExactControl, method: method);
            var below = PowerAnalysis.ProportionsPower(pc, pt, n.ExactControl * 0.95, method: method);
            // Two-sided power adds the (tiny) opposite tail, so it is at or just above the target.
            return power >= 0.8 - 1e-9 && power < 0.8 + 1e-3 && below < 0.8;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Minimum_detectable_effect_inverts_the_sample_size()
    {
        var mde = PowerAnalysis.ProportionsMinimumDetectableEffect(0.05, 20_000)!.Value;
        Approx.Relative(20_000, PowerAnalysis.ProportionsSampleSize(0.05, 0.05 + mde).ExactControl, 1e-6);
        var meanMde = PowerAnalysis.MeansMinimumDetectableEffect(30, 10_000, 40, ratio: 2);
        Approx.Relative(10_000, PowerAnalysis.MeansSampleSize(meanMde, 30, 40, ratio: 2).ExactControl, 1e-9);
        Assert.Null(PowerAnalysis.ProportionsMinimumDetectableEffect(0.5, 3));
        Approx.Relative(0.8, PowerAnalysis.MeansPower(meanMde, 30, 10_000, 40, ratio: 2), 1e-4);
    }

    [Fact]
    public void Unequal_allocation_grows_the_total()
    {
        var even = PowerAnalysis.ProportionsSampleSize(0.1, 0.12);
        var skewed = PowerAnalysis.ProportionsSampleSize(0.1, 0.12, ratio: 3);
        Assert.True(skewed.Total > even.Total);
        Assert.Equal((long)Math.Ceiling(skewed.ExactControl * 3 - 1e-9), skewed.Treatment);
    }

    [Fact]
    public void Bad_input_gets_typed_errors()
    {
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.ProportionsSampleSize(0.2, 0.2));
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.ProportionsSampleSize(0, 0.2));
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.ProportionsSampleSize(0.1, 0.2, alpha: 1));
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.MeansSampleSize(0, 1));
        Assert.Throws<MarketingValidationException>(() => PowerAnalysis.MeansSampleSize(1, -1));
    }
}
