using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback Tencent Ads (腾讯广告) Marketing API v3.0 server for tests. Every answer is the envelope
/// <c>{code, message, message_cn, data}</c> (HTTP 200 with a business code for errors, the trace id in the message), and:
/// <list type="bullet">
/// <item>every API call must carry <c>access_token</c> (11002 unknown or killed by a rotation, 11000 expired), <c>timestamp</c>
/// within ±300 s (11003) and a <c>nonce</c> of 1–32 characters never seen before (11007);</item>
/// <item><c>GET /oauth/token</c> (<c>grant_type=refresh_token</c>) rotates the pair: the old access and refresh token die at once;
/// a dead refresh token answers 11012 and is counted (<see cref="DeadRefreshTokenUses"/>), as are calls with a killed access
/// token (<see cref="DeadAccessTokenUses"/>);</item>
/// <item><c>POST /v3.0/user_actions/add</c>: 1–50 actions, ≤ 50 KB of actions, each with <c>action_time</c>, <c>action_type</c>,
/// <c>outer_action_id</c>, a user id or <c>trace.click_id</c>, 32-hex <c>hash_phone</c>, WeChat ids with their app id and an
/// integer <c>action_param.value</c>; one bad action refuses the whole request (31002); de-duplicates on data source and
/// <c>outer_action_id</c>;</item>
/// <item><c>GET /v3.0/daily_reports/get</c>: seeded rows at campaign or ad group level with <c>page_info</c>;</item>
/// <item><c>POST /v3.0/adgroups/update_configured_status</c> and <c>update_daily_budget</c> (fen, ≥ 5 000): a per-ad-group
/// <c>list[{adgroup_id, code, message}]</c>;</item>
/// <item><c>POST /v3.0/custom_audience_files/add</c> (multipart; <c>HASH_PHONE</c> files of 32-hex lines, APPEND or REDUCE).</item>
/// </list>
/// Faults: 5xx (HTTP 500, code 10000), throttling (code 11017), token expiry (code 11000), and any code queued with
/// <see cref="FailNextWith"/>.
/// </summary>
public sealed class TencentAdsEmulator : PlatformEmulator
{
    /// <summary>The limit of the <c>actions</c> of one <c>user_actions/add</c> request (50 KB).</summary>
    public const int MaxActionBytes = 50 * 1024;

    private const string Prefix = "/v3.0/";
    private static readonly HashSet<string> ActionTypes = new(StringComparer.Ordinal)
    {
        "REGISTER", "VIEW_CONTENT", "ADD_TO_CART", "PURCHASE", "COMPLETE_ORDER", "CHECKOUT", "SEARCH", "ACTIVATE_APP", "RESERVATION", "CUSTOM",
    };

    private readonly TencentAdsEmulatorOptions _options;
    private readonly Lock _gate = new();
    private readonly RotatingTokenPairState _tokens;
    private readonly ConcurrentDictionary<string, byte> _nonces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TencentAdsReceivedAction> _actions = new(StringComparer.Ordinal);
    private readonly List<TencentAdsReceivedAction> _actionLog = [];
    private readonly HashSet<string> _failOn = new(StringComparer.Ordinal);
    private readonly Queue<int> _failNext = new();
    private readonly List<TencentAdsReportSeedRow> _reportRows = [];
    private readonly Dictionary<string, TencentAdsEmulatedAdGroup> _adGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _audiences = new(StringComparer.Ordinal);
    private readonly List<int> _requestActionCounts = [];
    private readonly List<int> _requestActionBytes = [];
    private int _duplicates, _rejectedRequests, _reportPages;
    private long _sequence;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public TencentAdsEmulator(TencentAdsEmulatorOptions? options = null) : base("tencent_ads")
    {
        _options = options ?? new TencentAdsEmulatorOptions();
        _tokens = new RotatingTokenPairState("tencent", _options.AccessToken, _options.RefreshToken, _options.AccessTokenLifetime, _options.TimeProvider);
    }

