namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>A Beta(α, β) prior on a conversion rate. Beta(1, 1) is uniform; Beta(0.5, 0.5) is Jeffreys'.</summary>
/// <param name="Alpha">α &gt; 0 (prior successes).</param>
/// <param name="Beta">β &gt; 0 (prior failures).</param>
public sealed record BetaPrior(double Alpha = 1, double Beta = 1)
{
    /// <summary>The uniform prior Beta(1, 1).</summary>
    public static BetaPrior Uniform { get; } = new();
}

/// <summary>Bayesian comparison of two conversion rates with Beta posteriors.</summary>
/// <param name="ProbabilityTreatmentBeatsControl">P(p_t &gt; p_c | data).</param>
/// <param name="ExpectedLossOfTreatment">E[max(p_c − p_t, 0)]: the rate lost, on average, by shipping the treatment.</param>
/// <param name="ExpectedLossOfControl">E[max(p_t − p_c, 0)]: the rate lost by keeping the control.</param>
/// <param name="ControlCredibleInterval">Equal-tailed 95 % credible interval of the control rate.</param>
/// <param name="TreatmentCredibleInterval">Equal-tailed 95 % credible interval of the treatment rate.</param>
public sealed record BayesianComparison(
    double ProbabilityTreatmentBeatsControl,
    double ExpectedLossOfTreatment,
    double ExpectedLossOfControl,
    ConfidenceInterval ControlCredibleInterval,
    ConfidenceInterval TreatmentCredibleInterval);

/// <summary>
/// Beta-binomial A/B analysis. P(B &gt; A) uses Evan Miller's closed form ("Formulas for Bayesian A/B
/// Testing", 2015) when a posterior α is a whole number, Σ_{i=0}^{α_B−1} B(α_A+i, β_A+β_B) /
/// ((β_B+i)·B(1+i, β_B)·B(α_A, β_A)), and Gauss–Legendre quadrature of ∫ f_B(x)·I_x(α_A, β_A) dx
/// otherwise. Expected loss follows from x·Beta(a, b) density = a/(a+b)·Beta(a+1, b) density:
/// E[max(X − Y, 0)] = a/(a+b)·P(X⁺ &gt; Y) − c/(c+d)·P(X &gt; Y⁺).
/// </summary>
public static class BetaBinomial
{
    private const int MaxSeriesTerms = 200_000;

    /// <summary>Compares treatment with control under a common prior.</summary>
    /// <param name="control">Control counts.</param>
    /// <param name="treatment">Treatment counts.</param>
    /// <param name="prior">The prior; default uniform.</param>
    public static BayesianComparison Compare(ConversionCounts control, ConversionCounts treatment, BetaPrior? prior = null)
    {
        control.Validate("control", requireUnits: false);
        treatment.Validate("treatment", requireUnits: false);
        prior ??= BetaPrior.Uniform;
        Guard.Positive(prior.Alpha, "prior.alpha");
        Guard.Positive(prior.Beta, "prior.beta");
        var ac = prior.Alpha + control.Conversions;
        var bc = prior.Beta + control.Units - control.Conversions;
        var at = prior.Alpha + treatment.Conversions;
        var bt = prior.Beta + treatment.Units - treatment.Conversions;
        var pBeats = ProbabilityGreater(at, bt, ac, bc);
        return new BayesianComparison(
            pBeats,
            ExpectedShortfall(ac, bc, at, bt),
            ExpectedShortfall(at, bt, ac, bc),
            CredibleInterval(ac, bc, 0.95),
            CredibleInterval(at, bt, 0.95));
    }

