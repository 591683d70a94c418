using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

// Wire models of Tencent Cloud SMS API 3.0 (2021-01-11; PascalCase) and of its callbacks (snake_case).
// Sources: SendSms https://cloud.tencent.com/document/api/382/55981 ; PullSmsSendStatus
// https://cloud.tencent.com/document/api/382/55982 ; status callback https://www.tencentcloud.com/document/api/382/43547 ;
// reply callback https://www.tencentcloud.com/document/api/382/43548 ; common errors https://cloud.tencent.com/document/api/382/52075

internal sealed record SendSmsBody(IReadOnlyList<string> PhoneNumberSet, string SmsSdkAppId, string TemplateId, string SignName, IReadOnlyList<string> TemplateParamSet, string? SessionContext);

internal sealed record PullStatusBody(long Limit, string SmsSdkAppId);

internal sealed record TencentEnvelope(TencentResponse? Response);

internal sealed record TencentResponse(TencentError? Error, string? RequestId, IReadOnlyList<SendStatusWire>? SendStatusSet, IReadOnlyList<PullStatusWire>? PullSmsSendStatusSet);

internal sealed record TencentError(string? Code, string? Message);

internal sealed record SendStatusWire(string? SerialNo, string? PhoneNumber, long? Fee, string? SessionContext, string? Code, string? Message, string? IsoCode);

internal sealed record PullStatusWire(long? UserReceiveTime, string? CountryCode, string? SubscriberNumber, string? PhoneNumber, string? SerialNo, string? ReportStatus, string? Description, string? SessionContext);

/// <summary>One status callback item.</summary>
internal sealed record StatusCallbackItem(
    [property: JsonPropertyName("user_receive_time")] string? UserReceiveTime,
    [property: JsonPropertyName("nationcode")] string? NationCode,
    [property: JsonPropertyName("mobile")] string? Mobile,
    [property: JsonPropertyName("report_status")] string? ReportStatus,
    [property: JsonPropertyName("errmsg")] string? ErrMsg,
    [property: JsonPropertyName("sid")] string? Sid);

/// <summary>A reply callback.</summary>
internal sealed record ReplyCallback(
    [property: JsonPropertyName("mobile")] string? Mobile,
    [property: JsonPropertyName("nationcode")] string? NationCode,
    [property: JsonPropertyName("sign")] string? Sign,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("time")] long? Time);

internal sealed record CallbackAnswer([property: JsonPropertyName("result")] int Result, [property: JsonPropertyName("errmsg")] string ErrMsg);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SendSmsBody))]
[JsonSerializable(typeof(PullStatusBody))]
[JsonSerializable(typeof(TencentEnvelope))]
[JsonSerializable(typeof(List<StatusCallbackItem>))]
[JsonSerializable(typeof(ReplyCallback))]
[JsonSerializable(typeof(CallbackAnswer))]
internal sealed partial class TencentCloudSmsJsonContext : JsonSerializerContext;
