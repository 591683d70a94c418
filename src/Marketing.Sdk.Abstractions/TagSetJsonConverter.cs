using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>Reads and writes a tag set as a JSON array of strings in ordinal order (stable output).</summary>
internal sealed class TagSetJsonConverter : JsonConverter<IReadOnlySet<string>>
{
    public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Tags are a JSON array of strings.");
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            set.Add(reader.GetString() ?? throw new JsonException("Tags must not be null."));
        }
        return set;
    }

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
