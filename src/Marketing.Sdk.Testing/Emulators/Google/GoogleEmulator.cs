using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback Google: an OAuth 2.0 token endpoint issuing short-lived access tokens, the Data Manager
/// API (<c>/v1/events:ingest</c>, <c>/v1/audienceMembers:ingest</c>, <c>/v1/audienceMembers:remove</c>)
/// and the Google Ads API (<c>/{version}/customers/{id}/googleAds:searchStream</c>,
/// <c>campaignBudgets:mutate</c>, <c>campaigns:mutate</c>, <c>adGroups:mutate</c>), answering with
/// google.rpc.Status errors (BadRequest field violations, ErrorInfo, RequestInfo, RetryInfo,
/// GoogleAdsFailure) as Google does. It validates bearer tokens, hashes (64 lower-case hex under
/// <c>encoding: HEX</c>), batch limits and event age; deduplicates conversions per destination on
/// <c>transactionId</c>; serves searchStream from seeded rows in several batches; and applies budget
/// and status mutates with per-operation partial failures for unknown resources. Point the client's
/// <c>BaseAddress</c> at <see cref="PlatformEmulator.BaseAddress"/> and its token endpoint at <see cref="TokenEndpoint"/>.
/// </summary>
public sealed partial class GoogleEmulator : PlatformEmulator
{
    /// <summary>Data Manager's limit of events per request.</summary>
    public const int MaxEvents = 2_000;

    /// <summary>Data Manager's limit of audience members per request.</summary>
    public const int MaxAudienceMembers = 10_000;

    /// <summary>Data Manager's limit of user identifiers per event or member.</summary>
    public const int MaxUserIdentifiers = 10;

    private const string DataManagerDomain = "datamanager.googleapis.com";

    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<GoogleIngestedEvent> _events = [];
    private readonly HashSet<string> _transactionKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _audiences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _currencies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _campaignStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _adGroupStatus = new(StringComparer.Ordinal);
    private readonly List<GoogleReportSeed> _report = [];
    private readonly ConcurrentQueue<string> _queries = new();
    private long _requestIds;
    private int _tokensIssued;
    private int _duplicates;
    private int _audienceWithoutConsent;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="timeProvider">The clock for token lifetimes and event age (default the system clock).</param>
    public GoogleEmulator(TimeProvider? timeProvider = null) : base("google") => _time = timeProvider ?? TimeProvider.System;

    /// <summary>The OAuth client id the token endpoint accepts.</summary>
    public string ClientId { get; init; } = "emulator-client-id";

    /// <summary>The OAuth client secret the token endpoint accepts.</summary>
    public string ClientSecret { get; init; } = "emulator-client-secret";

    /// <summary>The refresh token the token endpoint accepts.</summary>
    public string RefreshToken { get; init; } = "emulator-refresh-token";

    /// <summary>How long issued access tokens live (default one hour, as Google's).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows per searchStream batch (Google: up to 10 000; set lower to exercise several batches).</summary>
    public int StreamBatchSize { get; set; } = 10_000;

    /// <summary>When set, a searchStream ends with an INTERNAL error element after this many batches.</summary>
    public int? FailStreamAfterBatches { get; set; }

    /// <summary>The wait hint in throttling answers (default 2 s).</summary>
    public TimeSpan ThrottleRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The oldest event accepted (default 90 days).</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The OAuth token endpoint.</summary>
    public Uri TokenEndpoint => new(BaseAddress, "token");

    /// <summary>Access tokens issued so far.</summary>
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>Conversions accepted (one per destination and transaction id), in arrival order.</summary>
    public IReadOnlyList<GoogleIngestedEvent> AcceptedEvents
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Conversions suppressed because their destination already had their transaction id.</summary>
    public int DuplicateEvents => Volatile.Read(ref _duplicates);

    /// <summary>Audience members added without <c>consent.adUserData = CONSENT_GRANTED</c>.</summary>
    public int AudienceMembersWithoutConsent => Volatile.Read(ref _audienceWithoutConsent);

    /// <summary>The GAQL queries received, in order.</summary>
    public IReadOnlyList<string> Queries => [.. _queries];