    /// <summary>The options (first pair, app id and secret).</summary>
    public TencentAdsEmulatorOptions Options => _options;

    /// <summary>The current (newest) access token.</summary>
    public string CurrentAccessToken => _tokens.CurrentAccessToken;

    /// <summary>The current refresh token.</summary>
    public string CurrentRefreshToken => _tokens.CurrentRefreshToken;

    /// <summary>Refreshes (rotations) carried out.</summary>
    public int Refreshes => _tokens.Refreshes;

    /// <summary>Refreshes attempted with a refresh token that a rotation had already killed.</summary>
    public int DeadRefreshTokenUses => _tokens.DeadRefreshTokenUses;

    /// <summary>API calls made with an access token that a rotation had already killed.</summary>
    public int DeadAccessTokenUses => _tokens.DeadAccessTokenUses;

    /// <summary>Actions that arrived again with an <c>outer_action_id</c> already accepted.</summary>
    public int DuplicateActions => Volatile.Read(ref _duplicates);

    /// <summary><c>user_actions/add</c> requests refused as a whole.</summary>
    public int RejectedRequests => Volatile.Read(ref _rejectedRequests);

    /// <summary>Report pages served.</summary>
    public int ReportPagesServed => Volatile.Read(ref _reportPages);

    /// <summary>The actions accepted, in order (duplicates excluded).</summary>
    public IReadOnlyList<TencentAdsReceivedAction> AcceptedActions { get { lock (_gate) { return [.. _actionLog]; } } }

    /// <summary>The number of actions of each accepted <c>user_actions/add</c> request.</summary>
    public IReadOnlyList<int> RequestActionCounts { get { lock (_gate) { return [.. _requestActionCounts]; } } }

    /// <summary>The byte size of the <c>actions</c> array of each accepted <c>user_actions/add</c> request.</summary>
    public IReadOnlyList<int> RequestActionBytes { get { lock (_gate) { return [.. _requestActionBytes]; } } }

    /// <summary>Calls refused because their access token had expired (code 11000).</summary>
    public int ExpiredTokenRefusals => _tokens.ExpiredTokenRefusals;

    /// <summary>Completes once <paramref name="count"/> calls have been refused for an expired access token.</summary>
    /// <param name="count">The number of refusals to wait for.</param>
    public Task WhenExpiredTokenRefusals(int count) => _tokens.WhenExpiredTokenRefusals(count);

    /// <summary>Completes when the first <c>oauth/token</c> request arrives.</summary>
    public Task RefreshArrived => _tokens.RefreshArrived;

    /// <summary>Holds every <c>oauth/token</c> request until the returned callback is called (to stage a refresh race).</summary>
    public Action HoldRefreshes() => _tokens.HoldRefreshes();

    /// <summary>Expires every access token issued so far (the next call answers 11000).</summary>
    public void ExpireAccessTokens() => _tokens.ExpireAccessTokens();

    /// <summary>Makes any <c>user_actions/add</c> request containing this <c>outer_action_id</c> fail as a whole with 31002.</summary>
    /// <param name="outerActionId">The id.</param>
    public void FailRequestOnActionId(string outerActionId)
    {
        lock (_gate)
        {
            _failOn.Add(outerActionId);
        }
    }

    /// <summary>Answers the next API call (not <c>oauth/token</c>) with this business code, once per call.</summary>
    /// <param name="code">The code (e.g. 10000, 30001, 11017, 11000, 11012, 31002).</param>
    public void FailNextWith(int code)
    {
        lock (_gate)
        {
            _failNext.Enqueue(code);
        }
    }

