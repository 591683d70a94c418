using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Compliance;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.OceanEngine;

/// <summary>
/// The Ocean Engine (巨量引擎) client: conversions through the conversion callback API (<see cref="IConversionSink"/>,
/// destination <c>ocean_engine.conversions</c>, one event per call, attributed by the click's <c>callback</c>), custom
/// reports (<see cref="IAdReporting"/>), project/promotion — or Qianchuan ad plan — status and budgets
/// (<see cref="ICampaignControl"/>) and DMP data-source audiences (<see cref="IAudienceSync"/>). Marketing API calls carry
/// the <c>Access-Token</c> header; errors arrive with a non-zero <c>code</c> and are classified from the body
/// (<see cref="OceanEngineErrorCodes"/>).
/// </summary>
public sealed partial class OceanEnginePlatformClient : PlatformApiClient, IConversionSink, IConversionApplicability, IMatchFieldPreparer, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform id (<c>ocean_engine</c>), also the key of the keyed services.</summary>
    public const string PlatformId = "ocean_engine";

    /// <summary>The outbox destination of Ocean Engine conversions.</summary>
    public const string ConversionsDestination = "ocean_engine.conversions";

    /// <summary>The conversion callback API takes one event per call.</summary>
    public const int MaxEventsPerRequest = 1;

    /// <summary>The <see cref="ItemResult.Code"/> of conversions refused by the pre-send checks.</summary>
    public const string PreSendRejectionCode = "client_validation";

    /// <summary>The <see cref="ItemResult.Code"/> of a conversion without a callback reaching the sink (publishing skips those).</summary>
    public const string NotAttributableCode = "not_attributable";

    private static readonly HttpRequestOptionsKey<bool> Anonymous = new("Marketing.Sdk.Platforms.OceanEngine.Anonymous");

    private readonly OceanEnginePlatformOptions _options;
    private readonly IConsentGate _consent;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address = the Marketing API host).</param>
    /// <param name="tokens">Supplies the access token (<see cref="Tokens.OceanEngineTokenProvider"/> when the pair rotates).</param>
    /// <param name="options">The settings.</param>
    /// <param name="consentGate">The consent gate audience uploads are checked against.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public OceanEnginePlatformClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, OceanEnginePlatformOptions options, IConsentGate consentGate, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<OceanEnginePlatformClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        ArgumentNullException.ThrowIfNull(consentGate);
        _options = options;
        _consent = consentGate;
    }

    /// <inheritdoc />
    public string Destination => ConversionsDestination;

    /// <inheritdoc cref="IConversionSink.Platform" />
    public Channel Platform => Channel.OceanEngine;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.OceanEngine;

    /// <inheritdoc />
    public int MaxBatchSize => MaxEventsPerRequest;

    /// <summary>
    /// Prepares a field the Ocean Engine way: the phone becomes the SHA-256 of the 11-digit mainland number
    /// (<see cref="OceanEngineHashing.Sha256Phone"/>, sent as <c>context.device.phone_num_blurred</c>); Ocean Engine has no key
    /// for the other fields, so they are dropped (never sent).
    /// </summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="country">The customer's country (unused).</param>
    public string Prepare(MatchField field, string value, string? country) => field switch
    {
        MatchField.Phone => OceanEngineHashing.IsLowerSha256(value) ? value : OceanEngineHashing.Sha256Phone(value),
        _ => throw new MatchNormalizationException(MatchKeys.Name(field), "Ocean Engine has no match key for this field"),
    };

    /// <summary>
    /// Ocean Engine attributes a conversion only through the click's <c>callback</c> (<see cref="ClickIdentifiers.OceanEngineCallback"/>):
    /// without one the conversion is skipped for this destination (<see cref="ConversionSkipReason.NotAttributable"/>).
    /// </summary>
    /// <param name="conversion">The conversion.</param>
    public ConversionSkipReason? SkipReason(ConversionRequest conversion)
    {
        ArgumentNullException.ThrowIfNull(conversion);
        return string.IsNullOrWhiteSpace(conversion.Clicks?.OceanEngineCallback) ? ConversionSkipReason.NotAttributable : null;
    }

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        if (request.Options.TryGetValue(Anonymous, out var anonymous) && anonymous)
        {
            // The conversion callback authenticates by its callback; the Marketing API token is not sent to another host.
            return;
        }
        request.Headers.Remove("Access-Token");
        request.Headers.TryAddWithoutValidation("Access-Token", token.Value);
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var envelope = TryParseEnvelope(response.Body);
        return ClassifyCodeEnvelope(response, envelope?.Code, envelope?.Message, envelope?.RequestId, OceanEngineErrorCodes.Classify, _options.ThrottleRetryAfter);
    }

    internal static OceanEnvelope? TryParseEnvelope(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body.Span, OceanEngineJsonContext.Default.OceanEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private OceanEnvelope Envelope(string operation, PlatformResponse response) =>
        TryParseEnvelope(response.Body) is { Code: not null } envelope ? envelope : throw Malformed(operation, response, "the answer has no Ocean Engine envelope");

    private T? Data<T>(OceanEnvelope envelope, JsonTypeInfo<T> typeInfo) where T : class => EnvelopeData(envelope.Data, envelope.RequestId, typeInfo);

    /// <summary>POSTs JSON to a Marketing API path (relative to the base address) or an absolute address.</summary>
    private Task<PlatformResponse> PostJsonAsync(string operation, Uri target, byte[] body, bool retriable, bool anonymous, CancellationToken cancellationToken) =>
        SendAsync(operation, () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
            request.Options.Set(PlatformRetry.Retriable, retriable);
            if (anonymous)
            {
                request.Options.Set(Anonymous, true);
            }
            return request;
        }, cancellationToken);

    private static long Id(string value, string field) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new PlatformRequestException(PlatformId, field, "an Ocean Engine id is a positive integer");

    [LoggerMessage(EventId = 5851, Level = LogLevel.Information, Message = "An Ocean Engine conversion was rejected before sending ({Code})")]
    private static partial void LogPreRejected(ILogger logger, string code);

    [LoggerMessage(EventId = 5852, Level = LogLevel.Warning, Message = "Ocean Engine refused {Failed} of {Count} {Operation} items; each is reported on its change")]
    private static partial void LogItemErrors(ILogger logger, int failed, int count, string operation);

    [LoggerMessage(EventId = 5853, Level = LogLevel.Information, Message = "Uploaded {Files} DMP files ({Members} hashed phones) for data source operation {Operation}; {Invalid} invalid, {Withheld} withheld by consent")]
    private static partial void LogAudienceSync(ILogger logger, int files, int members, int operation, int invalid, int withheld);

    [LoggerMessage(EventId = 5854, Level = LogLevel.Information, Message = "Published Ocean Engine custom audience and pushed it to {Targets} advertisers")]
    private static partial void LogPublished(ILogger logger, int targets);
}
