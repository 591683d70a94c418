using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

// Wire models of the WeCom server API (snake_case names as WeCom spells them). Each answer carries the
// envelope errcode/errmsg; errors come as HTTP 200 with a non-zero errcode.

internal sealed record WeComEnvelope(
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg);

internal sealed record WeComTokenAnswer(
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg,
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] int? ExpiresIn);

internal sealed record WeComFollowUserAnswer(
    [property: JsonPropertyName("follow_user")] List<string>? FollowUser);

internal sealed record WeComBatchByUserRequest(
    [property: JsonPropertyName("userid_list")] IReadOnlyList<string> UserIdList,
    [property: JsonPropertyName("cursor")] string Cursor,
    [property: JsonPropertyName("limit")] int Limit);

internal sealed record WeComExternalContact(
    [property: JsonPropertyName("external_userid")] string? ExternalUserId,
    [property: JsonPropertyName("type")] int? Type,
    [property: JsonPropertyName("unionid")] string? UnionId);

internal sealed record WeComFollowInfo(
    [property: JsonPropertyName("userid")] string? UserId,
    [property: JsonPropertyName("createtime")] long? CreateTime);

internal sealed record WeComContactEntry(
    [property: JsonPropertyName("external_contact")] WeComExternalContact? ExternalContact,
    [property: JsonPropertyName("follow_info")] WeComFollowInfo? FollowInfo);

internal sealed record WeComBatchByUserAnswer(
    [property: JsonPropertyName("external_contact_list")] List<WeComContactEntry>? ExternalContactList,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

internal sealed record WeComText([property: JsonPropertyName("content")] string Content);

internal sealed record WeComAddMsgTemplateRequest(
    [property: JsonPropertyName("chat_type")] string ChatType,
    [property: JsonPropertyName("external_userid")] IReadOnlyList<string> ExternalUserId,
    [property: JsonPropertyName("sender"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sender,
    [property: JsonPropertyName("text")] WeComText Text);

internal sealed record WeComAddMsgTemplateAnswer(
    [property: JsonPropertyName("fail_list")] List<string>? FailList,
    [property: JsonPropertyName("msgid")] string? MsgId);

internal sealed record WeComGroupMsgTaskRequest(
    [property: JsonPropertyName("msgid")] string MsgId,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("cursor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Cursor);

internal sealed record WeComGroupMsgTask(
    [property: JsonPropertyName("userid")] string? UserId,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("send_time")] long? SendTime);

internal sealed record WeComGroupMsgTaskAnswer(
    [property: JsonPropertyName("task_list")] List<WeComGroupMsgTask>? TaskList,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

internal sealed record WeComGroupMsgSendResultRequest(
    [property: JsonPropertyName("msgid")] string MsgId,
    [property: JsonPropertyName("userid")] string UserId,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("cursor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Cursor);

internal sealed record WeComGroupMsgSend(
    [property: JsonPropertyName("external_userid")] string? ExternalUserId,
    [property: JsonPropertyName("userid")] string? UserId,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("send_time")] long? SendTime);

internal sealed record WeComGroupMsgSendResultAnswer(
    [property: JsonPropertyName("send_list")] List<WeComGroupMsgSend>? SendList,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

internal sealed record WeComAppMessageRequest(
    [property: JsonPropertyName("touser")] string ToUser,
    [property: JsonPropertyName("msgtype")] string MsgType,
    [property: JsonPropertyName("agentid")] int AgentId,
    [property: JsonPropertyName("text")] WeComText Text,
    [property: JsonPropertyName("enable_duplicate_check")] int EnableDuplicateCheck,
    [property: JsonPropertyName("duplicate_check_interval")] int DuplicateCheckInterval);

internal sealed record WeComAppMessageAnswer(
    [property: JsonPropertyName("invaliduser")] string? InvalidUser,
    [property: JsonPropertyName("msgid")] string? MsgId);

internal sealed record WeComWelcomeRequest(
    [property: JsonPropertyName("welcome_code")] string WelcomeCode,
    [property: JsonPropertyName("text")] WeComText Text);

internal sealed record WeComCapLedger(
    [property: JsonPropertyName("ids")] List<string> MessageIds);

internal sealed record WeComSentRecord(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("provider_id")] string? ProviderId)
{
    [JsonPropertyName("since")]
    public DateTimeOffset? Since { get; init; }
}

internal sealed record WeComTrackedTask(
    [property: JsonPropertyName("msgid")] string MsgId,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("reported")] List<string> Reported);

internal sealed record WeComTaskIndex(
    [property: JsonPropertyName("tasks")] List<string> MsgIds);

internal sealed record WeComSyncCursor(
    [property: JsonPropertyName("user_index")] int UserIndex,
    [property: JsonPropertyName("cursor")] string Cursor,
    [property: JsonPropertyName("users")] List<string> Users);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(WeComEnvelope))]
[JsonSerializable(typeof(WeComTokenAnswer))]
[JsonSerializable(typeof(WeComFollowUserAnswer))]
[JsonSerializable(typeof(WeComBatchByUserRequest))]
[JsonSerializable(typeof(WeComBatchByUserAnswer))]
[JsonSerializable(typeof(WeComAddMsgTemplateRequest))]
[JsonSerializable(typeof(WeComAddMsgTemplateAnswer))]
[JsonSerializable(typeof(WeComGroupMsgTaskRequest))]
[JsonSerializable(typeof(WeComGroupMsgTaskAnswer))]
[JsonSerializable(typeof(WeComGroupMsgSendResultRequest))]
[JsonSerializable(typeof(WeComGroupMsgSendResultAnswer))]
[JsonSerializable(typeof(WeComAppMessageRequest))]
[JsonSerializable(typeof(WeComAppMessageAnswer))]
[JsonSerializable(typeof(WeComWelcomeRequest))]
[JsonSerializable(typeof(WeComCapLedger))]
[JsonSerializable(typeof(WeComSentRecord))]
[JsonSerializable(typeof(WeComTrackedTask))]
[JsonSerializable(typeof(WeComTaskIndex))]
[JsonSerializable(typeof(WeComSyncCursor))]
internal sealed partial class WeComJsonContext : JsonSerializerContext;
