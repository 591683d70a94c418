using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.OceanEngine;

// Wire models of the Ocean Engine Marketing API and conversion API (snake_case on the wire). Sources: the official Go SDK
// oceanengine/ad_open_sdk_go (api/*.go paths, models/*.go fields) and bububa/oceanengine (conversion, DMP); see
// docs/platforms/ocean-engine.md.

/// <summary>The envelope of every answer: <c>{code, message, request_id, data}</c>.</summary>
internal sealed record OceanEnvelope(long? Code, string? Message, string? RequestId, JsonElement? Data);

/// <summary>POST analytics.oceanengine.com/api/v2/conversion body (one event).</summary>
internal sealed record ConversionRequestBody(string EventType, ConversionContext Context, long Timestamp, decimal? EventWeight, ConversionProperties? Properties);

internal sealed record ConversionContext(ConversionAd Ad, ConversionDevice? Device);

internal sealed record ConversionAd(string Callback);

internal sealed record ConversionDevice(string? PhoneNumBlurred);

internal sealed record ConversionProperties(long? PayAmount);

/// <summary>The <c>data</c> of report/custom/get (v3.0): rows of dimension and metric maps.</summary>
internal sealed record CustomReportData(IReadOnlyList<CustomReportRow?>? Rows, PageInfo? PageInfo);

internal sealed record CustomReportRow(Dictionary<string, JsonElement>? Dimensions, Dictionary<string, JsonElement>? Metrics);

/// <summary>The <c>data</c> of qianchuan/report/ad/get (v1.0).</summary>
internal sealed record QianchuanReportData(IReadOnlyList<Dictionary<string, JsonElement>?>? List, PageInfo? PageInfo);

internal sealed record PageInfo(long Page, long PageSize, long TotalNumber, long TotalPage);

internal sealed record OrderBy(string Field, string Type);

internal sealed record QianchuanFiltering(string MarketingGoal);

/// <summary>project/status/update and promotion/status/update body.</summary>
internal sealed record StatusUpdateRequest(long AdvertiserId, IReadOnlyList<Dictionary<string, JsonElement>> Data);

/// <summary>qianchuan/ad/status/update body: one status for several ad plans.</summary>
internal sealed record QianchuanStatusRequest(long AdvertiserId, IReadOnlyList<long> AdIds, string OptStatus);

/// <summary>The <c>data</c> of the batch updates: the ids applied and the per-id errors.</summary>
internal sealed record BatchUpdateData(IReadOnlyList<Dictionary<string, JsonElement>?>? Errors);

internal sealed record FileUploadData(string? FilePath);

internal sealed record DataSourceCreateRequest(long AdvertiserId, string DataSourceName, string Description, int DataFormat, int FileStorageType, IReadOnlyList<string> FilePaths, string DataSourceType);

internal sealed record DataSourceUpdateRequest(long AdvertiserId, string DataSourceId, int OperationType, int DataFormat, int FileStorageType, IReadOnlyList<string> FilePaths);

internal sealed record DataSourceData(string? DataSourceId);

internal sealed record PublishRequest(long AdvertiserId, long CustomAudienceId);

internal sealed record PushRequest(long AdvertiserId, long CustomAudienceId, IReadOnlyList<long> TargetAdvertiserIds);

/// <summary>POST /open_api/oauth2/refresh_token/ body.</summary>
internal sealed record RefreshRequest(long AppId, string Secret, string GrantType, string RefreshToken);

internal sealed record OAuthData(string? AccessToken, string? RefreshToken, long? ExpiresIn, long? RefreshTokenExpiresIn);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OceanEnvelope))]
[JsonSerializable(typeof(ConversionRequestBody))]
[JsonSerializable(typeof(CustomReportData))]
[JsonSerializable(typeof(QianchuanReportData))]
[JsonSerializable(typeof(OrderBy[]))]
[JsonSerializable(typeof(QianchuanFiltering))]
[JsonSerializable(typeof(StatusUpdateRequest))]
[JsonSerializable(typeof(QianchuanStatusRequest))]
[JsonSerializable(typeof(BatchUpdateData))]
[JsonSerializable(typeof(FileUploadData))]
[JsonSerializable(typeof(DataSourceCreateRequest))]
[JsonSerializable(typeof(DataSourceUpdateRequest))]
[JsonSerializable(typeof(DataSourceData))]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(PushRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(OAuthData))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(string))]
internal sealed partial class OceanEngineJsonContext : JsonSerializerContext;
