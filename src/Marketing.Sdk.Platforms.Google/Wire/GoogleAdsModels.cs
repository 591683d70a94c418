using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.Google.Wire;

// Google Ads API (REST, proto3 JSON) bodies: https://developers.google.com/google-ads/api/rest/common/search ,
// MutateCampaignBudgetsRequest / MutateCampaignsRequest, and the google.rpc.Status error model with
// GoogleAdsFailure details (https://developers.google.com/google-ads/api/reference/rpc/v26/GoogleAdsFailure).

/// <summary>The REST error envelope <c>{"error": Status}</c>.</summary>
internal sealed record RpcErrorEnvelope(RpcStatus? Error);

/// <summary>google.rpc.Status: <c>code</c> (HTTP status at the top level, gRPC code inside <c>partialFailureError</c>), message, canonical status name and typed details.</summary>
internal sealed record RpcStatus(int? Code, string? Message, string? Status, IReadOnlyList<JsonElement>? Details);

/// <summary>google.rpc.RetryInfo.</summary>
internal sealed record RetryInfo(string? RetryDelay);

/// <summary>google.rpc.ErrorInfo.</summary>
internal sealed record ErrorInfo(string? Reason, string? Domain);

/// <summary>google.rpc.RequestInfo.</summary>
internal sealed record RequestInfo(string? RequestId);

/// <summary>google.rpc.BadRequest.</summary>
internal sealed record BadRequest(IReadOnlyList<FieldViolation>? FieldViolations);

/// <summary>One field violation (<c>events[3].userData.userIdentifiers[0].emailAddress</c>).</summary>
internal sealed record FieldViolation(string? Field, string? Description, string? Reason);

/// <summary>google.ads.googleads.vN.errors.GoogleAdsFailure.</summary>
internal sealed record GoogleAdsFailure(IReadOnlyList<GoogleAdsError>? Errors, string? RequestId);

/// <summary>One Google Ads error: <c>errorCode</c> is a one-entry object <c>{"quotaError": "RESOURCE_EXHAUSTED"}</c>.</summary>
internal sealed record GoogleAdsError(Dictionary<string, string>? ErrorCode, string? Message, ErrorLocation? Location, ErrorDetails? Details);

/// <summary>Where in the request an error is.</summary>
internal sealed record ErrorLocation(IReadOnlyList<FieldPathElement>? FieldPathElements);

/// <summary>A step of the path: field name and, for repeated fields, the index.</summary>
internal sealed record FieldPathElement(string? FieldName, int? Index);

/// <summary>Additional error details.</summary>
internal sealed record ErrorDetails(QuotaErrorDetails? QuotaErrorDetails);

/// <summary>Quota error details with the wait hint.</summary>
internal sealed record QuotaErrorDetails(string? RateScope, string? RateName, string? RetryDelay);

/// <summary><c>googleAds:searchStream</c> body.</summary>
internal sealed record SearchStreamRequest(string Query);

/// <summary>One batch of the searchStream answer (the body is a JSON array of these; an element with <c>error</c> ends a failed stream).</summary>
internal sealed record SearchStreamBatch(IReadOnlyList<GoogleAdsRow>? Results, string? FieldMask, string? RequestId, RpcStatus? Error);

/// <summary>A GAQL result row (only the fields this client selects).</summary>
internal sealed record GoogleAdsRow(AdsCustomer? Customer, AdsCampaign? Campaign, AdsAdGroup? AdGroup, AdsSegments? Segments, AdsMetrics? Metrics);

/// <summary>customer.*.</summary>
internal sealed record AdsCustomer(string? CurrencyCode);

/// <summary>campaign.*.</summary>
internal sealed record AdsCampaign(string? ResourceName, string? Id, string? Name);

/// <summary>ad_group.*.</summary>
internal sealed record AdsAdGroup(string? ResourceName, string? Id, string? Name);

/// <summary>segments.*.</summary>
internal sealed record AdsSegments(string? Date);

/// <summary>metrics.* (int64 fields arrive as JSON strings).</summary>
internal sealed record AdsMetrics(long? CostMicros, long? Impressions, long? Clicks, double? Conversions, double? ConversionsValue);

/// <summary>A mutate request with partial failure.</summary>
internal sealed record MutateRequest<TUpdate>(IReadOnlyList<MutateOperation<TUpdate>> Operations, bool PartialFailure, bool? ValidateOnly);

/// <summary>An update operation with its field mask.</summary>
internal sealed record MutateOperation<TUpdate>(TUpdate Update, string UpdateMask);

/// <summary>A campaign budget update.</summary>
internal sealed record BudgetUpdate(string ResourceName, [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] long AmountMicros);

/// <summary>A campaign or ad group status update.</summary>
internal sealed record StatusUpdate(string ResourceName, string Status);

/// <summary>A mutate answer: one result per operation (empty for failed ones) and the partial failure.</summary>
internal sealed record MutateResponse(RpcStatus? PartialFailureError, IReadOnlyList<MutateResult>? Results);

/// <summary>One operation's result.</summary>
internal sealed record MutateResult(string? ResourceName);
