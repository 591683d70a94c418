using Marketing.Sdk.Experimentation.Statistics;

namespace Marketing.Sdk.Experimentation.Tests;

/// <summary>Against mpmath quadrature of the defining integrals (Reference/generate_reference.py).</summary>
public class BayesianTests
{
    [Theory]
    [InlineData(1000, 200, 1000, 250, 1.0, 0.99628332913044021, 2.1363626802606041e-5)]
    [InlineData(1000, 0, 1000, 3, 1.0, 0.93768735942183986, 6.2064073807324008e-5)]
    [InlineData(20, 10, 20, 10, 1.0, 0.5, 0.059126770556480107)]
    // Jeffreys prior: no whole-number shape, so the quadrature path is used.
    [InlineData(1000, 40, 1000, 52, 0.5, 0.90000132565495658, 0.00044554984950606288)]
    public void Probability_to_beat_control_and_expected_loss_match_quadrature(
        long nc, long cc, long nt, long ct, double prior, double pBeat, double loss)
    {
        var r = BetaBinomial.Compare(new(nc, cc), new(nt, ct), new BetaPrior(prior, prior));
        Approx.Relative(pBeat, r.ProbabilityTreatmentBeatsControl, 1e-8, "P(beat)");
        Approx.Relative(loss, r.ExpectedLossOfTreatment, 1e-6, "expected loss");
    }

    [Fact]
    public void Swapping_arms_complements_the_probability()
    {
        var ab = BetaBinomial.Compare(new(900, 81), new(1100, 120));
        var ba = BetaBinomial.Compare(new(1100, 120), new(900, 81));
        Approx.Relative(1, ab.ProbabilityTreatmentBeatsControl + ba.ProbabilityTreatmentBeatsControl, 1e-12);
        Approx.Relative(ab.ExpectedLossOfTreatment, ba.ExpectedLossOfControl, 1e-9);
        // E[p_t − p_c] = loss(control) − loss(treatment).
        Approx.Relative(121.0 / 1102 - 82.0 / 902, ab.ExpectedLossOfControl - ab.ExpectedLossOfTreatment, 1e-9);
    }

    [Fact]
    public void Series_and_quadrature_agree()
    {
        var series = BetaBinomial.ProbabilityGreater(53, 949, 41, 961);
        var quadrature = BetaBinomial.ProbabilityGreater(53.0000001, 949, 41.0000001, 961);
        Approx.Relative(series, quadrature, 1e-6);
    }

    [Fact]
    public void Credible_interval_brackets_the_posterior_mean()
    {
        var r = BetaBinomial.Compare(new(0, 0), new(10, 10));
        Assert.InRange(r.ControlCredibleInterval.Lower, 0.02, 0.03); // Beta(1,1): 2.5 % quantile is 0.025.
        Assert.InRange(r.TreatmentCredibleInterval.Upper, 0.997, 1.0);
    }
}
