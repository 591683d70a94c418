namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>Parameters of the BG/NBD model: purchase rates λ ~ Gamma(r, α), dropout probabilities p ~ Beta(a, b).</summary>
/// <param name="R">Shape r of the purchase-rate distribution.</param>
/// <param name="Alpha">Scale α of the purchase-rate distribution (in model time units).</param>
/// <param name="A">Beta shape a of the dropout probability.</param>
/// <param name="B">Beta shape b of the dropout probability.</param>
public sealed record BgNbdParameters(double R, double Alpha, double A, double B)
{
    internal void Validate()
    {
        if (!(R > 0 && Alpha > 0 && A > 0 && B > 0) || !double.IsFinite(R + Alpha + A + B))
        {
            throw new MarketingValidationException("parameters", ValidationReason.OutOfRange, "BG/NBD parameters must be positive and finite.");
        }
    }
}

/// <summary>A fitted BG/NBD model and how the fit went.</summary>
/// <param name="Model">The model with the maximum-likelihood parameters.</param>
/// <param name="Diagnostics">Log-likelihood, iterations and convergence.</param>
public sealed record BgNbdFit(BgNbdModel Model, FitDiagnostics Diagnostics);

/// <summary>
/// The beta-geometric/negative-binomial ("BG/NBD") model of Fader, Hardie &amp; Lee (2005), "Counting
/// your customers the easy way": while alive, a customer buys as a Poisson process with rate λ; after
/// each purchase they drop out with probability p; λ and p vary across customers. Fits by maximum
/// likelihood in log-parameter space with BFGS and an analytic gradient; predicts expected purchases,
/// the probability that a customer is still alive, and population expectations.
/// </summary>
public sealed class BgNbdModel
{
    /// <summary>Creates a model from known parameters.</summary>
    /// <param name="parameters">The parameters.</param>
    public BgNbdModel(BgNbdParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        Parameters = parameters;
    }

    /// <summary>The parameters.</summary>
    public BgNbdParameters Parameters { get; }

    /// <summary>Fits the model by maximum likelihood.</summary>
    /// <param name="customers">Calibration summaries (frequency, recency, T) of the customers.</param>
    /// <param name="options">Optimiser settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="MarketingValidationException">A summary is inconsistent (the index says which).</exception>
    /// <exception cref="LifecycleModelException">No customers, or the optimiser could not find a maximum.</exception>
    public static BgNbdFit Fit(IReadOnlyList<CustomerSummary> customers, ModelFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(customers);
        options ??= ModelFitOptions.Default;
        var data = BgNbdData.Create(customers);
        double Objective(ReadOnlySpan<double> theta, Span<double> gradient) => data.NegativeMeanLogLikelihood(theta, gradient);

        var rate = data.TotalFrequency / data.TotalT;
        double[] start = options.InitialParameters is { } init
            ? [Math.Log(init.R), Math.Log(init.Alpha), Math.Log(init.A), Math.Log(init.B)]
            : [0, Math.Log(1 / Math.Max(rate, 1e-6)), 0, 0];
        var result = Bfgs.Minimize(Objective, start, options.MaxIterations, options.GradientTolerance);
        if (!result.Converged)
        {
            var grad = new double[4];
            var simplex = NelderMead.Minimize(t => Objective(t, grad), result.Value < Objective(start, grad) ? result.Minimum : start);
            var polished = Bfgs.Minimize(Objective, simplex.Minimum, options.MaxIterations, options.GradientTolerance);
            result = polished.Value <= simplex.Value
                ? polished with { Evaluations = polished.Evaluations + simplex.Evaluations + result.Evaluations }
                : simplex;
        }
        if (!double.IsFinite(result.Value) || !result.Converged)
        {
            throw new LifecycleModelException("The BG/NBD fit did not converge; check that the summaries share one time unit and that some customers repeat.");
        }
        var p = result.Minimum;
        var parameters = new BgNbdParameters(Math.Exp(p[0]), Math.Exp(p[1]), Math.Exp(p[2]), Math.Exp(p[3]));
        var diagnostics = new FitDiagnostics(-result.Value * data.Count, result.Iterations, result.Evaluations, result.Converged, result.Method, data.Count);
        return new BgNbdFit(new BgNbdModel(parameters), diagnostics);
    }