    /// <summary>Adds report rows.</summary>
    /// <param name="rows">The rows.</param>
    public void SeedReportRows(IEnumerable<TencentAdsReportSeedRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            _reportRows.AddRange(rows);
        }
    }

    /// <summary>Adds an ad group.</summary>
    /// <param name="accountId">The account.</param>
    /// <param name="adGroupId">The id.</param>
    /// <param name="dailyBudgetFen">The daily budget in fen.</param>
    public void AddAdGroup(string accountId, string adGroupId, long dailyBudgetFen = 10_000)
    {
        lock (_gate)
        {
            _adGroups[adGroupId] = new TencentAdsEmulatedAdGroup(accountId, adGroupId, "AD_STATUS_NORMAL", dailyBudgetFen);
        }
    }

    /// <summary>An ad group, or <see langword="null"/>.</summary>
    /// <param name="adGroupId">The id.</param>
    public TencentAdsEmulatedAdGroup? GetAdGroup(string adGroupId)
    {
        lock (_gate)
        {
            return _adGroups.GetValueOrDefault(adGroupId);
        }
    }

    /// <summary>Adds an empty customer audience.</summary>
    /// <param name="audienceId">The id.</param>
    public void AddAudience(string audienceId)
    {
        lock (_gate)
        {
            _audiences[audienceId] = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>The members (hashes) of an audience, or <see langword="null"/>.</summary>
    /// <param name="audienceId">The id.</param>
    public IReadOnlySet<string>? GetAudience(string audienceId)
    {
        lock (_gate)
        {
            return _audiences.TryGetValue(audienceId, out var m) ? m.ToHashSet(StringComparer.Ordinal) : null;
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/oauth/token", (RequestDelegate)TokenAsync);
        routes.MapPost(Prefix + "user_actions/add", (RequestDelegate)(ctx => Api(ctx, UserActionsAsync)));
        routes.MapGet(Prefix + "daily_reports/get", (RequestDelegate)(ctx => Api(ctx, ReportAsync)));
        routes.MapPost(Prefix + "adgroups/update_configured_status", (RequestDelegate)(ctx => Api(ctx, c => UpdateAsync(c, budget: false))));
        routes.MapPost(Prefix + "adgroups/update_daily_budget", (RequestDelegate)(ctx => Api(ctx, c => UpdateAsync(c, budget: true))));
        routes.MapPost(Prefix + "custom_audience_files/add", (RequestDelegate)(ctx => Api(ctx, AudienceFileAsync)));
    }

    /// <inheritdoc />
    protected override bool IsFaultable(HttpContext context) => !context.Request.Path.StartsWithSegments("/oauth", StringComparison.Ordinal);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) =>
        WriteAsync(context, 10000, "system busy, please retry later", null, StatusCodes.Status500InternalServerError);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) =>
        WriteAsync(context, 11017, "request frequency exceeds the per-minute limit", null);

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) =>
        WriteAsync(context, 11000, "access_token expired", null);

    // ---- OAuth ---------------------------------------------------------------------------------

    private async Task TokenAsync(HttpContext context)
    {
        await _tokens.RefreshTurnAsync(context.RequestAborted).ConfigureAwait(false);
        var q = context.Request.Query;
        if (q["client_id"] != _options.ClientId || q["client_secret"] != _options.ClientSecret)
        {
            await WriteAsync(context, 11001, "invalid client_id or client_secret", null).ConfigureAwait(false);
            return;
        }
        if (q["grant_type"] != "refresh_token")
        {
            await WriteAsync(context, 11001, "grant_type must be refresh_token here", null).ConfigureAwait(false);
            return;
        }
        if (_tokens.Rotate(q["refresh_token"].ToString()) is not var (access, refresh))
        {
            await WriteAsync(context, 11012, "refresh_token expired or invalid, please authorize again", null).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "", new JsonObject
        {
            ["access_token"] = access,
            ["refresh_token"] = refresh,
            ["access_token_expires_in"] = (long)_options.AccessTokenLifetime.TotalSeconds,
            ["refresh_token_expires_in"] = (long)_options.RefreshTokenLifetime.TotalSeconds,
        }).ConfigureAwait(false);
    }

    // ---- Common checks ---------------------------------------------------------------------------

    private async Task Api(HttpContext context, Func<HttpContext, Task> handler)
    {
        var q = context.Request.Query;
        var token = q["access_token"].ToString();
        var (code, message) = _tokens.Check(token) switch
        {
            AccessTokenCheck.Valid => ((int?)null, (string?)null),
            AccessTokenCheck.Expired => (11000, "access_token expired"),
            _ => (11002, "access_token invalid"),
        };
        if (code is null)
        {
            var now = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            if (!long.TryParse(q["timestamp"], NumberStyles.None, CultureInfo.InvariantCulture, out var ts) || Math.Abs(ts - now) > _options.TimestampTolerance.TotalSeconds)
            {
                (code, message) = (11003, "timestamp is missing or out of the allowed range");
            }
            else if (q["nonce"].ToString() is not { Length: > 0 and <= 32 } nonce || !_nonces.TryAdd(nonce, 0))
            {
                (code, message) = (11007, "nonce is missing, longer than 32 characters or was used before");
            }
        }
        if (code is null)
        {
            lock (_gate)
            {
                if (_failNext.Count > 0)
                {
                    code = _failNext.Dequeue();
                    message = $"injected error {code}";
                }
            }
        }
        if (code is not null)
        {
            await WriteAsync(context, code.Value, message!, null).ConfigureAwait(false);
            return;
        }
        await handler(context).ConfigureAwait(false);
    }

    private async Task<bool> AccountAllowedAsync(HttpContext context, string account)
    {
        if (_options.AccountIds.Count == 0 || _options.AccountIds.Contains(account))
        {
            return true;
        }
        await WriteAsync(context, 11014, "the token has no permission for account " + account, null).ConfigureAwait(false);
        return false;
    }

    // ---- user_actions/add ----------------------------------------------------------------------

    private async Task UserActionsAsync(HttpContext context)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } root || Integer(root, "account_id") is not { } account || Integer(root, "user_action_set_id") is not { } set)
        {
            await InvalidAsync(context, "account_id and user_action_set_id are required integers").ConfigureAwait(false);
            return;
        }
        if (!await AccountAllowedAsync(context, account).ConfigureAwait(false))
        {
            return;
        }
        if (!root.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() is < 1 or > 50)
        {
            Interlocked.Increment(ref _rejectedRequests);
            await InvalidAsync(context, "actions must hold 1 to 50 actions").ConfigureAwait(false);
            return;
        }
        var bytes = Encoding.UTF8.GetByteCount(actions.GetRawText());
        if (bytes > MaxActionBytes)
        {
            Interlocked.Increment(ref _rejectedRequests);
            await InvalidAsync(context, "actions exceed 50KB").ConfigureAwait(false);
            return;
        }
        var parsed = new List<TencentAdsReceivedAction>();
        var index = 0;
        foreach (var a in actions.EnumerateArray())
        {
            var (action, error) = ParseAction(a, set, $"actions[{index++}]");
            if (error is not null)
            {
                Interlocked.Increment(ref _rejectedRequests);
                await InvalidAsync(context, error).ConfigureAwait(false);
                return;
            }
            parsed.Add(action!);
        }
        string? refused = null;
        lock (_gate)
        {
            var bad = parsed.FindIndex(p => _failOn.Contains(p.OuterActionId));
            if (bad >= 0)
            {
                refused = $"actions[{bad}]: the action was refused";
            }
            else
            {
                _requestActionCounts.Add(parsed.Count);
                _requestActionBytes.Add(bytes);
                foreach (var p in parsed)
                {
                    if (_actions.TryAdd(set + "\n" + p.OuterActionId, p))
                    {
                        _actionLog.Add(p);
                    }
                    else
                    {
                        _duplicates++;
                    }
                }
            }
        }
        if (refused is not null)
        {
            Interlocked.Increment(ref _rejectedRequests);
            await InvalidAsync(context, refused).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "", new JsonObject()).ConfigureAwait(false);
    }

    private static (TencentAdsReceivedAction? Action, string? Error) ParseAction(JsonElement a, string set, string at)
    {
        if (a.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{at}: an action must be an object");
        }
        if (!a.TryGetProperty("action_time", out var t) || t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var seconds) || seconds is < 0 or > 2147483647)
        {
            return (null, $"{at}.action_time must be a Unix time in seconds");
        }
        var type = String(a, "action_type");
        if (type is null || !ActionTypes.Contains(type))
        {
            return (null, $"{at}.action_type is not a known action type");
        }
        if (type == "CUSTOM" && String(a, "custom_action") is null)
        {
            return (null, $"{at}.custom_action is required for CUSTOM");
        }
        var outer = String(a, "outer_action_id");
        if (string.IsNullOrEmpty(outer) || outer.Length > 255)
        {
            return (null, $"{at}.outer_action_id must be 1 to 255 characters");
        }
        string? phone = null, openId = null, unionId = null, appId = null, clickId = null;
        if (a.TryGetProperty("user_id", out var user))
        {
            if (user.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}.user_id must be an object");
            }
            phone = String(user, "hash_phone");
            if (phone is not null && !IsLowerHex(phone, 32))
            {
                return (null, $"{at}.user_id.hash_phone must be an MD5 in 32 lower-case hex characters");
            }
            foreach (var field in new[] { "sha256_phone", "md5_sha256_imei", "md5_sha256_idfa", "md5_sha256_oaid" })
            {
                if (String(user, field) is { } v && !IsLowerHex(v, 64))
                {
                    return (null, $"{at}.user_id.{field} must be 64 lower-case hex characters");
                }
            }
            openId = String(user, "wechat_openid");
            unionId = String(user, "wechat_unionid");
            appId = String(user, "wechat_app_id");
            if ((openId is not null || unionId is not null) && string.IsNullOrEmpty(appId))
            {
                return (null, $"{at}.user_id.wechat_app_id is required with a WeChat openid or unionid");
            }
        }
        if (a.TryGetProperty("trace", out var trace))
        {
            clickId = String(trace, "click_id");
        }
        if (phone is null && openId is null && unionId is null && clickId is null)
        {
            return (null, $"{at}: user_id or trace.click_id is required");
        }
        long? value = null;
        if (a.TryGetProperty("action_param", out var param) && param.ValueKind == JsonValueKind.Object && param.TryGetProperty("value", out var v2))
        {
            if (v2.ValueKind != JsonValueKind.Number || !v2.TryGetInt64(out var fen) || fen < 0)
            {
                return (null, $"{at}.action_param.value must be a non-negative integer (fen)");
            }
            value = fen;
        }
        return (new TencentAdsReceivedAction(set, outer, type, DateTimeOffset.FromUnixTimeSeconds(seconds), phone, openId, unionId, appId, clickId, value), null);
    }

    // ---- daily_reports/get ---------------------------------------------------------------------

    private async Task ReportAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var account = q["account_id"].ToString();
        if (account.Length == 0 || !account.All(char.IsAsciiDigit))
        {
            await InvalidAsync(context, "account_id is required").ConfigureAwait(false);
            return;
        }
        if (!await AccountAllowedAsync(context, account).ConfigureAwait(false))
        {
            return;
        }
        var level = q["level"].ToString();
        if (level is not ("REPORT_LEVEL_CAMPAIGN" or "REPORT_LEVEL_ADGROUP"))
        {
            await InvalidAsync(context, "level must be REPORT_LEVEL_CAMPAIGN or REPORT_LEVEL_ADGROUP").ConfigureAwait(false);
            return;
        }
        DateOnly from, to;
        try
        {
            using var range = JsonDocument.Parse(q["date_range"].ToString());
            if (!DateOnly.TryParseExact(String(range.RootElement, "start_date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out from)
                || !DateOnly.TryParseExact(String(range.RootElement, "end_date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out to) || to < from)
            {
                await InvalidAsync(context, "date_range needs start_date ≤ end_date as yyyy-MM-dd").ConfigureAwait(false);
                return;
            }
        }
        catch (JsonException)
        {
            await InvalidAsync(context, "date_range must be a JSON object").ConfigureAwait(false);
            return;
        }
        if (!int.TryParse(q["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) || page < 1
            || !int.TryParse(q["page_size"], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > 1000)
        {
            await InvalidAsync(context, "page must be ≥ 1 and page_size 1 to 1000").ConfigureAwait(false);
            return;
        }
        var campaign = level == "REPORT_LEVEL_CAMPAIGN";
        List<JsonObject> rows;
        lock (_gate)
        {
            var selected = _reportRows.Where(r => r.AccountId == account && r.Date >= from && r.Date <= to);
            rows = campaign
                ? [.. selected.GroupBy(r => (r.Date, r.CampaignId)).OrderBy(g => g.Key.Date).ThenBy(g => g.Key.CampaignId, StringComparer.Ordinal)
                    .Select(g => Row(g.Key.Date, g.Key.CampaignId, null, g.First().CampaignName, g.Sum(r => r.CostFen), g.Sum(r => r.Views), g.Sum(r => r.Clicks), g.Sum(r => r.Conversions), g.Sum(r => r.OrderAmountFen)))]
                : [.. selected.OrderBy(r => r.Date).ThenBy(r => r.AdGroupId, StringComparer.Ordinal)
                    .Select(r => Row(r.Date, r.CampaignId, r.AdGroupId, null, r.CostFen, r.Views, r.Clicks, r.Conversions, r.OrderAmountFen))];
        }
        Interlocked.Increment(ref _reportPages);
        var total = rows.Count;
        var totalPages = (total + size - 1) / size;
        var list = new JsonArray([.. rows.Skip((page - 1) * size).Take(size)]);
        await WriteAsync(context, 0, "", new JsonObject
        {
            ["list"] = list,
            ["page_info"] = new JsonObject { ["page"] = page, ["page_size"] = size, ["total_number"] = total, ["total_page"] = totalPages },
        }).ConfigureAwait(false);
    }

    private static JsonObject Row(DateOnly date, string campaignId, string? adGroupId, string? campaignName, long cost, long views, long clicks, long conversions, long orders)
    {
        var row = new JsonObject
        {
            ["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["campaign_id"] = long.Parse(campaignId, CultureInfo.InvariantCulture),
            ["cost"] = cost,
            ["view_count"] = views,
            ["valid_click_count"] = clicks,
            ["conversions_count"] = conversions,
            ["order_amount"] = orders,
        };
        if (adGroupId is not null)
        {
            row["adgroup_id"] = long.Parse(adGroupId, CultureInfo.InvariantCulture);
        }
        if (campaignName is not null)
        {
            row["campaign_name"] = campaignName;
        }
        return row;
    }

    // ---- ad groups -----------------------------------------------------------------------------

    private async Task UpdateAsync(HttpContext context, bool budget)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var specName = budget ? "update_daily_budget_spec" : "update_configured_status_spec";
        if (doc?.RootElement is not { } root || Integer(root, "account_id") is not { } account
            || !root.TryGetProperty(specName, out var specs) || specs.ValueKind != JsonValueKind.Array || specs.GetArrayLength() is < 1 or > 20)
        {
            await InvalidAsync(context, $"account_id and 1 to 20 {specName} entries are required").ConfigureAwait(false);
            return;
        }
        if (!await AccountAllowedAsync(context, account).ConfigureAwait(false))
        {
            return;
        }
        var list = new JsonArray();
        lock (_gate)
        {
            foreach (var spec in specs.EnumerateArray())
            {
                var id = Integer(spec, "adgroup_id");
                var item = new JsonObject { ["adgroup_id"] = id is null ? null : long.Parse(id, CultureInfo.InvariantCulture) };
                if (id is null || !_adGroups.TryGetValue(id, out var group) || group.AccountId != account)
                {
                    item["code"] = 31003;
                    item["message"] = "adgroup does not exist";
                }
                else if (budget)
                {
                    if (!spec.TryGetProperty("daily_budget", out var b) || b.ValueKind != JsonValueKind.Number || !b.TryGetInt64(out var fen) || fen < 5_000)
                    {
                        item["code"] = 31004;
                        item["message"] = "daily_budget must be an integer of at least 5000 (fen)";
                    }
                    else
                    {
                        _adGroups[id] = group with { DailyBudgetFen = fen };
                        item["code"] = 0;
                    }
                }
                else
                {
                    var status = String(spec, "configured_status");
                    if (status is not ("AD_STATUS_NORMAL" or "AD_STATUS_SUSPEND"))
                    {
                        item["code"] = 31005;
                        item["message"] = "configured_status must be AD_STATUS_NORMAL or AD_STATUS_SUSPEND";
                    }
                    else
                    {
                        _adGroups[id] = group with { ConfiguredStatus = status };
                        item["code"] = 0;
                    }
                }
                list.Add((JsonNode)item);
            }
        }
        await WriteAsync(context, 0, "", new JsonObject { ["list"] = list }).ConfigureAwait(false);
    }

    // ---- custom_audience_files/add -------------------------------------------------------------

    private async Task AudienceFileAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await InvalidAsync(context, "multipart/form-data is required").ConfigureAwait(false);
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var account = form["account_id"].ToString();
        var audience = form["audience_id"].ToString();
        if (!await AccountAllowedAsync(context, account).ConfigureAwait(false))
        {
            return;
        }
        if (form["user_id_type"] != "HASH_PHONE")
        {
            await InvalidAsync(context, "the emulator takes user_id_type HASH_PHONE").ConfigureAwait(false);
            return;
        }
        var operation = form["operation_type"].ToString();
        if (operation is not ("APPEND" or "REDUCE"))
        {
            await InvalidAsync(context, "operation_type must be APPEND or REDUCE").ConfigureAwait(false);
            return;
        }
        if (form.Files.GetFile("file") is not { } file)
        {
            await InvalidAsync(context, "file is required").ConfigureAwait(false);
            return;
        }
        string text;
        using (var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines.Any(l => !IsLowerHex(l, 32)))
        {
            await InvalidAsync(context, "every line of a HASH_PHONE file is an MD5 in 32 lower-case hex characters").ConfigureAwait(false);
            return;
        }
        long id;
        lock (_gate)
        {
            if (!_audiences.TryGetValue(audience, out var members))
            {
                id = 0;
            }
            else
            {
                if (operation == "APPEND")
                {
                    members.UnionWith(lines);
                }
                else
                {
                    members.ExceptWith(lines);
                }
                id = 900_000 + Interlocked.Increment(ref _sequence);
            }
        }
        if (id == 0)
        {
            await InvalidAsync(context, "audience_id does not exist").ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "", new JsonObject { ["custom_audience_file_id"] = id }).ConfigureAwait(false);
    }

    // ---- Helpers -------------------------------------------------------------------------------

    private static async Task<JsonDocument?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            var doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }
            doc.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Integer(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0
            ? n.ToString(CultureInfo.InvariantCulture)
            : null;

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool IsLowerHex(string value, int length) =>
        value.Length == length && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private Task InvalidAsync(HttpContext context, string message) => WriteAsync(context, 31002, message, null);

    private async Task WriteAsync(HttpContext context, int code, string message, JsonNode? data, int status = StatusCodes.Status200OK)
    {
        var trace = Interlocked.Increment(ref _sequence).ToString("x16", CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["code"] = code,
            ["message"] = code == 0 ? "" : $"{message}, trace_id: {trace}",
            ["message_cn"] = code == 0 ? "" : message,
            ["data"] = data ?? new JsonObject(),
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
