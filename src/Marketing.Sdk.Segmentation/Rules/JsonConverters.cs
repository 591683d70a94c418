using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// Serialises a <see cref="SegmentCondition"/> as its rule text (<see cref="SegmentDsl.Format"/>),
/// which parses back to an equal condition; reading reports rule errors as <see cref="JsonException"/>
/// with the parse error (line, column, expected tokens) as inner exception.
/// </summary>
internal sealed class SegmentConditionJsonConverter : JsonConverter<SegmentCondition>
{
    public override SegmentCondition Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("A segment rule is a string in the segment rule language.");
        try
        {
            return SegmentDsl.Parse(text);
        }
        catch (SegmentParseException e)
        {
            throw new JsonException("The segment rule is not valid: " + e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, SegmentCondition value, JsonSerializerOptions options)
    {
        SegmentDsl.Validate(value);
        writer.WriteStringValue(SegmentDsl.Format(value));
    }
}
