using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Benchmarks.Lifecycle;

/// <summary>
/// BG/NBD maximum-likelihood fit: the package (analytic gradient, per-frequency sufficient statistics,
/// chunked parallel sums) against a straightforward implementation (six log-gamma calls per customer
/// and central finite-difference gradients) driven by the same BFGS optimiser. 10 000 customers keep
/// the baseline's run time reasonable on a shared machine; the package fit itself scales linearly.
/// </summary>
[MemoryDiagnoser]
public class BgNbdFitBenchmarks
{
    private CustomerSummary[] _customers = [];

    [Params(10_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _customers = CustomerSimulator.Simulate(new BgNbdParameters(0.25, 4, 0.8, 2.5), null,
            new SimulationOptions { Customers = Customers, MinT = 26, MaxT = 52, Resolution = 1.0 / 7, Seed = 42 });

    [Benchmark(Baseline = true)]
    public double NaiveFiniteDifferenceFit()
    {
        var customers = _customers;
        double NegMeanLl(ReadOnlySpan<double> theta)
        {
            double r = Math.Exp(theta[0]), alpha = Math.Exp(theta[1]), a = Math.Exp(theta[2]), b = Math.Exp(theta[3]);
            var sum = 0.0;
            foreach (var c in customers)
            {
                var x = c.Frequency;
                var a1 = SpecialFunctions.LogGamma(r + x) - SpecialFunctions.LogGamma(r) + r * Math.Log(alpha);
                var a2 = SpecialFunctions.LogGamma(a + b) + SpecialFunctions.LogGamma(b + x) - SpecialFunctions.LogGamma(b) - SpecialFunctions.LogGamma(a + b + x);
                var a3 = -(r + x) * Math.Log(alpha + c.T);
                var a4 = x > 0 ? Math.Log(a) - Math.Log(b + x - 1) - (r + x) * Math.Log(alpha + c.Recency) : double.NegativeInfinity;
                var m = Math.Max(a3, a4);
                sum += a1 + a2 + m + Math.Log(Math.Exp(a3 - m) + Math.Exp(a4 - m));
            }
            return -sum / customers.Length;
        }
        double Objective(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            var f = NegMeanLl(theta);
            Span<double> probe = stackalloc double[4];
            for (var i = 0; i < 4; i++)
            {
                theta.CopyTo(probe);
                probe[i] += 1e-6;
                var up = NegMeanLl(probe);
                probe[i] -= 2e-6;
                gradient[i] = (up - NegMeanLl(probe)) / 2e-6;
            }
            return f;
        }
        return Bfgs.Minimize(Objective, [0, Math.Log(4), 0, 0], gradientTolerance: 1e-7).Value;
    }

    [Benchmark]
    public double PackageFit() => BgNbdModel.Fit(_customers).Diagnostics.LogLikelihood;
}

/// <summary>
/// Scoring every customer (P(alive), expected purchases, Gamma-Gamma spend, discounted CLV over 12
/// monthly steps): <see cref="CustomerLifetimeValue.ScoreAll"/> (identical summaries scored once,
/// parallel) against a per-customer loop.
/// </summary>
[MemoryDiagnoser]
public class ClvScoringBenchmarks
{
    private CustomerSummary[] _customers = [];
    private readonly BgNbdModel _purchases = new(new BgNbdParameters(0.25, 4, 0.8, 2.5));
    private readonly GammaGammaModel _spend = new(new GammaGammaParameters(6.25, 3.74, 15.44));
    private readonly ClvOptions _options = new() { Horizon = 52, StepLength = 52.0 / 12, DiscountRate = 0.01 };

    [Params(1_000_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _customers = CustomerSimulator.Simulate(new BgNbdParameters(0.25, 4, 0.8, 2.5), new GammaGammaParameters(6.25, 3.74, 15.44),
            new SimulationOptions { Customers = Customers, MinT = 26, MaxT = 52, Resolution = 1.0 / 7, Seed = 42 });

    [Benchmark(Baseline = true)]
    public double PerCustomerLoop()
    {
        var total = 0.0;
        foreach (var c in _customers)
        {
            total += CustomerLifetimeValue.Score(_purchases, _spend, c, _options).LifetimeValue;
        }
        return total;
    }

    [Benchmark]
    public double ScoreAll()
    {
        var total = 0.0;
        foreach (var s in CustomerLifetimeValue.ScoreAll(_purchases, _spend, _customers, _options))
        {
            total += s.LifetimeValue;
        }
        return total;
    }
}
