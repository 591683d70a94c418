using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>The status of one number of a SendSms call.</summary>
/// <param name="PhoneNumber">The number (E.164; personal data).</param>
/// <param name="SerialNo">The provider's id of the message to this number (matches receipts).</param>
/// <param name="Code">The number's code (<c>Ok</c> on success).</param>
/// <param name="SessionContext">The call's session context, echoed.</param>
public sealed record TencentCloudSmsSendStatus([property: PersonalData] string? PhoneNumber, string? SerialNo, string Code, string? SessionContext)
{
    /// <summary>Whether the number's message was accepted.</summary>
    public bool IsOk => Code == TencentCloudSmsErrorCodes.Ok;

    /// <summary>Describes the status without the number.</summary>
    public override string ToString() => $"TencentCloudSmsSendStatus {{ SerialNo = {SerialNo}, Code = {Code}, SessionContext = {SessionContext} }}";
}

/// <summary>One receipt of PullSmsSendStatus.</summary>
/// <param name="SerialNo">The message's serial number.</param>
/// <param name="Delivered">Whether the number received it (<c>ReportStatus</c> <c>SUCCESS</c>).</param>
/// <param name="ReceivedAt">When.</param>
/// <param name="SessionContext">The send call's session context.</param>
public sealed record TencentCloudSmsReceipt(string SerialNo, bool Delivered, DateTimeOffset? ReceivedAt, string? SessionContext);

/// <summary>
/// The Tencent Cloud SMS client (API 3.0, version 2021-01-11): JSON POSTs to the endpoint with the common parameters in
/// <c>X-TC-*</c> headers, signed with <see cref="Tc3Signature"/> over <c>content-type;host;x-tc-action</c>.
/// </summary>
public sealed class TencentCloudSmsClient : PlatformApiClient
{
    /// <summary>The platform id (<c>tencent_sms</c>).</summary>
    public const string PlatformId = "tencent_sms";

    /// <summary>The API version.</summary>
    public const string ApiVersion = "2021-01-11";

    /// <summary>The service name of the credential scope.</summary>
    public const string Service = "sms";

    private static readonly HttpRequestOptionsKey<byte[]> BodyKey = new("Marketing.Sdk.TencentCloudSms.Body");
    private readonly TencentCloudSmsOptions _options;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call.</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock (timestamps).</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public TencentCloudSmsClient(Func<HttpClient> httpClientFactory, TencentCloudSmsOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<TencentCloudSmsClient>? logger = null)
        : base(httpClientFactory, new StaticAccessTokenProvider(() => (options ?? throw new ArgumentNullException(nameof(options))).SecretKey), PlatformId, options.CreateRateLimiter(), timeProvider, meterFactory, logger)
        => _options = options;

    /// <summary>Sends one template with one set of variables to up to 200 numbers (SendSms).</summary>
    /// <param name="phoneNumbers">The numbers in E.164.</param>
    /// <param name="templateId">The template id.</param>
    /// <param name="templateParameters">The variables in template order ({1}, {2}…).</param>
    /// <param name="sessionContext">Echoed in the answer and receipts (under 512 bytes).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The call failed.</exception>
    public async Task<IReadOnlyList<TencentCloudSmsSendStatus>> SendSmsAsync(IReadOnlyList<string> phoneNumbers, string templateId, IReadOnlyList<string> templateParameters, string? sessionContext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(phoneNumbers);
        ArgumentNullException.ThrowIfNull(templateParameters);
        if (phoneNumbers.Count is 0 or > TencentCloudSmsOptions.MaxNumbersPerCall)
        {
            throw new PlatformRequestException(PlatformId, "PhoneNumberSet", $"a call holds 1 to {TencentCloudSmsOptions.MaxNumbersPerCall} numbers");
        }
        if (sessionContext is not null && System.Text.Encoding.UTF8.GetByteCount(sessionContext) >= 512)
        {
            throw new PlatformRequestException(PlatformId, "SessionContext", "must be under 512 bytes");
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new SendSmsBody(phoneNumbers, _options.SmsSdkAppId, templateId, _options.SignName, templateParameters, sessionContext), TencentCloudSmsJsonContext.Default.SendSmsBody);
        var response = await CallAsync("sms.send", "SendSms", body, cancellationToken).ConfigureAwait(false);
        var answer = Read("sms.send", response);
        var set = answer.SendStatusSet ?? throw Malformed("sms.send", response, "the answer has no SendStatusSet");
        if (set.Count != phoneNumbers.Count || set.Any(s => s is null || s.Code is null || s.Code == TencentCloudSmsErrorCodes.Ok && string.IsNullOrEmpty(s.SerialNo)))
        {
            throw Malformed("sms.send", response, "the SendStatusSet does not match the numbers sent");
        }
        return [.. set.Select(s => new TencentCloudSmsSendStatus(s.PhoneNumber, s.SerialNo, s.Code!, s.SessionContext))];
    }

