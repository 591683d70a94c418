namespace Marketing.Sdk.Lifecycle;

/// <summary>Base type of the errors the lifecycle package throws on purpose (invalid journey definitions, inconsistent state).</summary>
public class LifecycleException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public LifecycleException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public LifecycleException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Thrown when a probability model cannot be fitted or evaluated (no data, no convergence, numerical breakdown).</summary>
public sealed class LifecycleModelException : LifecycleException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public LifecycleModelException(string message) : base(message) { }
}
