using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback Ocean Engine (巨量引擎) server for tests. Every answer is the envelope <c>{code, message, request_id, data}</c>
/// (HTTP 200 with a business code for errors), and:
/// <list type="bullet">
/// <item>Marketing API calls must carry the <c>Access-Token</c> header (40105 unknown or killed by a rotation, 40102 expired,
/// 40104 missing); an <c>advertiser_id</c> outside <see cref="OceanEngineEmulatorOptions.AdvertiserIds"/> answers 40001;</item>
/// <item><c>POST /open_api/oauth2/refresh_token/</c> rotates the pair: the old access and refresh token die at once; a dead
/// refresh token answers 40103 and is counted (<see cref="DeadRefreshTokenUses"/>), as are calls with a killed access token
/// (<see cref="DeadAccessTokenUses"/>);</item>
/// <item><c>POST /api/v2/conversion</c> (no token): one event with a known <c>event_type</c>, a <c>context.ad.callback</c> the
/// emulator issued (<see cref="IssueCallback"/>, or registered with <see cref="RegisterIssuedCallbacks"/>; unknown callbacks
/// answer 40001), a millisecond <c>timestamp</c>, an
/// <c>event_weight</c> of whole fen and an integer <c>properties.pay_amount</c>; every accepted call is recorded
/// (<see cref="AcceptedConversions"/>); the same callback, type and timestamp again is counted in
/// <see cref="DuplicateConversions"/> (the API has no de-duplication key, so it is recorded twice);</item>
/// <item><c>GET /open_api/v3.0/report/custom/get/</c> and <c>GET /open_api/v1.0/qianchuan/report/ad/get/</c>: seeded rows with
/// <c>page_info</c>;</item>
/// <item><c>POST /open_api/v3.0/{project|promotion}/{status|budget}/update/</c> and
/// <c>/open_api/v1.0/qianchuan/ad/{status|budget}/update/</c>: per-item <c>data.errors[{…_id, error_message}]</c> for unknown
/// ids, budgets below the minimum or not whole fen, and ids queued with <see cref="FailItem"/>;</item>
/// <item>DMP: <c>/open_api/2/dmp/data_source/file/upload/</c> (multipart; <c>file_signature</c> must be the file's MD5; the
/// zip must hold base64 protobuf <c>DmpData</c> lines of lower-case ids), <c>data_source/create/</c>, <c>data_source/update/</c>
/// (1 append, 2 delete, 3 reset), <c>custom_audience/publish/</c> and <c>custom_audience/push_v2/</c>.</item>
/// </list>
/// Faults: 5xx (HTTP 500, code 50000), throttling (code 40100), token expiry (code 40102), and any code queued with
/// <see cref="FailNextWith"/>.
/// </summary>
public sealed class OceanEngineEmulator : PlatformEmulator
{
    private static readonly HashSet<string> EventTypes = new(StringComparer.Ordinal)
    {
        "active", "active_register", "active_pay", "form", "phone", "in_app_order", "in_app_cart", "in_app_pay", "in_app_detail_uv",
        "in_app_uv", "add_to_cart", "shopping", "page_view", "customer_effective", "consult_effective", "coupon", "other",
    };

    private readonly OceanEngineEmulatorOptions _options;
    private readonly Lock _gate = new();
    private readonly RotatingTokenPairState _tokens;
    private readonly HashSet<string> _callbacks = new(StringComparer.Ordinal);
    private readonly List<OceanEngineReceivedConversion> _conversions = [];
    private readonly HashSet<(string, string, long)> _conversionKeys = [];
    private readonly Queue<long> _failNext = new();
    private readonly HashSet<string> _failItems = new(StringComparer.Ordinal);
    private readonly List<OceanEngineReportSeedRow> _reportRows = [];
    private readonly Dictionary<(OceanEngineObjectKind, string), OceanEngineEmulatedObject> _objects = [];
    private readonly Dictionary<string, HashSet<string>> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DataSource> _dataSources = new(StringComparer.Ordinal);
    private int _duplicates, _reportPages, _rejectedConversions, _badSignatures;
    private long _sequence;

