namespace Marketing.Sdk.Experimentation.Statistics;

/// <summary>The standard normal distribution.</summary>
public static class Normal
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;

    /// <summary>Density φ(x).</summary>
    /// <param name="x">The point.</param>
    public static double Pdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// Φ(x) = P(Z ≤ x), from the regularized incomplete gamma function
    /// (Φ(x) = ½·Q(½, x²/2) for x &lt; 0), so far tails keep relative accuracy.
    /// </summary>
    /// <param name="x">The point.</param>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        if (x < 0)
        {
            return 0.5 * SpecialFunctions.RegularizedGammaQ(0.5, 0.5 * x * x);
        }
        return 0.5 + 0.5 * SpecialFunctions.RegularizedGammaP(0.5, 0.5 * x * x);
    }

    /// <summary>The upper tail P(Z &gt; x) = Φ(−x), accurate for large x.</summary>
    /// <param name="x">The point.</param>
    public static double UpperTail(double x) => Cdf(-x);

    /// <summary>
    /// The quantile Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16, Applied Statistics 37, 1988),
    /// accurate to about 1 part in 10¹⁶.
    /// </summary>
    /// <param name="p">A probability in (0, 1); 0 and 1 give −∞ and +∞.</param>
    public static double Quantile(double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), "p must lie in [0, 1].");
        }
        if (p == 0)
        {
            return double.NegativeInfinity;
        }
        if (p == 1)
        {
            return double.PositiveInfinity;
        }
        var q = p - 0.5;
        double r;
        if (Math.Abs(q) <= 0.425)
        {
            r = 0.180625 - q * q;
            return q * (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r
                        + 4.5921953931549871457e4) * r + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                        + 1.3314166789178437745e2) * r + 3.3871328727963666080e0)
                   / (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r + 3.9307895800092710610e4) * r
                        + 2.1213794301586595867e4) * r + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
                        + 4.2313330701600911252e1) * r + 1.0);
        }
        r = q < 0 ? p : 1 - p;
        r = Math.Sqrt(-Math.Log(r));
        double value;
        if (r <= 5)
        {
            r -= 1.6;
            value = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r + 2.41780725177450611770e-1) * r
                        + 1.27045825245236838258e0) * r + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
                        + 4.63033784615654529590e0) * r + 1.42343711074968357734e0)
                    / (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r + 1.51986665636164571966e-2) * r
                        + 1.48103976427480074590e-1) * r + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
                        + 2.05319162663775882187e0) * r + 1.0);
        }
        else
        {
            r -= 5;
            value = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.24266094738807843860e-3) * r
                        + 2.65321895265761230930e-2) * r + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
                        + 5.46378491116411436990e0) * r + 6.65790464350110377720e0)
                    / (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r + 1.84631831751005468180e-5) * r
                        + 7.86869131145613259100e-4) * r + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                        + 5.99832206555887937690e-1) * r + 1.0);
        }
        return q < 0 ? -value : value;
    }
}

/// <summary>Student's t distribution with ν degrees of freedom (ν may be fractional, as in Welch's test).</summary>
public static class StudentT
{
    /// <summary>Density at <paramref name="t"/>.</summary>
    /// <param name="t">The point.</param>
    /// <param name="degreesOfFreedom">ν &gt; 0.</param>
    public static double Pdf(double t, double degreesOfFreedom)
    {
        CheckDf(degreesOfFreedom);
        var v = degreesOfFreedom;
        return Math.Exp(SpecialFunctions.LogGamma((v + 1) / 2) - SpecialFunctions.LogGamma(v / 2)
                        - 0.5 * Math.Log(v * Math.PI) - (v + 1) / 2 * Math.Log(1 + t * t / v));
    }

    /// <summary>P(T ≤ t), through the incomplete beta function: P(T &gt; |t|) = ½·I_{ν/(ν+t²)}(ν/2, ½).</summary>
    /// <param name="t">The point.</param>
    /// <param name="degreesOfFreedom">ν &gt; 0.</param>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        if (double.IsNaN(t))
        {
            return double.NaN;
        }
        var tail = UpperTailAbs(Math.Abs(t), degreesOfFreedom);
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>P(T &gt; t).</summary>
    /// <param name="t">The point.</param>
    /// <param name="degreesOfFreedom">ν &gt; 0.</param>
    public static double UpperTail(double t, double degreesOfFreedom) => Cdf(-t, degreesOfFreedom);

