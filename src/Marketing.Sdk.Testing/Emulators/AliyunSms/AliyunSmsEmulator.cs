using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="AliyunSmsEmulator"/>.</summary>
public sealed record AliyunSmsEmulatorOptions
{
    /// <summary>AccessKey ids and their secrets (default <c>LTAI5tTestKey</c> / <c>aliyun-test-secret</c>).</summary>
    public IReadOnlyDictionary<string, string> AccessKeys { get; init; } = new Dictionary<string, string> { ["LTAI5tTestKey"] = "aliyun-test-secret" };

    /// <summary>Approved signatures (default <c>测试签名</c>).</summary>
    public IReadOnlyCollection<string> SignNames { get; init; } = ["测试签名"];

    /// <summary>Approved template codes (default <c>SMS_100001</c>, <c>SMS_100002</c>).</summary>
    public IReadOnlyCollection<string> TemplateCodes { get; init; } = ["SMS_100001", "SMS_100002"];

    /// <summary>Per-number limits (default 1 per minute, 5 per hour, 10 per day, answered with <c>isv.BUSINESS_LIMIT_CONTROL</c>).</summary>
    public IReadOnlyList<SmsEmulatorLimit> Limits { get; init; } =
    [
        new(TimeSpan.FromMinutes(1), 1, "触发分钟级流控Permits:1"),
        new(TimeSpan.FromHours(1), 5, "触发小时级流控Permits:5"),
        new(TimeSpan.FromDays(1), 10, "触发天级流控Permits:10"),
    ];

    /// <summary>How far <c>x-acs-date</c> may be from the emulator's clock (default 15 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The emulator's clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A message the <see cref="AliyunSmsEmulator"/> accepted.</summary>
/// <param name="PhoneNumber">The number as received.</param>
/// <param name="SignName">The signature.</param>
/// <param name="TemplateCode">The template.</param>
/// <param name="Parameters">The variables.</param>
/// <param name="OutId">The caller's <c>OutId</c>.</param>
/// <param name="BizId">The receipt id answered.</param>
/// <param name="SentAt">When.</param>
public sealed record AliyunSmsEmulatedMessage(string PhoneNumber, string SignName, string TemplateCode, IReadOnlyDictionary<string, string> Parameters, string? OutId, string BizId, DateTimeOffset SentAt)
{
    /// <summary>1 waiting for the receipt, 2 failed, 3 delivered.</summary>
    public int SendStatus { get; internal set; } = 1;

    /// <summary>The carrier's code once a receipt came.</summary>
    public string? ErrorCode { get; internal set; }

    /// <summary>When the receipt came.</summary>
    public DateTimeOffset? ReceivedAt { get; internal set; }

    internal bool Pushed { get; set; }
}

/// <summary>
/// A loopback Alibaba Cloud SMS (Dysmsapi 2017-05-25) server for tests. Every request is a POST to <c>/</c> with the
/// parameters in the query string and the V3 signature (<c>ACS3-HMAC-SHA256</c>) in <c>Authorization</c>, which the
/// emulator <em>verifies</em> (unknown key: 404 <c>InvalidAccessKeyId.NotFound</c>; a date outside the skew: 400
/// <c>InvalidTimeStamp.Expired</c>; a reused nonce: 400 <c>SignatureNonceUsed</c>; a wrong body hash or signature: 400
/// <c>SignatureDoesNotMatch</c>). Actions: SendSms (<c>OutId</c> kept), SendBatchSms, QuerySendDetails. Business codes
/// come as HTTP 200: <c>isv.MOBILE_NUMBER_ILLEGAL</c>, <c>isv.SMS_SIGNATURE_ILLEGAL</c>, <c>isv.SMS_TEMPLATE_ILLEGAL</c>,
/// <c>isv.INVALID_JSON_PARAM</c>, <c>isv.BUSINESS_LIMIT_CONTROL</c> (per-number limits), <c>isv.AMOUNT_NOT_ENOUGH</c>
/// (<see cref="BalanceExhausted"/>), or any code queued by <see cref="FailNextSend"/>. Receipts are set by
/// <see cref="Deliver"/>, read by QuerySendDetails and pushed (SmsReport) by <see cref="PushReportsAsync"/>; replies
/// (SmsUp) by <see cref="PushReplyAsync"/>. Faults: 503 <c>ServiceUnavailable</c>, 400 <c>Throttling.User</c>.
/// </summary>
public sealed class AliyunSmsEmulator : PlatformEmulator
{
    private readonly AliyunSmsEmulatorOptions _options;
    private readonly Lock _gate = new();
    private readonly List<AliyunSmsEmulatedMessage> _messages = [];
    private readonly HashSet<string> _nonces = new(StringComparer.Ordinal);
    private readonly Queue<string> _failNext = new();
    private readonly SmsEmulatorSupport _limits = new();
    private long _sequence;
    private int _signatureFailures;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public AliyunSmsEmulator(AliyunSmsEmulatorOptions? options = null) : base("aliyun_sms") => _options = options ?? new AliyunSmsEmulatorOptions();