    private sealed class DataSource(string id, string advertiser, string audience)
    {
        public string Id { get; } = id;
        public string Advertiser { get; } = advertiser;
        public string Audience { get; } = audience;
        public HashSet<string> Members { get; } = new(StringComparer.Ordinal);
        public bool Published { get; set; }
        public HashSet<string> PushedTo { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public OceanEngineEmulator(OceanEngineEmulatorOptions? options = null) : base("ocean_engine")
    {
        _options = options ?? new OceanEngineEmulatorOptions();
        _tokens = new RotatingTokenPairState("ocean", _options.AccessToken, _options.RefreshToken, _options.AccessTokenLifetime, _options.TimeProvider);
    }

    /// <summary>The options (first pair, app id and secret).</summary>
    public OceanEngineEmulatorOptions Options => _options;

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

    /// <summary>Calls refused because their access token had expired (code 40102).</summary>
    public int ExpiredTokenRefusals => _tokens.ExpiredTokenRefusals;

    /// <summary>Accepted conversions that repeated an earlier one's callback, event type and timestamp.</summary>
    public int DuplicateConversions => Volatile.Read(ref _duplicates);

    /// <summary>Conversion calls refused (unknown callback, bad fields).</summary>
    public int RejectedConversions => Volatile.Read(ref _rejectedConversions);

    /// <summary>Uploads refused because <c>file_signature</c> was not the file's MD5.</summary>
    public int BadSignatures => Volatile.Read(ref _badSignatures);

    /// <summary>Report pages served.</summary>
    public int ReportPagesServed => Volatile.Read(ref _reportPages);

    /// <summary>The conversions accepted, in order (every accepted call).</summary>
    public IReadOnlyList<OceanEngineReceivedConversion> AcceptedConversions { get { lock (_gate) { return [.. _conversions]; } } }

    /// <summary>Completes once <paramref name="count"/> calls have been refused for an expired access token.</summary>
    /// <param name="count">The number of refusals to wait for.</param>
    public Task WhenExpiredTokenRefusals(int count) => _tokens.WhenExpiredTokenRefusals(count);

    /// <summary>Completes when the first refresh request arrives.</summary>
    public Task RefreshArrived => _tokens.RefreshArrived;

    /// <summary>Issues a new click callback (what the landing URL's <c>clickid</c> would carry) that conversions may name.</summary>
    public string IssueCallback()
    {
        var callback = "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIwbg" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _callbacks.Add(callback);
        }
        return callback;
    }

    /// <summary>
    /// Registers callbacks issued elsewhere as if this emulator had issued them, so conversions naming them are accepted:
    /// the real platform knows every callback it put into a landing URL, and a test whose landing URLs come from another
    /// source (e.g. <see cref="SyntheticShop"/>'s Douyin clicks, <c>clickid=…</c>) tells the emulator about them here.
    /// Blank values are ignored; registering a callback twice is harmless.
    /// </summary>
    /// <param name="callbacks">The callbacks (the <c>clickid</c> or <c>callback</c> values of the landing URLs).</param>
    /// <returns>How many callbacks were new.</returns>
    public int RegisterIssuedCallbacks(IEnumerable<string> callbacks)
    {
        ArgumentNullException.ThrowIfNull(callbacks);
        var added = 0;
        lock (_gate)
        {
            foreach (var callback in callbacks)
            {
                if (!string.IsNullOrWhiteSpace(callback) && _callbacks.Add(callback))
                {
                    added++;
                }
            }
        }
        return added;
    }

    /// <summary>Holds every refresh request until the returned callback is called (to stage a refresh race).</summary>
    public Action HoldRefreshes() => _tokens.HoldRefreshes();

    /// <summary>Expires every access token issued so far (the next call answers 40102).</summary>
    public void ExpireAccessTokens() => _tokens.ExpireAccessTokens();

    /// <summary>Answers the next call (not the refresh) with this business code, once per call.</summary>
    /// <param name="code">The code (e.g. 50000, 40100, 40102, 40105, 40103, 40002).</param>
    public void FailNextWith(long code)
    {
        lock (_gate)
        {
            _failNext.Enqueue(code);
        }
    }

    /// <summary>Makes every status or budget change of this object id fail as an item of <c>data.errors</c>.</summary>
    /// <param name="id">The project, promotion or ad plan id.</param>
    public void FailItem(string id)
    {
        lock (_gate)
        {
            _failItems.Add(id);
        }
    }

    /// <summary>Adds report rows.</summary>
    /// <param name="rows">The rows.</param>
    public void SeedReportRows(IEnumerable<OceanEngineReportSeedRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            _reportRows.AddRange(rows);
        }
    }

    /// <summary>Adds a project, promotion or Qianchuan ad plan (enabled).</summary>
    /// <param name="kind">What it is.</param>
    /// <param name="advertiserId">The advertiser.</param>
    /// <param name="id">The id.</param>
    /// <param name="budget">The daily budget in yuan.</param>
    public void AddObject(OceanEngineObjectKind kind, string advertiserId, string id, decimal budget = 500m)
    {
        lock (_gate)
        {
            _objects[(kind, id)] = new OceanEngineEmulatedObject(kind, advertiserId, id, "ENABLE", budget, "BUDGET_MODE_DAY");
        }
    }

    /// <summary>An object, or <see langword="null"/>.</summary>
    /// <param name="kind">What it is.</param>
    /// <param name="id">The id.</param>
    public OceanEngineEmulatedObject? GetObject(OceanEngineObjectKind kind, string id)
    {
        lock (_gate)
        {
            return _objects.GetValueOrDefault((kind, id));
        }
    }

