using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Google.Wire;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.Google;

/// <summary>
/// The Google client. Uploads go through the Data Manager API (<c>events:ingest</c> for conversions,
/// <c>audienceMembers:ingest</c> / <c>audienceMembers:remove</c> for Customer Match); reporting and
/// campaign control through the Google Ads API (<c>googleAds:searchStream</c>,
/// <c>campaignBudgets:mutate</c>, <c>campaigns:mutate</c>, <c>adGroups:mutate</c>). Every call carries an
/// OAuth 2.0 bearer token (refreshed and retried once when Google answers UNAUTHENTICATED); Google Ads
/// calls add <c>login-customer-id</c> and <c>developer-token</c> when configured. Errors are classified
/// from the google.rpc.Status body (see <see cref="PlatformApiException"/>).
/// </summary>
public sealed partial class GooglePlatformClient : PlatformApiClient, IConversionSink, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform id (<c>google</c>, as <see cref="PlatformApiClient.PlatformName"/> and exceptions name it), also the key of the keyed services.</summary>
    public const string PlatformId = GoogleErrors.Platform;

    /// <summary>The outbox destination of Google conversions.</summary>
    public const string ConversionsDestination = "google.conversions";

    /// <summary>Data Manager's limit of events per <c>events:ingest</c> request.</summary>
    public const int MaxEventsPerRequest = 2_000;

    /// <summary>Data Manager's limit of members per <c>audienceMembers:ingest</c> / <c>:remove</c> request.</summary>
    public const int MaxAudienceMembersPerRequest = 10_000;

    /// <summary>Data Manager's limit of user identifiers per event or audience member.</summary>
    public const int MaxUserIdentifiers = 10;

    private const string Granted = "CONSENT_GRANTED";
    private const string Denied = "CONSENT_DENIED";
    private const string HexEncoding = "HEX";
    private const string GoogleAds = "GOOGLE_ADS";

    private readonly GooglePlatformOptions _options;
    private readonly IConsentGate _consent;
    private readonly TimeProvider _time;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the resilient client for each call (see <see cref="PlatformApiClient"/>).</param>
    /// <param name="tokens">Supplies OAuth 2.0 access tokens (normally <see cref="OAuth2RefreshTokenProvider"/>).</param>
    /// <param name="options">The settings.</param>
    /// <param name="consentGate">The consent gate audience uploads are checked against.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the request metrics' meter (the host's; see <see cref="PlatformTelemetry"/>).</param>
    /// <param name="logger">The logger.</param>
    public GooglePlatformClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, GooglePlatformOptions options, IConsentGate consentGate, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<GooglePlatformClient>? logger = null)
        : base(httpClientFactory, tokens, GoogleErrors.Platform, options?.CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(consentGate);
        var errors = options.GetValidationErrors().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid Google options: {string.Join(" ", errors)}", nameof(options));
        }
        _options = options;
        _consent = consentGate;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Destination => ConversionsDestination;

    /// <inheritdoc />
    public Channel Platform => Channel.Google;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.Google;

    /// <inheritdoc />
    public int MaxBatchSize => MaxEventsPerRequest;

    /// <inheritdoc />
    public int MaxMembersPerRequest => MaxAudienceMembersPerRequest;

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response) => GoogleErrors.Classify(response);

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
    }

    private Uri DataManagerUri(string method) => new(_options.BaseAddress ?? _options.DataManagerEndpoint, $"v1/{method}");

    private Uri GoogleAdsUri(string customerId, string method) =>
        new(_options.BaseAddress ?? _options.GoogleAdsEndpoint, $"{_options.GoogleAdsApiVersion}/customers/{customerId}/{method}");

    private static Func<HttpRequestMessage> Post(Uri uri, byte[] body, Action<HttpRequestMessage>? headers = null) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        headers?.Invoke(request);
        return request;
    };

    private void AddGoogleAdsHeaders(HttpRequestMessage request)
    {
        if (_options.LoginCustomerIdDigits is { } login)
        {
            request.Headers.TryAddWithoutValidation("login-customer-id", login);
        }
        if (!string.IsNullOrWhiteSpace(_options.DeveloperToken))
        {
            request.Headers.TryAddWithoutValidation("developer-token", _options.DeveloperToken);
        }
    }

    /// <summary>Reads a successful answer; an empty, unreadable or wrong-shaped one is a malformed answer (never a success).</summary>
    private T Read<T>(string operation, PlatformResponse response, JsonTypeInfo<T> type, Func<T, bool> isWellFormed) where T : class =>
        ReadAnswer(operation, response, r =>
        {
            var value = r.Body.IsEmpty ? null : JsonSerializer.Deserialize(r.Body.Span, type);
            return value is not null && isWellFormed(value) ? value : throw Malformed(operation, r, "the answer lacks its required fields");
        });

    /// <summary>A Data Manager ingest/remove answer: <c>{"requestId": "…"}</c> (a validate-only request is answered with an empty object).</summary>
    private DmIngestResponse ReadIngest(string operation, PlatformResponse response) =>
        Read(operation, response, GoogleJsonContext.Default.DmIngestResponse, r => _options.ValidateOnly || !string.IsNullOrEmpty(r.RequestId));

    private DmDestination NewDestination(string productDestinationId, string? reference) => new(
        reference,
        _options.LoginCustomerIdDigits is { } login ? new DmProductAccount(login, GoogleAds) : null,
        new DmProductAccount(_options.OperatingAccountDigits, GoogleAds),
        productDestinationId);

    private static string CustomerDigits(string accountId, string field)
    {
        var digits = (accountId ?? "").Replace("-", "", StringComparison.Ordinal).Trim();
        if (!GooglePlatformOptions.Digits().IsMatch(digits))
        {
            throw new PlatformRequestException(GoogleErrors.Platform, field, "a Google Ads customer id is digits (dashes allowed)");
        }
        return digits;
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Google: {Count} conversions rejected before sending ({Reason})")]
    private static partial void LogRejectedBeforeSending(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Google rejected {Count} items of a {Operation} request by field; resending the rest")]
    private static partial void LogFieldRejections(ILogger logger, int count, string operation);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "Google audience {Operation}: {Sent} members sent in {Requests} requests, {Invalid} invalid, {Withheld} withheld by consent")]
    private static partial void LogAudienceSync(ILogger logger, AudienceOperation operation, int sent, int requests, int invalid, int withheld);
}
