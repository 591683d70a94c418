using System.Text.Json.Serialization;

namespace Marketing.Sdk;

/// <summary>
/// Source-generated JSON metadata for the domain model (trim and AOT safe), in camelCase. Stores,
/// exports and wire adapters serialise the model through it.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
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
