namespace Marketing.Sdk.Mathematics;

/// <summary>
/// ln Γ, shared by the packages that need it (Experimentation's distributions, Lifecycle's
/// BG/NBD and Gamma-Gamma models) without a package reference between them.
/// </summary>
internal static class GammaFunction
{
    private static readonly double[] LanczosCoefficients =
    [
        57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199,
        .339946499848118887e-4, .465236289270485756e-4, -.983744753048795646e-4, .158088703224912494e-3,
        -.210264441724104883e-3, .217439618115212643e-3, -.164318106536763890e-3, .844182239838527433e-4,
        -.261908384015814087e-4, .368991826595316234e-5,
    ];

    /// <summary>
    /// ln Γ(x) for x &gt; 0, by the Lanczos approximation with g = 607/128 and 14 terms
    /// (Numerical Recipes, 3rd ed., §6.1); relative error below 1e-15.
    /// </summary>
    /// <param name="x">A positive number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="x"/> is not positive.</exception>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), "LogGamma is defined here for x > 0.");
        }
        if (x == 1 || x == 2)
        {
            return 0;
        }
        var y = x;
        var tmp = x + 5.24218750000000000;
        tmp = (x + 0.5) * Math.Log(tmp) - tmp;
        var ser = 0.999999999999997092;
        for (var j = 0; j < LanczosCoefficients.Length; j++)
        {
            ser += LanczosCoefficients[j] / ++y;
        }
        return tmp + Math.Log(2.5066282746310005 * ser / x);
    }
}