    /// <summary>The log-likelihood of the customers' summaries under this model.</summary>
    /// <param name="customers">The summaries.</param>
    public double LogLikelihood(IReadOnlyList<CustomerSummary> customers)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var data = BgNbdData.Create(customers);
        Span<double> gradient = stackalloc double[4];
        ReadOnlySpan<double> theta = [Math.Log(Parameters.R), Math.Log(Parameters.Alpha), Math.Log(Parameters.A), Math.Log(Parameters.B)];
        return -data.NegativeMeanLogLikelihood(theta, gradient) * data.Count;
    }

    /// <summary>
    /// P(alive | x, t<sub>x</sub>, T): the probability that the customer has not dropped out by the
    /// end of the calibration period. Customers without repeat purchases are alive with probability 1
    /// (the model assumes drop-out happens only right after a purchase).
    /// </summary>
    /// <param name="customer">The customer's summary.</param>
    public double ProbabilityAlive(CustomerSummary customer) => 1 / AliveDenominator(customer);

    /// <summary>
    /// E[Y(t) | x, t<sub>x</sub>, T]: expected number of purchases in the next <paramref name="t"/>
    /// time units (equation 10 of Fader, Hardie &amp; Lee 2005).
    /// </summary>
    /// <param name="customer">The customer's summary.</param>
    /// <param name="t">The prediction horizon in model time units (≥ 0).</param>
    public double ExpectedPurchases(CustomerSummary customer, double t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        if (t == 0)
        {
            return 0;
        }
        return ExpectedPurchasesNumerator(customer.Frequency, customer.T, t) / AliveDenominator(customer);
    }

    /// <summary>E[X(t)]: expected purchases of a new, randomly chosen customer in a window of length <paramref name="t"/> from their first purchase.</summary>
    /// <param name="t">Window length in model time units (≥ 0).</param>
    public double ExpectedPurchasesPopulation(double t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        if (t == 0)
        {
            return 0;
        }
        var (r, alpha, a, b) = (Parameters.R, Parameters.Alpha, NudgeA(Parameters.A), Parameters.B);
        var logTerm = r * Math.Log(alpha / (alpha + t)) + SpecialFunctions.LogHypergeometric2F1(r, b, a + b - 1, t / (alpha + t));
        return (a + b - 1) / (a - 1) * -SpecialFunctions.ExpM1(logTerm);
    }

    /// <summary>Fills <paramref name="destination"/> with P(alive) of each customer.</summary>
    /// <param name="customers">The summaries.</param>
    /// <param name="destination">One slot per customer.</param>
    public void ProbabilityAlive(ReadOnlySpan<CustomerSummary> customers, Span<double> destination)
    {
        if (destination.Length < customers.Length)
        {
            throw new ArgumentException("The destination is shorter than the input.", nameof(destination));
        }
        for (var i = 0; i < customers.Length; i++)
        {
            destination[i] = ProbabilityAlive(customers[i]);
        }
    }

    /// <summary>Describes the parameters.</summary>
    public override string ToString() => $"BG/NBD {{ r = {Parameters.R:G4}, alpha = {Parameters.Alpha:G4}, a = {Parameters.A:G4}, b = {Parameters.B:G4} }}";

    /// <summary>
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]: the part of
    /// E[Y(t) | x, t<sub>x</sub>, T] that depends on x and T only (t &gt; 0).
    /// </summary>
    internal double ExpectedPurchasesNumerator(int x, double customerT, double t)
    {
        var (r, alpha, a, b) = (Parameters.R, Parameters.Alpha, NudgeA(Parameters.A), Parameters.B);
        var at = alpha + customerT;
        var z = t / (at + t);
        var logTerm = (r + x) * Math.Log(at / (at + t)) + SpecialFunctions.LogHypergeometric2F1(r + x, b + x, a + b + x - 1, z);
        return (a + b + x - 1) / (a - 1) * -SpecialFunctions.ExpM1(logTerm);
    }

    /// <summary>1 / P(alive): 1 + δ(x&gt;0) · a/(b+x−1) · ((α+T)/(α+t<sub>x</sub>))^(r+x).</summary>
    internal double AliveDenominator(CustomerSummary customer) =>
        customer.Frequency == 0 ? 1 : 1 + Math.Exp(LogDropoutOdds(customer));

    // ln[ a / (b + x − 1) · ((α + T)/(α + t_x))^(r + x) ]
    private double LogDropoutOdds(CustomerSummary c)
    {
        var (r, alpha, a, b) = (Parameters.R, Parameters.Alpha, Parameters.A, Parameters.B);
        return Math.Log(a) - Math.Log(b + c.Frequency - 1) + (r + c.Frequency) * (Math.Log(alpha + c.T) - Math.Log(alpha + c.Recency));
    }

    // The closed forms divide by (a − 1); a = 1 is a removable singularity, so step just off it.
    private static double NudgeA(double a) => Math.Abs(a - 1) < 1e-7 ? 1 + 1e-7 : a;
}

/// <summary>Settings of a maximum-likelihood fit.</summary>
public sealed record ModelFitOptions
{
    /// <summary>The defaults.</summary>
    public static ModelFitOptions Default { get; } = new();

    /// <summary>Maximum BFGS iterations (default 500).</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>Convergence threshold on the largest gradient component of the mean log-likelihood in log-parameter space (default 1e-9).</summary>
    public double GradientTolerance { get; init; } = 1e-9;

    /// <summary>Starting point; a data-driven start when <see langword="null"/>.</summary>
    public BgNbdParameters? InitialParameters { get; init; }
}

