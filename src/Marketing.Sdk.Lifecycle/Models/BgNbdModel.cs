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
    public double ProbabilityAlive(CustomerSummary customer)
    {
        if (customer.Frequency == 0)
        {
            return 1;
        }
        return 1 / (1 + Math.Exp(LogDropoutOdds(customer)));
    }

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
        var (r, alpha, a, b) = (Parameters.R, Parameters.Alpha, NudgeA(Parameters.A), Parameters.B);
        var x = customer.Frequency;
        var at = alpha + customer.T;
        var z = t / (at + t);
        var logTerm = (r + x) * Math.Log(at / (at + t)) + SpecialFunctions.LogHypergeometric2F1(r + x, b + x, a + b + x - 1, z);
        var numerator = (a + b + x - 1) / (a - 1) * -SpecialFunctions.ExpM1(logTerm);
        var denominator = x == 0 ? 1 : 1 + Math.Exp(LogDropoutOdds(customer));
        return numerator / denominator;
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

/// <summary>Customer summaries laid out for fast likelihood evaluation: columns plus counts per frequency.</summary>
internal sealed class BgNbdData
{
    private const int ChunkSize = 1 << 15;

    private BgNbdData(int[] x, double[] tx, double[] t, long[] countByX, int maxX)
    {
        X = x;
        Tx = tx;
        T = t;
        CountByX = countByX;
        MaxX = maxX;
        for (var i = 0; i < x.Length; i++)
        {
            TotalFrequency += x[i];
            TotalT += t[i];
        }
    }

    public int[] X { get; }
    public double[] Tx { get; }
    public double[] T { get; }
    public long[] CountByX { get; }
    public int MaxX { get; }
    public int Count => X.Length;
    public double TotalFrequency { get; }
    public double TotalT { get; }

    public static BgNbdData Create(IReadOnlyList<CustomerSummary> customers)
    {
        if (customers.Count == 0)
        {
            throw new LifecycleModelException("At least one customer summary is needed.");
        }
        var n = customers.Count;
        var x = new int[n];
        var tx = new double[n];
        var t = new double[n];
        var maxX = 0;
        for (var i = 0; i < n; i++)
        {
            var c = customers[i];
            c.Validate(i);
            x[i] = c.Frequency;
            tx[i] = c.Recency;
            t[i] = c.T;
            maxX = Math.Max(maxX, c.Frequency);
        }
        var counts = new long[maxX + 1];
        foreach (var v in x)
        {
            counts[v]++;
        }
        return new BgNbdData(x, tx, t, counts, maxX);
    }

    /// <summary>−LL/N at θ = ln(r, α, a, b), with its gradient in θ.</summary>
    public double NegativeMeanLogLikelihood(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double r = Math.Exp(theta[0]), alpha = Math.Exp(theta[1]), a = Math.Exp(theta[2]), b = Math.Exp(theta[3]);
        if (!double.IsFinite(r + alpha + a + b) || r <= 0 || alpha <= 0 || a <= 0 || b <= 0)
        {
            return double.NaN;
        }

        // Terms that depend on x only: ln Γ(r+x) − ln Γ(r) = Σ_{i<x} ln(r+i), etc., weighted by the count of each x.
        double ll = Count * r * Math.Log(alpha), dr = Count * Math.Log(alpha), dAlpha = Count * r / alpha, da = 0, db = 0;
        double sLogR = 0, sInvR = 0, sLogB = 0, sInvB = 0, sLogAb = 0, sInvAb = 0;
        var logBx1 = new double[MaxX + 1];
        for (var x = 0; x <= MaxX; x++)
        {
            var n = CountByX[x];
            if (n > 0)
            {
                ll += n * (sLogR + sLogB - sLogAb);
                dr += n * sInvR;
                da -= n * sInvAb;
                db += n * (sInvB - sInvAb);
            }
            if (x > 0)
            {
                logBx1[x] = Math.Log(b + x - 1);
            }
            sLogR += Math.Log(r + x);
            sInvR += 1 / (r + x);
            sLogB += Math.Log(b + x);
            sInvB += 1 / (b + x);
            sLogAb += Math.Log(a + b + x);
            sInvAb += 1 / (a + b + x);
        }

        // Per-customer part: ln[(α+T)^−(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^−(r+x)].
        var chunks = (Count + ChunkSize - 1) / ChunkSize;
        var partial = new double[chunks * 5];
        var logA = Math.Log(a);
        void Chunk(int k)
        {
            var start = k * ChunkSize;
            var end = Math.Min(Count, start + ChunkSize);
            double cll = 0, cdr = 0, cdAlpha = 0, cda = 0, cdb = 0;
            var xs = X;
            var txs = Tx;
            var ts = T;
            for (var i = start; i < end; i++)
            {
                var x = xs[i];
                var aT = alpha + ts[i];
                var la = Math.Log(aT);
                if (x == 0)
                {
                    cll -= r * la;
                    cdr -= la;
                    cdAlpha -= r / aT;
                    continue;
                }
                var aTx = alpha + txs[i];
                var lt = Math.Log(aTx);
                var rx = r + x;
                var l3 = -rx * la;
                var l4 = logA - logBx1[x] - rx * lt;
                double w4;
                if (l3 >= l4)
                {
                    var e = Math.Exp(l4 - l3);
                    cll += l3 + Math.Log(1 + e);
                    w4 = e / (1 + e);
                }
                else
                {
                    var e = Math.Exp(l3 - l4);
                    cll += l4 + Math.Log(1 + e);
                    w4 = 1 / (1 + e);
                }
                var w3 = 1 - w4;
                cdr -= w3 * la + w4 * lt;
                cdAlpha -= rx * (w3 / aT + w4 / aTx);
                cda += w4 / a;
                cdb -= w4 / (b + x - 1);
            }
            var o = k * 5;
            partial[o] = cll;
            partial[o + 1] = cdr;
            partial[o + 2] = cdAlpha;
            partial[o + 3] = cda;
            partial[o + 4] = cdb;
        }
        if (chunks > 2)
        {
            Parallel.For(0, chunks, Chunk);
        }
        else
        {
            for (var k = 0; k < chunks; k++)
            {
                Chunk(k);
            }
        }
        // Sum chunk results in a fixed order so the fit is deterministic.
        for (var k = 0; k < chunks; k++)
        {
            var o = k * 5;
            ll += partial[o];
            dr += partial[o + 1];
            dAlpha += partial[o + 2];
            da += partial[o + 3];
            db += partial[o + 4];
        }
        var scale = -1.0 / Count;
        gradient[0] = scale * dr * r;
        gradient[1] = scale * dAlpha * alpha;
        gradient[2] = scale * da * a;
        gradient[3] = scale * db * b;
        return scale * ll;
    }
}
