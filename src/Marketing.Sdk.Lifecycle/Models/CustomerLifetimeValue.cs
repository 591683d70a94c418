using System.Collections.Concurrent;

namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>How lifetime value is projected.</summary>
public sealed record ClvOptions
{
    /// <summary>The defaults: 52 periods in steps of 1 period, 1 % discount per step, margin 1.</summary>
    public static ClvOptions Default { get; } = new();

    /// <summary>Projection horizon in model time units (default 52, a year of weeks).</summary>
    public double Horizon { get; init; } = 52;

    /// <summary>Length of one discounting step in model time units (default 1; e.g. 4.345 for months when the unit is weeks).</summary>
    public double StepLength { get; init; } = 1;

    /// <summary>Discount rate per step (default 0.01; 0 for undiscounted value).</summary>
    public double DiscountRate { get; init; } = 0.01;

    /// <summary>Share of revenue that is profit (default 1: revenue-based lifetime value).</summary>
    public double Margin { get; init; } = 1;

    internal int Steps => (int)Math.Ceiling(Horizon / StepLength - 1e-9);

    internal void Validate()
    {
        if (!(Horizon > 0) || !(StepLength > 0) || StepLength > Horizon || !double.IsFinite(Horizon))
        {
            throw new MarketingValidationException("horizon", ValidationReason.OutOfRange, "Horizon and step length must be positive, with the step no longer than the horizon.");
        }
        if (!(DiscountRate >= 0) || !double.IsFinite(DiscountRate))
        {
            throw new MarketingValidationException("discountRate", ValidationReason.OutOfRange, "The discount rate must be 0 or more.");
        }
        if (!(Margin > 0) || !double.IsFinite(Margin))
        {
            throw new MarketingValidationException("margin", ValidationReason.OutOfRange, "The margin must be positive.");
        }
    }
}

/// <summary>One customer's scores.</summary>
/// <param name="ProbabilityAlive">P(alive) from BG/NBD.</param>
/// <param name="ExpectedPurchases">Expected purchases over the CLV horizon.</param>
/// <param name="ExpectedAverageSpend">Expected value of one transaction (Gamma-Gamma).</param>
/// <param name="LifetimeValue">Discounted expected value over the horizon.</param>
public readonly record struct CustomerScore(double ProbabilityAlive, double ExpectedPurchases, double ExpectedAverageSpend, double LifetimeValue);

/// <summary>
/// Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend model: the expected
/// number of purchases in each step of the horizon, times the expected spend, times the margin,
/// discounted per step: CLV = Σₖ m · E[Z] · (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1 + d)ᵏ.
/// </summary>
public static class CustomerLifetimeValue
{
    /// <summary>The lifetime value of one customer.</summary>
    /// <param name="purchases">The fitted purchase model.</param>
    /// <param name="spend">The fitted spend model.</param>
    /// <param name="customer">The customer's summary.</param>
    /// <param name="options">Horizon, step, discount rate and margin; defaults when <see langword="null"/>.</param>
    public static double Compute(BgNbdModel purchases, GammaGammaModel spend, CustomerSummary customer, ClvOptions? options = null) =>
        Score(purchases, spend, customer, options).LifetimeValue;

    /// <summary>P(alive), expected purchases, expected spend and lifetime value of one customer.</summary>
    /// <param name="purchases">The fitted purchase model.</param>
    /// <param name="spend">The fitted spend model.</param>
    /// <param name="customer">The customer's summary.</param>
    /// <param name="options">Horizon, step, discount rate and margin; defaults when <see langword="null"/>.</param>
    public static CustomerScore Score(BgNbdModel purchases, GammaGammaModel spend, CustomerSummary customer, ClvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(spend);
        options ??= ClvOptions.Default;
        options.Validate();
        customer.Validate();
        var steps = options.Steps;
        var value = 0.0;
        var previous = 0.0;
        var factor = 1.0;
        for (var k = 1; k <= steps; k++)
        {
            var t = Math.Min(k * options.StepLength, options.Horizon);
            var cumulative = purchases.ExpectedPurchases(customer, t);
            factor /= 1 + options.DiscountRate;
            value += (cumulative - previous) * factor;
            previous = cumulative;
        }
        var averageSpend = spend.ExpectedAverageSpend(customer);
        return new CustomerScore(purchases.ProbabilityAlive(customer), previous, averageSpend, value * averageSpend * options.Margin);
    }

    /// <summary>
    /// Scores many customers. Identical summaries (common when summaries come from daily data) are
    /// computed once, and distinct ones are spread over the available cores; results are in input order.
    /// </summary>
    /// <param name="purchases">The fitted purchase model.</param>
    /// <param name="spend">The fitted spend model.</param>
    /// <param name="customers">The summaries.</param>
    /// <param name="options">Horizon, step, discount rate and margin; defaults when <see langword="null"/>.</param>
    public static CustomerScore[] ScoreAll(BgNbdModel purchases, GammaGammaModel spend, IReadOnlyList<CustomerSummary> customers, ClvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(spend);
        ArgumentNullException.ThrowIfNull(customers);
        options ??= ClvOptions.Default;
        options.Validate();
        var index = new Dictionary<CustomerSummary, int>();
        var slot = new int[customers.Count];
        var distinct = new List<CustomerSummary>();
        for (var i = 0; i < customers.Count; i++)
        {
            var c = customers[i];
            c.Validate(i);
            if (!index.TryGetValue(c, out var k))
            {
                k = distinct.Count;
                index.Add(c, k);
                distinct.Add(c);
            }
            slot[i] = k;
        }
        var scores = new CustomerScore[distinct.Count];
        Parallel.ForEach(Partitioner.Create(0, scores.Length, 2048), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                scores[i] = Score(purchases, spend, distinct[i], options);
            }
        });
        var result = new CustomerScore[customers.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = scores[slot[i]];
        }
        return result;
    }
}
