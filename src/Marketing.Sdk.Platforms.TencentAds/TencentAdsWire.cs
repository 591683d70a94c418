using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.TencentAds;

// Wire models of the Tencent Ads Marketing API v3.0 (snake_case on the wire). Sources: TencentAd/marketing-api-go-sdk
// docs/v3 (UserAction.md, UserIdDn.md, Trace.md, AdgroupsApi.md, DailyReportsApi.md), developers.e.qq.com; see
// docs/platforms/tencent-ads.md.

/// <summary>The envelope of every answer: <c>{code, message, message_cn, data, errors[]}</c>.</summary>
internal sealed record TencentEnvelope(int? Code, string? Message, string? MessageCn, JsonElement? Data, IReadOnlyList<TencentError>? Errors)
{
    /// <summary>The trace id Tencent embeds in the message (<c>… trace_id: xxx</c>), if any.</summary>
    public string? TraceId
    {
        get
        {
            var m = Message;
            var at = m?.IndexOf("trace_id", StringComparison.OrdinalIgnoreCase) ?? -1;
            if (m is null || at < 0)
            {
                return null;
            }
            var rest = m.AsSpan(at + 8).TrimStart(": =".AsSpan());
            var end = rest.IndexOfAny(" ,;)]\"".AsSpan());
            var id = (end < 0 ? rest : rest[..end]).ToString();
            return id.Length is > 0 and <= 64 ? id : null;
        }
    }
}

internal sealed record TencentError(string? Type, string? Description);

/// <summary>POST user_actions/add body.</summary>
internal sealed record UserActionsAddRequest(long AccountId, long UserActionSetId, IReadOnlyList<UserAction> Actions);

internal sealed record UserAction(
    long ActionTime,
    string ActionType,
    string OuterActionId,
    UserIdSpec? UserId,
    TraceSpec? Trace,
    Dictionary<string, JsonElement>? ActionParam,
    string? Url,
    string? CustomAction);

internal sealed record UserIdSpec(string? HashPhone, string? WechatOpenid, string? WechatUnionid, string? WechatAppId);

internal sealed record TraceSpec(string ClickId);

/// <summary>The <c>data</c> of daily_reports/get.</summary>
internal sealed record ReportData(IReadOnlyList<Dictionary<string, JsonElement>?>? List, PageInfo? PageInfo);

internal sealed record PageInfo(int Page, int PageSize, int TotalNumber, int TotalPage);

internal sealed record DateRange(string StartDate, string EndDate);

internal sealed record StatusSpec(long AdgroupId, string ConfiguredStatus);

internal sealed record StatusUpdateRequest(long AccountId, IReadOnlyList<StatusSpec> UpdateConfiguredStatusSpec);

internal sealed record BudgetSpec(long AdgroupId, long DailyBudget);

internal sealed record BudgetUpdateRequest(long AccountId, IReadOnlyList<BudgetSpec> UpdateDailyBudgetSpec);

/// <summary>The <c>data</c> of the batch ad group updates: one entry per ad group with its own code.</summary>
internal sealed record BatchUpdateData(IReadOnlyList<BatchUpdateItem?>? List);

internal sealed record BatchUpdateItem(long? AdgroupId, int? Code, string? Message, string? MessageCn);

internal sealed record AudienceFileData(long? CustomAudienceFileId);

/// <summary>OAuth answer data of <c>oauth/token</c>.</summary>
internal sealed record OAuthData(string? AccessToken, string? RefreshToken, long? AccessTokenExpiresIn, long? RefreshTokenExpiresIn);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TencentEnvelope))]
[JsonSerializable(typeof(UserActionsAddRequest))]
[JsonSerializable(typeof(UserAction))]
[JsonSerializable(typeof(ReportData))]
[JsonSerializable(typeof(DateRange))]
[JsonSerializable(typeof(StatusUpdateRequest))]
[JsonSerializable(typeof(BudgetUpdateRequest))]
[JsonSerializable(typeof(BatchUpdateData))]
[JsonSerializable(typeof(AudienceFileData))]
[JsonSerializable(typeof(OAuthData))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(decimal))]
internal sealed partial class TencentAdsJsonContext : JsonSerializerContext;