    /// <summary>The first AccessKey id.</summary>
    public string AccessKeyId => _options.AccessKeys.Keys.First();

    /// <summary>Its secret.</summary>
    public string AccessKeySecret => _options.AccessKeys.Values.First();

    /// <summary>Whether the account's balance is exhausted (every send answers <c>isv.AMOUNT_NOT_ENOUGH</c>).</summary>
    public bool BalanceExhausted { get; set; }

    /// <summary>Requests refused for their signature.</summary>
    public int SignatureFailures => Volatile.Read(ref _signatureFailures);

    /// <summary>Every accepted message, in order (one per number).</summary>
    public IReadOnlyList<AliyunSmsEmulatedMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Makes the next send answer <paramref name="code"/> (HTTP 200) without sending.</summary>
    /// <param name="code">The code (e.g. <c>isv.BUSINESS_LIMIT_CONTROL</c>).</param>
    public void FailNextSend(string code)
    {
        lock (_gate)
        {
            _failNext.Enqueue(code);
        }
    }

    /// <summary>Sets the receipt of every waiting message (of one number when <paramref name="phoneNumber"/> is given).</summary>
    /// <param name="success">Delivered or failed.</param>
    /// <param name="errorCode">The carrier's code (default <c>DELIVERED</c> / <c>MK:0001</c>).</param>
    /// <param name="phoneNumber">Only this number (as received), or every one.</param>
    /// <returns>How many receipts were set.</returns>
    public int Deliver(bool success = true, string? errorCode = null, string? phoneNumber = null)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_gate)
        {
            var waiting = _messages.Where(m => m.SendStatus == 1 && (phoneNumber is null || m.PhoneNumber == phoneNumber)).ToList();
            foreach (var m in waiting)
            {
                m.SendStatus = success ? 3 : 2;
                m.ErrorCode = errorCode ?? (success ? "DELIVERED" : "MK:0001");
                m.ReceivedAt = now;
            }
            return waiting.Count;
        }
    }

    /// <summary>POSTs the receipts not pushed yet to a host's SmsReport URL as Alibaba Cloud does; returns the host's status.</summary>
    /// <param name="target">The URL (with its token).</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public async Task<int> PushReportsAsync(Uri target, CancellationToken cancellationToken = default)
    {
        List<AliyunSmsEmulatedMessage> due;
        lock (_gate)
        {
            due = [.. _messages.Where(m => m.SendStatus != 1 && !m.Pushed)];
        }
        var array = new JsonArray([.. due.Select(m => (JsonNode)new JsonObject
        {
            ["phone_number"] = m.PhoneNumber,
            ["send_time"] = China(m.SentAt),
            ["report_time"] = China(m.ReceivedAt ?? m.SentAt),
            ["success"] = m.SendStatus == 3,
            ["err_code"] = m.ErrorCode,
            ["err_msg"] = m.SendStatus == 3 ? "用户接收成功" : "失败",
            ["sms_size"] = "1",
            ["biz_id"] = m.BizId,
            ["out_id"] = m.OutId,
        })]);
        var (status, _) = await SmsEmulatorSupport.PostAsync(target, array.ToJsonString(), cancellationToken).ConfigureAwait(false);
        if (status == 200)
        {
            lock (_gate)
            {
                due.ForEach(m => m.Pushed = true);
            }
        }
        return status;
    }

    /// <summary>POSTs a reply (SmsUp) from a number to a host's URL; returns the host's status.</summary>
    /// <param name="target">The URL (with its token).</param>
    /// <param name="phoneNumber">The replying number (Alibaba Cloud form, e.g. 11 digits).</param>
    /// <param name="content">The reply.</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public async Task<int> PushReplyAsync(Uri target, string phoneNumber, string content, CancellationToken cancellationToken = default)
    {
        var array = new JsonArray(new JsonObject
        {
            ["phone_number"] = phoneNumber,
            ["send_time"] = China(_options.TimeProvider.GetUtcNow()),
            ["content"] = content,
            ["sign_name"] = _options.SignNames.First(),
            ["dest_code"] = "1234",
            ["sequence_id"] = Interlocked.Increment(ref _sequence),
        });
        return (await SmsEmulatorSupport.PostAsync(target, array.ToJsonString(), cancellationToken).ConfigureAwait(false)).Status;
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapPost("/", (RequestDelegate)HandleAsync);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) => ErrorAsync(context, 503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.");

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) => ErrorAsync(context, 400, "Throttling.User", "Request was denied due to user flow control.");

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => ErrorAsync(context, 403, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.");

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var query = ParseQuery(context.Request.QueryString.Value);
        if (Verify(context, query, body) is { } refusal)
        {
            Interlocked.Increment(ref _signatureFailures);
            await ErrorAsync(context, refusal.Status, refusal.Code, refusal.Message).ConfigureAwait(false);
            return;
        }
        if (context.Request.Headers["x-acs-version"].ToString() != "2017-05-25")
        {
            await ErrorAsync(context, 400, "InvalidVersion", "Specified parameter Version is not valid.").ConfigureAwait(false);
            return;
        }
        switch (context.Request.Headers["x-acs-action"].ToString())
        {
            case "SendSms":
                await SendAsync(context, query, batch: false).ConfigureAwait(false);
                break;
            case "SendBatchSms":
                await SendAsync(context, query, batch: true).ConfigureAwait(false);
                break;
            case "QuerySendDetails":
                await QueryAsync(context, query).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(context, 404, "InvalidAction.NotFound", "Specified api is not found.").ConfigureAwait(false);
                break;
        }
    }

    private (int Status, string Code, string Message)? Verify(HttpContext context, Dictionary<string, string> query, byte[] body)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        const string prefix = "ACS3-HMAC-SHA256 ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.");
        }
        var parts = authorization[prefix.Length..].Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var keyId) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return (400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.");
        }
        if (!_options.AccessKeys.TryGetValue(keyId, out var secret))
        {
            return (404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
        }
        if (!DateTimeOffset.TryParseExact(context.Request.Headers["x-acs-date"].ToString(), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            || (date - _options.TimeProvider.GetUtcNow()).Duration() > _options.MaxClockSkew)
        {
            return (400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
        }
        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("x-acs-action") || !names.Contains("x-acs-date") || !names.Contains("x-acs-signature-nonce") || !names.Contains("x-acs-content-sha256")
            || context.Request.Headers.Keys.Any(h => h.StartsWith("x-acs-", StringComparison.OrdinalIgnoreCase) && !names.Contains(h.ToLowerInvariant())))
        {
            return (400, "SignatureDoesNotMatch", "Every x-acs-* header and host must be signed.");
        }
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        if (context.Request.Headers["x-acs-content-sha256"].ToString() != bodyHash)
        {
            return (400, "SignatureDoesNotMatch", "The body hash does not match x-acs-content-sha256.");
        }
        var canonical = new StringBuilder();
        canonical.Append(context.Request.Method).Append("\n/\n");
        canonical.Append(string.Join('&', query.Select(p => (K: Uri.EscapeDataString(p.Key), V: Uri.EscapeDataString(p.Value))).OrderBy(p => p.K, StringComparer.Ordinal).Select(p => p.K + "=" + p.V))).Append('\n');
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var value = name == "host" ? context.Request.Host.Value : context.Request.Headers[name].ToString();
            canonical.Append(name).Append(':').Append(value?.Trim()).Append('\n');
        }
        canonical.Append('\n').Append(string.Join(';', names.Order(StringComparer.Ordinal))).Append('\n').Append(bodyHash);
        var toSign = "ACS3-HMAC-SHA256\n" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(toSign)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return (400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.");
        }
        lock (_gate)
        {
            if (!_nonces.Add(context.Request.Headers["x-acs-signature-nonce"].ToString()))
            {
                return (400, "SignatureNonceUsed", "Specified signature nonce was used already.");
            }
        }
        return null;
    }

    private async Task SendAsync(HttpContext context, Dictionary<string, string> query, bool batch)
    {
        List<(string Phone, string Sign, Dictionary<string, string> Params)> targets = [];
        var template = query.GetValueOrDefault("TemplateCode");
        if (batch)
        {
            var phones = JsonList(query.GetValueOrDefault("PhoneNumberJson"));
            var signs = JsonList(query.GetValueOrDefault("SignNameJson"));
            var paramsList = JsonObjects(query.GetValueOrDefault("TemplateParamJson"));
            if (phones is null || signs is null || paramsList is null || phones.Count == 0 || phones.Count > 100 || signs.Count != phones.Count || paramsList.Count != phones.Count)
            {
                await CodeAsync(context, "isv.INVALID_JSON_PARAM", "JSON参数不合法").ConfigureAwait(false);
                return;
            }
            targets.AddRange(phones.Select((p, i) => (p, signs[i], paramsList[i])));
        }
        else
        {
            var parameters = query.TryGetValue("TemplateParam", out var json) ? JsonObjects("[" + json + "]")?.FirstOrDefault() : [];
            if (parameters is null)
            {
                await CodeAsync(context, "isv.INVALID_JSON_PARAM", "JSON参数不合法").ConfigureAwait(false);
                return;
            }
            targets.AddRange((query.GetValueOrDefault("PhoneNumbers") ?? "").Split(',').Select(p => (p, query.GetValueOrDefault("SignName") ?? "", parameters)));
        }
        if (BalanceExhausted)
        {
            await CodeAsync(context, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足").ConfigureAwait(false);
            return;
        }
        if (template is null || !_options.TemplateCodes.Contains(template))
        {
            await CodeAsync(context, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)").ConfigureAwait(false);
            return;
        }
        if (targets.Any(t => !_options.SignNames.Contains(t.Sign)))
        {
            await CodeAsync(context, "isv.SMS_SIGNATURE_ILLEGAL", "签名不合法(不存在或被拉黑)").ConfigureAwait(false);
            return;
        }
        if (targets.Any(t => Mainland(t.Phone) is null))
        {
            await CodeAsync(context, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号").ConfigureAwait(false);
            return;
        }
        var now = _options.TimeProvider.GetUtcNow();
        string bizId;
        lock (_gate)
        {
            if (_failNext.TryDequeue(out var injected))
            {
                bizId = "";
                targets.Clear();
                context.Items["code"] = injected;
            }
            else
            {
                var blocked = targets.Select(t => _limits.TryRecord(Mainland(t.Phone)!, now, _options.Limits)).FirstOrDefault(l => l is not null);
                if (blocked is not null)
                {
                    context.Items["code"] = "isv.BUSINESS_LIMIT_CONTROL";
                    context.Items["message"] = blocked.Code;
                    targets.Clear();
                }
                bizId = $"{Interlocked.Increment(ref _sequence):D9}^0";
                foreach (var t in targets)
                {
                    _messages.Add(new AliyunSmsEmulatedMessage(t.Phone, t.Sign, template, t.Params, query.GetValueOrDefault("OutId"), bizId, now));
                }
            }
        }
        if (context.Items["code"] is string code)
        {
            await CodeAsync(context, code, context.Items["message"] as string ?? "injected").ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 200, new JsonObject { ["Code"] = "OK", ["Message"] = "OK", ["BizId"] = bizId, ["RequestId"] = RequestId() }).ConfigureAwait(false);
    }

    private async Task QueryAsync(HttpContext context, Dictionary<string, string> query)
    {
        var phone = query.GetValueOrDefault("PhoneNumber");
        if (phone is null || Mainland(phone) is not { } number || !DateOnly.TryParseExact(query.GetValueOrDefault("SendDate"), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            || !int.TryParse(query.GetValueOrDefault("PageSize"), CultureInfo.InvariantCulture, out var size) || size is < 1 or > 50
            || !int.TryParse(query.GetValueOrDefault("CurrentPage"), CultureInfo.InvariantCulture, out var page) || page < 1)
        {
            await CodeAsync(context, "isv.INVALID_PARAMETERS", "参数异常").ConfigureAwait(false);
            return;
        }
        var bizId = query.GetValueOrDefault("BizId");
        List<AliyunSmsEmulatedMessage> found;
        lock (_gate)
        {
            found = [.. _messages.Where(m => Mainland(m.PhoneNumber) == number && DateOnly.FromDateTime(m.SentAt.ToOffset(TimeSpan.FromHours(8)).DateTime) == day && (bizId is null || m.BizId == bizId))];
        }
        var items = new JsonArray([.. found.Skip((page - 1) * size).Take(size).Select(m => (JsonNode)new JsonObject
        {
            ["PhoneNum"] = m.PhoneNumber,
            ["SendStatus"] = m.SendStatus,
            ["ErrCode"] = m.ErrorCode ?? "",
            ["TemplateCode"] = m.TemplateCode,
            ["OutId"] = m.OutId,
            ["SendDate"] = China(m.SentAt),
            ["ReceiveDate"] = m.ReceivedAt is { } r ? China(r) : "",
            ["Content"] = "",
        })]);
        await WriteAsync(context, 200, new JsonObject
        {
            ["Code"] = "OK", ["Message"] = "OK", ["RequestId"] = RequestId(), ["TotalCount"] = found.Count.ToString(CultureInfo.InvariantCulture),
            ["SmsSendDetailDTOs"] = new JsonObject { ["SmsSendDetailDTO"] = items },
        }).ConfigureAwait(false);
    }

    private static string? Mainland(string phone)
    {
        var p = phone.Trim();
        p = p.StartsWith("+86", StringComparison.Ordinal) ? p[3..] : p.StartsWith("0086", StringComparison.Ordinal) ? p[4..] : p.Length == 13 && p.StartsWith("86", StringComparison.Ordinal) ? p[2..] : p;
        return p.Length == 11 && p[0] == '1' && p.All(char.IsAsciiDigit) ? p : null;
    }

    private static Dictionary<string, string> ParseQuery(string? raw)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (raw ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            result[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return result;
    }

    private static List<string>? JsonList(string? json)
    {
        try
        {
            return json is not null && JsonNode.Parse(json) is JsonArray array && array.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                ? [.. array.Select(n => n!.GetValue<string>())]
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<Dictionary<string, string>>? JsonObjects(string? json)
    {
        try
        {
            if (json is null || JsonNode.Parse(json) is not JsonArray array || array.Any(n => n is not JsonObject))
            {
                return null;
            }
            var result = new List<Dictionary<string, string>>();
            foreach (var o in array.Cast<JsonObject>())
            {
                if (o.Any(p => p.Value is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
                {
                    return null;
                }
                result.Add(o.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal));
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string China(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private string RequestId() => Guid.CreateVersion7(_options.TimeProvider.GetUtcNow()).ToString("D").ToUpperInvariant();

    private Task CodeAsync(HttpContext context, string code, string message) =>
        WriteAsync(context, 200, new JsonObject { ["Code"] = code, ["Message"] = message, ["RequestId"] = RequestId() });

    private Task ErrorAsync(HttpContext context, int status, string code, string message) =>
        WriteAsync(context, status, new JsonObject { ["RequestId"] = RequestId(), ["HostId"] = "dysmsapi.aliyuncs.com", ["Code"] = code, ["Message"] = message, ["Recommend"] = "https://api.aliyun.com/troubleshoot" });

    private static async Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
