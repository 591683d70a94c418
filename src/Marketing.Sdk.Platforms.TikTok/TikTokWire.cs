using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.TikTok;

// Wire models of the TikTok Business API v1.3 and Events API 2.0 (snake_case on the wire).
// Sources: tiktok/tiktok-business-api-sdk (python_sdk/docs, yml_files), Segment's TikTok Conversions
// destination (reportWebEvent/types.ts); see docs/platforms-tiktok.md.

/// <summary>The envelope of every Business API answer: <c>{code, message, request_id, data}</c>.</summary>
internal sealed record TikTokEnvelope(int? Code, string? Message, string? RequestId, JsonElement? Data);

/// <summary>POST /event/track/ body.</summary>
internal sealed record TrackRequest(string EventSource, string EventSourceId, string? TestEventCode, IReadOnlyList<TrackEvent> Data);

internal sealed record TrackEvent(string Event, long EventTime, string EventId, TrackUser User, TrackProperties? Properties, TrackPage? Page);

internal sealed record TrackUser(string? Email, string? Phone, string? ExternalId, string? Ttclid, string? Ttp, string? Ip, string? UserAgent);

internal sealed record TrackProperties(decimal? Value, string? Currency, IReadOnlyList<TrackContent>? Contents, string? ContentType, string? OrderId);

internal sealed record TrackContent(string ContentId, int Quantity, decimal? Price);

internal sealed record TrackPage(string Url);

/// <summary>The <c>data</c> of a 20001 partial success of /event/track/: the events not taken (by position and/or event id).</summary>
internal sealed record TrackPartialData(IReadOnlyList<TrackFailedEvent>? FailedEvents);

internal sealed record TrackFailedEvent(int? Index, string? EventId, int? Code, string? Message);

/// <summary>The <c>data</c> of /report/integrated/get/.</summary>
internal sealed record ReportData(IReadOnlyList<ReportItem>? List, PageInfo? PageInfo);

internal sealed record ReportItem(Dictionary<string, JsonElement>? Dimensions, Dictionary<string, JsonElement>? Metrics);

internal sealed record PageInfo(int Page, int PageSize, int TotalNumber, int TotalPage);

/// <summary>POST /campaign/status/update/ and /adgroup/status/update/ body.</summary>
internal sealed record StatusUpdateRequest(string AdvertiserId, IReadOnlyList<string>? CampaignIds, IReadOnlyList<string>? AdgroupIds, string OperationStatus);

internal sealed record StatusUpdateData(IReadOnlyList<string>? CampaignIds, IReadOnlyList<string>? AdgroupIds, IReadOnlyList<StatusUpdateError>? Errors);

internal sealed record StatusUpdateError(string? CampaignId, string? AdgroupId, string? ErrorMessage);

/// <summary>POST /campaign/update/ and /adgroup/update/ body (budget only).</summary>
internal sealed record BudgetUpdateRequest(string AdvertiserId, string? CampaignId, string? AdgroupId, decimal Budget);

internal sealed record FileUploadData(string? FilePath);

internal sealed record AudienceCreateRequest(string AdvertiserId, string CustomAudienceName, string CalculateType, IReadOnlyList<string> FilePaths, int? RetentionInDays);

internal sealed record AudienceCreateData(string? CustomAudienceId);

internal sealed record AudienceUpdateRequest(string AdvertiserId, string CustomAudienceId, string Action, IReadOnlyList<string> FilePaths);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TikTokEnvelope))]
[JsonSerializable(typeof(TrackRequest))]
[JsonSerializable(typeof(TrackPartialData))]
[JsonSerializable(typeof(ReportData))]
[JsonSerializable(typeof(StatusUpdateRequest))]
[JsonSerializable(typeof(StatusUpdateData))]
[JsonSerializable(typeof(BudgetUpdateRequest))]
[JsonSerializable(typeof(FileUploadData))]
[JsonSerializable(typeof(AudienceCreateRequest))]
[JsonSerializable(typeof(AudienceCreateData))]
[JsonSerializable(typeof(AudienceUpdateRequest))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class TikTokJsonContext : JsonSerializerContext;
