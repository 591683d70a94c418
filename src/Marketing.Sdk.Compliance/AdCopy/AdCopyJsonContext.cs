using System.Text.Json.Serialization;

namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>Source-generated JSON metadata for lexicons.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(AdCopyLexicon))]
internal sealed partial class AdCopyJsonContext : JsonSerializerContext;
