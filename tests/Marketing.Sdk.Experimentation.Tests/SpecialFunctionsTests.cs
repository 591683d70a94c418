using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

/// <summary>
/// Distribution functions against mpmath 1.3.0 at 60 (quantiles: 400) significant digits; the values
/// come from Reference/generate_reference.py. Tolerance 1e-10 relative unless noted.
/// </summary>
public class SpecialFunctionsTests
{
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void Published_values_of_the_normal_distribution()
    {
        // Φ(1.96) and Φ⁻¹(0.975) as published (e.g. scipy.stats.norm.cdf(1.96), norm.ppf(0.975)).
        Approx.Relative(0.9750021048517795, Normal.Cdf(1.96), 1e-15);
        Approx.Relative(1.959963984540054, Normal.Quantile(0.975), 1e-15);
        Approx.Relative(-1.959963984540054, Normal.Quantile(0.025), 1e-15);
    }

    [Theory]
    [InlineData("-37", "5.7255712225245768e-300")]
    [InlineData("-20", "2.7536241186062337e-89")]
    [InlineData("-10", "7.6198530241605261e-24")]
    [InlineData("-5", "2.8665157187919391e-7")]
    [InlineData("-1.96", "0.024997895148220434")]
    [InlineData("-1", "0.15865525393145705")]
    [InlineData("0", "0.5")]
    [InlineData("0.5", "0.6914624612740131")]
    [InlineData("1.96", "0.97500210485177957")]
    [InlineData("3", "0.99865010196836991")]
    [InlineData("8", "0.99999999999999938")]
    public void Normal_cdf_matches_mpmath(string x, string expected) =>
        Approx.Relative(D(expected), Normal.Cdf(D(x)), 1e-12, $"Φ({x})");

    [Theory]
    [InlineData("1e-300", "-37.047096299361199")]
    [InlineData("1e-50", "-14.933337534788489")]
    [InlineData("1e-12", "-7.0344838253011319")]
    [InlineData("1e-5", "-4.2648907939228246")]
    [InlineData("0.001", "-3.0902323061678135")]
    [InlineData("0.025", "-1.9599639845400542")]
    [InlineData("0.3", "-0.52440051270804078")]
    [InlineData("0.7", "0.52440051270804078")]
    [InlineData("0.999", "3.0902323061678135")]
    // The double nearest 0.9999999999 is 1 − 1.0000000827e-10; mpmath evaluated at that exact double.
    [InlineData("0.9999999999", "6.3613408896974219")]
    public void Normal_quantile_matches_mpmath(string p, string expected) =>
        Approx.Relative(D(expected), Normal.Quantile(D(p)), 1e-10, $"Φ⁻¹({p})");

