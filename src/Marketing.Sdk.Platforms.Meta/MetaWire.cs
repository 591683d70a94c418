using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.Meta;

// Wire models of the Graph / Marketing API and the Conversions API. Field names follow Meta's
// snake_case; numbers that Meta returns as strings (insights) are read from strings too.

/// <summary>One server event (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event).</summary>
internal sealed record CapiEvent
{
    public required string EventName { get; init; }
    public required long EventTime { get; init; }
    public required string EventId { get; init; }
    public required string ActionSource { get; init; }
    public string? EventSourceUrl { get; init; }
    public required CapiUserData UserData { get; init; }
    public CapiCustomData? CustomData { get; init; }
}

/// <summary>Customer information parameters (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters).</summary>
internal sealed record CapiUserData
{
    public string? Em { get; init; }
    public string? Ph { get; init; }
    public string? Fn { get; init; }
    public string? Ln { get; init; }
    public string? Ct { get; init; }
    public string? St { get; init; }
    public string? Zp { get; init; }
    public string? Country { get; init; }
    public string? Db { get; init; }
    public string? Ge { get; init; }
    public string? ExternalId { get; init; }
    public string? ClientIpAddress { get; init; }
    public string? ClientUserAgent { get; init; }
    public string? Fbc { get; init; }
    public string? Fbp { get; init; }
}

/// <summary>Custom data (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/custom-data).</summary>
internal sealed record CapiCustomData
{
    public decimal? Value { get; init; }
    public string? Currency { get; init; }
    public IReadOnlyList<CapiContent>? Contents { get; init; }
    public string? ContentType { get; init; }
    public int? NumItems { get; init; }
    public string? OrderId { get; init; }
}

internal sealed record CapiContent(string Id, int Quantity, decimal? ItemPrice);

/// <summary>The Conversions API answer <c>{events_received, messages, fbtrace_id}</c>.</summary>
internal sealed record CapiResponse(int EventsReceived, IReadOnlyList<string>? Messages, string? FbtraceId);

/// <summary>Meta's error envelope <c>{"error":{...}}</c> (https://developers.facebook.com/docs/graph-api/guides/error-handling).</summary>
internal sealed record MetaErrorEnvelope(MetaError? Error);

internal sealed record MetaError
{
    public string? Message { get; init; }
    public string? Type { get; init; }
    public int? Code { get; init; }
    public int? ErrorSubcode { get; init; }
    public string? ErrorUserTitle { get; init; }
    public string? ErrorUserMsg { get; init; }
    public string? FbtraceId { get; init; }
    public bool? IsTransient { get; init; }
}

/// <summary>A custom-audience upload session (https://developers.facebook.com/docs/marketing-api/reference/custom-audience-session).</summary>
internal sealed record AudienceSession(long SessionId, int BatchSeq, bool LastBatchFlag, int EstimatedNumTotal);

/// <summary>The answer of <c>/{audience_id}/users</c> and <c>/usersreplace</c>.</summary>
internal sealed record AudienceUploadResponse
{
    public string? AudienceId { get; init; }
    public long? SessionId { get; init; }
    public int? NumReceived { get; init; }
    public int? NumInvalidEntries { get; init; }
}

/// <summary>An insights page.</summary>
internal sealed record InsightsPage(IReadOnlyList<InsightsRow>? Data, GraphPaging? Paging);

internal sealed record GraphPaging(GraphCursors? Cursors, string? Next, string? Previous);

internal sealed record GraphCursors(string? Before, string? After);

/// <summary>One insights row (https://developers.facebook.com/docs/marketing-api/reference/ad-account/insights).</summary>
internal sealed record InsightsRow
{
    public string? AccountCurrency { get; init; }
    public string? CampaignId { get; init; }
    public string? CampaignName { get; init; }
    public string? AdsetId { get; init; }
    public string? AdsetName { get; init; }
    public string? DateStart { get; init; }
    public string? DateStop { get; init; }
    public decimal? Spend { get; init; }
    public long? Impressions { get; init; }
    public long? Clicks { get; init; }
    public IReadOnlyList<InsightsAction>? Actions { get; init; }
    public IReadOnlyList<InsightsAction>? ActionValues { get; init; }
}

internal sealed record InsightsAction(string? ActionType, decimal? Value);

internal sealed record GraphSuccess(bool Success);

/// <summary>Source-generated JSON for the Meta wire models.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(List<CapiEvent>))]
[JsonSerializable(typeof(CapiResponse))]
[JsonSerializable(typeof(MetaErrorEnvelope))]
[JsonSerializable(typeof(AudienceSession))]
[JsonSerializable(typeof(AudienceUploadResponse))]
[JsonSerializable(typeof(InsightsPage))]
[JsonSerializable(typeof(GraphSuccess))]
internal sealed partial class MetaJsonContext : JsonSerializerContext;
