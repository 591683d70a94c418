using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

/// <summary>z, Welch, chi-square and corrections against mpmath (Reference/) and published examples.</summary>
public class HypothesisTestTests
{
    [Theory]
    // control conv, control n, treatment conv, treatment n, z pooled, p pooled, z unpooled, p unpooled (mpmath).
    [InlineData(200, 1000, 250, 1000, 2.6773977630083295, 0.0074196492610256749, 2.6822089039291005, 0.0073137772217106565)]
    [InlineData(0, 1000, 10, 1000, 3.1702131247412069, 0.0015232716476467965, 3.1782086308186411, 0.0014818807747203881)]
    [InlineData(1000, 1000, 990, 1000, -3.1702131247412069, 0.0015232716476467965, -3.1782086308186411, 0.0014818807747203881)]
    [InlineData(1, 2, 2, 3, 0.37267799624996495, 0.70938811501422635, 0.3735436838188142, 0.70874383925019547)]
    [InlineData(5_000_000, 1_000_000_000, 5_010_000, 1_000_000_000, 3.1686371674288525, 0.0015315546034774115, 3.168637175382339, 0.0015315545615708026)]
    [InlineData(48, 80, 56, 70, 2.6501719512585326, 0.0080450813681965847, 2.7509212216215076, 0.0059427933042027784)]
    public void Two_proportion_z_test_matches_reference(long cc, long nc, long ct, long nt, double zPooled, double pPooled, double zUnpooled, double pUnpooled)
    {
        var pooled = ProportionTest.TwoSample(new(nc, cc), new(nt, ct));
        var unpooled = ProportionTest.TwoSample(new(nc, cc), new(nt, ct), ProportionVariance.Unpooled);
        Approx.Relative(zPooled, pooled.ZStatistic, 1e-9, "z pooled");
        Approx.Relative(pPooled, pooled.PValue, 1e-9, "p pooled");
        Approx.Relative(zUnpooled, unpooled.ZStatistic, 1e-9, "z unpooled");
        Approx.Relative(pUnpooled, unpooled.PValue, 1e-9, "p unpooled");
    }

    [Fact]
    public void One_sided_p_values_split_the_two_sided_one()
    {
        var greater = ProportionTest.TwoSample(new(1000, 200), new(1000, 250), alternative: Alternative.Greater);
        var less = ProportionTest.TwoSample(new(1000, 200), new(1000, 250), alternative: Alternative.Less);
        Approx.Relative(0.0074196492610256749 / 2, greater.PValue, 1e-9);
        Approx.Relative(1 - 0.0074196492610256749 / 2, less.PValue, 1e-12);
    }

    [Fact]
    public void Identical_extreme_groups_give_p_of_one()
    {
        var zeros = ProportionTest.TwoSample(new(500, 0), new(800, 0));
        Assert.Equal((0.0, 1.0), (zeros.ZStatistic, zeros.PValue));
        Assert.Null(zeros.RelativeLift);
        Assert.Null(zeros.RelativeLiftInterval);
        Assert.True(zeros.DifferenceInterval.Contains(0));
        var all = ProportionTest.TwoSample(new(500, 500), new(800, 800));
        Assert.Equal(1.0, all.PValue);
    }

    [Fact]
    public void Newcombe_interval_matches_the_published_example()
    {
        // Newcombe (1998), Stat. Med. 17:873–890, Table II example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
        var r = ProportionTest.TwoSample(new(80, 48), new(70, 56));
        Assert.Equal(0.0524, Math.Round(r.DifferenceInterval.Lower, 4));
        Assert.Equal(0.3339, Math.Round(r.DifferenceInterval.Upper, 4));
    }

    [Fact]
    public void Wilson_interval_matches_the_published_example()
    {
        // Newcombe (1998), Stat. Med. 17:857–872, example 81/263: Wilson score interval 0.2553 to 0.3662.
        var ci = ProportionTest.Wilson(new(263, 81));
        Assert.Equal(0.2553, Math.Round(ci.Lower, 4));
        Assert.Equal(0.3662, Math.Round(ci.Upper, 4));
    }