    /// <summary>
    /// The quantile t such that P(T ≤ t) = p: closed forms for ν = 1 and 2, otherwise Newton's method
    /// on the tail probability from a Cornish–Fisher start, safeguarded by bisection.
    /// </summary>
    /// <param name="p">A probability in (0, 1).</param>
    /// <param name="degreesOfFreedom">ν &gt; 0.</param>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        CheckDf(degreesOfFreedom);
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), "p must lie in [0, 1].");
        }
        if (p == 0)
        {
            return double.NegativeInfinity;
        }
        if (p == 1)
        {
            return double.PositiveInfinity;
        }
        if (p == 0.5)
        {
            return 0;
        }
        var tailProbability = Math.Min(p, 1 - p);
        var magnitude = UpperQuantile(tailProbability, degreesOfFreedom);
        return p < 0.5 ? -magnitude : magnitude;
    }

    private static double UpperQuantile(double q, double v)
    {
        if (v == 1)
        {
            return Math.Tan(Math.PI * (0.5 - q));
        }
        if (v == 2)
        {
            var alpha = 4 * q * (1 - q);
            return Math.Sqrt(2 / alpha) * (1 - 2 * q);
        }
        if (double.IsPositiveInfinity(v) || v > 1e12)
        {
            return -Normal.Quantile(q);
        }
        // Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5) as the starting point.
        var z = -Normal.Quantile(q);
        var z2 = z * z;
        var t = z + (z2 + 1) * z / (4 * v)
                  + ((5 * z2 + 16) * z2 + 3) * z / (96 * v * v)
                  + (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / (384 * v * v * v);
        double lo = 0, hi = double.PositiveInfinity;
        for (var i = 0; i < 200; i++)
        {
            var f = UpperTailAbs(t, v) - q;
            if (f > 0)
            {
                lo = t;
            }
            else
            {
                hi = t;
            }
            var next = t + f / Pdf(t, v);
            if (!(next > lo && next < hi) || !double.IsFinite(next))
            {
                next = double.IsPositiveInfinity(hi) ? Math.Max(2 * t, 1) : 0.5 * (lo + hi);
            }
            if (Math.Abs(next - t) <= 1e-15 * Math.Abs(next))
            {
                return next;
            }
            t = next;
        }
        return t;
    }

    internal static double UpperTailAbs(double absT, double v)
    {
        CheckDf(v);
        if (double.IsPositiveInfinity(absT))
        {
            return 0;
        }
        if (double.IsPositiveInfinity(v) || v > 1e12)
        {
            return Normal.UpperTail(absT);
        }
        var t2 = absT * absT;
        // x = ν/(ν+t²) and 1 − x = t²/(ν+t²), both computed without cancellation.
        var denominator = v + t2;
        return 0.5 * SpecialFunctions.RegularizedBeta(v / denominator, t2 / denominator, v / 2, 0.5);
    }

    private static void CheckDf(double v)
    {
        if (!(v > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(v), "Degrees of freedom must be positive.");
        }
    }
}

/// <summary>The chi-square distribution with k degrees of freedom.</summary>
public static class ChiSquare
{
    /// <summary>P(X ≤ x) = P(k/2, x/2).</summary>
    /// <param name="x">The point, ≥ 0.</param>
    /// <param name="degreesOfFreedom">k &gt; 0.</param>
    public static double Cdf(double x, double degreesOfFreedom)
    {
        Check(degreesOfFreedom);
        return x <= 0 ? 0 : SpecialFunctions.RegularizedGammaP(degreesOfFreedom / 2, x / 2);
    }

    /// <summary>P(X &gt; x) = Q(k/2, x/2), accurate for small tail probabilities.</summary>
    /// <param name="x">The point, ≥ 0.</param>
    /// <param name="degreesOfFreedom">k &gt; 0.</param>
    public static double UpperTail(double x, double degreesOfFreedom)
    {
        Check(degreesOfFreedom);
        return x <= 0 ? 1 : SpecialFunctions.RegularizedGammaQ(degreesOfFreedom / 2, x / 2);
    }

    private static void Check(double k)
    {
        if (!(k > 0) || double.IsInfinity(k))
        {
            throw new ArgumentOutOfRangeException(nameof(k), "Degrees of freedom must be positive and finite.");
        }
    }
}