    /// <summary>Adds an empty data source (with its custom audience) and returns its id.</summary>
    /// <param name="advertiserId">The advertiser.</param>
    public string AddDataSource(string advertiserId)
    {
        lock (_gate)
        {
            return NewDataSource(advertiserId).Id;
        }
    }

    /// <summary>A data source, or <see langword="null"/>.</summary>
    /// <param name="dataSourceId">The id.</param>
    public OceanEngineEmulatedDataSource? GetDataSource(string dataSourceId)
    {
        lock (_gate)
        {
            return _dataSources.TryGetValue(dataSourceId, out var d)
                ? new OceanEngineEmulatedDataSource(d.Id, d.Advertiser, d.Audience, d.Members.ToHashSet(StringComparer.Ordinal), d.Published, d.PushedTo.ToHashSet(StringComparer.Ordinal))
                : null;
        }
    }

    private DataSource NewDataSource(string advertiser)
    {
        var n = Interlocked.Increment(ref _sequence);
        var source = new DataSource("oe-ds-" + n.ToString(CultureInfo.InvariantCulture), advertiser, (7_000_000 + n).ToString(CultureInfo.InvariantCulture));
        _dataSources[source.Id] = source;
        return source;
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/open_api/oauth2/refresh_token/", (RequestDelegate)RefreshAsync);
        routes.MapPost("/api/v2/conversion", (RequestDelegate)(ctx => Faultable(ctx, ConversionAsync)));
        routes.MapGet("/open_api/v3.0/report/custom/get/", (RequestDelegate)(ctx => Api(ctx, CustomReportAsync)));
        routes.MapGet("/open_api/v1.0/qianchuan/report/ad/get/", (RequestDelegate)(ctx => Api(ctx, QianchuanReportAsync)));
        foreach (var noun in new[] { "project", "promotion" })
        {
            var kind = noun == "project" ? OceanEngineObjectKind.Project : OceanEngineObjectKind.Promotion;
            routes.MapPost($"/open_api/v3.0/{noun}/status/update/", (RequestDelegate)(ctx => Api(ctx, c => UpdateAsync(c, kind, budget: false))));
            routes.MapPost($"/open_api/v3.0/{noun}/budget/update/", (RequestDelegate)(ctx => Api(ctx, c => UpdateAsync(c, kind, budget: true))));
        }
        routes.MapPost("/open_api/v1.0/qianchuan/ad/status/update/", (RequestDelegate)(ctx => Api(ctx, QianchuanStatusAsync)));
        routes.MapPost("/open_api/v1.0/qianchuan/ad/budget/update/", (RequestDelegate)(ctx => Api(ctx, c => UpdateAsync(c, OceanEngineObjectKind.QianchuanAd, budget: true))));
        routes.MapPost("/open_api/2/dmp/data_source/file/upload/", (RequestDelegate)(ctx => Api(ctx, UploadAsync)));
        routes.MapPost("/open_api/2/dmp/data_source/create/", (RequestDelegate)(ctx => Api(ctx, c => DataSourceAsync(c, create: true))));
        routes.MapPost("/open_api/2/dmp/data_source/update/", (RequestDelegate)(ctx => Api(ctx, c => DataSourceAsync(c, create: false))));
        routes.MapPost("/open_api/2/dmp/custom_audience/publish/", (RequestDelegate)(ctx => Api(ctx, c => AudienceAsync(c, push: false))));
        routes.MapPost("/open_api/2/dmp/custom_audience/push_v2/", (RequestDelegate)(ctx => Api(ctx, c => AudienceAsync(c, push: true))));
    }

