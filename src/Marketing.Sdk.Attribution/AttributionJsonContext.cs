using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Marketing.Sdk.Attribution;

/// <summary>
/// Source-generated JSON metadata for the attribution results (camelCase, trim and AOT safe).
/// Serialise through <see cref="AttributionJson.Options"/>, which adds the domain model's metadata
/// (channels) from <see cref="MarketingJsonContext"/>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
// Channel is written by the domain model's own NameJsonConverter<Channel> (declared on the type in
// Abstractions); MarketingJsonContext supplies the type's metadata through AttributionJson.Options.
[JsonSerializable(typeof(AttributionResult))]
[JsonSerializable(typeof(IReadOnlyList<AttributionResult>))]
[JsonSerializable(typeof(FunnelAnalysis))]
[JsonSerializable(typeof(IReadOnlyList<KpiRow>))]
[JsonSerializable(typeof(BudgetPlan))]
public sealed partial class AttributionJsonContext : JsonSerializerContext;

/// <summary>JSON settings for attribution results.</summary>
public static class AttributionJson
{
    /// <summary>camelCase options that resolve the attribution results and the domain model's types (source-generated only).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(AttributionJsonContext.Default.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(AttributionJsonContext.Default, MarketingJsonContext.Default),
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Serialises a value of one of the result types.</summary>
    /// <typeparam name="T">The result type (<see cref="AttributionResult"/>, <see cref="FunnelAnalysis"/>, <see cref="BudgetPlan"/>…).</typeparam>
    /// <param name="value">The value.</param>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));

    /// <summary>Deserialises a value of one of the result types.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="json">The JSON text.</param>
    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize(json, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
}
