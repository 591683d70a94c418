using System.Collections.ObjectModel;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>The grouped (sufficient-statistics) paths of the fit and of scoring against their definitions.</summary>
public class SufficientStatisticsTests
{
    private static readonly BgNbdParameters Truth = new(0.25, 4.0, 0.8, 2.5);
    private static readonly GammaGammaParameters SpendTruth = new(6.0, 4.0, 15.0);

    [Fact]
    public void Groups_are_exact_and_weights_count_customers()
    {
        CustomerSummary[] customers =
        [
            new(2, 5, 10), new(2, 5, 10), new(2, 5 + 1e-12, 10), new(0, 0, 10), new(0, 3, 10), new(0, -0.0, 10), new(2, 5, 10.5),
        ];
        var groups = SummaryGroups.Create(customers, keepSlots: true);
        Assert.Equal(4, groups.Count);
        Assert.Equal(customers.Length, groups.Weight.AsSpan(0, groups.Count).ToArray().Sum());
        Assert.Equal(groups.Slot[0], groups.Slot[1]);
        Assert.NotEqual(groups.Slot[0], groups.Slot[2]); // no rounding: 5 and 5 + 1e-12 differ
        Assert.Equal(groups.Slot[3], groups.Slot[4]);    // x = 0: the recency plays no part
        Assert.Equal(groups.Slot[3], groups.Slot[5]);
        Assert.NotEqual(groups.Slot[0], groups.Slot[6]);
        for (var i = 0; i < customers.Length; i++)
        {
            var g = groups.Slot[i];
            Assert.Equal(customers[i].Frequency, groups.X[g]);
            Assert.Equal(customers[i].T, groups.T[g]);
        }
        var pairs = groups.ByFrequencyAndT();
        Assert.Equal(3, pairs.Count); // (2, 10), (0, 10), (2, 10.5)
        Assert.Equal(pairs.Slot[groups.Slot[0]], pairs.Slot[groups.Slot[2]]);
    }

