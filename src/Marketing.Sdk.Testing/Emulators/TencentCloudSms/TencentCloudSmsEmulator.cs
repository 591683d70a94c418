using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="TencentCloudSmsEmulator"/>.</summary>
public sealed record TencentCloudSmsEmulatorOptions
{
    /// <summary>SecretIds and their SecretKeys (default <c>AKIDtest</c> / <c>tencent-test-secret</c>).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string> { ["AKIDtest"] = "tencent-test-secret" };

    /// <summary>The SMS applications (default <c>1400006666</c>).</summary>
    public IReadOnlyCollection<string> SmsSdkAppIds { get; init; } = ["1400006666"];

    /// <summary>Approved signatures (default <c>测试签名</c>).</summary>
    public IReadOnlyCollection<string> SignNames { get; init; } = ["测试签名"];

    /// <summary>Approved template ids (default <c>1110</c>, <c>1111</c>).</summary>
    public IReadOnlyCollection<string> TemplateIds { get; init; } = ["1110", "1111"];

    /// <summary>Per-number limits (default 1 per 30 seconds, 5 per hour, 10 per day with Tencent Cloud's codes).</summary>
    public IReadOnlyList<SmsEmulatorLimit> Limits { get; init; } =
    [
        new(TimeSpan.FromSeconds(30), 1, "LimitExceeded.PhoneNumberThirtySecondLimit"),
        new(TimeSpan.FromHours(1), 5, "LimitExceeded.PhoneNumberOneHourLimit"),
        new(TimeSpan.FromDays(1), 10, "LimitExceeded.PhoneNumberDailyLimit"),
    ];

    /// <summary>How far <c>X-TC-Timestamp</c> may be from the emulator's clock (default 5 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The emulator's clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A message the <see cref="TencentCloudSmsEmulator"/> accepted (one per number).</summary>
/// <param name="PhoneNumber">The number (E.164).</param>
/// <param name="SerialNo">The serial number answered.</param>
/// <param name="SignName">The signature.</param>
/// <param name="TemplateId">The template.</param>
/// <param name="Parameters">The variables.</param>
/// <param name="SessionContext">The session context.</param>
/// <param name="SentAt">When.</param>
public sealed record TencentCloudSmsEmulatedMessage(string PhoneNumber, string SerialNo, string SignName, string TemplateId, IReadOnlyList<string> Parameters, string? SessionContext, DateTimeOffset SentAt)
{
    /// <summary><c>SUCCESS</c>, <c>FAIL</c>, or <see langword="null"/> while no receipt came.</summary>
    public string? ReportStatus { get; internal set; }

    /// <summary>The carrier's code of the receipt (e.g. <c>DELIVRD</c>).</summary>
    public string? ErrorMessage { get; internal set; }

    /// <summary>When the receipt came.</summary>
    public DateTimeOffset? ReceivedAt { get; internal set; }

    internal bool Pulled { get; set; }

    internal bool Pushed { get; set; }
}

/// <summary>
/// A loopback Tencent Cloud SMS (API 3.0, 2021-01-11) server for tests: JSON POSTs to <c>/</c> with <c>X-TC-Action</c>,
/// <c>X-TC-Version</c>, <c>X-TC-Region</c>, <c>X-TC-Timestamp</c> and a TC3-HMAC-SHA256 <c>Authorization</c> the
/// emulator <em>verifies</em> (unknown SecretId: <c>AuthFailure.SecretIdNotFound</c>; a timestamp outside the skew:
/// <c>AuthFailure.SignatureExpire</c>; a wrong signature: <c>AuthFailure.SignatureFailure</c>), every error as HTTP 200
/// with <c>Response.Error</c>. SendSms answers one <c>SendStatusSet</c> entry per number: <c>Ok</c> with a SerialNo,
/// <c>InvalidParameterValue.IncorrectPhoneNumber</c>, the per-number limits
/// (<c>LimitExceeded.PhoneNumberThirtySecondLimit</c>/<c>OneHourLimit</c>/<c>DailyLimit</c>) or a code queued by
/// <see cref="FailNextNumber"/>; unknown app, signature or template fail the call. PullSmsSendStatus serves each
/// receipt set by <see cref="Deliver"/> once; <see cref="PushReportsAsync"/> and <see cref="PushReplyAsync"/> POST the
/// status and reply callbacks to a host. Faults: HTTP 500 <c>InternalError</c>, <c>RequestLimitExceeded</c>.
/// </summary>
public sealed class TencentCloudSmsEmulator : PlatformEmulator
{
    private readonly TencentCloudSmsEmulatorOptions _options;
    private readonly Lock _gate = new();
    private readonly List<TencentCloudSmsEmulatedMessage> _messages = [];
    private readonly Queue<string> _failNext = new();
    private readonly SmsEmulatorSupport _limits = new();
    private long _sequence;
    private int _signatureFailures;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public TencentCloudSmsEmulator(TencentCloudSmsEmulatorOptions? options = null) : base("tencent_sms") => _options = options ?? new TencentCloudSmsEmulatorOptions();

