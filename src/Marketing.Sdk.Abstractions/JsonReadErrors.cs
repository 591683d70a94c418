using System.Text.Json;

namespace Marketing.Sdk;

/// <summary>
/// Builds the <see cref="JsonException"/> the SDK's converters throw for a value they cannot read,
/// so that hosts (ASP.NET Core) answer 400 and System.Text.Json adds the JSON path. The message
/// names the field and the reason, never the value.
/// </summary>
internal static class JsonReadErrors
{
    /// <summary>An exception for a value of <paramref name="field"/> rejected for <paramref name="reason"/>.</summary>
    public static JsonException Invalid(string field, ValidationReason reason, string detail, Exception? inner = null) =>
        new($"Invalid JSON value for '{field}' ({reason}): {detail}", inner);

    /// <summary>Wraps a validation failure of a value being read.</summary>
    public static JsonException From(MarketingValidationException ex) => Invalid(ex.Field, ex.Reason, ex.Detail, ex);

    /// <summary>An exception for JSON <c>null</c> where a value is required.</summary>
    public static JsonException Null(string field) => Invalid(field, ValidationReason.Missing, "JSON null is not allowed here; a value is required.");

    /// <summary>An exception for a token of the wrong type.</summary>
    public static JsonException WrongToken(string field, JsonTokenType actual, string expected) =>
        Invalid(field, ValidationReason.InvalidFormat, $"Expected {expected}, found a JSON {Describe(actual)}.");

    /// <summary>Reads a required JSON string (not null) for <paramref name="field"/>.</summary>
    public static string ReadString(ref Utf8JsonReader reader, string field)
    {
        return reader.TokenType switch
        {
            JsonTokenType.String or JsonTokenType.PropertyName => reader.GetString()!,
            JsonTokenType.Null => throw Null(field),
            _ => throw WrongToken(field, reader.TokenType, "a JSON string"),
        };
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String or JsonTokenType.PropertyName => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => "token",
    };
}
