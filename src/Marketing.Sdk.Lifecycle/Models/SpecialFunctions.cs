namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>Log-gamma (shared), digamma and the Gauss hypergeometric function for the probability models.</summary>
internal static class SpecialFunctions
{
    /// <summary>ln Γ(x) for x &gt; 0 (the shared implementation in <c>src/Shared/Math</c>).</summary>
    public static double LogGamma(double x) => Marketing.Sdk.Mathematics.GammaFunction.LogGamma(x);

    /// <summary>ψ(x) = d/dx ln Γ(x) for x &gt; 0 (recurrence to x ≥ 6, then the asymptotic series).</summary>
    public static double Digamma(double x)
    {
        var result = 0.0;
        while (x < 6)
        {
            result -= 1 / x;
            x += 1;
        }
        var inv = 1 / x;
        var inv2 = inv * inv;
        result += Math.Log(x) - 0.5 * inv
            - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
        return result;
    }

    /// <summary>
    /// ln ₂F₁(a, b; c; z) for a, b, c &gt; 0 and 0 ≤ z &lt; 1 by the power series, rescaled so large
    /// intermediate terms cannot overflow.
    /// </summary>
    public static double LogHypergeometric2F1(double a, double b, double c, double z)
    {
        if (z == 0)
        {
            return 0;
        }
        if (!(z > 0 && z < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(z), "The series needs 0 ≤ z < 1.");
        }
        double term = 1, sum = 1, logScale = 0;
        for (var k = 0; k < 1_000_000; k++)
        {
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
            sum += term;
            if (sum > 1e250)
            {
                sum *= 1e-250;
                term *= 1e-250;
                logScale += 250 * Math.Log(10);
            }
            if (term < 1e-17 * sum && k > 2)
            {
                return Math.Log(sum) + logScale;
            }
        }
        throw new LifecycleModelException("The hypergeometric series did not converge; the prediction horizon is too long for these parameters.");
    }

    /// <summary>exp(x) − 1 without cancellation for small x.</summary>
    public static double ExpM1(double x) =>
        Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;

    /// <summary>ln(1 + exp(x)) without overflow.</summary>
    public static double Log1PExp(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}
