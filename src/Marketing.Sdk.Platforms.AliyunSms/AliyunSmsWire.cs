using System.Text.Json.Serialization;

namespace Marketing.Sdk.Platforms.AliyunSms;

// Wire models of Dysmsapi 2017-05-25 (PascalCase answers) and of its HTTP batch pushes (snake_case).
// Sources: SendSms https://help.aliyun.com/document_detail/55284.html ; QuerySendDetails
// https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-querysenddetails ;
// SmsReport https://help.aliyun.com/document_detail/101867.html ; SmsUp https://help.aliyun.com/knowledge_detail/60127.html

/// <summary>The answer of SendSms / SendBatchSms, and the error body of the gateway.</summary>
internal sealed record AliyunAnswer(string? Code, string? Message, string? BizId, string? RequestId);

/// <summary>The answer of QuerySendDetails.</summary>
internal sealed record QuerySendDetailsAnswer(string? Code, string? Message, string? RequestId, string? TotalCount, SendDetailList? SmsSendDetailDTOs);

internal sealed record SendDetailList(IReadOnlyList<SendDetail>? SmsSendDetailDTO);

/// <summary>One sent message: <c>SendStatus</c> 1 waiting for the receipt, 2 failed, 3 delivered.</summary>
internal sealed record SendDetail(string? PhoneNum, int? SendStatus, string? ErrCode, string? TemplateCode, string? OutId, string? SendDate, string? ReceiveDate);

/// <summary>One SmsReport push item.</summary>
internal sealed record SmsReportItem(
    [property: JsonPropertyName("phone_number")] string? PhoneNumber,
    [property: JsonPropertyName("send_time")] string? SendTime,
    [property: JsonPropertyName("report_time")] string? ReportTime,
    [property: JsonPropertyName("success")] bool? Success,
    [property: JsonPropertyName("err_code")] string? ErrCode,
    [property: JsonPropertyName("biz_id")] string? BizId,
    [property: JsonPropertyName("out_id")] string? OutId,
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("sign_name")] string? SignName);

/// <summary>The answer a push expects: <c>{"code":0,"msg":"…"}</c>.</summary>
internal sealed record PushAnswer([property: JsonPropertyName("code")] int Code, [property: JsonPropertyName("msg")] string Msg);

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(AliyunAnswer))]
[JsonSerializable(typeof(QuerySendDetailsAnswer))]
[JsonSerializable(typeof(List<SmsReportItem>))]
[JsonSerializable(typeof(PushAnswer))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<Dictionary<string, string>>))]
internal sealed partial class AliyunSmsJsonContext : JsonSerializerContext;
