using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>The answer of SendSms or SendBatchSms: <c>OK</c> with the <c>BizId</c>, or the code that concerns the message.</summary>
/// <param name="Code">The provider's code (<c>OK</c> on success).</param>
/// <param name="BizId">The send receipt id (<c>BizId</c>) on success.</param>
/// <param name="RequestId">The provider's request id.</param>
/// <param name="RetryAfter">For <c>isv.BUSINESS_LIMIT_CONTROL</c>: the wait the message names (minute, hour or day window).</param>
public sealed record AliyunSmsSendResult(string Code, string? BizId, string? RequestId, TimeSpan? RetryAfter = null)
{
    /// <summary>Whether the provider accepted the message.</summary>
    public bool IsOk => Code == AliyunSmsErrorCodes.Ok;
}

/// <summary>One record of QuerySendDetails.</summary>
/// <param name="PhoneNumber">The number (personal data).</param>
/// <param name="SendStatus">1 waiting for the receipt, 2 failed, 3 delivered.</param>
/// <param name="ErrorCode">The carrier's status code (e.g. <c>DELIVERED</c>).</param>
/// <param name="OutId">The caller's <c>OutId</c>.</param>
/// <param name="ReceivedAt">When the receipt came (China time, UTC+8), if it did.</param>
public sealed record AliyunSmsSendDetail([property: PersonalData] string? PhoneNumber, int SendStatus, string? ErrorCode, string? OutId, DateTimeOffset? ReceivedAt)
{
    /// <summary>Describes the record without the number.</summary>
    public override string ToString() => $"AliyunSmsSendDetail {{ SendStatus = {SendStatus}, ErrorCode = {ErrorCode}, OutId = {OutId} }}";
}

/// <summary>
/// The Alibaba Cloud SMS client (Dysmsapi 2017-05-25, RPC style): every call is a POST to the endpoint with the
/// parameters in the query string, signed with <see cref="AcsSignature"/> (a fresh nonce and date per attempt).
/// Codes that concern the message come back in the result; codes that concern the call throw
/// <see cref="PlatformApiException"/> (see <see cref="AliyunSmsErrorCodes"/>).
/// </summary>
public sealed partial class AliyunSmsClient : PlatformApiClient
{
    /// <summary>The platform id (<c>aliyun_sms</c>).</summary>
    public const string PlatformId = "aliyun_sms";

    /// <summary>The API version.</summary>
    public const string ApiVersion = "2017-05-25";

