namespace Marketing.Sdk.Experimentation;

/// <summary>
/// Base of the exceptions the experimentation package throws for conditions other than bad input
/// (bad input raises <see cref="MarketingValidationException"/> with the offending field).
/// Messages name experiments and variants, never unit ids.
/// </summary>
public class ExperimentationException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public ExperimentationException(string message) : base(message) { }

    /// <summary>Creates the exception with a cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public ExperimentationException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Thrown when an experiment key is not among the registered definitions.</summary>
public sealed class ExperimentNotFoundException : ExperimentationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="experimentKey">The key that was asked for.</param>
    public ExperimentNotFoundException(string experimentKey)
        : base($"No experiment with key '{experimentKey}' is registered.") => ExperimentKey = experimentKey;

    /// <summary>The key that was asked for.</summary>
    public string ExperimentKey { get; }
}

/// <summary>Argument checks that raise <see cref="MarketingValidationException"/>.</summary>
internal static class Guard
{
    public static void NotNegative(long value, string field)
    {
        if (value < 0)
        {
            throw new MarketingValidationException(field, ValidationReason.Negative, "Counts cannot be negative.");
        }
    }

    public static void Finite(double value, string field)
    {
        if (!double.IsFinite(value))
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange, "The value must be a finite number.");
        }
    }

    public static void NotNegative(double value, string field)
    {
        Finite(value, field);
        if (value < 0)
        {
            throw new MarketingValidationException(field, ValidationReason.Negative, "The value cannot be negative.");
        }
    }

    public static void Positive(double value, string field)
    {
        Finite(value, field);
        if (value <= 0)
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange, "The value must be greater than zero.");
        }
    }

    /// <summary>A probability strictly between 0 and 1 (significance levels, power).</summary>
    public static void OpenUnit(double value, string field)
    {
        if (!(value > 0 && value < 1))
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange, "The value must lie strictly between 0 and 1.");
        }
    }

    /// <summary>A probability in [0, 1].</summary>
    public static void ClosedUnit(double value, string field)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new MarketingValidationException(field, ValidationReason.OutOfRange, "The value must lie between 0 and 1.");
        }
    }

    public static void Counts(long units, long conversions, string prefix)
    {
        NotNegative(units, prefix + ".units");
        NotNegative(conversions, prefix + ".conversions");
        if (conversions > units)
        {
            throw new MarketingValidationException(prefix + ".conversions", ValidationReason.Inconsistent,
                "Conversions cannot exceed units.");
        }
    }

    public static void NotEmpty(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new MarketingValidationException(field, ValidationReason.Missing, "A value is required.");
        }
    }
}
