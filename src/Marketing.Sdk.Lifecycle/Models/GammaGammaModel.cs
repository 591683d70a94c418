namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>Parameters of the Gamma-Gamma spend model: transaction values z ~ Gamma(p, ν), ν ~ Gamma(q, γ).</summary>
/// <param name="P">Shape p of the per-transaction spend.</param>
/// <param name="Q">Shape q of the distribution of ν across customers.</param>
/// <param name="Gamma">Scale γ of the distribution of ν across customers.</param>
public sealed record GammaGammaParameters(double P, double Q, double Gamma)
{
    internal void Validate()
    {
        if (!(P > 0 && Q > 0 && Gamma > 0) || !double.IsFinite(P + Q + Gamma))
        {
            throw new MarketingValidationException("parameters", ValidationReason.OutOfRange, "Gamma-Gamma parameters must be positive and finite.");
        }
    }
}

/// <summary>A fitted Gamma-Gamma model and how the fit went.</summary>
/// <param name="Model">The model with the maximum-likelihood parameters.</param>
/// <param name="Diagnostics">Log-likelihood, iterations and convergence.</param>
public sealed record GammaGammaFit(GammaGammaModel Model, FitDiagnostics Diagnostics);

/// <summary>
/// The Gamma-Gamma model of the monetary value of repeat transactions (Fader &amp; Hardie 2013, after
/// Colombo &amp; Jiang 1999): fitted on customers with at least one repeat purchase from their
/// frequency x and mean repeat spend z̄; predicts each customer's expected average transaction value,
/// shrinking z̄ toward the population mean the less evidence there is.
/// </summary>
public sealed class GammaGammaModel
{
    /// <summary>Creates a model from known parameters.</summary>
    /// <param name="parameters">The parameters.</param>
    public GammaGammaModel(GammaGammaParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        Parameters = parameters;
    }

    /// <summary>The parameters.</summary>
    public GammaGammaParameters Parameters { get; }

    /// <summary>E[Z]: the population mean transaction value pγ/(q − 1) (infinite when q ≤ 1).</summary>
    public double PopulationMeanSpend => Parameters.Q > 1 ? Parameters.P * Parameters.Gamma / (Parameters.Q - 1) : double.PositiveInfinity;

    /// <summary>
    /// Fits the model on the customers with a repeat purchase (frequency &gt; 0 and a positive
    /// <see cref="CustomerSummary.MonetaryValue"/>); others are ignored.
    /// </summary>
    /// <param name="customers">Summaries with frequency and mean repeat spend.</param>
    /// <param name="options">Optimiser settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="LifecycleModelException">No repeat buyers, or no convergence.</exception>
    public static GammaGammaFit Fit(IReadOnlyList<CustomerSummary> customers, ModelFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(customers);
        options ??= ModelFitOptions.Default;
        var data = GammaGammaData.Create(customers);
        double Objective(ReadOnlySpan<double> theta, Span<double> gradient) => data.NegativeMeanLogLikelihood(theta, gradient);
        var mean = data.MeanSpend;
        double[] start = [0, Math.Log(2), Math.Log(mean)];
        var result = Bfgs.Minimize(Objective, start, options.MaxIterations, options.GradientTolerance);
        if (!result.Converged)
        {
            var grad = new double[3];
            var simplex = NelderMead.Minimize(t => Objective(t, grad), start);
            var polished = Bfgs.Minimize(Objective, simplex.Minimum, options.MaxIterations, options.GradientTolerance);
            result = polished.Value <= simplex.Value ? polished : simplex;
        }
        if (!double.IsFinite(result.Value) || !result.Converged)
        {
            throw new LifecycleModelException("The Gamma-Gamma fit did not converge.");
        }
        var p = result.Minimum;
        var parameters = new GammaGammaParameters(Math.Exp(p[0]), Math.Exp(p[1]), Math.Exp(p[2]));
        return new GammaGammaFit(new GammaGammaModel(parameters),
            new FitDiagnostics(-result.Value * data.Count, result.Iterations, result.Evaluations, result.Converged, result.Method, data.Count));
    }