    internal static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);
    private static readonly HttpRequestOptionsKey<IReadOnlyList<KeyValuePair<string, string>>> QueryKey = new("Marketing.Sdk.AliyunSms.Query");
    private readonly AliyunSmsOptions _options;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call.</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock (request dates).</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public AliyunSmsClient(Func<HttpClient> httpClientFactory, AliyunSmsOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<AliyunSmsClient>? logger = null)
        : base(httpClientFactory, new StaticAccessTokenProvider(() => (options ?? throw new ArgumentNullException(nameof(options))).AccessKeySecret), PlatformId, options.CreateRateLimiter(), timeProvider, meterFactory, logger)
        => _options = options;

    /// <summary>Sends one message (SendSms) with <c>OutId</c> = <paramref name="outId"/>.</summary>
    /// <param name="phoneNumber">The number as Alibaba Cloud wants it (mainland: 11 digits; others: country code and number).</param>
    /// <param name="templateCode">The template code.</param>
    /// <param name="templateParameters">The variables.</param>
    /// <param name="outId">The caller's id, returned in receipts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The call failed.</exception>
    public async Task<AliyunSmsSendResult> SendSmsAsync(string phoneNumber, string templateCode, IReadOnlyList<KeyValuePair<string, string>> templateParameters, string? outId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(phoneNumber);
        ArgumentNullException.ThrowIfNull(templateParameters);
        var query = new List<KeyValuePair<string, string>>
        {
            new("PhoneNumbers", phoneNumber),
            new("SignName", _options.SignName),
            new("TemplateCode", templateCode),
            new("TemplateParam", ParamJson(templateParameters)),
        };
        if (outId is not null)
        {
            query.Add(new("OutId", outId));
        }
        return ReadSend("sms.send", await CallAsync("sms.send", "SendSms", query, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends one template to up to 100 numbers with their own variables (SendBatchSms).</summary>
    /// <param name="templateCode">The template code.</param>
    /// <param name="messages">The numbers (Alibaba Cloud form) and their variables.</param>
    /// <param name="outId">The caller's id of the batch.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The call failed.</exception>
    public async Task<AliyunSmsSendResult> SendBatchSmsAsync(string templateCode, IReadOnlyList<(string PhoneNumber, IReadOnlyList<KeyValuePair<string, string>> Parameters)> messages, string? outId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count is 0 or > AliyunSmsOptions.MaxBatchNumbers)
        {
            throw new PlatformRequestException(PlatformId, "PhoneNumberJson", $"a batch holds 1 to {AliyunSmsOptions.MaxBatchNumbers} numbers");
        }
        var query = new List<KeyValuePair<string, string>>
        {
            new("PhoneNumberJson", JsonSerializer.Serialize(messages.Select(m => m.PhoneNumber).ToList(), AliyunSmsJsonContext.Default.ListString)),
            new("SignNameJson", JsonSerializer.Serialize(messages.Select(_ => _options.SignName).ToList(), AliyunSmsJsonContext.Default.ListString)),
            new("TemplateCode", templateCode),
            new("TemplateParamJson", JsonSerializer.Serialize(messages.Select(m => ToDictionary(m.Parameters)).ToList(), AliyunSmsJsonContext.Default.ListDictionaryStringString)),
        };
        if (outId is not null)
        {
            query.Add(new("OutId", outId));
        }
        return ReadSend("sms.send_batch", await CallAsync("sms.send_batch", "SendBatchSms", query, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads the send records of one number on one day (QuerySendDetails; at most 50 per page).</summary>
    /// <param name="phoneNumber">The number (Alibaba Cloud form).</param>
    /// <param name="sendDate">The day of sending (China time).</param>
    /// <param name="bizId">Only the records of this <c>BizId</c>, if given.</param>
    /// <param name="pageSize">Records per page, 1–50.</param>
    /// <param name="page">The page, from 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The call failed.</exception>
    public async Task<IReadOnlyList<AliyunSmsSendDetail>> QuerySendDetailsAsync(string phoneNumber, DateOnly sendDate, string? bizId = null, int pageSize = 50, int page = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(phoneNumber);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, 50);
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        var query = new List<KeyValuePair<string, string>>
        {
            new("PhoneNumber", phoneNumber),
            new("SendDate", sendDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture)),
            new("PageSize", pageSize.ToString(CultureInfo.InvariantCulture)),
            new("CurrentPage", page.ToString(CultureInfo.InvariantCulture)),
        };
        if (bizId is not null)
        {
            query.Add(new("BizId", bizId));
        }
        var response = await CallAsync("sms.query_details", "QuerySendDetails", query, cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer("sms.query_details", response, r => JsonSerializer.Deserialize(r.Body.Span, AliyunSmsJsonContext.Default.QuerySendDetailsAnswer));
        if (answer.Code != AliyunSmsErrorCodes.Ok)
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, response.StatusCode, "QuerySendDetails was refused", answer.Code, requestId: answer.RequestId);
        }
        var items = answer.SmsSendDetailDTOs?.SmsSendDetailDTO ?? [];
        if (items.Count > pageSize)
        {
            throw Malformed("sms.query_details", response, "more records than the page size");
        }
        return [.. items.Select(d => new AliyunSmsSendDetail(d.PhoneNum, d.SendStatus ?? 0, d.ErrCode, d.OutId, ParseChinaTime(d.ReceiveDate)))];
    }

    /// <summary>The Alibaba Cloud form of an E.164 number: mainland numbers without <c>+86</c>, others without <c>+</c>.</summary>
    /// <param name="e164">The number in E.164.</param>
    public static string ProviderPhone(string e164)
    {
        ArgumentNullException.ThrowIfNull(e164);
        return e164.StartsWith("+86", StringComparison.Ordinal) ? e164[3..] : e164.TrimStart('+');
    }

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no address.");
        var query = request.Options.TryGetValue(QueryKey, out var q) ? q : [];
        var payloadHash = AcsSignature.HashHex([]);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = uri.Authority,
            ["x-acs-action"] = request.Headers.GetValues("x-acs-action").First(),
            ["x-acs-version"] = ApiVersion,
            ["x-acs-date"] = Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["x-acs-signature-nonce"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["x-acs-content-sha256"] = payloadHash,
        };
        var canonical = AcsSignature.CanonicalRequest("POST", "/", AcsSignature.CanonicalQuery(query), headers, payloadHash, out var signedHeaders);
        foreach (var (name, value) in headers)
        {
            if (name == "host")
            {
                request.Headers.Host = value;
                continue;
            }
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", AcsSignature.Authorization(_options.AccessKeyId, signedHeaders, AcsSignature.Sign(canonical, token.Value)));
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        AliyunAnswer? answer = null;
        try
        {
            answer = response.Body.IsEmpty ? null : JsonSerializer.Deserialize(response.Body.Span, AliyunSmsJsonContext.Default.AliyunAnswer);
        }
        catch (JsonException)
        {
            // classified by status below
        }
        var kind = AliyunSmsErrorCodes.Classify(answer?.Code);
        switch (kind)
        {
            case AliyunSmsCodeKind.Ok or AliyunSmsCodeKind.Deferred or AliyunSmsCodeKind.MessagePermanent when status < 500:
                return null;
            case AliyunSmsCodeKind.Account:
                return new PlatformApiException(PlatformId, PlatformErrorClass.Unauthorized, response.StatusCode, "the account or its credentials were refused", answer!.Code, requestId: answer.RequestId);
            case AliyunSmsCodeKind.Throttled:
                return new PlatformApiException(PlatformId, PlatformErrorClass.RateLimited, response.StatusCode, "throttled", answer!.Code, requestId: answer.RequestId,
                    retryAfter: RetryAfter(response) ?? (answer.Code is "isv.DAY_LIMIT_CONTROL" or "isv.MONTH_LIMIT_CONTROL" ? UntilChinaMidnight() : TimeSpan.FromSeconds(1)));
            case AliyunSmsCodeKind.Transient:
                return new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "temporary failure", answer!.Code, requestId: answer.RequestId, retryAfter: RetryAfter(response));
        }
        if (status is >= 200 and < 300)
        {
            return answer?.Code is null ? new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the answer could not be read", MalformedAnswerCode) : null;
        }
        return new PlatformApiException(PlatformId, ClassifyStatus(response.StatusCode) is PlatformErrorClass.AuthenticationExpired ? PlatformErrorClass.Unauthorized : ClassifyStatus(response.StatusCode),
            response.StatusCode, $"HTTP {status}", answer?.Code, requestId: answer?.RequestId, retryAfter: RetryAfter(response));
    }

    private Task<PlatformResponse> CallAsync(string operation, string action, List<KeyValuePair<string, string>> query, CancellationToken cancellationToken)
    {
        var baseAddress = _options.BaseAddress ?? AliyunSmsOptions.DefaultBaseAddress;
        var uri = new Uri(baseAddress, "?" + AcsSignature.CanonicalQuery(query));
        IReadOnlyList<KeyValuePair<string, string>> frozen = [.. query];
        return SendAsync(operation, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent([]) };
            request.Headers.TryAddWithoutValidation("x-acs-action", action);
            request.Options.Set(QueryKey, frozen);
            return request;
        }, cancellationToken);
    }

    private AliyunSmsSendResult ReadSend(string operation, PlatformResponse response)
    {
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, AliyunSmsJsonContext.Default.AliyunAnswer));
        var code = answer.Code ?? throw Malformed(operation, response, "the answer has no code");
        if (code == AliyunSmsErrorCodes.Ok && string.IsNullOrEmpty(answer.BizId))
        {
            throw Malformed(operation, response, "an accepted message has no BizId");
        }
        TimeSpan? wait = null;
        if (code == AliyunSmsErrorCodes.BusinessLimitControl)
        {
            var message = answer.Message ?? "";
            wait = message.Contains("分钟", StringComparison.Ordinal) ? TimeSpan.FromMinutes(1)
                : message.Contains("小时", StringComparison.Ordinal) ? TimeSpan.FromHours(1)
                : message.Contains('天') ? UntilChinaMidnight()
                : _options.BusinessLimitRetryAfter;
        }
        return new AliyunSmsSendResult(code, answer.BizId, answer.RequestId, wait);
    }

    private TimeSpan UntilChinaMidnight()
    {
        var now = Clock.GetUtcNow().ToOffset(ChinaOffset);
        var midnight = new DateTimeOffset(now.Date.AddDays(1), ChinaOffset);
        return midnight - now;
    }

    private static string ParamJson(IReadOnlyList<KeyValuePair<string, string>> parameters) =>
        JsonSerializer.Serialize(ToDictionary(parameters), AliyunSmsJsonContext.Default.DictionaryStringString);

    private static Dictionary<string, string> ToDictionary(IReadOnlyList<KeyValuePair<string, string>> parameters) =>
        parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    internal static DateTimeOffset? ParseChinaTime(string? text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) ? new DateTimeOffset(local, ChinaOffset) : null;
}
