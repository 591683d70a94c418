using Marketing.Sdk.Lifecycle.Models;

namespace Marketing.Sdk.Lifecycle.Churn;

/// <summary>How likely a customer is to have churned.</summary>
public enum ChurnRiskBand
{
    /// <summary>Very likely still active.</summary>
    Low = 0,
    /// <summary>Worth watching.</summary>
    Medium,
    /// <summary>Likely lapsing: a win-back candidate.</summary>
    High,
    /// <summary>Very likely gone.</summary>
    Critical,
}

/// <summary>Thresholds of the churn-risk bands.</summary>
public sealed record ChurnRiskOptions
{
    /// <summary>The defaults.</summary>
    public static ChurnRiskOptions Default { get; } = new();

    /// <summary>P(alive) at or above which the model band is <see cref="ChurnRiskBand.Low"/> (default 0.7).</summary>
    public double LowRiskMinProbability { get; init; } = 0.7;

    /// <summary>P(alive) at or above which the model band is <see cref="ChurnRiskBand.Medium"/> (default 0.4); below it, <see cref="ChurnRiskBand.High"/>.</summary>
    public double MediumRiskMinProbability { get; init; } = 0.4;

    /// <summary>P(alive) below which the model band is <see cref="ChurnRiskBand.Critical"/> (default 0.15).</summary>
    public double CriticalBelowProbability { get; init; } = 0.15;

    /// <summary>
    /// Rule layer: when the time since the last purchase exceeds this many of the customer's own mean
    /// inter-purchase times (or, for one-time buyers, the population mean gap α/r), the band is raised
    /// by one (default 2).
    /// </summary>
    public double OverdueFactor { get; init; } = 2;

    internal void Validate()
    {
        if (!(CriticalBelowProbability >= 0 && CriticalBelowProbability <= MediumRiskMinProbability && MediumRiskMinProbability <= LowRiskMinProbability && LowRiskMinProbability <= 1))
        {
            throw new MarketingValidationException("churnRisk", ValidationReason.Inconsistent, "Thresholds must satisfy 0 <= critical <= medium <= low <= 1.");
        }
        if (!(OverdueFactor > 0))
        {
            throw new MarketingValidationException("overdueFactor", ValidationReason.OutOfRange, "The overdue factor must be positive.");
        }
    }
}

/// <summary>A customer's churn risk and why.</summary>
/// <param name="ProbabilityAlive">P(alive) from BG/NBD.</param>
/// <param name="TimeSinceLastPurchase">T − t<sub>x</sub>, in model time units.</param>
/// <param name="ExpectedGap">The customer's mean inter-purchase time t<sub>x</sub>/x, or the population mean gap α/r for one-time buyers.</param>
/// <param name="Overdue">Whether <paramref name="TimeSinceLastPurchase"/> exceeds the overdue factor times <paramref name="ExpectedGap"/>.</param>
/// <param name="Band">The resulting band.</param>
public sealed record ChurnAssessment(double ProbabilityAlive, double TimeSinceLastPurchase, double ExpectedGap, bool Overdue, ChurnRiskBand Band);

/// <summary>
/// Churn risk from the BG/NBD probability of being alive plus a rule layer on the customer's own
/// rhythm: a band from P(alive), raised by one when the customer is overdue relative to their own
/// mean inter-purchase time. The rule layer matters most for one-time buyers, whom BG/NBD always
/// considers alive.
/// </summary>
public sealed class ChurnRiskScorer
{
    private readonly BgNbdModel _model;
    private readonly ChurnRiskOptions _options;

    /// <summary>Creates a scorer.</summary>
    /// <param name="model">A fitted BG/NBD model.</param>
    /// <param name="options">Band thresholds; defaults when <see langword="null"/>.</param>
    public ChurnRiskScorer(BgNbdModel model, ChurnRiskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? ChurnRiskOptions.Default;
        _options.Validate();
    }

    /// <summary>Assesses one customer.</summary>
    /// <param name="customer">The customer's summary.</param>
    public ChurnAssessment Assess(CustomerSummary customer)
    {
        customer.Validate();
        var alive = _model.ProbabilityAlive(customer);
        var since = customer.T - customer.Recency;
        var gap = customer.Frequency > 0
            ? customer.Recency / customer.Frequency
            : _model.Parameters.Alpha / _model.Parameters.R;
        var overdue = since > _options.OverdueFactor * gap;
        var band = alive >= _options.LowRiskMinProbability ? ChurnRiskBand.Low
            : alive >= _options.MediumRiskMinProbability ? ChurnRiskBand.Medium
            : alive >= _options.CriticalBelowProbability ? ChurnRiskBand.High
            : ChurnRiskBand.Critical;
        if (overdue && band < ChurnRiskBand.Critical)
        {
            band++;
        }
        return new ChurnAssessment(alive, since, gap, overdue, band);
    }

    /// <summary>Counts customers per band.</summary>
    /// <param name="customers">The summaries.</param>
    public IReadOnlyDictionary<ChurnRiskBand, int> CountBands(IEnumerable<CustomerSummary> customers)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var counts = Enum.GetValues<ChurnRiskBand>().ToDictionary(b => b, _ => 0);
        foreach (var c in customers)
        {
            counts[Assess(c).Band]++;
        }
        return counts;
    }
}