    [Fact]
    public void Wald_interval_is_difference_plus_minus_z_se()
    {
        var r = ProportionTest.TwoSample(new(1000, 200), new(1000, 250), intervalMethod: DifferenceIntervalMethod.Wald);
        var se = Math.Sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000);
        Approx.Relative(0.05 - 1.959963984540054 * se, r.DifferenceInterval.Lower, 1e-12);
        Approx.Relative(0.05 + 1.959963984540054 * se, r.DifferenceInterval.Upper, 1e-12);
    }

    [Fact]
    public void Relative_lift_interval_is_symmetric_on_the_log_scale_and_contains_the_estimate() =>
        Prop.ForAll(Arb.From(Gen.Choose(1, 999)), Arb.From(Gen.Choose(1, 999)), (cc, ct) =>
        {
            var r = ProportionTest.TwoSample(new(1000, cc), new(1000, ct));
            var ci = r.RelativeLiftInterval!;
            var ratio = r.RelativeLift!.Value + 1;
            return ci.Contains(r.RelativeLift.Value)
                && Math.Abs(Math.Log(ci.Upper + 1) - Math.Log(ratio) - (Math.Log(ratio) - Math.Log(ci.Lower + 1))) < 1e-9;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Welch_matches_the_wikipedia_example()
    {
        // Wikipedia "Welch's t-test", example 1 (A1 control, A2 treatment): t = 2.46, ν ≈ 25.0, p = 0.021;
        // full precision from mpmath (Reference/).
        double[] a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        double[] a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        var r = WelchTest.Compute(SampleSummary.From(a1), SampleSummary.From(a2));
        Approx.Relative(2.4553563982860051, r.TStatistic, 1e-12, "t");
        Approx.Relative(24.988529290231414, r.DegreesOfFreedom, 1e-12, "df");
        Approx.Relative(0.021378001462867032, r.PValue, 1e-10, "p");
        Approx.Relative(0.34923706619240523, r.DifferenceInterval.Lower, 1e-10, "ci lower");
        Approx.Relative(3.9840962671409281, r.DifferenceInterval.Upper, 1e-10, "ci upper");
    }

    [Fact]
    public void Welch_with_no_variance_is_decided_by_the_means()
    {
        Assert.Equal(1.0, WelchTest.Compute(new(10, 5, 0), new(10, 5, 0)).PValue);
        Assert.Equal(0.0, WelchTest.Compute(new(10, 5, 0), new(10, 6, 0)).PValue);
    }

    [Theory]
    // observed, weights → χ², p (mpmath).
    [InlineData(new long[] { 10230, 9770 }, new[] { 1.0, 1.0 }, 10.58, 0.0011431765973566515)]
    [InlineData(new long[] { 5000, 5000 }, new[] { 1.0, 1.0 }, 0.0, 1.0)]
    [InlineData(new long[] { 3300, 3410, 3290 }, new[] { 1.0, 1.0, 1.0 }, 2.66, 0.26447726129982396)]
    [InlineData(new long[] { 821, 2179 }, new[] { 0.3, 0.7 }, 9.906349206349211, 0.0016470953178150985)]
    public void Sample_ratio_check_matches_reference(long[] observed, double[] weights, double chi, double p)
    {
        var r = SampleRatioTest.Check(observed, weights);
        Approx.Relative(chi, r.ChiSquare, 1e-12, "χ²");
        Approx.Relative(p, r.PValue, 1e-10, "p");
        Assert.False(r.IsMismatch);
        Assert.True(SampleRatioTest.Check([10300, 9700], [1.0, 1.0]).IsMismatch);
    }

    [Fact]
    public void Holm_and_benjamini_hochberg_match_hand_computation()
    {
        // Sorted 0.005, 0.01, 0.03, 0.04 (m = 4). Holm: 4·0.005, 3·0.01, max(2·0.03, …), max(1·0.04, 0.06).
        double[] p = [0.01, 0.04, 0.03, 0.005];
        Assert.Equal([0.03, 0.06, 0.06, 0.02], MultipleComparisons.Holm(p).Select(x => Math.Round(x, 12)));
        // BH: 4/1·0.005 = 0.02, 4/2·0.01 = 0.02, 4/3·0.03 = 0.04, 4/4·0.04 = 0.04; running minimum from the top.
        Assert.Equal([0.02, 0.04, 0.04, 0.02], MultipleComparisons.BenjaminiHochberg(p).Select(x => Math.Round(x, 12)));
        Assert.Equal([0.04, 0.16, 0.12, 0.02], MultipleComparisons.Adjust(p, CorrectionMethod.Bonferroni).Select(x => Math.Round(x, 12)));
        Assert.Empty(MultipleComparisons.Holm([]));
    }

    [Fact]
    public void Corrections_keep_order_bounds_and_dominance() =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(Gen.Choose(0, 10_000)).Where(a => a.Length > 0)), raw =>
        {
            var p = raw.Select(x => x / 10_000.0).ToArray();
            var holm = MultipleComparisons.Holm(p);
            var bh = MultipleComparisons.BenjaminiHochberg(p);
            var bonf = MultipleComparisons.Adjust(p, CorrectionMethod.Bonferroni);
            var ok = true;
            for (var i = 0; i < p.Length; i++)
            {
                ok &= p[i] <= bh[i] + 1e-15 && bh[i] <= holm[i] + 1e-15 && holm[i] <= bonf[i] + 1e-15 && holm[i] <= 1;
                for (var j = 0; j < p.Length; j++)
                {
                    ok &= !(p[i] < p[j]) || (holm[i] <= holm[j] && bh[i] <= bh[j]);
                }
            }
            return ok;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Bad_input_gets_typed_errors()
    {
        Assert.Equal(ValidationReason.Negative, Assert.Throws<MarketingValidationException>(() => ProportionTest.TwoSample(new(-1, 0), new(10, 1))).Reason);
        var tooMany = Assert.Throws<MarketingValidationException>(() => ProportionTest.TwoSample(new(10, 11), new(10, 1)));
        Assert.Equal(("control.conversions", ValidationReason.Inconsistent), (tooMany.Field, tooMany.Reason));
        Assert.Equal(ValidationReason.OutOfRange, Assert.Throws<MarketingValidationException>(() => ProportionTest.TwoSample(new(0, 0), new(10, 1))).Reason);
        Assert.Equal(ValidationReason.OutOfRange, Assert.Throws<MarketingValidationException>(() => WelchTest.Compute(new(1, 2, 0), new(10, 1, 1))).Reason);
        Assert.Equal(ValidationReason.Negative, Assert.Throws<MarketingValidationException>(() => WelchTest.Compute(new(5, 2, -1), new(10, 1, 1))).Reason);
        Assert.Equal(ValidationReason.Missing, Assert.Throws<MarketingValidationException>(() => SampleRatioTest.Check([5], [1.0])).Reason);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => SampleRatioTest.Check([5, 5], [1.0])).Reason);
        Assert.Equal(ValidationReason.OutOfRange, Assert.Throws<MarketingValidationException>(() => MultipleComparisons.Holm([1.5])).Reason);
    }
}