    /// <summary>
    /// E[Z | x, z̄] = (γ + x z̄) p / (p x + q − 1): the customer's expected average transaction value;
    /// the population mean for customers without repeat purchases.
    /// </summary>
    /// <param name="customer">The customer's summary.</param>
    public double ExpectedAverageSpend(CustomerSummary customer)
    {
        var (p, q, g) = (Parameters.P, Parameters.Q, Parameters.Gamma);
        if (customer.Frequency == 0 || customer.MonetaryValue <= 0)
        {
            return PopulationMeanSpend;
        }
        var x = customer.Frequency;
        return (g + x * customer.MonetaryValue) * p / (p * x + q - 1);
    }

    /// <summary>Describes the parameters.</summary>
    public override string ToString() => $"Gamma-Gamma {{ p = {Parameters.P:G4}, q = {Parameters.Q:G4}, gamma = {Parameters.Gamma:G4} }}";
}

/// <summary>Repeat buyers' (x, z̄) with the aggregates that do not depend on the parameters.</summary>
internal sealed class GammaGammaData
{
    private GammaGammaData(int[] x, double[] z, long[] countByX, double sumXLogZ, double sumLogZ, double sumXLogX)
    {
        X = x;
        Z = z;
        CountByX = countByX;
        SumXLogZ = sumXLogZ;
        SumLogZ = sumLogZ;
        SumXLogX = sumXLogX;
    }

    public int[] X { get; }
    public double[] Z { get; }
    public long[] CountByX { get; }
    public double SumXLogZ { get; }
    public double SumLogZ { get; }
    public double SumXLogX { get; }
    public int Count => X.Length;
    public double MeanSpend => Z.Average();

    public static GammaGammaData Create(IReadOnlyList<CustomerSummary> customers)
    {
        var xs = new List<int>();
        var zs = new List<double>();
        for (var i = 0; i < customers.Count; i++)
        {
            var c = customers[i];
            c.Validate(i);
            if (c.Frequency > 0 && c.MonetaryValue > 0)
            {
                xs.Add(c.Frequency);
                zs.Add(c.MonetaryValue);
            }
        }
        if (xs.Count == 0)
        {
            throw new LifecycleModelException("The Gamma-Gamma model needs customers with repeat purchases and a positive spend.");
        }
        var counts = new long[xs.Max() + 1];
        double sxlz = 0, slz = 0, sxlx = 0;
        for (var i = 0; i < xs.Count; i++)
        {
            counts[xs[i]]++;
            var lz = Math.Log(zs[i]);
            sxlz += xs[i] * lz;
            slz += lz;
            sxlx += xs[i] * Math.Log(xs[i]);
        }
        return new GammaGammaData([.. xs], [.. zs], counts, sxlz, slz, sxlx);
    }

    /// <summary>
    /// −LL/N at θ = ln(p, q, γ) with its gradient, where each customer contributes
    /// ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px − 1) ln z̄ + px ln x − (px+q) ln(γ + x z̄).
    /// </summary>
    public double NegativeMeanLogLikelihood(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        double p = Math.Exp(theta[0]), q = Math.Exp(theta[1]), g = Math.Exp(theta[2]);
        if (!double.IsFinite(p + q + g) || p <= 0 || q <= 0 || g <= 0)
        {
            return double.NaN;
        }
        double n = Count, logG = Math.Log(g), psiQ = SpecialFunctions.Digamma(q);
        var ll = n * (q * logG - SpecialFunctions.LogGamma(q)) + p * SumXLogZ - SumLogZ + p * SumXLogX;
        var dp = SumXLogZ + SumXLogX;
        var dq = n * (logG - psiQ);
        var dg = n * q / g;
        for (var x = 1; x < CountByX.Length; x++)
        {
            var c = CountByX[x];
            if (c == 0)
            {
                continue;
            }
            var px = p * x;
            var psiPxQ = SpecialFunctions.Digamma(px + q);
            ll += c * (SpecialFunctions.LogGamma(px + q) - SpecialFunctions.LogGamma(px));
            dp += c * x * (psiPxQ - SpecialFunctions.Digamma(px));
            dq += c * psiPxQ;
        }
        for (var i = 0; i < X.Length; i++)
        {
            var x = X[i];
            var denominator = g + x * Z[i];
            var l = Math.Log(denominator);
            var px = p * x;
            ll -= (px + q) * l;
            dp -= x * l;
            dq -= l;
            dg -= (px + q) / denominator;
        }
        var scale = -1.0 / n;
        gradient[0] = scale * dp * p;
        gradient[1] = scale * dq * q;
        gradient[2] = scale * dg * g;
        return scale * ll;
    }
}
