namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>The noncentral t distribution, as far as power calculations need it.</summary>
internal static class NoncentralT
{
    private const double ErrorBound = 1e-14;
    private const int MaxTerms = 100_000;
    private static readonly double LogSqrtPi = 0.5 * Math.Log(Math.PI);

    /// <summary>
    /// P(T ≤ t) for T noncentral t with ν degrees of freedom and noncentrality δ: Lenth's algorithm
    /// (Applied Statistics AS 243, 1989), a Poisson-weighted series of incomplete beta functions
    /// summed until the bound on the remaining terms falls below 1e-14 — the method scipy's
    /// <c>nct.cdf</c> (Boost) refines. Accurate for the |δ| ≲ 37 that power calculations reach; for
    /// larger |δ| the Poisson weights underflow and the result tends to Φ(−δ)'s limit.
    /// </summary>
    public static double Cdf(double t, double degreesOfFreedom, double noncentrality)
    {
        if (double.IsNaN(t) || !(degreesOfFreedom > 0) || double.IsNaN(noncentrality))
        {
            return double.NaN;
        }
        if (double.IsPositiveInfinity(t))
        {
            return 1;
        }
        if (double.IsNegativeInfinity(t))
        {
            return 0;
        }
        if (noncentrality == 0)
        {
            return StudentT.Cdf(t, degreesOfFreedom);
        }
        var negative = t < 0;
        var tt = negative ? -t : t;
        var del = negative ? -noncentrality : noncentrality;
        var result = 0.0;
        var x = tt * tt / (tt * tt + degreesOfFreedom);
        if (x > 0)
        {
            var lambda = del * del;
            var p = 0.5 * Math.Exp(-0.5 * lambda);
            var q = Math.Sqrt(2 / Math.PI) * p * del;
            var s = 0.5 - p;
            var a = 0.5;
            var b = 0.5 * degreesOfFreedom;
            var oneMinusX = degreesOfFreedom / (tt * tt + degreesOfFreedom);
            var rxb = Math.Pow(oneMinusX, b);
            var logBeta = LogSqrtPi + SpecialFunctions.LogGamma(b) - SpecialFunctions.LogGamma(0.5 + b);
            var xOdd = SpecialFunctions.RegularizedBeta(x, oneMinusX, a, b);
            var gOdd = 2 * rxb * Math.Exp(a * Math.Log(x) - logBeta);
            var xEven = 1 - rxb;
            var gEven = b * x * rxb;
            result = p * xOdd + q * xEven;
            for (var n = 1; n <= MaxTerms; n++)
            {
                a += 1;
                xOdd -= gOdd;
                xEven -= gEven;
                gOdd *= x * (a + b - 1) / a;
                gEven *= x * (a + b - 0.5) / (a + 0.5);
                p *= lambda / (2 * n);
                q *= lambda / (2 * n + 1);
                s -= p;
                result += p * xOdd + q * xEven;
                if (2 * s * (xOdd - gOdd) <= ErrorBound && n > lambda / 2)
                {
                    break;
                }
            }
        }
        result += Normal.Cdf(-del);
        result = Math.Clamp(result, 0, 1);
        return negative ? 1 - result : result;
    }

    /// <summary>P(T &gt; t).</summary>
    public static double UpperTail(double t, double degreesOfFreedom, double noncentrality) => Cdf(-t, degreesOfFreedom, -noncentrality);
}
