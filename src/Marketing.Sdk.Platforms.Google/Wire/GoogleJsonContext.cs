using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.Google.Wire;

/// <summary>Source-generated JSON for the Google wire models (proto3 JSON: lowerCamelCase, defaults omitted, int64 read from strings).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(IngestEventsRequest))]
[JsonSerializable(typeof(IngestAudienceMembersRequest))]
[JsonSerializable(typeof(RemoveAudienceMembersRequest))]
[JsonSerializable(typeof(DmIngestResponse))]
[JsonSerializable(typeof(RpcErrorEnvelope))]
[JsonSerializable(typeof(RetryInfo))]
[JsonSerializable(typeof(ErrorInfo))]
[JsonSerializable(typeof(RequestInfo))]
[JsonSerializable(typeof(BadRequest))]
[JsonSerializable(typeof(GoogleAdsFailure))]
[JsonSerializable(typeof(SearchStreamRequest))]
[JsonSerializable(typeof(SearchStreamBatch))]
[JsonSerializable(typeof(List<SearchStreamBatch>))]
[JsonSerializable(typeof(MutateRequest<BudgetUpdate>))]
[JsonSerializable(typeof(MutateRequest<StatusUpdate>))]
[JsonSerializable(typeof(MutateResponse))]
internal sealed partial class GoogleJsonContext : JsonSerializerContext;
