using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Marketing.Sdk.Content.Channels;
using Microsoft.Extensions.AI;

namespace Marketing.Sdk.Content.Generation;

/// <summary>The model's answer: the variants, or a refusal.</summary>
internal sealed class VariantsAnswer
{
    /// <summary>The variants written.</summary>
    public List<VariantAnswer>? Variants { get; set; }

    /// <summary>Why the copy was not written, when it was not.</summary>
    public string? Refusal { get; set; }
}

/// <summary>One variant of the answer.</summary>
internal sealed class VariantAnswer
{
    /// <summary>The channel's text fields by name.</summary>
    public Dictionary<string, string?>? Fields { get; set; }

    /// <summary>The channel's list fields by name.</summary>
    public Dictionary<string, List<string?>?>? Lists { get; set; }
}

/// <summary>A channel finding as the rewrite prompt shows it.</summary>
internal sealed record FindingData(string Field, string Problem);

/// <summary>Source-generated serialisation of the answer and of the prompt's data blocks.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(VariantsAnswer))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<FindingData>))]
[JsonSerializable(typeof(string))]
internal sealed partial class ContentGenerationJsonContext : JsonSerializerContext;

/// <summary>The response schema and the data blocks of the prompts.</summary>
internal static class GenerationJson
{
    // Escapes < > & ' " + and control characters (so no data can close its block), keeps every letter (Chinese too).
    private static readonly JavaScriptEncoder DataEncoder = JavaScriptEncoder.Create(UnicodeRanges.All);

    /// <summary>
    /// The JSON schema of the answer for a channel: generated from the source-generated <see cref="VariantsAnswer"/> type,
    /// then narrowed so <c>fields</c> and <c>lists</c> name exactly the channel's fields (all required, nothing else).
    /// </summary>
    public static JsonElement Schema(ChannelProfile profile, int count)
    {
        var generated = AIJsonUtilities.CreateJsonSchema(typeof(VariantsAnswer), description: "Marketing copy variants", serializerOptions: ContentGenerationJsonContext.Default.Options);
        var schema = JsonNode.Parse(generated.GetRawText())!.AsObject();
        var properties = schema["properties"]!.AsObject();
        var variants = properties["variants"]!.AsObject();
        variants["minItems"] = count;
        variants["maxItems"] = count;
        var item = new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
        };
        var itemProperties = new JsonObject { ["fields"] = Object(profile.FieldNames, _ => new JsonObject { ["type"] = "string" }) };
        var required = new JsonArray { (JsonNode?)JsonValue.Create("fields") };
        if (profile.ListFieldNames.Count > 0)
        {
            itemProperties["lists"] = Object(profile.ListFieldNames, _ => new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } });
            required.Add((JsonNode?)JsonValue.Create("lists"));
        }

        item["properties"] = itemProperties;
        item["required"] = required;
        variants["items"] = item;
        variants["type"] = "array";
        properties["refusal"] = new JsonObject { ["type"] = new JsonArray("string", "null"), ["description"] = "Why the copy was not written; null when it was." };
        schema["required"] = new JsonArray("variants", "refusal");
        schema["additionalProperties"] = false;
        return JsonSerializer.SerializeToElement(schema, ContentGenerationNodeContext.Default.JsonObject);
    }

    private static JsonObject Object(IReadOnlyList<string> names, Func<string, JsonNode> type)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var name in names)
        {
            properties[name] = type(name);
            required.Add((JsonNode?)JsonValue.Create(name));
        }

        return new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required, ["additionalProperties"] = false };
    }

    /// <summary>Serialises a value for a data block, escaping every character that could close the block.</summary>
    public static string Data<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = DataEncoder, Indented = true }))
        {
            JsonSerializer.Serialize(writer, value, type);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>Source-generated serialisation of schema nodes.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class ContentGenerationNodeContext : JsonSerializerContext;