    /// <summary>The first SecretId.</summary>
    public string SecretId => _options.Secrets.Keys.First();

    /// <summary>Its SecretKey.</summary>
    public string SecretKey => _options.Secrets.Values.First();

    /// <summary>The first SMS application id.</summary>
    public string SmsSdkAppId => _options.SmsSdkAppIds.First();

    /// <summary>Requests refused for their signature.</summary>
    public int SignatureFailures => Volatile.Read(ref _signatureFailures);

    /// <summary>Every accepted message, in order.</summary>
    public IReadOnlyList<TencentCloudSmsEmulatedMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Makes the next number sent to answer <paramref name="code"/> in its <c>SendStatusSet</c> entry.</summary>
    /// <param name="code">The code (e.g. <c>FailedOperation.PhoneNumberInBlacklist</c>).</param>
    public void FailNextNumber(string code)
    {
        lock (_gate)
        {
            _failNext.Enqueue(code);
        }
    }

    /// <summary>Sets the receipt of every message without one (of one number when given).</summary>
    /// <param name="success">Delivered or failed.</param>
    /// <param name="errorMessage">The carrier's code (default <c>DELIVRD</c> / <c>UNDELIV</c>).</param>
    /// <param name="phoneNumber">Only this number (E.164), or every one.</param>
    /// <returns>How many receipts were set.</returns>
    public int Deliver(bool success = true, string? errorMessage = null, string? phoneNumber = null)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_gate)
        {
            var waiting = _messages.Where(m => m.ReportStatus is null && (phoneNumber is null || m.PhoneNumber == phoneNumber)).ToList();
            foreach (var m in waiting)
            {
                m.ReportStatus = success ? "SUCCESS" : "FAIL";
                m.ErrorMessage = errorMessage ?? (success ? "DELIVRD" : "UNDELIV");
                m.ReceivedAt = now;
            }
            return waiting.Count;
        }
    }

    /// <summary>POSTs the receipts not pushed yet to a host's status callback URL; returns the host's status.</summary>
    /// <param name="target">The URL (with its token).</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public async Task<int> PushReportsAsync(Uri target, CancellationToken cancellationToken = default)
    {
        List<TencentCloudSmsEmulatedMessage> due;
        lock (_gate)
        {
            due = [.. _messages.Where(m => m.ReportStatus is not null && !m.Pushed)];
        }
        var array = new JsonArray([.. due.Select(m => (JsonNode)new JsonObject
        {
            ["user_receive_time"] = m.ReceivedAt!.Value.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ["nationcode"] = "86",
            ["mobile"] = m.PhoneNumber.StartsWith("+86", StringComparison.Ordinal) ? m.PhoneNumber[3..] : m.PhoneNumber,
            ["report_status"] = m.ReportStatus,
            ["errmsg"] = m.ErrorMessage,
            ["description"] = m.ReportStatus == "SUCCESS" ? "用户短信送达成功" : "用户短信送达失败",
            ["sid"] = m.SerialNo,
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

    /// <summary>POSTs a reply callback to a host's URL; returns the host's status.</summary>
    /// <param name="target">The URL (with its token).</param>
    /// <param name="mobile">The replying mainland number (11 digits).</param>
    /// <param name="text">The reply.</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public async Task<int> PushReplyAsync(Uri target, string mobile, string text, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["extend"] = "",
            ["mobile"] = mobile,
            ["nationcode"] = "86",
            ["sign"] = _options.SignNames.First(),
            ["text"] = text,
            ["time"] = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
        };
        return (await SmsEmulatorSupport.PostAsync(target, body.ToJsonString(), cancellationToken).ConfigureAwait(false)).Status;
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes) => routes.MapPost("/", (RequestDelegate)HandleAsync);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) => ErrorAsync(context, "InternalError", "An internal error occurred.", 500);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) => ErrorAsync(context, "RequestLimitExceeded", "Your current request times exceeds limit.");

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => ErrorAsync(context, "AuthFailure.SignatureExpire", "Signature expired.");

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        if (Verify(context, body) is { } refusal)
        {
            Interlocked.Increment(ref _signatureFailures);
            await ErrorAsync(context, refusal.Code, refusal.Message).ConfigureAwait(false);
            return;
        }
        if (context.Request.Headers["X-TC-Version"].ToString() != "2021-01-11")
        {
            await ErrorAsync(context, "NoSuchVersion", "The API version does not exist.").ConfigureAwait(false);
            return;
        }
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            json = null;
        }
        if (json is null)
        {
            await ErrorAsync(context, "FailedOperation.JsonParseFail", "The request body is not JSON.").ConfigureAwait(false);
            return;
        }
        switch (context.Request.Headers["X-TC-Action"].ToString())
        {
            case "SendSms":
                await SendAsync(context, json).ConfigureAwait(false);
                break;
            case "PullSmsSendStatus":
                await PullAsync(context, json).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(context, "InvalidAction", "The action does not exist.").ConfigureAwait(false);
                break;
        }
    }

    private (string Code, string Message)? Verify(HttpContext context, byte[] body)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        const string prefix = "TC3-HMAC-SHA256 ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return ("AuthFailure.InvalidAuthorization", "The Authorization header is not TC3-HMAC-SHA256.");
        }
        var parts = authorization[prefix.Length..].Split(',').Select(p => p.Trim().Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return ("AuthFailure.InvalidAuthorization", "The Authorization header is incomplete.");
        }
        var scope = credential.Split('/');
        if (scope.Length != 4 || scope[2] != "sms" || scope[3] != "tc3_request")
        {
            return ("AuthFailure.InvalidAuthorization", "The credential scope is not {date}/sms/tc3_request.");
        }
        if (!_options.Secrets.TryGetValue(scope[0], out var secret))
        {
            return ("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
        }
        if (!long.TryParse(context.Request.Headers["X-TC-Timestamp"].ToString(), CultureInfo.InvariantCulture, out var timestamp)
            || (DateTimeOffset.FromUnixTimeSeconds(timestamp) - _options.TimeProvider.GetUtcNow()).Duration() > _options.MaxClockSkew)
        {
            return ("AuthFailure.SignatureExpire", "Signature expired.");
        }
        var date = DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var names = signedHeaders.Split(';');
        if (scope[1] != date || !names.Contains("content-type") || !names.Contains("host"))
        {
            return ("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.");
        }
        var canonical = new StringBuilder();
        canonical.Append(context.Request.Method).Append("\n/\n").Append(context.Request.QueryString.Value?.TrimStart('?') ?? "").Append('\n');
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var value = name == "host" ? context.Request.Host.Value : name == "content-type" ? context.Request.ContentType : context.Request.Headers[name].ToString();
            canonical.Append(name).Append(':').Append(value?.Trim().ToLowerInvariant()).Append('\n');
        }
        canonical.Append('\n').Append(string.Join(';', names.Order(StringComparer.Ordinal))).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(body)));
        var toSign = $"TC3-HMAC-SHA256\n{timestamp.ToString(CultureInfo.InvariantCulture)}\n{date}/sms/tc3_request\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("TC3" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, "sms"u8);
        key = HMACSHA256.HashData(key, "tc3_request"u8);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : ("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.");
    }

    private async Task SendAsync(HttpContext context, JsonObject json)
    {
        var phones = Strings(json["PhoneNumberSet"]);
        var parameters = json["TemplateParamSet"] is null ? [] : Strings(json["TemplateParamSet"]);
        var app = Text(json[nameof(SmsSdkAppId)]);
        var sign = Text(json["SignName"]);
        var template = Text(json["TemplateId"]);
        var session = Text(json["SessionContext"]);
        if (phones is null || parameters is null)
        {
            await ErrorAsync(context, "InvalidParameter", "PhoneNumberSet and TemplateParamSet are arrays of strings.").ConfigureAwait(false);
            return;
        }
        if (phones.Count is 0 or > 200)
        {
            await ErrorAsync(context, "LimitExceeded.PhoneNumberCountLimit", "A call holds 1 to 200 numbers.").ConfigureAwait(false);
            return;
        }
        if (app is null || !_options.SmsSdkAppIds.Contains(app))
        {
            await ErrorAsync(context, "InvalidParameterValue.SdkAppIdNotExist", "The SdkAppId does not exist.").ConfigureAwait(false);
            return;
        }
        if (sign is null || !_options.SignNames.Contains(sign))
        {
            await ErrorAsync(context, "FailedOperation.SignatureIncorrectOrUnapproved", "The signature is not approved.").ConfigureAwait(false);
            return;
        }
        if (template is null || !_options.TemplateIds.Contains(template))
        {
            await ErrorAsync(context, "FailedOperation.TemplateIncorrectOrUnapproved", "The template is not approved.").ConfigureAwait(false);
            return;
        }
        var now = _options.TimeProvider.GetUtcNow();
        var set = new JsonArray();
        lock (_gate)
        {
            foreach (var phone in phones)
            {
                var e164 = phone.StartsWith('+') ? phone : "+86" + phone;
                string code;
                string? serial = null;
                if (e164.Length != 14 || !e164.StartsWith("+861", StringComparison.Ordinal) || !e164[1..].All(char.IsAsciiDigit))
                {
                    code = "InvalidParameterValue.IncorrectPhoneNumber";
                }
                else if (_failNext.TryDequeue(out var injected))
                {
                    code = injected;
                }
                else if (_limits.TryRecord(e164, now, _options.Limits) is { } blocked)
                {
                    code = blocked.Code;
                }
                else
                {
                    code = "Ok";
                    serial = $"2433:{Interlocked.Increment(ref _sequence):D12}";
                    _messages.Add(new TencentCloudSmsEmulatedMessage(e164, serial, sign, template, parameters, session, now));
                }
                set.Add((JsonNode)new JsonObject
                {
                    ["SerialNo"] = serial ?? "", ["PhoneNumber"] = e164, ["Fee"] = code == "Ok" ? 1 : 0, ["SessionContext"] = session ?? "",
                    ["Code"] = code, ["Message"] = code == "Ok" ? "send success" : code, ["IsoCode"] = "CN",
                });
            }
        }
        await WriteAsync(context, new JsonObject { ["SendStatusSet"] = set, ["RequestId"] = RequestId() }).ConfigureAwait(false);
    }

    private async Task PullAsync(HttpContext context, JsonObject json)
    {
        if (json["Limit"] is not JsonValue limitValue || !limitValue.TryGetValue<long>(out var limit) || limit is < 1 or > 100)
        {
            await ErrorAsync(context, "InvalidParameterValue", "Limit must be 1 to 100.").ConfigureAwait(false);
            return;
        }
        if (Text(json[nameof(SmsSdkAppId)]) is not { } app || !_options.SmsSdkAppIds.Contains(app))
        {
            await ErrorAsync(context, "InvalidParameterValue.SdkAppIdNotExist", "The SdkAppId does not exist.").ConfigureAwait(false);
            return;
        }
        List<TencentCloudSmsEmulatedMessage> due;
        lock (_gate)
        {
            due = [.. _messages.Where(m => m.ReportStatus is not null && !m.Pulled).Take((int)limit)];
            due.ForEach(m => m.Pulled = true);
        }
        var set = new JsonArray([.. due.Select(m => (JsonNode)new JsonObject
        {
            ["UserReceiveTime"] = m.ReceivedAt!.Value.ToUnixTimeSeconds(),
            ["CountryCode"] = "86",
            ["SubscriberNumber"] = m.PhoneNumber[3..],
            ["PhoneNumber"] = m.PhoneNumber,
            ["SerialNo"] = m.SerialNo,
            ["ReportStatus"] = m.ReportStatus,
            ["Description"] = m.ErrorMessage,
            ["SessionContext"] = m.SessionContext ?? "",
        })]);
        await WriteAsync(context, new JsonObject { ["PullSmsSendStatusSet"] = set, ["RequestId"] = RequestId() }).ConfigureAwait(false);
    }

    private static List<string>? Strings(JsonNode? node) =>
        node is JsonArray array && array.All(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String) ? [.. array.Select(n => n!.GetValue<string>())] : null;

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private string RequestId() => Guid.CreateVersion7(_options.TimeProvider.GetUtcNow()).ToString("D");

    private Task ErrorAsync(HttpContext context, string code, string message, int status = 200) =>
        WriteAsync(context, new JsonObject { ["Error"] = new JsonObject { ["Code"] = code, ["Message"] = message }, ["RequestId"] = RequestId() }, status);

    private static async Task WriteAsync(HttpContext context, JsonObject response, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["Response"] = response }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
