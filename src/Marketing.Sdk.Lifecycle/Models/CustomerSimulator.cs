namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>Settings of a synthetic cohort.</summary>
public sealed record SimulationOptions
{
    /// <summary>Number of customers (default 10 000).</summary>
    public int Customers { get; init; } = 10_000;

    /// <summary>Shortest observation time T (default 26 time units).</summary>
    public double MinT { get; init; } = 26;

    /// <summary>Longest observation time T (default 52 time units).</summary>
    public double MaxT { get; init; } = 52;

    /// <summary>When set, purchase times and T are rounded up to multiples of this (e.g. 1/7 for days when the unit is weeks).</summary>
    public double? Resolution { get; init; }

    /// <summary>Seed of the random number generator (results are reproducible for a seed).</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Draws synthetic customer summaries from the BG/NBD generative process (and, optionally, mean
/// repeat spends from the Gamma-Gamma process): for tests, benchmarks and demos.
/// </summary>
public static class CustomerSimulator
{
    /// <summary>Simulates a cohort.</summary>
    /// <param name="purchases">Purchase-process parameters.</param>
    /// <param name="spend">Spend-process parameters; monetary values stay 0 when <see langword="null"/>.</param>
    /// <param name="options">Cohort size, observation window, resolution and seed.</param>
    public static CustomerSummary[] Simulate(BgNbdParameters purchases, GammaGammaParameters? spend = null, SimulationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        purchases.Validate();
        spend?.Validate();
        options ??= new SimulationOptions();
        if (options.Customers < 0 || !(options.MinT > 0) || options.MaxT < options.MinT)
        {
            throw new MarketingValidationException("options", ValidationReason.OutOfRange, "Customers must be 0 or more and 0 < MinT <= MaxT.");
        }
#pragma warning disable CA5394 // Reproducible simulation, not security.
        var random = new Random(options.Seed);
        var result = new CustomerSummary[options.Customers];
        for (var i = 0; i < result.Length; i++)
        {
            var T = Round(options.MinT + (options.MaxT - options.MinT) * random.NextDouble(), options.Resolution, double.MaxValue);
            var lambda = Gamma(random, purchases.R) / purchases.Alpha;
            var p = Beta(random, purchases.A, purchases.B);
            var x = 0;
            var tx = 0.0;
            var t = 0.0;
            while (true)
            {
                t += -Math.Log(1 - random.NextDouble()) / lambda;
                var observed = Round(t, options.Resolution, T);
                if (t > T || observed > T)
                {
                    break;
                }
                x++;
                tx = observed;
                if (random.NextDouble() < p)
                {
                    break;
                }
            }
            var monetary = 0.0;
            if (spend is not null && x > 0)
            {
                // ν ~ Gamma(q, rate γ); the mean of x values z ~ Gamma(p, rate ν) is Gamma(px, rate xν).
                var nu = Gamma(random, spend.Q) / spend.Gamma;
                monetary = Gamma(random, spend.P * x) / (x * nu);
            }
            result[i] = new CustomerSummary(x, tx, T, monetary);
        }
#pragma warning restore CA5394
        return result;
    }

    private static double Round(double value, double? resolution, double cap) =>
        resolution is { } r ? Math.Min(Math.Ceiling(value / r) * r, cap) : value;

#pragma warning disable CA5394
    // Marsaglia & Tsang (2000); shapes below 1 by the boost Γ(k) = Γ(k+1) · U^(1/k).
    private static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            return Gamma(random, shape + 1) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        }
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = Normal(random);
                v = 1 + c * z;
            }
            while (v <= 0);
            v = v * v * v;
            var u = 1 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v))
            {
                return d * v;
            }
        }
    }

    private static double Beta(Random random, double a, double b)
    {
        var x = Gamma(random, a);
        var y = Gamma(random, b);
        return x / (x + y);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
#pragma warning restore CA5394
}
