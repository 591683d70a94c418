using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Lifecycle.Tests;

public class ModelPropertyTests
{
    private static readonly BgNbdParameters Truth = new(0.25, 4.0, 0.8, 2.5);
    private static readonly GammaGammaParameters SpendTruth = new(6.0, 4.0, 15.0);

    [Fact]
    public void BgNbd_fit_recovers_the_parameters_of_a_simulated_cohort()
    {
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 40_000, MinT = 30, MaxT = 52, Seed = 7 });
        var p = BgNbdModel.Fit(cohort).Model.Parameters;
        Assert.Equal(Truth.R, p.R, Truth.R * 0.08);
        Assert.Equal(Truth.Alpha, p.Alpha, Truth.Alpha * 0.12);
        Assert.Equal(Truth.A, p.A, Truth.A * 0.2);
        Assert.Equal(Truth.B, p.B, Truth.B * 0.25);
    }

    [Fact]
    public void GammaGamma_fit_recovers_the_parameters_of_a_simulated_cohort()
    {
        var cohort = CustomerSimulator.Simulate(Truth, SpendTruth, new SimulationOptions { Customers = 60_000, Seed = 11 });
        var p = GammaGammaModel.Fit(cohort).Model.Parameters;
        // p is well identified; q and γ trade off along a ridge, so check q and the population mean pγ/(q−1).
        Assert.Equal(SpendTruth.P, p.P, SpendTruth.P * 0.1);
        Assert.Equal(SpendTruth.Q, p.Q, SpendTruth.Q * 0.25);
        Assert.Equal(6.0 * 15 / 3, p.P * p.Gamma / (p.Q - 1), 30 * 0.1);
    }

    [Fact]
    public void Population_expectation_matches_simulation()
    {
        var model = new BgNbdModel(Truth);
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 100_000, MinT = 20, MaxT = 20, Seed = 3 });
        var simulated = cohort.Average(c => c.Frequency);
        Assert.Equal(model.ExpectedPurchasesPopulation(20), simulated, 0.03);
    }

    [Fact]
    public void Gradient_matches_finite_differences()
    {
        var data = BgNbdData.Create(CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 500, Seed = 5 }));
        double[] theta = [Math.Log(0.4), Math.Log(3), Math.Log(1.2), Math.Log(1.7)];
        var g = new double[4];
        data.NegativeMeanLogLikelihood(theta, g);
        var scratch = new double[4];
        for (var i = 0; i < 4; i++)
        {
            var h = 1e-5;
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[i] += h;
            minus[i] -= h;
            var numeric = (data.NegativeMeanLogLikelihood(plus, scratch) - data.NegativeMeanLogLikelihood(minus, scratch)) / (2 * h);
            Assert.Equal(numeric, g[i], 1e-6);
        }
    }

    [Property(MaxTest = 200)]
    public Property Probability_alive_is_a_probability_and_falls_with_time_since_last_purchase(PositiveInt frequency, NormalFloat recencyShare, NormalFloat gap)
    {
        var model = new BgNbdModel(Truth);
        var x = Math.Min(frequency.Get, 200);
        var tx = 1 + Math.Abs(recencyShare.Get % 50);
        var extra = Math.Abs(gap.Get % 50);
        var near = model.ProbabilityAlive(new CustomerSummary(x, tx, tx + extra));
        var far = model.ProbabilityAlive(new CustomerSummary(x, tx, tx + extra + 1));
        return (near is >= 0 and <= 1 && far <= near + 1e-12).ToProperty();
    }

    [Property(MaxTest = 100)]
    public Property Expected_purchases_grow_with_the_horizon_and_are_bounded_by_the_alive_rate_times_t(PositiveInt frequency, NormalFloat share)
    {
        var model = new BgNbdModel(Truth);
        var x = Math.Min(frequency.Get, 60);
        var T = 40.0;
        var tx = 1 + Math.Abs(share.Get % 38);
        var c = new CustomerSummary(x, tx, T);
        var e10 = model.ExpectedPurchases(c, 10);
        var e20 = model.ExpectedPurchases(c, 20);
        var bound = model.ProbabilityAlive(c) * (Truth.R + x) / (Truth.Alpha + T) * 20;
        return (e10 > 0 && e20 > e10 && e20 <= bound * (1 + 1e-9)).ToProperty();
    }

    [Fact]
    public void Clv_is_discounted_and_scales_with_margin()
    {
        var purchases = new BgNbdModel(Truth);
        var spend = new GammaGammaModel(SpendTruth);
        var c = new CustomerSummary(5, 30, 35, 40);
        var undiscounted = CustomerLifetimeValue.Compute(purchases, spend, c, new ClvOptions { Horizon = 52, DiscountRate = 0 });
        var discounted = CustomerLifetimeValue.Compute(purchases, spend, c, new ClvOptions { Horizon = 52, DiscountRate = 0.01 });
        var half = CustomerLifetimeValue.Compute(purchases, spend, c, new ClvOptions { Horizon = 52, DiscountRate = 0.01, Margin = 0.5 });
        Assert.Equal(purchases.ExpectedPurchases(c, 52) * spend.ExpectedAverageSpend(c), undiscounted, 1e-9);
        Assert.True(discounted < undiscounted);
        Assert.Equal(discounted / 2, half, 1e-9);
    }

    [Fact]
    public void ScoreAll_equals_scoring_one_by_one()
    {
        var purchases = new BgNbdModel(Truth);
        var spend = new GammaGammaModel(SpendTruth);
        var cohort = CustomerSimulator.Simulate(Truth, SpendTruth, new SimulationOptions { Customers = 3000, Resolution = 1.0 / 7, Seed = 9 });
        var options = new ClvOptions { Horizon = 26, StepLength = 4.345, DiscountRate = 0.01 };
        var all = CustomerLifetimeValue.ScoreAll(purchases, spend, cohort, options);
        for (var i = 0; i < cohort.Length; i++)
        {
            Assert.Equal(CustomerLifetimeValue.Score(purchases, spend, cohort[i], options), all[i]);
        }
    }

    [Fact]
    public void Expected_average_spend_shrinks_toward_the_population_mean()
    {
        var spend = new GammaGammaModel(SpendTruth);
        var few = spend.ExpectedAverageSpend(new CustomerSummary(1, 5, 10, 100));
        var many = spend.ExpectedAverageSpend(new CustomerSummary(20, 5, 10, 100));
        Assert.InRange(few, spend.PopulationMeanSpend, 100);
        Assert.InRange(many, few, 100);
        Assert.Equal(spend.PopulationMeanSpend, spend.ExpectedAverageSpend(new CustomerSummary(0, 0, 10)));
    }

    [Fact]
    public void Invalid_summaries_are_rejected_with_their_position()
    {
        var ex = Assert.Throws<MarketingValidationException>(() => BgNbdModel.Fit([new CustomerSummary(1, 2, 10), new CustomerSummary(2, 12, 10)]));
        Assert.Equal("recency", ex.Field);
        Assert.Equal(1, ex.Index);
        Assert.Throws<LifecycleModelException>(() => BgNbdModel.Fit([]));
    }
}
