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

namespace Marketing.Sdk.Platforms.TencentAds;

/// <summary>
/// The Tencent Ads (腾讯广告) Marketing API client: conversions through <c>user_actions/add</c>
/// (<see cref="IConversionSink"/>, destination <c>tencent_ads.conversions</c>), daily reports (<see cref="IAdReporting"/>),
/// ad group status and daily budgets (<see cref="ICampaignControl"/>) and customer-file audiences
/// (<see cref="IAudienceSync"/>). Every call carries <c>access_token</c>, <c>timestamp</c> and <c>nonce</c> in the query;
/// errors arrive as HTTP 200 with a non-zero <c>code</c> and are classified from the body (<see cref="TencentAdsErrorCodes"/>).
/// </summary>
public sealed partial class TencentAdsPlatformClient : PlatformApiClient, IConversionSink, IMatchFieldPreparer, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform id (<c>tencent_ads</c>), also the key of the keyed services.</summary>
    public const string PlatformId = "tencent_ads";

    /// <summary>The outbox destination of Tencent Ads conversions.</summary>
    public const string ConversionsDestination = "tencent_ads.conversions";

    /// <summary>Tencent's limit of actions per <c>user_actions/add</c> request.</summary>
    public const int MaxActionsPerRequest = 50;

    /// <summary>Tencent's limit of the <c>actions</c> of one <c>user_actions/add</c> request: 50 KB (counted here on the whole body, which is stricter).</summary>
    public const int MaxRequestBytes = 50 * 1024;

    private readonly TencentAdsPlatformOptions _options;
    private readonly IConsentGate _consent;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set).</param>
    /// <param name="tokens">Supplies the access token (<see cref="Tokens.TencentAdsTokenProvider"/> when the pair rotates).</param>
    /// <param name="options">The settings.</param>
    /// <param name="consentGate">The consent gate audience uploads are checked against.</param>
    /// <param name="timeProvider">The clock (request timestamps).</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public TencentAdsPlatformClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, TencentAdsPlatformOptions options, IConsentGate consentGate, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<TencentAdsPlatformClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        ArgumentNullException.ThrowIfNull(consentGate);
        _options = options;
        _consent = consentGate;
    }

    /// <inheritdoc />
    public string Destination => ConversionsDestination;

    /// <inheritdoc cref="IConversionSink.Platform" />
    public Channel Platform => Channel.TencentAds;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.TencentAds;

    /// <inheritdoc />
    public int MaxBatchSize => MaxActionsPerRequest;

    /// <summary>
    /// Prepares a field the Tencent way: the phone becomes <c>hash_phone</c> (<see cref="TencentAdsHashing.HashPhone"/>);
    /// Tencent has no key for the other fields, so they are dropped (never sent).
    /// </summary>
    /// <param name="field">The field.</param>
    /// <param name="value">The raw value.</param>
    /// <param name="country">The customer's country (unused: Tencent hashes the national number).</param>
    public string Prepare(MatchField field, string value, string? country) => field switch
    {
        MatchField.Phone => TencentAdsHashing.IsLowerMd5(value) ? value : TencentAdsHashing.HashPhone(value),
        _ => throw new MatchNormalizationException(MatchKeys.Name(field), "Tencent Ads has no match key for this field"),
    };

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        request.RequestUri = TencentAdsRequestSigner.Sign(request.RequestUri!, token.Value, Clock);
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var envelope = TryParseEnvelope(response.Body);
        return ClassifyCodeEnvelope(response, envelope?.Code, envelope?.Message, envelope?.TraceId, c => TencentAdsErrorCodes.Classify(checked((int)c)), _options.ThrottleRetryAfter);
    }

    internal static TencentEnvelope? TryParseEnvelope(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body.Span, TencentAdsJsonContext.Default.TencentEnvelope);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private TencentEnvelope Envelope(string operation, PlatformResponse response) =>
        TryParseEnvelope(response.Body) is { Code: not null } envelope ? envelope : throw Malformed(operation, response, "the answer has no Tencent Ads envelope");

    private T? Data<T>(TencentEnvelope envelope, JsonTypeInfo<T> typeInfo) where T : class => EnvelopeData(envelope.Data, envelope.TraceId, typeInfo);

    private string ApiPath(string relative) => $"{_options.ApiVersion}/{relative}";

    private Task<PlatformResponse> PostAsync(string operation, string relative, byte[] body, CancellationToken cancellationToken)
    {
        var path = ApiPath(relative);
        return SendAsync(operation, () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
            // Every POST of this client is safe to repeat: user_actions/add de-duplicates on outer_action_id,
            // status and budget updates set absolute values, a customer file re-applied changes nothing.
            request.Options.Set(PlatformRetry.Retriable, true);
            return request;
        }, cancellationToken);
    }

    private static long Id(string value, string field) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new PlatformRequestException(PlatformId, field, "a Tencent Ads id is a positive integer");

    [LoggerMessage(EventId = 5801, Level = LogLevel.Warning, Message = "Tencent Ads refused a batch of {Count} actions with a business code although every action passed the pre-send checks; splitting it to isolate the refused ones")]
    private static partial void LogBisecting(ILogger logger, int count);

    [LoggerMessage(EventId = 5802, Level = LogLevel.Information, Message = "{Rejected} of {Count} conversions were rejected before sending (Tencent Ads would refuse them)")]
    private static partial void LogPreRejected(ILogger logger, int rejected, int count);

    [LoggerMessage(EventId = 5803, Level = LogLevel.Debug, Message = "Split {Count} actions into {Requests} user_actions/add requests (≤ 50 actions and ≤ 50 KB each)")]
    private static partial void LogSplit(ILogger logger, int count, int requests);

    [LoggerMessage(EventId = 5804, Level = LogLevel.Information, Message = "Uploaded {Files} customer files ({Members} hashed phones) for a {Operation} of a Tencent Ads audience; {Invalid} invalid, {Withheld} withheld by consent")]
    private static partial void LogAudienceSync(ILogger logger, int files, int members, string operation, int invalid, int withheld);
}