    [Fact]
    public void Normal_quantile_edges()
    {
        Assert.Equal(0, Normal.Quantile(0.5));
        Assert.Equal(double.NegativeInfinity, Normal.Quantile(0));
        Assert.Equal(double.PositiveInfinity, Normal.Quantile(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Normal.Quantile(1.5));
    }

    [Theory]
    [InlineData("2.0", "1", "0.85241638234956673")]
    [InlineData("-3.5", "2.5", "0.026172773480160169")]
    [InlineData("1.5", "5", "0.90304815987876328")]
    [InlineData("-2.228138851986273", "10", "0.025000000000000074")]
    [InlineData("0.1", "30", "0.53949519410486442")]
    [InlineData("-2.4600", "24.9", "0.010592733644480309")]
    [InlineData("-8", "3", "0.0020382887938927341")]
    [InlineData("-40", "7", "7.9510899924251852e-10")]
    [InlineData("3", "1000", "0.9986166454778809")]
    [InlineData("-4", "1000000", "3.1673517005024052e-5")]
    public void Student_t_cdf_matches_mpmath(string t, string df, string expected) =>
        Approx.Relative(D(expected), StudentT.Cdf(D(t), D(df)), 1e-10, $"T({t}; {df})");

    [Theory]
    // Table values t(0.975; ν) as in every t table / scipy.stats.t.ppf, to mpmath precision.
    [InlineData("0.975", "1", "12.706204736174705")]
    [InlineData("0.975", "2", "4.3026527297494639")]
    [InlineData("0.975", "3", "3.1824463052837096")]
    [InlineData("0.975", "10", "2.2281388519862747")]
    [InlineData("0.975", "30", "2.0422724563012383")]
    [InlineData("0.995", "4.5", "4.272823993011293")]
    [InlineData("0.001", "7", "-4.7852896286383341")]
    [InlineData("1e-10", "5", "-156.82559270889432")]
    [InlineData("0.6", "12", "0.25903274567688706")]
    [InlineData("0.975", "100000", "1.9599877075346096")]
    public void Student_t_quantile_matches_mpmath(string p, string df, string expected) =>
        Approx.Relative(D(expected), StudentT.Quantile(D(p), D(df)), 1e-10, $"t({p}; {df})");

    [Theory]
    [InlineData("3.841458820694124", "1", "0.050000000000000058")]
    [InlineData("5.991464547107979", "2", "0.050000000000000075")]
    [InlineData("0.5", "1", "0.47950012218695346")]
    [InlineData("25", "3", "1.5440498291101365e-5")]
    [InlineData("120", "9", "1.3361647765325286e-21")]
    [InlineData("1e-4", "2", "0.99995000124997917")]
    [InlineData("400", "1", "5.5072482372124674e-89")]
    [InlineData("18.307038053275146", "10", "0.050000000000000013")]
    [InlineData("1000", "999", "0.48513148927490147")]
    public void Chi_square_upper_tail_matches_mpmath(string x, string k, string expected) =>
        Approx.Relative(D(expected), ChiSquare.UpperTail(D(x), D(k)), 1e-10, $"χ²({x}; {k})");

    [Theory]
    [InlineData("0.5", "0.57236494292470009")]
    [InlineData("1e-5", "11.512919692895826")]
    [InlineData("3.7", "1.4280723266653879")]
    [InlineData("10", "12.80182748008147")]
    [InlineData("100", "359.1342053695754")]
    [InlineData("123456.789", "1323902.0187950631")]
    public void Log_gamma_matches_mpmath(string x, string expected) =>
        Approx.Relative(D(expected), SpecialFunctions.LogGamma(D(x)), 1e-13, $"lnΓ({x})");

    [Theory]
    [InlineData("0.3", "2", "5", "0.579825")]
    [InlineData("0.999", "0.5", "0.5", "0.97986495836662251")]
    [InlineData("0.01", "50", "3", "1.3001275e-97")]
    [InlineData("0.5", "1000", "1000", "0.5")]
    [InlineData("0.48", "5000.5", "5000.5", "3.1444310566365765e-5")]
    [InlineData("0.2", "0.1", "10", "0.99525419415966817")]
    public void Regularized_beta_matches_mpmath(string x, string a, string b, string expected) =>
        Approx.Relative(D(expected), SpecialFunctions.RegularizedBeta(D(x), D(a), D(b)), 1e-10, $"I({x}; {a}, {b})");

    [Fact]
    public void Gamma_p_and_q_are_complements() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(1, 4000)),
            Arb.From(Gen.Choose(0, 8000)),
            (a10, x10) =>
            {
                var a = a10 / 10.0;
                var x = x10 / 10.0;
                var sum = SpecialFunctions.RegularizedGammaP(a, x) + SpecialFunctions.RegularizedGammaQ(a, x);
                return Math.Abs(sum - 1) < 1e-12;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void Beta_symmetry_holds() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(1, 999)),
            Arb.From(Gen.Choose(1, 3000)),
            Arb.From(Gen.Choose(1, 3000)),
            (x1000, a10, b10) =>
            {
                double x = x1000 / 1000.0, a = a10 / 10.0, b = b10 / 10.0;
                var sum = SpecialFunctions.RegularizedBeta(x, a, b) + SpecialFunctions.RegularizedBeta(1 - x, b, a);
                return Math.Abs(sum - 1) < 1e-12;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void Quantiles_invert_the_cdfs() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(1, 999_999)),
            Arb.From(Gen.Choose(1, 500)),
            (p6, df) =>
            {
                var p = p6 / 1e6;
                var z = Normal.Quantile(p);
                var t = StudentT.Quantile(p, df / 2.0);
                return Math.Abs(Normal.Cdf(z) - p) < 1e-13 * Math.Max(1, p / (1 - p))
                    && Math.Abs(StudentT.Cdf(t, df / 2.0) - p) < 1e-11;
            }).QuickCheckThrowOnFailure();
}
