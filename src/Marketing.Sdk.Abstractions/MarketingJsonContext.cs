using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>
/// Source-generated JSON metadata for the domain model (trim and AOT safe), in camelCase. Stores,
/// exports and wire adapters serialise the model through it. A JSON object that repeats a property
/// name (e.g. the same event property twice) is rejected with a <see cref="System.Text.Json.JsonException"/>
/// rather than resolved silently by "last one wins".
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false,
    WriteIndented = false)]
[JsonSerializable(typeof(MarketingEvent))]
[JsonSerializable(typeof(IReadOnlyList<MarketingEvent>))]
[JsonSerializable(typeof(CustomerProfile))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Product))]
[JsonSerializable(typeof(Campaign))]
[JsonSerializable(typeof(Identity))]
[JsonSerializable(typeof(IReadOnlyList<Identity>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, PropertyValue>))]
[JsonSerializable(typeof(Storage.MergeRecord))]
[JsonSerializable(typeof(Ingestion.TrackResult))]
[JsonSerializable(typeof(Ingestion.BatchTrackResult))]
[JsonSerializable(typeof(Ingestion.TrackError))]
public sealed partial class MarketingJsonContext : JsonSerializerContext;