    /// <summary>Pulls up to <paramref name="limit"/> receipts not pulled before (PullSmsSendStatus; each receipt is served once).</summary>
    /// <param name="limit">1–100.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The call failed.</exception>
    public async Task<IReadOnlyList<TencentCloudSmsReceipt>> PullSmsSendStatusAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 100);
        var body = JsonSerializer.SerializeToUtf8Bytes(new PullStatusBody(limit, _options.SmsSdkAppId), TencentCloudSmsJsonContext.Default.PullStatusBody);
        var response = await CallAsync("sms.pull_status", "PullSmsSendStatus", body, cancellationToken).ConfigureAwait(false);
        var set = Read("sms.pull_status", response).PullSmsSendStatusSet ?? [];
        if (set.Count > limit || set.Any(s => s is null || string.IsNullOrEmpty(s.SerialNo)))
        {
            throw Malformed("sms.pull_status", response, "the receipts are malformed");
        }
        return [.. set.Select(s => new TencentCloudSmsReceipt(s.SerialNo!, s.ReportStatus == "SUCCESS",
            s.UserReceiveTime is > 0 and < 10_000_000_000 ? DateTimeOffset.FromUnixTimeSeconds(s.UserReceiveTime.Value) : null, s.SessionContext))];
    }

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no address.");
        var body = request.Options.TryGetValue(BodyKey, out var b) ? b : [];
        var action = request.Headers.GetValues("X-TC-Action").First();
        var timestamp = Clock.GetUtcNow().ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = request.Content?.Headers.ContentType?.ToString() ?? "application/json; charset=utf-8",
            ["host"] = uri.Authority,
            ["x-tc-action"] = action,
        };
        var canonical = Tc3Signature.CanonicalRequest("POST", "", headers, Tc3Signature.HashHex(body), out var signed);
        var signature = Tc3Signature.Sign(token.Value, timestamp, Service, Tc3Signature.StringToSign(timestamp, Service, canonical));
        request.Headers.Host = uri.Authority;
        request.Headers.Remove("X-TC-Timestamp");
        request.Headers.TryAddWithoutValidation("X-TC-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", Tc3Signature.Authorization(_options.SecretId, timestamp, Service, signed, signature));
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        TencentEnvelope? envelope = null;
        try
        {
            envelope = response.Body.IsEmpty ? null : JsonSerializer.Deserialize(response.Body.Span, TencentCloudSmsJsonContext.Default.TencentEnvelope);
        }
        catch (JsonException)
        {
            // classified by status below
        }
        if (envelope?.Response?.Error is { Code: { } code })
        {
            var errorClass = TencentCloudSmsErrorCodes.ClassifyCall(code);
            return new PlatformApiException(PlatformId, errorClass, response.StatusCode, "the call was refused", code, requestId: envelope.Response.RequestId,
                retryAfter: errorClass == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? TimeSpan.FromSeconds(1) : RetryAfter(response));
        }
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return envelope?.Response is null ? new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the answer could not be read", MalformedAnswerCode) : null;
        }
        var byStatus = ClassifyStatus(response.StatusCode);
        return new PlatformApiException(PlatformId, byStatus == PlatformErrorClass.AuthenticationExpired ? PlatformErrorClass.Unauthorized : byStatus, response.StatusCode, $"HTTP {status}", retryAfter: RetryAfter(response));
    }

    private TencentResponse Read(string operation, PlatformResponse response) =>
        ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, TencentCloudSmsJsonContext.Default.TencentEnvelope)?.Response);

    private Task<PlatformResponse> CallAsync(string operation, string action, byte[] body, CancellationToken cancellationToken)
    {
        var uri = _options.BaseAddress ?? TencentCloudSmsOptions.DefaultBaseAddress;
        return SendAsync(operation, () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
            request.Headers.TryAddWithoutValidation("X-TC-Action", action);
            request.Headers.TryAddWithoutValidation("X-TC-Version", ApiVersion);
            request.Headers.TryAddWithoutValidation("X-TC-Region", _options.Region);
            request.Options.Set(BodyKey, body);
            return request;
        }, cancellationToken);
    }
}
