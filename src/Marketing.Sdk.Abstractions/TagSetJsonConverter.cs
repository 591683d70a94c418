using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>Reads and writes a tag set as a JSON array of strings in ordinal order (stable output).</summary>
public sealed class TagSetJsonConverter : JsonConverter<IReadOnlySet<string>>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <summary>Reads a tag set.</summary>
    /// <exception cref="JsonException">The value is not an array (JSON null included) or holds something other than strings.</exception>
    /// <inheritdoc />
    public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw JsonReadErrors.Null("tags");
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw JsonReadErrors.WrongToken("tags", reader.TokenType, "an array of strings");
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            set.Add(JsonReadErrors.ReadString(ref reader, "tags"));
        }
        return set;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var tag in value.Order(StringComparer.Ordinal))
        {
            writer.WriteStringValue(tag);
        }
        writer.WriteEndArray();
    }
}
