using System.Collections.Concurrent;
using System.Runtime.InteropServices;

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
        var (discounted, total) = PurchaseCurve(purchases, customer.Frequency, customer.T, options);
        var denominator = purchases.AliveDenominator(customer);
        var averageSpend = spend.ExpectedAverageSpend(customer);
        return new CustomerScore(1 / denominator, total / denominator, averageSpend, discounted / denominator * averageSpend * options.Margin);
    }

    /// <summary>
    /// Scores many customers; results are in input order and equal to <see cref="Score"/> for each.
    /// The work is shared: the purchase curve over the horizon (the expensive part, which depends on
    /// x and T only) is computed once per distinct (x, T) and spread over the available cores,
    /// P(alive) once per distinct (x, t<sub>x</sub>, T), and only the spend, which depends on the
    /// monetary value, per customer.
    /// </summary>
    /// <param name="purchases">The fitted purchase model.</param>
    /// <param name="spend">The fitted spend model.</param>
    /// <param name="customers">The summaries.</param>
    /// <param name="options">Horizon, step, discount rate and margin; defaults when <see langword="null"/>.</param>
    /// <exception cref="MarketingValidationException">A summary is inconsistent (the index says which).</exception>
    public static CustomerScore[] ScoreAll(BgNbdModel purchases, GammaGammaModel spend, IReadOnlyList<CustomerSummary> customers, ClvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(spend);
        ArgumentNullException.ThrowIfNull(customers);
        options ??= ClvOptions.Default;
        options.Validate();
        if (customers.Count == 0)
        {
            return [];
        }
        var triples = SummaryGroups.Create(customers, keepSlots: true);
        var pairs = triples.ByFrequencyAndT();

        // Purchase curve per distinct (x, T).
        var discounted = new double[pairs.Count];
        var total = new double[pairs.Count];
        Parallel.ForEach(Partitioner.Create(0, pairs.Count, 256), range =>
        {
            for (var k = range.Item1; k < range.Item2; k++)
            {
                (discounted[k], total[k]) = PurchaseCurve(purchases, pairs.X[k], pairs.T[k], options);
            }
        });

        // P(alive) and the curve scaled by it per distinct (x, t_x, T).
        var alive = new double[triples.Count];
        var expected = new double[triples.Count];
        var value = new double[triples.Count];
        for (var g = 0; g < triples.Count; g++)
        {
            var denominator = purchases.AliveDenominator(new CustomerSummary(triples.X[g], triples.Recency[g], triples.T[g]));
            var pair = pairs.Slot[g];
            alive[g] = 1 / denominator;
            expected[g] = total[pair] / denominator;
            value[g] = discounted[pair] / denominator;
        }

        // Spend per customer.
        var result = new CustomerScore[customers.Count];
        var slot = triples.Slot;
        var margin = options.Margin;
        ReadOnlySpan<CustomerSummary> span = customers switch
        {
            CustomerSummary[] array => array,
            List<CustomerSummary> list => CollectionsMarshal.AsSpan(list),
            _ => [.. customers],
        };
        for (var i = 0; i < result.Length; i++)
        {
            var g = slot[i];
            var averageSpend = spend.ExpectedAverageSpend(span[i]);
            result[i] = new CustomerScore(alive[g], expected[g], averageSpend, value[g] * averageSpend * margin);
        }
        return result;
    }

    // Σₖ (N(kΔ) − N((k−1)Δ)) / (1 + d)ᵏ and N(H), with N the (x, T) part of E[Y(t) | x, t_x, T].
    private static (double Discounted, double Total) PurchaseCurve(BgNbdModel purchases, int x, double customerT, ClvOptions options)
    {
        var steps = options.Steps;
        var value = 0.0;
        var previous = 0.0;
        var factor = 1.0;
        for (var k = 1; k <= steps; k++)
        {
            var t = Math.Min(k * options.StepLength, options.Horizon);
            var cumulative = purchases.ExpectedPurchasesNumerator(x, customerT, t);
            factor /= 1 + options.DiscountRate;
            value += (cumulative - previous) * factor;
            previous = cumulative;
        }
        return (value, previous);
    }
}