    [Fact]
    public void Grouping_survives_table_growth()
    {
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 200_000, Seed = 21 });
        var doubled = cohort.Concat(cohort).ToArray();
        var groups = SummaryGroups.Create(doubled, keepSlots: true);
        var expected = cohort.Select(c => (c.Frequency, c.Frequency == 0 ? 0 : c.Recency, c.T)).Distinct().Count();
        Assert.Equal(expected, groups.Count);
        for (var i = 0; i < cohort.Length; i++)
        {
            Assert.Equal(groups.Slot[i], groups.Slot[i + cohort.Length]);
        }
    }

    [Property(MaxTest = 40)]
    public Property Grouped_likelihood_equals_the_per_customer_sum(PositiveInt seed)
    {
        // Daily resolution makes customers share summaries; the grouped likelihood must equal the plain sum.
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 300, MinT = 4, MaxT = 8, Resolution = 1.0, Seed = seed.Get });
        var data = BgNbdData.Create(cohort);
        double[] theta = [Math.Log(0.4), Math.Log(3), Math.Log(1.2), Math.Log(1.7)];
        var gradient = new double[4];
        var grouped = -data.NegativeMeanLogLikelihood(theta, gradient) * data.Count;
        var plain = cohort.Sum(c => IndividualLogLikelihood(new BgNbdParameters(0.4, 3, 1.2, 1.7), c));
        return (data.Rows < cohort.Length && Math.Abs(grouped - plain) < 1e-9 * Math.Abs(plain)).ToProperty();
    }

    [Fact]
    public void Simd_and_scalar_rows_agree_across_chunk_boundaries()
    {
        // 40 000 distinct repeat-buyer rows span several chunks and a scalar tail; the gradient still matches finite differences.
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 100_000, Seed = 17 });
        var data = BgNbdData.Create(cohort);
        Assert.True(data.Rows > 1 << 15);
        double[] theta = [Math.Log(0.3), Math.Log(5), Math.Log(0.9), Math.Log(2.2)];
        var g = new double[4];
        var value = data.NegativeMeanLogLikelihood(theta, g);
        var plain = -cohort.Sum(c => IndividualLogLikelihood(new BgNbdParameters(0.3, 5, 0.9, 2.2), c)) / cohort.Length;
        Assert.Equal(plain, value, 1e-10);
        var scratch = new double[4];
        for (var i = 0; i < 4; i++)
        {
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[i] += 1e-5;
            minus[i] -= 1e-5;
            var numeric = (data.NegativeMeanLogLikelihood(plus, scratch) - data.NegativeMeanLogLikelihood(minus, scratch)) / 2e-5;
            Assert.Equal(numeric, g[i], 1e-6);
        }
    }

    [Fact]
    public void Fitting_a_duplicated_cohort_gives_the_same_parameters()
    {
        var cohort = CustomerSimulator.Simulate(Truth, null, new SimulationOptions { Customers = 5_000, Resolution = 1.0 / 7, Seed = 4 });
        var once = BgNbdModel.Fit(cohort);
        var thrice = BgNbdModel.Fit([.. cohort, .. cohort, .. cohort]);
        Assert.Equal(once.Model.Parameters.R, thrice.Model.Parameters.R, 1e-6);
        Assert.Equal(once.Model.Parameters.Alpha, thrice.Model.Parameters.Alpha, 1e-5);
        Assert.Equal(once.Model.Parameters.A, thrice.Model.Parameters.A, 1e-5);
        Assert.Equal(once.Model.Parameters.B, thrice.Model.Parameters.B, 1e-5);
        Assert.Equal(3 * once.Diagnostics.LogLikelihood, thrice.Diagnostics.LogLikelihood, 1e-6);
        Assert.Equal(3 * cohort.Length, thrice.Diagnostics.Observations);
    }

    [Fact]
    public void ScoreAll_matches_Score_for_lists_and_other_collections()
    {
        var purchases = new BgNbdModel(Truth);
        var spend = new GammaGammaModel(SpendTruth);
        var cohort = CustomerSimulator.Simulate(Truth, SpendTruth, new SimulationOptions { Customers = 2000, Resolution = 1.0, Seed = 13 });
        var options = new ClvOptions { Horizon = 20, StepLength = 3, DiscountRate = 0.02, Margin = 0.3 };
        var expected = cohort.Select(c => CustomerLifetimeValue.Score(purchases, spend, c, options)).ToArray();
        Assert.Equal(expected, CustomerLifetimeValue.ScoreAll(purchases, spend, cohort.ToList(), options));
        Assert.Equal(expected, CustomerLifetimeValue.ScoreAll(purchases, spend, new ReadOnlyCollection<CustomerSummary>(cohort), options));
        Assert.Empty(CustomerLifetimeValue.ScoreAll(purchases, spend, [], options));
    }

    [Fact]
    public void Score_agrees_with_the_closed_forms()
    {
        var purchases = new BgNbdModel(Truth);
        var spend = new GammaGammaModel(SpendTruth);
        var options = new ClvOptions { Horizon = 10, StepLength = 10, DiscountRate = 0 };
        foreach (var c in new CustomerSummary[] { new(0, 0, 20, 0), new(3, 12, 30, 40), new(1, 1, 40, 10) })
        {
            var s = CustomerLifetimeValue.Score(purchases, spend, c, options);
            Assert.Equal(purchases.ProbabilityAlive(c), s.ProbabilityAlive, 1e-15);
            Assert.Equal(purchases.ExpectedPurchases(c, 10), s.ExpectedPurchases, 1e-12);
            Assert.Equal(purchases.ExpectedPurchases(c, 10) * spend.ExpectedAverageSpend(c), s.LifetimeValue, 1e-9);
        }
    }

    [Fact]
    public void ScoreAll_reports_the_position_of_an_invalid_summary()
    {
        var ex = Assert.Throws<MarketingValidationException>(() => CustomerLifetimeValue.ScoreAll(
            new BgNbdModel(Truth), new GammaGammaModel(SpendTruth), [new CustomerSummary(1, 2, 10), new CustomerSummary(-1, 0, 10)]));
        Assert.Equal("frequency", ex.Field);
        Assert.Equal(1, ex.Index);
    }

    // The individual BG/NBD log-likelihood as printed in Fader, Hardie & Lee (2005), equation 6.
    private static double IndividualLogLikelihood(BgNbdParameters p, CustomerSummary c)
    {
        var x = c.Frequency;
        var a1 = SpecialFunctions.LogGamma(p.R + x) - SpecialFunctions.LogGamma(p.R) + p.R * Math.Log(p.Alpha);
        var a2 = SpecialFunctions.LogGamma(p.A + p.B) + SpecialFunctions.LogGamma(p.B + x) - SpecialFunctions.LogGamma(p.B) - SpecialFunctions.LogGamma(p.A + p.B + x);
        var a3 = -(p.R + x) * Math.Log(p.Alpha + c.T);
        if (x == 0)
        {
            return a1 + a2 + a3;
        }
        var a4 = Math.Log(p.A) - Math.Log(p.B + x - 1) - (p.R + x) * Math.Log(p.Alpha + c.Recency);
        var m = Math.Max(a3, a4);
        return a1 + a2 + m + Math.Log(Math.Exp(a3 - m) + Math.Exp(a4 - m));
    }
}
