using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>
/// Base type of every exception Marketing.Sdk throws on purpose. Messages never contain personal
/// data (identity values, names, addresses); they name fields, kinds and positions instead.
/// </summary>
public class MarketingException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">A message that contains no personal data.</param>
    public MarketingException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    /// <param name="message">A message that contains no personal data.</param>
    /// <param name="innerException">The cause.</param>
    public MarketingException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Why a value was rejected by validation. Serialised as its name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ValidationReason>))]
public enum ValidationReason
{
    /// <summary>A required value is missing or empty.</summary>
    Missing,
    /// <summary>The value does not have the expected format.</summary>
    InvalidFormat,
    /// <summary>The currency is not an ISO 4217 code, or currencies do not match.</summary>
    InvalidCurrency,
    /// <summary>A timestamp lies further in the future than the allowed clock skew.</summary>
    FutureTimestamp,
    /// <summary>A timestamp lies further in the past than the accepted age.</summary>
    TooOld,
    /// <summary>A quantity or amount is negative where it must not be.</summary>
    Negative,
    /// <summary>The value is outside the accepted range.</summary>
    OutOfRange,
    /// <summary>The identity kind is not one the SDK knows.</summary>
    UnknownIdentityKind,
    /// <summary>A value, a collection or the whole payload is larger than allowed.</summary>
    TooLarge,
    /// <summary>The value contains characters that are not allowed (e.g. unpaired UTF-16 surrogates or control characters).</summary>
    InvalidCharacters,
    /// <summary>The value conflicts with another value of the same record.</summary>
    Inconsistent,
    /// <summary>
    /// The record could not be processed by a per-record step for a reason no other member describes
    /// (an unexpected failure); the record was not stored and the rest of its batch was.
    /// </summary>
    Unprocessable,
}

/// <summary>
/// Thrown when input is rejected. <see cref="Field"/> names the offending field as a path
/// (e.g. <c>identities[1].value</c>), <see cref="Reason"/> says why and <see cref="Index"/> gives
/// the position of the offending record in a batch, when the input was a batch.
/// </summary>
public sealed class MarketingValidationException : MarketingException
{
    /// <summary>Creates a validation exception.</summary>
    /// <param name="field">Path of the offending field.</param>
    /// <param name="reason">Why the value was rejected.</param>
    /// <param name="detail">A human-readable explanation that contains no personal data.</param>
    /// <param name="index">Position of the record in a batch, if any.</param>
    public MarketingValidationException(string field, ValidationReason reason, string detail, int? index = null)
        : base(Format(field, reason, detail, index))
    {
        Field = field;
        Reason = reason;
        Detail = detail;
        Index = index;
    }

    /// <summary>Path of the offending field, e.g. <c>occurredAt</c> or <c>order.lines[2].quantity</c>.</summary>
    public string Field { get; }

    /// <summary>Why the value was rejected.</summary>
    public ValidationReason Reason { get; }

    /// <summary>A human-readable explanation (no personal data).</summary>
    public string Detail { get; }

    /// <summary>Position of the offending record in a batch, or <see langword="null"/> for a single record.</summary>
    public int? Index { get; }

    /// <summary>Returns a copy that carries the position of the record in a batch.</summary>
    /// <param name="index">Position in the batch.</param>
    public MarketingValidationException WithIndex(int index) => new(Field, Reason, Detail, index);

    private static string Format(string field, ValidationReason reason, string detail, int? index) =>
        index is { } i
            ? $"Invalid value at [{i}].{field} ({reason}): {detail}"
            : $"Invalid value at {field} ({reason}): {detail}";
}

/// <summary>Thrown when amounts in different currencies are combined.</summary>
public sealed class CurrencyMismatchException : MarketingException
{
    /// <summary>Creates the exception for two currencies.</summary>
    /// <param name="left">Currency of the left operand.</param>
    /// <param name="right">Currency of the right operand.</param>
    public CurrencyMismatchException(string left, string right)
        : base($"Cannot combine amounts in {left} and {right}; convert explicitly first.")
    {
        Left = left;
        Right = right;
    }

    /// <summary>Currency of the left operand.</summary>
    public string Left { get; }

    /// <summary>Currency of the right operand.</summary>
    public string Right { get; }
}
