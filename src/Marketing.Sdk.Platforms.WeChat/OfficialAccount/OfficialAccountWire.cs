using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

// Wire models of the WeChat Official Account API (api.weixin.qq.com). Names are the platform's own (no
// uniform naming policy: touser, openid, next_openid, msgid), so each property names its field.
// Sources: docs/platforms/wechat-official-account.md.

/// <summary>The error envelope every answer may carry: <c>{errcode, errmsg}</c>.</summary>
internal sealed record OaEnvelope(
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg);

/// <summary>POST /cgi-bin/stable_token body.</summary>
internal sealed record StableTokenRequest(
    [property: JsonPropertyName("grant_type")] string GrantType,
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("force_refresh")] bool ForceRefresh);

/// <summary>POST /cgi-bin/stable_token answer.</summary>
internal sealed record StableTokenResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] int? ExpiresIn,
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg);

/// <summary>One <c>data</c> entry of a template or subscribe message: <c>{"value": "…"}</c>.</summary>
internal sealed record OaDataValue([property: JsonPropertyName("value")] string Value);

/// <summary>The mini-program a message opens.</summary>
internal sealed record OaMiniProgram(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("pagepath")] string? PagePath);

/// <summary>POST /cgi-bin/message/template/send body.</summary>
internal sealed record TemplateSendRequest(
    [property: JsonPropertyName("touser")] string ToUser,
    [property: JsonPropertyName("template_id")] string TemplateId,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("miniprogram")] OaMiniProgram? MiniProgram,
    [property: JsonPropertyName("client_msg_id")] string ClientMsgId,
    [property: JsonPropertyName("data")] Dictionary<string, OaDataValue> Data);

/// <summary>POST /cgi-bin/message/subscribe/bizsend body.</summary>
internal sealed record SubscribeSendRequest(
    [property: JsonPropertyName("touser")] string ToUser,
    [property: JsonPropertyName("template_id")] string TemplateId,
    [property: JsonPropertyName("page")] string? Page,
    [property: JsonPropertyName("miniprogram")] OaMiniProgram? MiniProgram,
    [property: JsonPropertyName("data")] Dictionary<string, OaDataValue> Data);

/// <summary>The answer of a send: <c>{errcode, errmsg, msgid}</c>.</summary>
internal sealed record SendResponse(
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg,
    [property: JsonPropertyName("msgid")] long? MsgId);

/// <summary>GET /cgi-bin/user/get answer.</summary>
internal sealed record FollowersResponse(
    [property: JsonPropertyName("total")] long? Total,
    [property: JsonPropertyName("count")] int? Count,
    [property: JsonPropertyName("data")] FollowersData? Data,
    [property: JsonPropertyName("next_openid")] string? NextOpenId);

internal sealed record FollowersData([property: JsonPropertyName("openid")] IReadOnlyList<string>? OpenId);

/// <summary>POST /cgi-bin/user/info/batchget body.</summary>
internal sealed record BatchGetRequest([property: JsonPropertyName("user_list")] IReadOnlyList<BatchGetUser> UserList);

internal sealed record BatchGetUser(
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("lang")] string Lang);

/// <summary>POST /cgi-bin/user/info/batchget answer.</summary>
internal sealed record BatchGetResponse([property: JsonPropertyName("user_info_list")] IReadOnlyList<BatchGetUserInfo>? UserInfoList);

internal sealed record BatchGetUserInfo(
    [property: JsonPropertyName("subscribe")] int? Subscribe,
    [property: JsonPropertyName("openid")] string? OpenId,
    [property: JsonPropertyName("unionid")] string? UnionId,
    [property: JsonPropertyName("subscribe_time")] long? SubscribeTime);

/// <summary>The shared token in <c>IDistributedCache</c>.</summary>
internal sealed record OaCachedToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("refresh_at")] DateTimeOffset RefreshAt);

/// <summary>The follower sync's place, kept between runs.</summary>
internal sealed record FollowerSyncCheckpoint([property: JsonPropertyName("after")] string? After);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(OaEnvelope))]
[JsonSerializable(typeof(StableTokenRequest))]
[JsonSerializable(typeof(StableTokenResponse))]
[JsonSerializable(typeof(TemplateSendRequest))]
[JsonSerializable(typeof(SubscribeSendRequest))]
[JsonSerializable(typeof(SendResponse))]
[JsonSerializable(typeof(FollowersResponse))]
[JsonSerializable(typeof(BatchGetRequest))]
[JsonSerializable(typeof(BatchGetResponse))]
[JsonSerializable(typeof(OaCachedToken))]
[JsonSerializable(typeof(FollowerSyncCheckpoint))]
internal sealed partial class OfficialAccountJsonContext : JsonSerializerContext;
