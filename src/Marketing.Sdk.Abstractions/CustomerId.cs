using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>
/// The SDK's own, pseudonymous id of one unified customer profile. It is not personal data by
/// itself (it carries no phone, email or platform id) and is safe to log.
/// </summary>
[JsonConverter(typeof(CustomerIdJsonConverter))]
public readonly record struct CustomerId : IComparable<CustomerId>
{
    /// <summary>Wraps an existing id.</summary>
    /// <param name="value">The id text; 1–64 characters of letters, digits, '-', '_' or ':'.</param>
    public CustomerId(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "A customer id is required.");
        }
        if (value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':'))
        {
            throw new MarketingValidationException("customerId", ValidationReason.InvalidFormat, "Customer ids are 1-64 characters of ASCII letters, digits, '-', '_' or ':'.");
        }
        Value = value;
    }

    /// <summary>The id text.</summary>
    public string Value { get; }

    /// <summary>Creates a new, time-ordered id (a version 7 UUID in "N" format with a <c>c_</c> prefix).</summary>
    /// <param name="timeProvider">Clock for the time component; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public static CustomerId New(TimeProvider? timeProvider = null) =>
        new("c_" + Guid.CreateVersion7((timeProvider ?? TimeProvider.System).GetUtcNow()).ToString("N"));

    /// <inheritdoc />
    public int CompareTo(CustomerId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>Ordinal comparison.</summary>
    public static bool operator <(CustomerId left, CustomerId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal comparison.</summary>
    public static bool operator >(CustomerId left, CustomerId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal comparison.</summary>
    public static bool operator <=(CustomerId left, CustomerId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal comparison.</summary>
    public static bool operator >=(CustomerId left, CustomerId right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}

/// <summary>JSON converter for <see cref="CustomerId"/> (a JSON string).</summary>
public sealed class CustomerIdJsonConverter : JsonConverter<CustomerId>
{
    /// <summary>Reads a customer id.</summary>
    /// <exception cref="JsonException">The token is not a string (or is JSON null), or the id is empty or malformed; the message names the field and the reason, never the value.</exception>
    /// <inheritdoc />
    public override CustomerId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = JsonReadErrors.ReadString(ref reader, "customerId");
        try
        {
            return new CustomerId(text);
        }
        catch (MarketingValidationException ex)
        {
            throw JsonReadErrors.From(ex);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, CustomerId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