    /// <summary>The <c>login-customer-id</c> header of the last Google Ads request, if any.</summary>
    public string? LastLoginCustomerId { get; private set; }

    /// <summary>The <c>developer-token</c> header of the last Google Ads request, if any.</summary>
    public string? LastDeveloperToken { get; private set; }

    /// <summary>The API version of the last Google Ads request (e.g. <c>v26</c>).</summary>
    public string? LastApiVersion { get; private set; }

    /// <summary>The identifiers (<c>email:…</c>, <c>phone:…</c>, <c>address:…</c>) now in a Customer Match list.</summary>
    /// <param name="userListId">The list id.</param>
    public IReadOnlySet<string> AudienceMembers(string userListId)
    {
        lock (_lock)
        {
            return _audiences.TryGetValue(userListId, out var set) ? set.ToHashSet(StringComparer.Ordinal) : new HashSet<string>();
        }
    }

    /// <summary>Makes the current access tokens invalid (revoked): the next call with one gets 401 UNAUTHENTICATED, and the client must obtain a new token.</summary>
    public override void ExpireTokenOnce()
    {
        foreach (var token in _tokens.Keys)
        {
            if (_tokens.TryRemove(token, out _))
            {
                _revoked[token] = 0;
            }
        }
    }

    /// <summary>Creates a Google Ads account with its currency (searchStream and mutates answer only for known accounts).</summary>
    /// <param name="customerId">The customer id (digits).</param>
    /// <param name="currencyCode">The account currency.</param>
    public void SeedAccount(string customerId, string currencyCode)
    {
        lock (_lock)
        {
            _currencies[customerId] = currencyCode;
        }
    }

    /// <summary>Creates a campaign budget.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="budgetId">The budget id.</param>
    /// <param name="amountMicros">The daily amount in micros.</param>
    public void SeedBudget(string customerId, string budgetId, long amountMicros)
    {
        lock (_lock)
        {
            _budgets[$"customers/{customerId}/campaignBudgets/{budgetId}"] = amountMicros;
        }
    }

    /// <summary>Creates a campaign.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="campaignId">The campaign id.</param>
    /// <param name="status"><c>ENABLED</c> or <c>PAUSED</c>.</param>
    public void SeedCampaign(string customerId, string campaignId, string status = "ENABLED")
    {
        lock (_lock)
        {
            _campaignStatus[$"customers/{customerId}/campaigns/{campaignId}"] = status;
        }
    }

    /// <summary>Creates an ad group.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="adGroupId">The ad group id.</param>
    /// <param name="status"><c>ENABLED</c> or <c>PAUSED</c>.</param>
    public void SeedAdGroup(string customerId, string adGroupId, string status = "ENABLED")
    {
        lock (_lock)
        {
            _adGroupStatus[$"customers/{customerId}/adGroups/{adGroupId}"] = status;
        }
    }

