using System.Buffers;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// The Meta client: Conversions API events (<c>POST /{version}/{pixel_id}/events</c>), custom-audience
/// uploads (<c>/{audience_id}/users</c> and <c>/usersreplace</c>, with sessions beyond 10 000 rows),
/// ad-account insights with cursor paging, and campaign / ad-set status and daily budgets. Errors are
/// classified from Meta's <c>{"error":{...}}</c> body; the usage headers are read on every answer and a
/// throttling answer's wait hint holds further calls back until it has passed.
/// </summary>
public sealed partial class MetaPlatformClient : PlatformApiClient, IConversionSink, IConversionRequestValidator, IMatchFieldPreparer, IAudienceSync, IAdReporting, ICampaignControl
{
    /// <summary>The platform id (<c>meta</c>, as <see cref="PlatformApiClient.PlatformName"/> and exceptions name it), also the key of the keyed services.</summary>
    public const string PlatformId = "meta";

    /// <summary>The outbox destination of Meta conversions (the default of <see cref="MetaPlatformOptions.Destination"/>).</summary>
    public const string ConversionsDestination = "meta.conversions";

    /// <summary>Meta's limit of events per Conversions API request.</summary>
    public const int MaxEventsPerRequest = 1000;

    /// <summary>Meta's limit of members (rows) per custom-audience request.</summary>
    public const int MaxAudienceMembersPerRequest = 10_000;

    /// <summary>How far back a web, app or CRM event may lie (the Conversions API rejects the whole request for an older one).</summary>
    public static TimeSpan MaxEventAge { get; } = TimeSpan.FromDays(7);

    /// <summary>How far back a physical-store event may lie.</summary>
    public static TimeSpan MaxPhysicalStoreEventAge { get; } = TimeSpan.FromDays(62);

    private static readonly HttpRequestOptionsKey<List<KeyValuePair<string, string>>> FormKey = new("Marketing.Sdk.Meta.Form");
    private static readonly HttpRequestOptionsKey<Action<Utf8JsonWriter>> JsonBodyKey = new("Marketing.Sdk.Meta.JsonBody");
    private static readonly HttpRequestOptionsKey<int> JsonBodySizeKey = new("Marketing.Sdk.Meta.JsonBodySize");

    /// <summary>A typical serialised Conversions API event with hashed customer information and one order line, in bytes (sizes the request buffer).</summary>
    private const int ExpectedEventBytes = 768;

