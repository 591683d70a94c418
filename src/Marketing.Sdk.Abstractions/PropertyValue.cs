using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>The kind of value a <see cref="PropertyValue"/> holds.</summary>
public enum PropertyValueKind
{
    /// <summary>No value (JSON null).</summary>
    Null = 0,
    /// <summary>Text.</summary>
    Text,
    /// <summary>A number (decimal).</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
}

/// <summary>
/// An event property or profile trait value: text, number, boolean or null. Small, immutable,
/// comparable by value and serialised as the matching JSON primitive.
/// </summary>
[JsonConverter(typeof(PropertyValueJsonConverter))]
public readonly struct PropertyValue : IEquatable<PropertyValue>
{
    private readonly string? _text;
    private readonly decimal _number;

    private PropertyValue(PropertyValueKind kind, string? text, decimal number)
    {
        Kind = kind;
        _text = text;
        _number = number;
    }

    /// <summary>The null value.</summary>
    public static PropertyValue Null => default;

    /// <summary>What the value holds.</summary>
    public PropertyValueKind Kind { get; }

    /// <summary>Whether this is the null value.</summary>
    public bool IsNull => Kind == PropertyValueKind.Null;

    /// <summary>A text value.</summary>
    /// <param name="value">The text; <see langword="null"/> gives <see cref="Null"/>.</param>
    public static PropertyValue From(string? value) => value is null ? Null : new(PropertyValueKind.Text, value, 0m);

    /// <summary>A number value.</summary>
    /// <param name="value">The number.</param>
    public static PropertyValue From(decimal value) => new(PropertyValueKind.Number, null, value);

    /// <summary>A boolean value.</summary>
    /// <param name="value">The boolean.</param>
    public static PropertyValue From(bool value) => new(PropertyValueKind.Boolean, null, value ? 1m : 0m);

    /// <summary>Text of a <see cref="PropertyValueKind.Text"/> value, else <see langword="null"/>.</summary>
    public string? AsString() => Kind == PropertyValueKind.Text ? _text : null;

    /// <summary>The number of a <see cref="PropertyValueKind.Number"/> value (or a string that parses as one), else <see langword="null"/>.</summary>
    public decimal? AsNumber() => Kind switch
    {
        PropertyValueKind.Number => _number,
        PropertyValueKind.Text when decimal.TryParse(_text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    /// <summary>The boolean of a <see cref="PropertyValueKind.Boolean"/> value, else <see langword="null"/>.</summary>
    public bool? AsBoolean() => Kind == PropertyValueKind.Boolean ? _number != 0m : null;

    /// <summary>Approximate size in characters, for payload limits.</summary>
    public int Size => Kind == PropertyValueKind.Text ? _text!.Length : 8;

    /// <summary>Converts text.</summary>
    public static implicit operator PropertyValue(string? value) => From(value);

    /// <summary>Converts a number.</summary>
    public static implicit operator PropertyValue(decimal value) => From(value);

    /// <summary>Converts a number.</summary>
    public static implicit operator PropertyValue(int value) => From(value);

    /// <summary>Converts a number.</summary>
    public static implicit operator PropertyValue(long value) => From(value);

    private static PropertyValue FromDouble(double value) =>
        double.IsFinite(value) && Math.Abs(value) <= (double)decimal.MaxValue
            ? From((decimal)value)
            : throw new MarketingValidationException("properties", ValidationReason.OutOfRange, "Numbers must be finite and within the decimal range.");

    /// <summary>Converts a number.</summary>
    /// <exception cref="MarketingValidationException">The number is NaN, infinite or outside the decimal range.</exception>
    public static implicit operator PropertyValue(double value) => FromDouble(value);

    /// <summary>Converts a boolean.</summary>
    public static implicit operator PropertyValue(bool value) => From(value);

    /// <inheritdoc />
    public bool Equals(PropertyValue other) =>
        Kind == other.Kind && _number == other._number && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PropertyValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, _number, _text is null ? 0 : StringComparer.Ordinal.GetHashCode(_text));

    /// <summary>Value equality.</summary>
    public static bool operator ==(PropertyValue left, PropertyValue right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(PropertyValue left, PropertyValue right) => !left.Equals(right);

    /// <summary>The value as invariant text (<c>null</c>, <c>true</c>, <c>12.5</c> or the text itself).</summary>
    public override string ToString() => Kind switch
    {
        PropertyValueKind.Text => _text!,
        PropertyValueKind.Number => _number.ToString(CultureInfo.InvariantCulture),
        PropertyValueKind.Boolean => _number != 0m ? "true" : "false",
        _ => "null",
    };
}

/// <summary>JSON converter for <see cref="PropertyValue"/> (the matching JSON primitive).</summary>
public sealed class PropertyValueJsonConverter : JsonConverter<PropertyValue>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <summary>Reads a property value.</summary>
    /// <exception cref="JsonException">The token is an object or array, or a number outside the decimal range.</exception>
    /// <inheritdoc />
    public override PropertyValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => PropertyValue.From(reader.GetString()),
        JsonTokenType.Number => reader.TryGetDecimal(out var number)
            ? PropertyValue.From(number)
            : throw JsonReadErrors.Invalid("properties", ValidationReason.OutOfRange, "Numbers must be within the decimal range."),
        JsonTokenType.True => PropertyValue.From(true),
        JsonTokenType.False => PropertyValue.From(false),
        JsonTokenType.Null => PropertyValue.Null,
        _ => throw JsonReadErrors.WrongToken("properties", reader.TokenType, "a string, number, boolean or null"),
    };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PropertyValue value, JsonSerializerOptions options)
    {
        switch (value.Kind)
        {
            case PropertyValueKind.Text: writer.WriteStringValue(value.AsString()); break;
            case PropertyValueKind.Number: writer.WriteNumberValue(value.AsNumber()!.Value); break;
            case PropertyValueKind.Boolean: writer.WriteBooleanValue(value.AsBoolean()!.Value); break;
            default: writer.WriteNullValue(); break;
        }
    }
}
