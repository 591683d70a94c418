using System.Text.Json.Serialization;

namespace Marketing.Sdk.Attribution;

/// <summary>Source-generated JSON metadata for the attribution results (camelCase, trim and AOT safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(ChannelJsonConverter)])]
// Channel's own converter is internal to the domain model, so the generator cannot use it (SYSLIB1220/1030, silenced in the project file);
// the ChannelJsonConverter registered above serialises channels as their names instead.
[JsonSerializable(typeof(AttributionResult))]
[JsonSerializable(typeof(IReadOnlyList<AttributionResult>))]
[JsonSerializable(typeof(FunnelAnalysis))]
[JsonSerializable(typeof(IReadOnlyList<KpiRow>))]
[JsonSerializable(typeof(BudgetPlan))]
public sealed partial class AttributionJsonContext : JsonSerializerContext;

/// <summary>Writes a <see cref="Channel"/> as its name (the converter on the type is not visible to generated contexts outside the domain model).</summary>
internal sealed class ChannelJsonConverter : JsonConverter<Channel>
{
    public override Channel Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        new(reader.GetString()!);

    public override void Write(System.Text.Json.Utf8JsonWriter writer, Channel value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
