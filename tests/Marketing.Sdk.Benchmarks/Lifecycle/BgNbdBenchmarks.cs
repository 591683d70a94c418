using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Benchmarks.Lifecycle;

/// <summary>The synthetic cohort the lifecycle benchmarks share: BG/NBD and Gamma-Gamma near the CDNOW estimates, daily resolution in weekly units.</summary>
internal static class LifecycleCohort
{
    public static readonly BgNbdParameters Purchases = new(0.25, 4, 0.8, 2.5);
    public static readonly GammaGammaParameters Spend = new(6.25, 3.74, 15.44);

    public static CustomerSummary[] Simulate(int customers) =>
        CustomerSimulator.Simulate(Purchases, Spend, new SimulationOptions { Customers = customers, MinT = 26, MaxT = 52, Resolution = 1.0 / 7, Seed = 42 });
}

/// <summary>
/// BG/NBD maximum-likelihood fit on one million customers: the package (customers sharing
/// (x, t_x, T) merged into weighted rows, x-only terms per distinct x, SIMD loops, chunks summed in
/// parallel) against a straightforward implementation — one pass over every customer per evaluation
/// with log-gamma and digamma calls and the same analytic gradient — driven by the same BFGS
/// optimiser from the same start to the same tolerance. Both return the maximised log-likelihood.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class BgNbdMillionFitBenchmarks
{
    private CustomerSummary[] _customers = [];

    [Params(1_000_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public void Setup() => _customers = LifecycleCohort.Simulate(Customers);

    [Benchmark(Baseline = true)]
    public double PerCustomerAnalyticFit()
    {
        var customers = _customers;
        var rate = customers.Sum(c => (double)c.Frequency) / customers.Sum(c => c.T);
        // The package's default tolerance (1e-9) is below the rounding noise of a plain sum over a
        // million customers, so this baseline stops at 1e-7 (the package fit still meets 1e-9).
        return -Bfgs.Minimize((theta, gradient) => NegativeMeanLogLikelihood(customers, theta, gradient), [0, Math.Log(1 / rate), 0, 0], gradientTolerance: 1e-7)
            .Value * customers.Length;
    }

    [Benchmark]
    public double PackageFit() => BgNbdModel.Fit(_customers).Diagnostics.LogLikelihood;

    /// <summary>−LL/N and its gradient in ln(r, α, a, b), customer by customer, the formula as printed.</summary>
    internal static double NegativeMeanLogLikelihood(CustomerSummary[] customers, ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double r = Math.Exp(theta[0]), alpha = Math.Exp(theta[1]), a = Math.Exp(theta[2]), b = Math.Exp(theta[3]);
        double lgR = SpecialFunctions.LogGamma(r), lgB = SpecialFunctions.LogGamma(b), lgAb = SpecialFunctions.LogGamma(a + b);
        double psiR = SpecialFunctions.Digamma(r), psiB = SpecialFunctions.Digamma(b), psiAb = SpecialFunctions.Digamma(a + b);
        double logAlpha = Math.Log(alpha), logA = Math.Log(a);
        double ll = 0, dr = 0, dAlpha = 0, da = 0, db = 0;
        foreach (var c in customers)
        {
            var x = c.Frequency;
            var rx = r + x;
            ll += SpecialFunctions.LogGamma(rx) - lgR + r * logAlpha
                + lgAb + SpecialFunctions.LogGamma(b + x) - lgB - SpecialFunctions.LogGamma(a + b + x);
            var psiAbx = SpecialFunctions.Digamma(a + b + x);
            dr += SpecialFunctions.Digamma(rx) - psiR + logAlpha;
            dAlpha += r / alpha;
            da += psiAb - psiAbx;
            db += psiAb + SpecialFunctions.Digamma(b + x) - psiB - psiAbx;
            var aT = alpha + c.T;
            var la = Math.Log(aT);
            var l3 = -rx * la;
            if (x == 0)
            {
                ll += l3;
                dr -= la;
                dAlpha -= rx / aT;
                continue;
            }
            var aTx = alpha + c.Recency;
            var lt = Math.Log(aTx);
            var l4 = logA - Math.Log(b + x - 1) - rx * lt;
            var m = Math.Max(l3, l4);
            double e3 = Math.Exp(l3 - m), e4 = Math.Exp(l4 - m);
            ll += m + Math.Log(e3 + e4);
            double w3 = e3 / (e3 + e4), w4 = e4 / (e3 + e4);
            dr -= w3 * la + w4 * lt;
            dAlpha -= rx * (w3 / aT + w4 / aTx);
            da += w4 / a;
            db -= w4 / (b + x - 1);
        }
        var scale = -1.0 / customers.Length;
        gradient[0] = scale * dr * r;
        gradient[1] = scale * dAlpha * alpha;
        gradient[2] = scale * da * a;
        gradient[3] = scale * db * b;
        return scale * ll;
    }
}

/// <summary>
/// The same fit on 10 000 customers against a textbook implementation with central finite-difference
/// gradients (six log-gamma calls per customer, nine likelihood passes per gradient); that baseline
/// is too slow for the million-customer run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class BgNbdFitBenchmarks
{
    private CustomerSummary[] _customers = [];

    [Params(10_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _customers = CustomerSimulator.Simulate(LifecycleCohort.Purchases, null,
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
/// Scoring one million customers (P(alive), expected purchases, Gamma-Gamma spend, discounted CLV
/// over 12 monthly steps) into one score per customer: a per-customer loop over
/// <see cref="CustomerLifetimeValue.Score"/> against <see cref="CustomerLifetimeValue.ScoreAll"/>
/// (purchase curve once per distinct (x, T), P(alive) once per distinct (x, t_x, T), spend per
/// customer). Both fill the same score array.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class ClvScoringBenchmarks
{
    private CustomerSummary[] _customers = [];
    private readonly BgNbdModel _purchases = new(LifecycleCohort.Purchases);
    private readonly GammaGammaModel _spend = new(LifecycleCohort.Spend);
    private readonly ClvOptions _options = new() { Horizon = 52, StepLength = 52.0 / 12, DiscountRate = 0.01 };

    [Params(1_000_000)]
    public int Customers { get; set; }

    [GlobalSetup]
    public void Setup() => _customers = LifecycleCohort.Simulate(Customers);

    [Benchmark(Baseline = true)]
    public CustomerScore[] PerCustomerLoop()
    {
        var scores = new CustomerScore[_customers.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = CustomerLifetimeValue.Score(_purchases, _spend, _customers[i], _options);
        }
        return scores;
    }

    [Benchmark]
    public CustomerScore[] ScoreAll() => CustomerLifetimeValue.ScoreAll(_purchases, _spend, _customers, _options);
}
