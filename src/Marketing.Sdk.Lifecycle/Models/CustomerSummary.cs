namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>
/// The sufficient statistics of one customer's purchase history over a calibration period, in
/// model time units (e.g. weeks): the "(x, t<sub>x</sub>, T)" of the buy-till-you-die models plus
/// the mean value of the repeat purchases for the spend model.
/// </summary>
/// <param name="Frequency">x: number of repeat purchases (purchase days after the first).</param>
/// <param name="Recency">t<sub>x</sub>: time from the first to the last purchase (0 when <paramref name="Frequency"/> is 0).</param>
/// <param name="T">T: time from the first purchase to the end of the calibration period.</param>
/// <param name="MonetaryValue">z̄: mean value of the repeat purchases (0 when there are none).</param>
public readonly record struct CustomerSummary(int Frequency, double Recency, double T, double MonetaryValue = 0)
{
    /// <summary>Throws <see cref="MarketingValidationException"/> when the summary is inconsistent.</summary>
    /// <param name="index">Position in a batch, for the error.</param>
    public void Validate(int? index = null)
    {
        if (Frequency < 0)
        {
            throw new MarketingValidationException("frequency", ValidationReason.Negative, "Frequency must be 0 or more.", index);
        }
        if (!(T > 0) || !double.IsFinite(T))
        {
            throw new MarketingValidationException("t", ValidationReason.OutOfRange, "T must be a positive, finite duration.", index);
        }
        if (!(Recency >= 0) || Recency > T * (1 + 1e-9))
        {
            throw new MarketingValidationException("recency", ValidationReason.OutOfRange, "Recency must lie between 0 and T.", index);
        }
        if (Frequency > 0 && Recency <= 0)
        {
            throw new MarketingValidationException("recency", ValidationReason.Inconsistent, "A customer with repeat purchases has a positive recency.", index);
        }
        if (!(MonetaryValue >= 0) || !double.IsFinite(MonetaryValue))
        {
            throw new MarketingValidationException("monetaryValue", ValidationReason.OutOfRange, "The monetary value must be a finite amount of 0 or more.", index);
        }
    }
}

/// <summary>How a model fit went.</summary>
/// <param name="LogLikelihood">The maximised log-likelihood.</param>
/// <param name="Iterations">Optimiser iterations.</param>
/// <param name="Evaluations">Objective evaluations.</param>
/// <param name="Converged">Whether the optimiser met its convergence test.</param>
/// <param name="Method">The optimiser that produced the estimate (<c>bfgs</c> or <c>nelder-mead</c>).</param>
/// <param name="Observations">Number of customers the model was fitted on.</param>
public sealed record FitDiagnostics(double LogLikelihood, int Iterations, int Evaluations, bool Converged, string Method, int Observations);
