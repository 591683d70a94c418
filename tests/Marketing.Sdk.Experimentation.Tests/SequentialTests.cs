using Marketing.Sdk.Experimentation.Bandits;
using Marketing.Sdk.Experimentation.Statistics;
using Xunit.Abstractions;

namespace Marketing.Sdk.Experimentation.Tests;

public class SequentialTests(ITestOutputHelper output)
{
    [Fact]
    public void Repeated_peeking_keeps_the_false_positive_rate_at_most_alpha_while_naive_peeking_inflates_it()
    {
        // 1 000 A/A tests (10 % conversion in both arms), up to 5 000 units per arm, a look every 100 units
        // (50 looks). Fixed seed: the outcome is the same on every run.
        const int Experiments = 1000, MaxUnits = 5000, LookEvery = 100;
        const double Rate = 0.10, Alpha = 0.05;
        var rng = new SeededRandom(20240601);
        int sequentialFalsePositives = 0, naiveFalsePositives = 0;
        for (var e = 0; e < Experiments; e++)
        {
            var monitor = new SequentialMonitor(mixingStandardDeviation: 0.01, alpha: Alpha);
            long cc = 0, ct = 0;
            bool sequentialRejected = false, naiveRejected = false;
            for (var n = 1; n <= MaxUnits; n++)
            {
                cc += rng.NextDouble() < Rate ? 1 : 0;
                ct += rng.NextDouble() < Rate ? 1 : 0;
                if (n % LookEvery != 0)
                {
                    continue;
                }
                sequentialRejected |= monitor.Observe(new(n, cc), new(n, ct)).RejectNull;
                naiveRejected |= ProportionTest.TwoSample(new(n, cc), new(n, ct)).PValue <= Alpha;
            }
            sequentialFalsePositives += sequentialRejected ? 1 : 0;
            naiveFalsePositives += naiveRejected ? 1 : 0;
        }
        var sequentialRate = sequentialFalsePositives / (double)Experiments;
        var naiveRate = naiveFalsePositives / (double)Experiments;
        output.WriteLine($"false-positive rate over 50 looks: mSPRT {sequentialRate:P1}, naive z-test {naiveRate:P1}");
        Assert.True(sequentialRate <= Alpha, $"mSPRT false-positive rate {sequentialRate}");
        Assert.True(naiveRate > 2 * Alpha, $"naive peeking false-positive rate {naiveRate} should be inflated");
    }

    [Fact]
    public void A_real_effect_is_detected()
    {
        var rng = new SeededRandom(7);
        var detected = 0;
        for (var e = 0; e < 100; e++)
        {
            var monitor = new SequentialMonitor(0.01);
            long cc = 0, ct = 0;
            for (var n = 1; n <= 10_000; n++)
            {
                cc += rng.NextDouble() < 0.10 ? 1 : 0;
                ct += rng.NextDouble() < 0.13 ? 1 : 0;
                if (n % 500 == 0 && monitor.Observe(new(n, cc), new(n, ct)).RejectNull)
                {
                    detected++;
                    break;
                }
            }
        }
        Assert.True(detected >= 90, $"detected {detected} of 100");
    }

    [Fact]
    public void Likelihood_ratio_and_interval_follow_the_closed_form()
    {
        // θ̂ = 0.02, s² = 1e-4, τ = 0.01: Λ = √(1e-4/2e-4)·exp(1e-4·4e-4/(2·1e-4·2e-4)) = √0.5·e.
        var r = MixtureSprt.Compute(0.02, 1e-4, 0.01, 0.05);
        Approx.Relative(Math.Log(Math.Sqrt(0.5)) + 1, r.LogLikelihoodRatio, 1e-14);
        Approx.Relative(1 / (Math.Sqrt(0.5) * Math.E), r.AlwaysValidPValue, 1e-14);
        var half = Math.Sqrt(1e-4 * 2e-4 / 1e-4 * (Math.Log(2) - 2 * Math.Log(0.05)));
        Approx.Relative(0.02 - half, r.AlwaysValidInterval.Lower, 1e-12);
        // The interval excludes 0 exactly when p ≤ α.
        Assert.Equal(r.RejectNull, !r.AlwaysValidInterval.Contains(0));
    }

    [Fact]
    public void Monitor_p_value_never_increases()
    {
        var monitor = new SequentialMonitor(0.02);
        var last = 1.0;
        long[] conversions = [10, 30, 35, 40, 41, 60];
        for (var i = 0; i < conversions.Length; i++)
        {
            var r = monitor.Observe(new((i + 1) * 100, conversions[i]), new((i + 1) * 100, conversions[i] / 2));
            Assert.True(r.AlwaysValidPValue <= last);
            last = r.AlwaysValidPValue;
        }
        Assert.Equal(conversions.Length, monitor.Looks);
    }
}