    /// <inheritdoc />
    protected override bool IsFaultable(HttpContext context) => !context.Request.Path.StartsWithSegments("/open_api/oauth2", StringComparison.Ordinal);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) =>
        WriteAsync(context, 50000, "system error, please retry later", null, StatusCodes.Status500InternalServerError);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) => WriteAsync(context, 40100, "too many requests", null);

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => WriteAsync(context, 40102, "access token expired", null);

    // ---- OAuth ---------------------------------------------------------------------------------

    private async Task RefreshAsync(HttpContext context)
    {
        await _tokens.RefreshTurnAsync(context.RequestAborted).ConfigureAwait(false);
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } root || Integer(root, "app_id") != _options.AppId || String(root, "secret") != _options.Secret)
        {
            await WriteAsync(context, 40001, "invalid app_id or secret", null).ConfigureAwait(false);
            return;
        }
        if (_tokens.Rotate(String(root, "refresh_token") ?? "") is not var (access, refresh))
        {
            await WriteAsync(context, 40103, "refresh token expired or invalid, please authorize again", null).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", new JsonObject
        {
            ["access_token"] = access,
            ["expires_in"] = (long)_options.AccessTokenLifetime.TotalSeconds,
            ["refresh_token"] = refresh,
            ["refresh_token_expires_in"] = (long)_options.RefreshTokenLifetime.TotalSeconds,
        }).ConfigureAwait(false);
    }

    // ---- Common checks ---------------------------------------------------------------------------

    private async Task Faultable(HttpContext context, Func<HttpContext, Task> handler)
    {
        long? code = null;
        lock (_gate)
        {
            if (_failNext.Count > 0)
            {
                code = _failNext.Dequeue();
            }
        }
        if (code is not null)
        {
            await WriteAsync(context, code.Value, $"injected error {code}", null).ConfigureAwait(false);
            return;
        }
        await handler(context).ConfigureAwait(false);
    }

    private async Task Api(HttpContext context, Func<HttpContext, Task> handler)
    {
        var token = context.Request.Headers["Access-Token"].ToString();
        var (code, message) = _tokens.Check(token) switch
        {
            AccessTokenCheck.Valid => ((long?)null, (string?)null),
            AccessTokenCheck.Missing => (40104, "access token is empty"),
            AccessTokenCheck.Expired => (40102, "access token expired"),
            _ => (40105, "access token is invalid"),
        };
        if (code is not null)
        {
            await WriteAsync(context, code.Value, message!, null).ConfigureAwait(false);
            return;
        }
        await Faultable(context, handler).ConfigureAwait(false);
    }

    private async Task<bool> AdvertiserAllowedAsync(HttpContext context, string? advertiser)
    {
        if (advertiser is null)
        {
            await InvalidAsync(context, "advertiser_id is required").ConfigureAwait(false);
            return false;
        }
        if (_options.AdvertiserIds.Count == 0 || _options.AdvertiserIds.Contains(advertiser))
        {
            return true;
        }
        await WriteAsync(context, 40001, "no permission for advertiser " + advertiser, null).ConfigureAwait(false);
        return false;
    }

    // ---- Conversion callback -------------------------------------------------------------------

    private async Task ConversionAsync(HttpContext context)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var (conversion, error) = doc is null ? (null, "the body must be a JSON object") : ParseConversion(doc.RootElement);
        if (conversion is null)
        {
            Interlocked.Increment(ref _rejectedConversions);
            await WriteAsync(context, 40001, error!, null).ConfigureAwait(false);
            return;
        }
        lock (_gate)
        {
            if (!_callbacks.Contains(conversion.Callback))
            {
                error = "callback is invalid or unknown";
            }
            else
            {
                if (!_conversionKeys.Add((conversion.Callback, conversion.EventType, conversion.Timestamp.ToUnixTimeMilliseconds())))
                {
                    _duplicates++;
                }
                _conversions.Add(conversion);
            }
        }
        if (error is not null)
        {
            Interlocked.Increment(ref _rejectedConversions);
            await WriteAsync(context, 40001, error, null).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "成功", null).ConfigureAwait(false);
    }

    private static (OceanEngineReceivedConversion? Conversion, string? Error) ParseConversion(JsonElement root)
    {
        var type = String(root, "event_type");
        if (type is null || !EventTypes.Contains(type))
        {
            return (null, "event_type is not a known event type");
        }
        if (!root.TryGetProperty("context", out var ctx) || !ctx.TryGetProperty("ad", out var ad) || String(ad, "callback") is not { Length: > 0 } callback)
        {
            return (null, "context.ad.callback is required");
        }
        if (!root.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out var ms) || ms < 1_000_000_000_000L || ms > 9_999_999_999_999L)
        {
            return (null, "timestamp must be a Unix time in milliseconds");
        }
        decimal? weight = null;
        if (root.TryGetProperty("event_weight", out var w))
        {
            if (w.ValueKind != JsonValueKind.Number || !w.TryGetDecimal(out var yuan) || yuan < 0 || yuan * 100m != decimal.Truncate(yuan * 100m))
            {
                return (null, "event_weight must be a non-negative amount in yuan with at most two decimals");
            }
            weight = yuan;
        }
        long? pay = null;
        if (root.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object && props.TryGetProperty("pay_amount", out var p))
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt64(out var amount) || amount < 0)
            {
                return (null, "properties.pay_amount must be a non-negative integer");
            }
            pay = amount;
        }
        string? phone = null;
        if (ctx.TryGetProperty("device", out var device) && String(device, "phone_num_blurred") is { } blurred)
        {
            if (!IsLowerHex(blurred, 64))
            {
                return (null, "context.device.phone_num_blurred must be a SHA-256 in 64 lower-case hex characters here");
            }
            phone = blurred;
        }
        return (new OceanEngineReceivedConversion(callback, type, DateTimeOffset.FromUnixTimeMilliseconds(ms), weight, pay, phone), null);
    }

    // ---- Reports ---------------------------------------------------------------------------------

    private async Task CustomReportAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var advertiser = Digits(q["advertiser_id"].ToString());
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        string[]? dimensions, metrics;
        try
        {
            dimensions = StringArray(q["dimensions"].ToString());
            metrics = StringArray(q["metrics"].ToString());
            using var filters = JsonDocument.Parse(q["filters"].ToString());
            using var orderBy = JsonDocument.Parse(q["order_by"].ToString());
            if (filters.RootElement.ValueKind != JsonValueKind.Array || orderBy.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException();
            }
        }
        catch (JsonException)
        {
            await InvalidAsync(context, "dimensions, metrics, filters and order_by must be JSON arrays").ConfigureAwait(false);
            return;
        }
        if (dimensions is not { Length: > 0 } || metrics is not { Length: > 0 } || !dimensions.Contains("stat_time_day"))
        {
            await InvalidAsync(context, "dimensions (with stat_time_day) and metrics are required").ConfigureAwait(false);
            return;
        }
        if (!TryRange(q["start_time"], q["end_time"], out var from, out var to) || !TryPage(q, out var page, out var size))
        {
            await InvalidAsync(context, "start_time ≤ end_time as yyyy-MM-dd, page ≥ 1 and page_size 1 to 1000 are required").ConfigureAwait(false);
            return;
        }
        var byPromotion = dimensions.Contains("cdp_promotion_id");
        List<JsonObject> rows;
        lock (_gate)
        {
            var selected = _reportRows.Where(r => r.AdvertiserId == advertiser && r.Date >= from && r.Date <= to);
            var groups = byPromotion
                ? selected.GroupBy(r => (r.Date, r.ProjectId, Promotion: r.PromotionId))
                : selected.GroupBy(r => (r.Date, r.ProjectId, Promotion: ""));
            rows = [.. groups.OrderBy(g => g.Key.Date).ThenBy(g => g.Key.ProjectId, StringComparer.Ordinal).ThenBy(g => g.Key.Promotion, StringComparer.Ordinal)
                .Select(g =>
                {
                    var dims = new JsonObject { ["stat_time_day"] = g.Key.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
                    if (dimensions.Contains("cdp_project_id"))
                    {
                        dims["cdp_project_id"] = g.Key.ProjectId;
                    }
                    if (dimensions.Contains("cdp_project_name"))
                    {
                        dims["cdp_project_name"] = g.First().ProjectName ?? "";
                    }
                    if (byPromotion)
                    {
                        dims["cdp_promotion_id"] = g.Key.Promotion;
                    }
                    var values = new Dictionary<string, string>
                    {
                        ["stat_cost"] = g.Sum(r => r.Cost).ToString(CultureInfo.InvariantCulture),
                        ["show_cnt"] = g.Sum(r => r.Shows).ToString(CultureInfo.InvariantCulture),
                        ["click_cnt"] = g.Sum(r => r.Clicks).ToString(CultureInfo.InvariantCulture),
                        ["convert_cnt"] = g.Sum(r => r.Conversions).ToString(CultureInfo.InvariantCulture),
                    };
                    var m = new JsonObject();
                    foreach (var metric in metrics.Where(values.ContainsKey))
                    {
                        m[metric] = values[metric];
                    }
                    return new JsonObject { ["dimensions"] = dims, ["metrics"] = m };
                })];
        }
        await WritePageAsync(context, "rows", rows, page, size).ConfigureAwait(false);
    }

    private async Task QianchuanReportAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var advertiser = Digits(q["advertiser_id"].ToString());
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        string[]? fields;
        try
        {
            fields = StringArray(q["fields"].ToString());
            using var filtering = JsonDocument.Parse(q["filtering"].ToString());
            if (String(filtering.RootElement, "marketing_goal") is not ("ALL" or "LIVE_PROM_GOODS" or "VIDEO_PROM_GOODS"))
            {
                throw new JsonException();
            }
        }
        catch (JsonException)
        {
            await InvalidAsync(context, "fields must be a JSON array and filtering.marketing_goal is required").ConfigureAwait(false);
            return;
        }
        if (fields is not { Length: > 0 } || !TryRange(q["start_date"], q["end_date"], out var from, out var to) || !TryPage(q, out var page, out var size))
        {
            await InvalidAsync(context, "fields, start_date ≤ end_date, page and page_size are required").ConfigureAwait(false);
            return;
        }
        List<JsonObject> rows;
        lock (_gate)
        {
            rows = [.. _reportRows.Where(r => r.AdvertiserId == advertiser && r.Date >= from && r.Date <= to)
                .OrderBy(r => r.Date).ThenBy(r => r.PromotionId, StringComparer.Ordinal)
                .Select(r =>
                {
                    var row = new JsonObject
                    {
                        ["ad_id"] = long.Parse(r.PromotionId, CultureInfo.InvariantCulture),
                        ["advertiser_id"] = long.Parse(r.AdvertiserId, CultureInfo.InvariantCulture),
                        ["stat_datetime"] = r.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00",
                    };
                    var values = new Dictionary<string, JsonNode>
                    {
                        ["stat_cost"] = JsonValue.Create(r.Cost),
                        ["show_cnt"] = JsonValue.Create(r.Shows),
                        ["click_cnt"] = JsonValue.Create(r.Clicks),
                        ["convert_cnt"] = JsonValue.Create(r.Conversions),
                        ["pay_order_amount"] = JsonValue.Create(r.PayOrderAmount),
                    };
                    foreach (var f in fields.Where(values.ContainsKey))
                    {
                        row[f] = values[f];
                    }
                    return row;
                })];
        }
        await WritePageAsync(context, "list", rows, page, size).ConfigureAwait(false);
    }

    private async Task WritePageAsync(HttpContext context, string name, List<JsonObject> rows, int page, int size)
    {
        Interlocked.Increment(ref _reportPages);
        var total = rows.Count;
        var totalPages = (total + size - 1) / size;
        await WriteAsync(context, 0, "OK", new JsonObject
        {
            [name] = new JsonArray([.. rows.Skip((page - 1) * size).Take(size)]),
            ["page_info"] = new JsonObject { ["page"] = page, ["page_size"] = size, ["total_number"] = total, ["total_page"] = totalPages },
        }).ConfigureAwait(false);
    }

    private static bool TryRange(string? start, string? end, out DateOnly from, out DateOnly to)
    {
        to = default;
        return DateOnly.TryParseExact(start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out from)
            && DateOnly.TryParseExact(end, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out to) && to >= from;
    }

    private static bool TryPage(IQueryCollection q, out int page, out int size)
    {
        size = 0;
        return int.TryParse(q["page"], NumberStyles.None, CultureInfo.InvariantCulture, out page) && page >= 1
            && int.TryParse(q["page_size"], NumberStyles.None, CultureInfo.InvariantCulture, out size) && size is >= 1 and <= 1000;
    }

    // ---- Status and budget -------------------------------------------------------------------

    private async Task UpdateAsync(HttpContext context, OceanEngineObjectKind kind, bool budget)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var idField = IdField(kind);
        if (doc?.RootElement is not { } root || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() is < 1 or > 10)
        {
            await InvalidAsync(context, "advertiser_id and 1 to 10 data entries are required").ConfigureAwait(false);
            return;
        }
        var advertiser = Integer(root, "advertiser_id");
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var ids = new JsonArray();
        var errors = new JsonArray();
        lock (_gate)
        {
            foreach (var item in data.EnumerateArray())
            {
                var id = Integer(item, idField);
                var error = Apply(kind, advertiser!, id, item, budget);
                if (error is null)
                {
                    ids.Add((JsonNode)long.Parse(id!, CultureInfo.InvariantCulture));
                }
                else
                {
                    errors.Add((JsonNode)new JsonObject { [idField] = id is null ? null : long.Parse(id, CultureInfo.InvariantCulture), ["error_message"] = error });
                }
            }
        }
        await WriteAsync(context, 0, "OK", new JsonObject { [IdField(kind) + "s"] = ids, ["errors"] = errors }).ConfigureAwait(false);
    }

    private async Task QianchuanStatusAsync(HttpContext context)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } root || !root.TryGetProperty("ad_ids", out var adIds) || adIds.ValueKind != JsonValueKind.Array || adIds.GetArrayLength() is < 1 or > 10)
        {
            await InvalidAsync(context, "advertiser_id, 1 to 10 ad_ids and opt_status are required").ConfigureAwait(false);
            return;
        }
        var advertiser = Integer(root, "advertiser_id");
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var status = String(root, "opt_status");
        var ids = new JsonArray();
        var errors = new JsonArray();
        lock (_gate)
        {
            foreach (var element in adIds.EnumerateArray())
            {
                var id = element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var n) && n > 0 ? n.ToString(CultureInfo.InvariantCulture) : null;
                string? error = status is not ("ENABLE" or "DISABLE") ? "opt_status must be ENABLE or DISABLE" : Check(OceanEngineObjectKind.QianchuanAd, advertiser!, id);
                if (error is null)
                {
                    var o = _objects[(OceanEngineObjectKind.QianchuanAd, id!)];
                    _objects[(OceanEngineObjectKind.QianchuanAd, id!)] = o with { OptStatus = status! };
                    ids.Add((JsonNode)long.Parse(id!, CultureInfo.InvariantCulture));
                }
                else
                {
                    errors.Add((JsonNode)new JsonObject { ["ad_id"] = id is null ? null : long.Parse(id, CultureInfo.InvariantCulture), ["error_message"] = error });
                }
            }
        }
        await WriteAsync(context, 0, "OK", new JsonObject { ["ad_ids"] = ids, ["errors"] = errors }).ConfigureAwait(false);
    }

    private static string IdField(OceanEngineObjectKind kind) => kind switch
    {
        OceanEngineObjectKind.Project => "project_id",
        OceanEngineObjectKind.Promotion => "promotion_id",
        _ => "ad_id",
    };

    private string? Check(OceanEngineObjectKind kind, string advertiser, string? id)
    {
        if (id is null || !_objects.TryGetValue((kind, id), out var o) || o.AdvertiserId != advertiser)
        {
            return "the object does not exist under this advertiser";
        }
        return _failItems.Contains(id) ? "the object cannot be changed now" : null;
    }

    private string? Apply(OceanEngineObjectKind kind, string advertiser, string? id, JsonElement item, bool budget)
    {
        if (Check(kind, advertiser, id) is { } error)
        {
            return error;
        }
        var o = _objects[(kind, id!)];
        if (budget)
        {
            if (!item.TryGetProperty("budget", out var b) || b.ValueKind != JsonValueKind.Number || !b.TryGetDecimal(out var yuan) || yuan * 100m != decimal.Truncate(yuan * 100m))
            {
                return "budget must be an amount in yuan with at most two decimals";
            }
            if (yuan < _options.MinDailyBudget)
            {
                return $"budget must be at least {_options.MinDailyBudget.ToString(CultureInfo.InvariantCulture)}";
            }
            var mode = String(item, "budget_mode") ?? "BUDGET_MODE_DAY";
            if (kind != OceanEngineObjectKind.QianchuanAd && mode != "BUDGET_MODE_DAY")
            {
                return "budget_mode must be BUDGET_MODE_DAY here";
            }
            _objects[(kind, id!)] = o with { Budget = yuan, BudgetMode = mode };
            return null;
        }
        var status = String(item, "opt_status");
        if (status is not ("ENABLE" or "DISABLE"))
        {
            return "opt_status must be ENABLE or DISABLE";
        }
        _objects[(kind, id!)] = o with { OptStatus = status };
        return null;
    }

    // ---- DMP ---------------------------------------------------------------------------------

    private async Task UploadAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await InvalidAsync(context, "multipart/form-data is required").ConfigureAwait(false);
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (!await AdvertiserAllowedAsync(context, Digits(form["advertiser_id"].ToString())).ConfigureAwait(false))
        {
            return;
        }
        if (form.Files.GetFile("file") is not { } file)
        {
            await InvalidAsync(context, "file is required").ConfigureAwait(false);
            return;
        }
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
#pragma warning disable CA5351 // the platform's file signature is MD5
        var md5 = Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
        if (!string.Equals(form["file_signature"].ToString(), md5, StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _badSignatures);
            await InvalidAsync(context, "file_signature does not match the file's MD5").ConfigureAwait(false);
            return;
        }
        var (ids, error) = ReadDmpZip(bytes);
        if (ids is null)
        {
            await InvalidAsync(context, error!).ConfigureAwait(false);
            return;
        }
        var path = "oe-file-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _files[path] = ids;
        }
        await WriteAsync(context, 0, "OK", new JsonObject { ["file_path"] = path }).ConfigureAwait(false);
    }

    /// <summary>Reads a DMP upload: a zip of text entries whose lines are base64 protobuf <c>DmpData</c> messages.</summary>
    private static (HashSet<string>? Ids, string? Error) ReadDmpZip(byte[] bytes)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            foreach (var entry in zip.Entries)
            {
                using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
                while (reader.ReadLine() is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    var error = ReadDmpData(Convert.FromBase64String(line), ids);
                    if (error is not null)
                    {
                        return (null, error);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return (null, "the file must be a zip of base64 protobuf DmpData lines");
        }
        return (ids, null);
    }

    private static string? ReadDmpData(byte[] data, HashSet<string> ids)
    {
        var at = 0;
        var count = 0;
        while (at < data.Length)
        {
            var key = ReadVarint(data, ref at);
            if (key != ((1 << 3) | 2))
            {
                return "DmpData holds only idList (field 1)";
            }
            var length = (int)ReadVarint(data, ref at);
            var end = at + length;
            ulong? type = null;
            string? id = null;
            while (at < end)
            {
                var k = ReadVarint(data, ref at);
                switch (k)
                {
                    case (1 << 3) | 0:
                        ReadVarint(data, ref at);
                        break;
                    case (2 << 3) | 0:
                        type = ReadVarint(data, ref at);
                        break;
                    case (3 << 3) | 2:
                    case (4 << 3) | 2:
                        var n = (int)ReadVarint(data, ref at);
                        if (k == ((3 << 3) | 2))
                        {
                            id = Encoding.UTF8.GetString(data, at, n);
                        }
                        at += n;
                        break;
                    default:
                        return "IdItem has an unknown field";
                }
            }
            if (type is null || id is null)
            {
                return "IdItem needs dataType and id";
            }
            var ok = type switch
            {
                6 => IsLowerHex(id, 64),
                4 or 8 => IsLowerHex(id, 32),
                _ => false,
            };
            if (!ok)
            {
                return "the emulator takes MOBILE_HASH_SHA256 (64) or IMEI_MD5/OAID_MD5 (32) ids in lower-case hex";
            }
            if (++count > 10_000)
            {
                return "a DmpData line holds at most 10000 ids";
            }
            ids.Add(id);
        }
        return null;
    }

    private static ulong ReadVarint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new FormatException("varint too long");
    }

    private async Task DataSourceAsync(HttpContext context, bool create)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } root || !root.TryGetProperty("file_paths", out var pathsElement) || pathsElement.ValueKind != JsonValueKind.Array
            || pathsElement.GetArrayLength() > 1000 || Number(root, "data_format") != 0 || Number(root, "file_storage_type") != 0)
        {
            await InvalidAsync(context, "file_paths (≤ 1000), data_format 0 and file_storage_type 0 are required").ConfigureAwait(false);
            return;
        }
        var advertiser = Integer(root, "advertiser_id");
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var paths = pathsElement.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString() : null).ToList();
        string? error = null;
        JsonObject? data = null;
        lock (_gate)
        {
            var files = new List<HashSet<string>>();
            foreach (var p in paths)
            {
                if (p is null || !_files.TryGetValue(p, out var ids))
                {
                    error = "a file_path is unknown or expired";
                    break;
                }
                files.Add(ids);
            }
            if (error is null && create)
            {
                if (String(root, "data_source_name") is not { Length: > 0 and <= 30 })
                {
                    error = "data_source_name must be 1 to 30 characters";
                }
                else
                {
                    var source = NewDataSource(advertiser!);
                    foreach (var f in files)
                    {
                        source.Members.UnionWith(f);
                    }
                    data = new JsonObject { ["data_source_id"] = source.Id };
                }
            }
            else if (error is null)
            {
                var id = String(root, "data_source_id");
                var op = Number(root, "operation_type");
                if (id is null || !_dataSources.TryGetValue(id, out var source) || source.Advertiser != advertiser)
                {
                    error = "data_source_id does not exist";
                }
                else if (op is not (1 or 2 or 3))
                {
                    error = "operation_type must be 1 (append), 2 (delete) or 3 (reset)";
                }
                else
                {
                    if (op == 3)
                    {
                        source.Members.Clear();
                    }
                    foreach (var f in files)
                    {
                        if (op == 2)
                        {
                            source.Members.ExceptWith(f);
                        }
                        else
                        {
                            source.Members.UnionWith(f);
                        }
                    }
                    data = new JsonObject();
                }
            }
        }
        if (error is not null)
        {
            await InvalidAsync(context, error).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", data).ConfigureAwait(false);
    }

    private async Task AudienceAsync(HttpContext context, bool push)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var advertiser = doc is null ? null : Integer(doc.RootElement, "advertiser_id");
        if (doc is null || !await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            if (doc is null)
            {
                await InvalidAsync(context, "the body must be a JSON object").ConfigureAwait(false);
            }
            return;
        }
        var audience = Integer(doc.RootElement, "custom_audience_id");
        string? error = null;
        lock (_gate)
        {
            var source = _dataSources.Values.FirstOrDefault(d => d.Audience == audience && d.Advertiser == advertiser);
            if (source is null)
            {
                error = "custom_audience_id does not exist";
            }
            else if (!push)
            {
                source.Published = true;
            }
            else if (!source.Published)
            {
                error = "publish the audience before pushing it";
            }
            else if (!doc.RootElement.TryGetProperty("target_advertiser_ids", out var targets) || targets.ValueKind != JsonValueKind.Array || targets.GetArrayLength() == 0)
            {
                error = "target_advertiser_ids is required";
            }
            else
            {
                foreach (var t in targets.EnumerateArray())
                {
                    source.PushedTo.Add(t.GetRawText());
                }
            }
        }
        if (error is not null)
        {
            await InvalidAsync(context, error).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", new JsonObject()).ConfigureAwait(false);
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

    private static string[] StringArray(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? [.. doc.RootElement.EnumerateArray().Select(e => e.GetString()!)]
            : throw new JsonException("not an array of strings");
    }

    private static string? Digits(string value) => value.Length > 0 && value.All(char.IsAsciiDigit) ? value : null;

    private static string? Integer(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0
            ? n.ToString(CultureInfo.InvariantCulture)
            : null;

    private static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool IsLowerHex(string value, int length) =>
        value.Length == length && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private Task InvalidAsync(HttpContext context, string message) => WriteAsync(context, 40002, message, null);

    private async Task WriteAsync(HttpContext context, long code, string message, JsonNode? data, int status = StatusCodes.Status200OK)
    {
        var requestId = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Interlocked.Increment(ref _sequence).ToString("x12", CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["request_id"] = requestId,
            ["data"] = data ?? new JsonObject(),
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