    /// <summary>Adds report rows searchStream serves.</summary>
    /// <param name="rows">The rows.</param>
    public void SeedReport(IEnumerable<GoogleReportSeed> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_lock)
        {
            _report.AddRange(rows);
        }
    }

    /// <summary>A campaign's status, or <see langword="null"/> when unknown.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="campaignId">The campaign id.</param>
    public string? CampaignStatus(string customerId, string campaignId)
    {
        lock (_lock)
        {
            return _campaignStatus.GetValueOrDefault($"customers/{customerId}/campaigns/{campaignId}");
        }
    }

    /// <summary>An ad group's status, or <see langword="null"/> when unknown.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="adGroupId">The ad group id.</param>
    public string? AdGroupStatus(string customerId, string adGroupId)
    {
        lock (_lock)
        {
            return _adGroupStatus.GetValueOrDefault($"customers/{customerId}/adGroups/{adGroupId}");
        }
    }

    /// <summary>A budget's amount in micros, or <see langword="null"/> when unknown.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="budgetId">The budget id.</param>
    public long? BudgetMicros(string customerId, string budgetId)
    {
        lock (_lock)
        {
            return _budgets.TryGetValue($"customers/{customerId}/campaignBudgets/{budgetId}", out var v) ? v : null;
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/token", IssueTokenAsync);
        routes.MapPost("/{**path}", DispatchAsync);
    }

    /// <inheritdoc />
    protected override bool IsFaultable(HttpContext context) => context.Request.Path != "/token";

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) =>
        WriteErrorAsync(context, 503, "UNAVAILABLE", "The service is currently unavailable.", RequestInfo(NextRequestId()));

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context)
    {
        var requestId = NextRequestId();
        var delay = Duration(ThrottleRetryDelay);
        if (IsDataManager(context))
        {
            return WriteErrorAsync(context, 429, "RESOURCE_EXHAUSTED", "Too many requests.",
                new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = delay },
                ErrorInfo("RESOURCE_EXHAUSTED"), RequestInfo(requestId));
        }
        return WriteErrorAsync(context, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
            AdsFailure(context, requestId, AdsError("quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED", "Too many requests. Retry in " + delay + ".", null,
                new JsonObject { ["quotaErrorDetails"] = new JsonObject { ["rateScope"] = "ACCOUNT", ["rateName"] = "Requests per service per method", ["retryDelay"] = delay } })));
    }

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => WriteUnauthenticatedAsync(context, "ACCESS_TOKEN_EXPIRED");

    private static Task WriteUnauthenticatedAsync(HttpContext context, string reason) =>
        WriteErrorAsync(context, 401, "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = reason, ["domain"] = "googleapis.com" });

    private async Task IssueTokenAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        if (form is null || form["grant_type"] != "refresh_token")
        {
            await WriteOAuthErrorAsync(context, 400, "unsupported_grant_type").ConfigureAwait(false);
            return;
        }
        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            await WriteOAuthErrorAsync(context, 401, "invalid_client").ConfigureAwait(false);
            return;
        }
        if (form["refresh_token"] != RefreshToken)
        {
            await WriteOAuthErrorAsync(context, 400, "invalid_grant").ConfigureAwait(false);
            return;
        }
        var token = "ya29.emulator-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = _time.GetUtcNow() + TokenLifetime;
        Interlocked.Increment(ref _tokensIssued);
        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["access_token"] = token,
            ["expires_in"] = (int)TokenLifetime.TotalSeconds,
            ["scope"] = "https://www.googleapis.com/auth/datamanager https://www.googleapis.com/auth/adwords",
            ["token_type"] = "Bearer",
        }).ConfigureAwait(false);
    }

    private static Task WriteOAuthErrorAsync(HttpContext context, int status, string error) =>
        WriteJsonAsync(context, status, new JsonObject { ["error"] = error, ["error_description"] = "Bad Request" });

    private async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!Authenticated(context, out var failure))
        {
            await WriteUnauthenticatedAsync(context, failure).ConfigureAwait(false);
            return;
        }
        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject
                ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.", RequestInfo(NextRequestId())).ConfigureAwait(false);
            return;
        }
        switch (path)
        {
            case "/v1/events:ingest":
                await IngestEventsAsync(context, body).ConfigureAwait(false);
                return;
            case "/v1/audienceMembers:ingest":
                await AudienceAsync(context, body, add: true).ConfigureAwait(false);
                return;
            case "/v1/audienceMembers:remove":
                await AudienceAsync(context, body, add: false).ConfigureAwait(false);
                return;
        }
        var ads = AdsPath().Match(path);
        if (!ads.Success)
        {
            await WriteErrorAsync(context, 404, "NOT_FOUND", "The requested URL was not found on this server.").ConfigureAwait(false);
            return;
        }
        var version = ads.Groups["version"].Value;
        var customer = ads.Groups["customer"].Value;
        LastApiVersion = version;
        LastDeveloperToken = context.Request.Headers["developer-token"].FirstOrDefault();
        var login = context.Request.Headers["login-customer-id"].FirstOrDefault();
        LastLoginCustomerId = login;
        var requestId = NextRequestId();
        context.Response.Headers["request-id"] = requestId;
        if (login is not null && !Digits().IsMatch(login))
        {
            await WriteErrorAsync(context, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
                AdsFailure(context, requestId, AdsError("headerError", "INVALID_LOGIN_CUSTOMER_ID", "The login customer ID could not be validated.", null))).ConfigureAwait(false);
            return;
        }
        bool known;
        lock (_lock)
        {
            known = _currencies.ContainsKey(customer);
        }
        if (!known)
        {
            await WriteErrorAsync(context, 403, "PERMISSION_DENIED", "The caller does not have permission",
                AdsFailure(context, requestId, AdsError("authorizationError", "USER_PERMISSION_DENIED", "User doesn't have permission to access customer.", null))).ConfigureAwait(false);
            return;
        }
        switch (ads.Groups["method"].Value)
        {
            case "googleAds:searchStream":
                await SearchStreamAsync(context, customer, body, requestId).ConfigureAwait(false);
                break;
            case "campaignBudgets:mutate":
                await MutateAsync(context, customer, body, requestId, "campaignBudgets").ConfigureAwait(false);
                break;
            case "campaigns:mutate":
                await MutateAsync(context, customer, body, requestId, "campaigns").ConfigureAwait(false);
                break;
            case "adGroups:mutate":
                await MutateAsync(context, customer, body, requestId, "adGroups").ConfigureAwait(false);
                break;
            default:
                await WriteErrorAsync(context, 404, "NOT_FOUND", "The requested URL was not found on this server.").ConfigureAwait(false);
                break;
        }
    }

    private bool Authenticated(HttpContext context, out string failure)
    {
        var header = context.Request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            failure = "CREDENTIALS_MISSING";
            return false;
        }
        var token = header["Bearer ".Length..].Trim();
        if (_tokens.TryGetValue(token, out var expires) && expires > _time.GetUtcNow())
        {
            failure = "";
            return true;
        }
        if (_revoked.ContainsKey(token))
        {
            CountFault(FaultKind.TokenExpired);
        }
        failure = "ACCESS_TOKEN_EXPIRED";
        return false;
    }

    private string NextRequestId() => "emu-" + Interlocked.Increment(ref _requestIds).ToString("D8", CultureInfo.InvariantCulture);

    private static bool IsDataManager(HttpContext context) => context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

    private static string Duration(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    private static JsonObject RequestInfo(string requestId) =>
        new() { ["@type"] = "type.googleapis.com/google.rpc.RequestInfo", ["requestId"] = requestId };

    private static JsonObject ErrorInfo(string reason) =>
        new() { ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = reason, ["domain"] = DataManagerDomain };

    private static JsonObject AdsFailure(HttpContext context, string requestId, params JsonObject[] errors)
    {
        var version = AdsPath().Match(context.Request.Path.Value ?? "") is { Success: true } m ? m.Groups["version"].Value : "v26";
        return new JsonObject
        {
            ["@type"] = $"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
            ["errors"] = new JsonArray([.. errors]),
            ["requestId"] = requestId,
        };
    }

    private static JsonObject AdsError(string category, string code, string message, int? operation, JsonObject? details = null, params string[] path)
    {
        var error = new JsonObject
        {
            ["errorCode"] = new JsonObject { [category] = code },
            ["message"] = message,
        };
        if (operation is { } index)
        {
            var elements = new JsonArray((JsonNode)new JsonObject { ["fieldName"] = "operations", ["index"] = index });
            foreach (var p in path)
            {
                elements.Add((JsonNode)new JsonObject { ["fieldName"] = p });
            }
            error["location"] = new JsonObject { ["fieldPathElements"] = elements };
        }
        if (details is not null)
        {
            error["details"] = details;
        }
        return error;
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string name, string message, params JsonObject[] details)
    {
        var error = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = name };
        if (details.Length > 0)
        {
            error["details"] = new JsonArray([.. details]);
        }
        return WriteJsonAsync(context, status, new JsonObject { ["error"] = error });
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        var bytes = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    [GeneratedRegex("^/(?<version>v[0-9]+)/customers/(?<customer>[0-9]+)/(?<method>[A-Za-z]+:[A-Za-z]+)$")]
    private static partial Regex AdsPath();

    [GeneratedRegex("^[0-9]{1,20}$")]
    private static partial Regex Digits();
}
