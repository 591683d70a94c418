using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.TikTok;

/// <summary>
/// The TikTok client: Events API 2.0 conversions (<see cref="IConversionSink"/>, destination
/// <c>tiktok.conversions</c>), integrated reports (<see cref="IAdReporting"/>), campaign and ad group
/// status and budgets (<see cref="ICampaignControl"/>) and customer-file audiences
/// (<see cref="IAudienceSync"/>, plus <see cref="CreateAudienceAsync"/>). Business errors arrive as
/// HTTP 200 with a non-zero <c>code</c>; they are classified from the body (see <see cref="TikTokErrorCodes"/>).
/// </summary>
public sealed partial class TikTokPlatformClient : PlatformApiClient, IConversionSink, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform id (<c>tiktok</c>, as <see cref="PlatformApiClient.PlatformName"/> and exceptions name it), also the key of the keyed services.</summary>
    public const string PlatformId = "tiktok";

    /// <summary>The outbox destination of TikTok conversions.</summary>
    public const string ConversionsDestination = "tiktok.conversions";

    /// <summary>TikTok's limit of events per Events API <c>/event/track/</c> request.</summary>
    public const int MaxEventsPerRequest = 1_000;

    private readonly TikTokPlatformOptions _options;
    private readonly IConsentGate _consent;
    private readonly TimeProvider _time;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set).</param>
    /// <param name="tokens">Supplies the access token (usually a <see cref="StaticAccessTokenProvider"/> over the options).</param>
    /// <param name="options">The settings.</param>
    /// <param name="consentGate">The consent gate audience uploads are checked against.</param>
    /// <param name="timeProvider">The clock (event-age checks).</param>
    /// <param name="meterFactory">Creates the request metrics' meter (the host's; see <see cref="PlatformTelemetry"/>).</param>
    /// <param name="logger">The logger.</param>
    public TikTokPlatformClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, TikTokPlatformOptions options, IConsentGate consentGate, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<TikTokPlatformClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        ArgumentNullException.ThrowIfNull(consentGate);
        _options = options;
        _consent = consentGate;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Destination => ConversionsDestination;

    /// <inheritdoc cref="IConversionSink.Platform" />
    public Channel Platform => Channel.TikTok;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.TikTok;

    /// <inheritdoc />
    /// <remarks>Events per <c>/event/track/</c> call: <see cref="MaxEventsPerRequest"/>.</remarks>
    public int MaxBatchSize => MaxEventsPerRequest;

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        request.Headers.Remove("Access-Token");
        request.Headers.TryAddWithoutValidation("Access-Token", token.Value);
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        var envelope = TryParseEnvelope(response.Body);
        if (envelope?.Code is { } code)
        {
            var errorClass = status >= 500 ? PlatformErrorClass.Transient : TikTokErrorCodes.Classify(code);
            if (errorClass is null)
            {
                return status is >= 200 and < 300 ? null
                    : new PlatformApiException(PlatformId, ClassifyStatus(response.StatusCode), response.StatusCode, envelope.Message ?? "HTTP error", code.ToString(CultureInfo.InvariantCulture), requestId: envelope.RequestId);
            }
            return new PlatformApiException(PlatformId, errorClass.Value, response.StatusCode, envelope.Message ?? "no message",
                code.ToString(CultureInfo.InvariantCulture), requestId: envelope.RequestId,
                retryAfter: errorClass == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? _options.ThrottleRetryAfter : RetryAfter(response));
        }
        if (status is >= 200 and < 300)
        {
            // A success status with an unreadable body: the request may have been processed; retrying is
            // safe for conversions (TikTok deduplicates on event_id).
            return new PlatformApiException(PlatformId, PlatformErrorClass.Transient, response.StatusCode, "the answer could not be read");
        }
        var fallback = ClassifyStatus(response.StatusCode);
        return new PlatformApiException(PlatformId, fallback, response.StatusCode, $"HTTP {status}",
            retryAfter: fallback == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? _options.ThrottleRetryAfter : RetryAfter(response));
    }

    private static TikTokEnvelope? TryParseEnvelope(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body.Span, TikTokJsonContext.Default.TikTokEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The envelope of an answer that <see cref="Classify"/> accepted.</summary>
    private TikTokEnvelope Envelope(PlatformResponse response) =>
        TryParseEnvelope(response.Body) is { Code: not null } envelope ? envelope : throw Malformed("answer", response, "the answer has no TikTok envelope");

    private static T? Data<T>(TikTokEnvelope envelope, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (envelope.Data is not { ValueKind: JsonValueKind.Object } data)
        {
            return null;
        }
        try
        {
            return data.Deserialize(typeInfo);
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, null, "the answer's data could not be read", MalformedAnswerCode, requestId: envelope.RequestId, innerException: ex);
        }
    }

    private string ApiPath(string relative) => $"open_api/{_options.ApiVersion}/{relative}";

    private static HttpRequestMessage PostJson(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
    }

    private Task<PlatformResponse> PostAsync<T>(string operation, string relative, T body, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, typeInfo);
        var path = ApiPath(relative);
        return SendAsync(operation, () => PostJson(path, bytes), cancellationToken);
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Warning, Message = "TikTok refused a batch of {Count} events with code 40002 although every row passed the pre-send checks; splitting it to isolate the refused rows")]
    private static partial void LogBisecting(ILogger logger, int count);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Information, Message = "{Rejected} of {Count} conversions were rejected before sending (TikTok would fail the whole batch for them)")]
    private static partial void LogPreRejected(ILogger logger, int rejected, int count);

    [LoggerMessage(EventId = 5303, Level = LogLevel.Information, Message = "Uploaded {Files} audience files ({Members} hashed members) for a {Operation} of a TikTok audience; {Invalid} invalid, {Withheld} withheld by consent")]
    private static partial void LogAudienceSync(ILogger logger, int files, int members, string operation, int invalid, int withheld);
}
