using Marketing.Sdk.Experimentation.Bandits;
using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

public class BanditTests
{
    private static readonly string[] Creatives = ["blue_banner", "red_banner", "video_banner"];
    private static readonly double[] TrueRates = [0.04, 0.06, 0.09];

    private static List<string> Run(IBandit bandit, Action<string, bool> update, ulong rewardSeed, int rounds)
    {
        var world = new SeededRandom(rewardSeed);
        var picks = new List<string>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            var arm = bandit.SelectArm();
            picks.Add(arm);
            update(arm, world.NextDouble() < TrueRates[Array.IndexOf(Creatives, arm)]);
        }
        return picks;
    }

    [Fact]
    public void Thompson_sampling_is_reproducible_and_finds_the_best_creative()
    {
        var a = new ThompsonSamplingBandit(Creatives, seed: 42);
        var b = new ThompsonSamplingBandit(Creatives, seed: 42);
        var c = new ThompsonSamplingBandit(Creatives, seed: 43);
        var picksA = Run(a, a.Update, 1, 20_000);
        Assert.Equal(picksA, Run(b, b.Update, 1, 20_000));
        Assert.NotEqual(picksA, Run(c, c.Update, 1, 20_000));
        var lastHalf = picksA.Skip(10_000).Count(p => p == "video_banner");
        Assert.True(lastHalf > 8_000, $"best creative got {lastHalf} of the last 10 000 plays");
        Assert.True(a.ProbabilityBest(2000)["video_banner"] > 0.9);
        Assert.Equal(20_000, a.Arms.Sum(x => x.Pulls));
    }

    [Fact]
    public void Epsilon_greedy_explores_at_rate_epsilon_and_exploits_the_best_mean()
    {
        var bandit = new EpsilonGreedyBandit(Creatives, epsilon: 0.1, seed: 5);
        var picks = Run(bandit, (arm, won) => bandit.Update(arm, won ? 1 : 0), 2, 20_000);
        var again = new EpsilonGreedyBandit(Creatives, 0.1, 5);
        Assert.Equal(picks, Run(again, (arm, won) => again.Update(arm, won ? 1 : 0), 2, 20_000));
        var best = picks.Skip(10_000).Count(p => p == "video_banner");
        // Exploitation ≈ 90 % + a third of the 10 % exploration once the best arm leads.
        Assert.True(best > 8_500, $"best creative got {best} of the last 10 000 plays");
        Assert.Equal(Creatives, picks.Take(3));
    }

    [Fact]
    public void Saved_state_resumes()
    {
        var bandit = new ThompsonSamplingBandit([new BanditArm("a", 1000, 10), new BanditArm("b", 1000, 300)], seed: 1);
        Assert.Equal(30, Enumerable.Range(0, 30).Count(_ => bandit.SelectArm() == "b"));
        bandit.Update("a", 10, 5);
        Assert.Equal(new BanditArm("a", 1010, 15), bandit.Arms[0]);
    }

    [Fact]
    public void Beta_draws_have_the_right_moments()
    {
        var rng = new SeededRandom(99);
        foreach (var (a, b) in new[] { (2.0, 5.0), (0.5, 0.5), (30.0, 970.0) })
        {
            var draws = Enumerable.Range(0, 200_000).Select(_ => rng.NextBeta(a, b)).ToArray();
            var s = SampleSummary.From(draws);
            var mean = a / (a + b);
            var variance = a * b / ((a + b) * (a + b) * (a + b + 1));
            // Mean within 5 standard errors; variance within 3 %.
            Assert.InRange(s.Mean, mean - 5 * Math.Sqrt(variance / draws.Length), mean + 5 * Math.Sqrt(variance / draws.Length));
            Assert.InRange(s.Variance, variance * 0.97, variance * 1.03);
        }
    }

    [Fact]
    public void Bad_input_gets_typed_errors()
    {
        Assert.Equal(ValidationReason.Missing, Assert.Throws<MarketingValidationException>(() => new ThompsonSamplingBandit(Array.Empty<string>(), 1)).Reason);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => new ThompsonSamplingBandit(["a", "a"], 1)).Reason);
        var bandit = new ThompsonSamplingBandit(["a"], 1);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => bandit.Update("zzz", true)).Reason);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => bandit.Update("a", 1, 2)).Reason);
        Assert.Equal(ValidationReason.OutOfRange, Assert.Throws<MarketingValidationException>(() => new EpsilonGreedyBandit(["a"], 1.5, 1)).Reason);
        Assert.Equal(ValidationReason.Inconsistent, Assert.Throws<MarketingValidationException>(() => new ThompsonSamplingBandit([new BanditArm("a", 1, 2)], 1)).Reason);
    }
}
