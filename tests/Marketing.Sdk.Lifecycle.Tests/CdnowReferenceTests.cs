using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Reproduces the published CDNOW figures (Fader, Hardie &amp; Lee 2005; Fader &amp; Hardie 2013).</summary>
public class CdnowReferenceTests
{
    private static readonly DateOnly CalibrationEnd = new(1997, 9, 30);

    private static void AssertPublishedBgNbd(BgNbdFit fit)
    {
        var p = fit.Model.Parameters;
        Assert.True(fit.Diagnostics.Converged);
        Assert.Equal(0.243, p.R, 0.0005);
        Assert.Equal(4.414, p.Alpha, 0.005);
        Assert.Equal(0.793, p.A, 0.0005);
        Assert.Equal(2.426, p.B, 0.005);
        Assert.Equal(-9582.4, fit.Diagnostics.LogLikelihood, 0.1);
    }

    [Fact]
    public void BgNbd_fit_on_the_provided_summaries_reproduces_the_published_estimates()
    {
        var fit = BgNbdModel.Fit(ReferenceData.PlainSummaries());
        Assert.Equal(2357, fit.Diagnostics.Observations);
        AssertPublishedBgNbd(fit);
    }

    [Fact]
    public void BgNbd_fit_on_summaries_built_from_the_raw_transactions_reproduces_the_published_estimates()
    {
        var rows = CustomerSummaryBuilder.Build(ReferenceData.SampleTransactions(), new CustomerSummaryOptions { CalibrationEnd = CalibrationEnd });
        Assert.Equal(2357, rows.Count);
        AssertPublishedBgNbd(BgNbdModel.Fit(rows.Select(r => r.Calibration).ToList()));
    }

    [Fact]
    public void Summary_builder_rebuilds_the_39_week_summaries_of_the_csv()
    {
        var rows = CustomerSummaryBuilder.Build(ReferenceData.SampleTransactions(), new CustomerSummaryOptions { CalibrationEnd = CalibrationEnd, HoldoutEnd = new DateOnly(1998, 6, 30) })
            .ToDictionary(r => int.Parse(r.CustomerId.Value));
        var reference = ReferenceData.Summaries();
        Assert.Equal(reference.Count, rows.Count);
        foreach (var (id, expected) in reference)
        {
            var actual = rows[id].Calibration;
            Assert.Equal(expected.Frequency, actual.Frequency);
            Assert.Equal(expected.Recency, actual.Recency, 0.0051);
            Assert.Equal(expected.T, actual.T, 0.0051);
            Assert.Equal(expected.MonetaryValue, actual.MonetaryValue, 0.0051);
        }
        // Holdout: purchase days between 1997-10-01 and 1998-06-30 (weeks 40-78).
        Assert.Equal(1882, rows.Values.Sum(r => r.HoldoutFrequency));
    }

    [Fact]
    public void GammaGamma_fit_on_the_repeat_buyers_reproduces_the_published_estimates()
    {
        var summaries = ReferenceData.Summaries().Select(r => r.Summary).ToList();
        var fit = GammaGammaModel.Fit(summaries);
        Assert.Equal(946, fit.Diagnostics.Observations);
        var p = fit.Model.Parameters;
        Assert.Equal(6.25, p.P, 0.005);
        Assert.Equal(3.74, p.Q, 0.005);
        Assert.Equal(15.44, p.Gamma, 0.015);
    }

    [Fact]
    public void Predictions_match_the_published_worked_example()
    {
        // Fader, Hardie & Lee (2005), section 5: a customer with x = 2, t_x = 30.43, T = 38.86 is expected
        // to make 1.226 purchases in the next 39 weeks at the published parameters.
        var model = new BgNbdModel(new BgNbdParameters(0.242594, 4.413643, 0.792919, 2.425907));
        var customer = new CustomerSummary(2, 30.43, 38.86);
        Assert.Equal(1.226, model.ExpectedPurchases(customer, 39), 0.0005);
    }

    [Fact]
    public void Expected_purchases_start_at_the_alive_customers_posterior_rate()
    {
        // d/dt E[Y(t)] at t = 0 is P(alive) · E[λ | data] = P(alive) · (r + x) / (α + T): an identity
        // independent of the hypergeometric closed form.
        var model = new BgNbdModel(new BgNbdParameters(0.242594, 4.413643, 0.792919, 2.425907));
        foreach (var (_, c) in ReferenceData.Summaries().Take(200))
        {
            var t = 1e-4;
            var slope = model.ExpectedPurchases(c, t) / t;
            var expected = model.ProbabilityAlive(c) * (model.Parameters.R + c.Frequency) / (model.Parameters.Alpha + c.T);
            Assert.Equal(expected, slope, expected * 1e-3);
        }
    }

    [Fact]
    public void Population_expectation_equals_the_conditional_one_for_a_customer_just_acquired()
    {
        var model = new BgNbdModel(new BgNbdParameters(0.242594, 4.413643, 0.792919, 2.425907));
        foreach (var t in new[] { 1.0, 10, 39, 78 })
        {
            Assert.Equal(model.ExpectedPurchasesPopulation(t), model.ExpectedPurchases(new CustomerSummary(0, 0, 1e-9), t), 1e-6);
        }
    }

    [Fact]
    public void Nelder_mead_fallback_reaches_the_same_maximum()
    {
        var data = BgNbdData.Create(ReferenceData.PlainSummaries());
        var gradient = new double[4];
        var result = NelderMead.Minimize(t => data.NegativeMeanLogLikelihood(t, gradient), [0, 0, 0, 0]);
        Assert.Equal(0.243, Math.Exp(result.Minimum[0]), 0.001);
        Assert.Equal(-9582.4, -result.Value * data.Count, 0.1);
    }
}