    /// <summary>P(X &gt; Y) for independent X ~ Beta(a, b) and Y ~ Beta(c, d).</summary>
    /// <param name="a">α of X.</param>
    /// <param name="b">β of X.</param>
    /// <param name="c">α of Y.</param>
    /// <param name="d">β of Y.</param>
    public static double ProbabilityGreater(double a, double b, double c, double d)
    {
        Guard.Positive(a, nameof(a));
        Guard.Positive(b, nameof(b));
        Guard.Positive(c, nameof(c));
        Guard.Positive(d, nameof(d));
        var aWhole = IsWhole(a) && a <= MaxSeriesTerms;
        var cWhole = IsWhole(c) && c <= MaxSeriesTerms;
        if (aWhole && (!cWhole || a <= c))
        {
            return Math.Clamp(MillerSeries(c, d, a, b), 0, 1);
        }
        if (cWhole)
        {
            return Math.Clamp(1 - MillerSeries(a, b, c, d), 0, 1);
        }
        return Math.Clamp(Quadrature(a, b, c, d), 0, 1);
    }

    /// <summary>E[max(Y − X, 0)] for X ~ Beta(a, b), Y ~ Beta(c, d): what is lost by choosing X.</summary>
    private static double ExpectedShortfall(double c, double d, double a, double b)
    {
        // E[max(Y − X, 0)] = E[Y·1{Y>X}] − E[X·1{Y>X}], with Y = Beta(c, d) and X = Beta(a, b).
        var value = c / (c + d) * ProbabilityGreater(c + 1, d, a, b) - a / (a + b) * ProbabilityGreater(c, d, a + 1, b);
        return Math.Max(0, value);
    }

    /// <summary>Equal-tailed credible interval of Beta(a, b), by bisection on I_x(a, b).</summary>
    private static ConfidenceInterval CredibleInterval(double a, double b, double level)
    {
        var tail = (1 - level) / 2;
        return new ConfidenceInterval(BetaQuantile(tail, a, b), BetaQuantile(1 - tail, a, b), level);
    }

    internal static double BetaQuantile(double p, double a, double b)
    {
        double lo = 0, hi = 1;
        for (var i = 0; i < 100; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (SpecialFunctions.RegularizedBeta(mid, a, b) < p)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    private static bool IsWhole(double x) => x == Math.Floor(x);

    /// <summary>Evan Miller's sum for P(X_B &gt; X_A), X_A ~ Beta(aA, bA), X_B ~ Beta(aB, bB), whole aB.</summary>
    private static double MillerSeries(double aA, double bA, double aB, double bB)
    {
        var logBetaA = SpecialFunctions.LogBeta(aA, bA);
        double total = 0;
        var terms = (long)aB;
        for (long i = 0; i < terms; i++)
        {
            total += Math.Exp(SpecialFunctions.LogBeta(aA + i, bA + bB) - Math.Log(bB + i) - SpecialFunctions.LogBeta(1 + i, bB) - logBetaA);
        }
        return total;
    }

    private static readonly double[] GaussNodes =
    [
        -0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.7554044083550030,
        -0.6178762444026438, -0.4580167776572274, -0.2816035507792589, -0.0950125098376374,
        0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438,
        0.7554044083550030, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499,
    ];

    private static readonly double[] GaussWeights =
    [
        0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339,
        0.1495959888165767, 0.1691565193950025, 0.1826034150449236, 0.1894506104550685,
        0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767,
        0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541,
    ];

    /// <summary>P(X &gt; Y) = ∫ f_X(x)·I_x(c, d) dx by composite 16-point Gauss–Legendre over X's bulk.</summary>
    private static double Quadrature(double a, double b, double c, double d)
    {
        var mean = a / (a + b);
        var sd = Math.Sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
        var lo = Math.Max(0, mean - 40 * sd);
        var hi = Math.Min(1, mean + 40 * sd);
        const int Panels = 400;
        var width = (hi - lo) / Panels;
        var logNorm = SpecialFunctions.LogBeta(a, b);
        double total = 0;
        for (var k = 0; k < Panels; k++)
        {
            var center = lo + (k + 0.5) * width;
            for (var j = 0; j < GaussNodes.Length; j++)
            {
                var x = center + 0.5 * width * GaussNodes[j];
                if (x <= 0 || x >= 1)
                {
                    continue;
                }
                var density = Math.Exp((a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x) - logNorm);
                total += GaussWeights[j] * 0.5 * width * density * SpecialFunctions.RegularizedBeta(x, c, d);
            }
        }
        return total;
    }
}
