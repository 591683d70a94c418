namespace Marketing.Sdk.Compliance;

/// <summary>Base type of failures raised by the compliance package (messages never contain personal data).</summary>
public class ComplianceException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public ComplianceException(string message) : base(message) { }

    /// <summary>Creates the exception with a cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public ComplianceException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Thrown when an IAB TCF TC string cannot be decoded or is not valid.</summary>
public sealed class TcStringFormatException : ComplianceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public TcStringFormatException(string message) : base(message) { }

    /// <summary>Creates the exception for one field.</summary>
    /// <param name="field">The field, as the official <c>@iabtcf/core</c> model names it (e.g. <c>vendorConsents</c>, <c>publisherRestrictions.purposeId</c>).</param>
    /// <param name="reason">What is wrong with it (never the string's content).</param>
    public TcStringFormatException(string field, string reason) : base($"TC string field '{field}': {reason}") => Field = field;

    /// <summary>The field that is invalid, when the failure is about one field.</summary>
    public string? Field { get; }
}

/// <summary>Thrown when a value cannot be normalised for a platform's match hashing (e.g. an email without '@').</summary>
public sealed class MatchNormalizationException : ComplianceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The match field.</param>
    /// <param name="detail">Why (no personal data).</param>
    public MatchNormalizationException(string field, string detail) : base($"Cannot normalise the {field} value: {detail}") => Field = field;

    /// <summary>The match field.</summary>
    public string Field { get; }
}
