using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>The export's checkpoint (scope <c>export.parquet</c>, key <c>checkpoint</c>): the last completed run and where the event window ends.</summary>
/// <param name="Run">The last completed run.</param>
/// <param name="EventsReceivedBefore">Events received before this instant are exported.</param>
/// <param name="CompletedAt">When the run completed.</param>
internal sealed record ExportCheckpoint(long Run, DateTimeOffset? EventsReceivedBefore, DateTimeOffset CompletedAt)
{
    public const string Key = "checkpoint";

    public static ExportCheckpoint Initial { get; } = new(0, null, DateTimeOffset.MinValue);

    public string Write() => JsonSerializer.Serialize(this, ExportJsonContext.Default.ExportCheckpoint);

    public static ExportCheckpoint Read(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ExportJsonContext.Default.ExportCheckpoint)
                ?? throw new ParquetExportException("The Parquet export checkpoint is empty.");
        }
        catch (JsonException e)
        {
            throw new ParquetExportException("The Parquet export checkpoint is not readable.", e);
        }
    }
}

/// <summary>Source-generated JSON of the export's stored documents.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExportCheckpoint))]
internal sealed partial class ExportJsonContext : JsonSerializerContext;