    private readonly MetaPlatformOptions _options;
    private readonly IConsentGate _consent;
    private readonly TimeProvider _time;
    private readonly BudgetChangeLimiter _budgets;
    private readonly Lock _usageLock = new();
    private MetaUsageSnapshot? _usage;
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set to Graph or an emulator).</param>
    /// <param name="tokens">The token provider (a <see cref="StaticAccessTokenProvider"/> over the system-user token).</param>
    /// <param name="options">The settings (validated here too).</param>
    /// <param name="consentGate">The consent gate checked before audience members are sent.</param>
    /// <param name="timeProvider">The clock (event age, budget-change window, throttling waits).</param>
    /// <param name="meterFactory">Creates the request metrics' meter (the host's; see <see cref="PlatformTelemetry"/>).</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MetaPlatformClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, MetaPlatformOptions options, IConsentGate consentGate, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<MetaPlatformClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        ArgumentNullException.ThrowIfNull(consentGate);
        var errors = options.GetValidationErrors().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Meta options: " + string.Join(" ", errors), nameof(options));
        }
        _options = options;
        _consent = consentGate;
        _time = timeProvider ?? TimeProvider.System;
        _budgets = new BudgetChangeLimiter(options.MaxBudgetChangesPerAdSetPerHour, _time);
    }

    /// <inheritdoc cref="IConversionSink.Platform" />
    public Channel Platform => Channel.Meta;

    /// <inheritdoc />
    public string Destination => _options.Destination;

    /// <inheritdoc />
    public HashingProfile Hashing => HashingProfile.Meta;

    /// <inheritdoc />
    public int MaxBatchSize => _options.ConversionBatchSize;

    /// <inheritdoc />
    /// <remarks>Meta's rules as the official Meta Business SDK applies them (see docs/platforms-meta.md for the deliberate differences).</remarks>
    public string Prepare(MatchField field, string value, string? country) => MetaNormalization.Instance.Prepare(field, value, country);

    /// <summary>The usage Meta reported in its latest answer's headers, if any.</summary>
    public MetaUsageSnapshot? Usage
    {
        get
        {
            lock (_usageLock)
            {
                return _usage;
            }
        }
    }

    /// <summary>Until when calls are held back because Meta throttled the caller (in the past when not throttled).</summary>
    public DateTimeOffset BlockedUntil
    {
        get
        {
            lock (_usageLock)
            {
                return _blockedUntil;
            }
        }
    }

    /// <summary><c>appsecret_proof</c>: HMAC-SHA256 of the access token keyed by the app secret, lower-case hex.</summary>
    /// <param name="accessToken">The access token.</param>
    /// <param name="appSecret">The app secret.</param>
    public static string ComputeAppSecretProof(string accessToken, string appSecret)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        ArgumentNullException.ThrowIfNull(appSecret);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(accessToken)));
    }

    /// <summary>Whether a value is a Graph object id (digits only).</summary>
    /// <param name="id">The id.</param>
    public static bool IsGraphId(string? id) => !string.IsNullOrEmpty(id) && id.Length <= 32 && id.All(char.IsAsciiDigit);

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var auth = new List<KeyValuePair<string, string>>(2) { new("access_token", token.Value) };
        if (!string.IsNullOrEmpty(_options.AppSecret))
        {
            auth.Add(new("appsecret_proof", ComputeAppSecretProof(token.Value, _options.AppSecret)));
        }
        if (request.Options.TryGetValue(JsonBodyKey, out var writeBody))
        {
            // A JSON body (the Conversions API's large event batches): written once, with the token inside, never in the URL.
            // Sized for the expected body, so a batch of 1 000 events is not copied through every doubling of a small buffer.
            var buffer = new ArrayBufferWriter<byte>(Math.Max(4 * 1024, request.Options.TryGetValue(JsonBodySizeKey, out var size) ? size : 64 * 1024));
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writeBody(writer);
                foreach (var (key, value) in auth)
                {
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            request.Content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }
        else if (request.Options.TryGetValue(FormKey, out var form))
        {
            // POST/DELETE: parameters as a form, so the token never appears in a URL.
            request.Content = new FormUrlEncodedContent([.. form, .. auth]);
        }
        else
        {
            var uri = request.RequestUri!.OriginalString;
            var query = string.Join('&', auth.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
            request.RequestUri = new Uri(uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query, UriKind.RelativeOrAbsolute);
        }
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var now = _time.GetUtcNow();
        var usage = MetaErrors.ReadUsage(response.Headers, now);
        var error = MetaErrors.Classify(response, usage, _options.AppUsageThrottleWait);
        lock (_usageLock)
        {
            if (usage is not null)
            {
                _usage = usage;
            }
            if (error is { ErrorClass: PlatformErrorClass.RateLimited, RetryAfter: { } wait } && now + wait > _blockedUntil)
            {
                _blockedUntil = now + wait;
            }
        }
        if (usage is not null && usage.MaxPercent >= 90)
        {
            LogHighUsage(Logger, usage.MaxPercent);
        }
        return error;
    }

    private async Task<T> SendAsync<T>(string operation, Func<HttpRequestMessage> build, JsonTypeInfo<T> type, CancellationToken cancellationToken, Func<T, bool>? isWellFormed = null)
        where T : class
    {
        var blockedUntil = BlockedUntil;
        var now = _time.GetUtcNow();
        if (blockedUntil > now)
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.RateLimited, null,
                $"Meta throttled this client; calls are held back until {blockedUntil:O}", retryAfter: blockedUntil - now);
        }
        var response = await SendAsync(operation, build, cancellationToken).ConfigureAwait(false);
        // A 2xx with an unreadable or wrong-shaped body is a malformed answer (transient: the request may have been
        // processed; conversions deduplicate on event id and the other calls are idempotent), never a success.
        return ReadAnswer(operation, response, r =>
        {
            var value = JsonSerializer.Deserialize(r.Body.Span, type);
            return value is not null && (isWellFormed?.Invoke(value) ?? true) ? value : throw Malformed(operation, r, "the answer lacks its required fields");
        });
    }

    private string Path(string objectId, string? edge = null) =>
        edge is null ? $"{_options.ApiVersion}/{objectId}" : $"{_options.ApiVersion}/{objectId}/{edge}";

    private static HttpRequestMessage JsonBody(string path, Action<Utf8JsonWriter> writeBody, int expectedBytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Options.Set(JsonBodyKey, writeBody);
        request.Options.Set(JsonBodySizeKey, expectedBytes);
        return request;
    }

    private static HttpRequestMessage Form(HttpMethod method, string path, List<KeyValuePair<string, string>> fields)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Options.Set(FormKey, fields);
        return request;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Meta reports {Percent}% of a rate-limit quota used")]
    private static partial void LogHighUsage(ILogger logger, double percent);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Refused a budget change of Meta ad set {AdSetId}: {Limit} changes in the last hour")]
    private static partial void LogBudgetLimit(ILogger logger, string adSetId, int limit);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Meta audience {Operation}: {Sent} sent, {Invalid} invalid, {Withheld} withheld by consent, {Requests} requests")]
    private static partial void LogAudienceSynced(ILogger logger, AudienceOperation operation, int sent, int invalid, int withheld, int requests);
}
