using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback TikTok Business API v1.3 / Events API 2.0 server for tests. It speaks TikTok's envelope
/// <c>{code, message, request_id, data}</c> (HTTP 200 with a business code for errors) and:
/// <list type="bullet">
/// <item><c>POST /open_api/v1.3/event/track/</c>: checks the <c>Access-Token</c> (40104 missing, 40105 invalid),
/// the body (event source, 1–1 000 events, event name, <c>event_time</c> within the accepted window,
/// 64-character lower-case hex hashes, ISO 4217 currency, contents) and fails the <em>whole</em> batch with
/// 40002 on one bad row; deduplicates on event source, event name and <c>event_id</c>, keeping the accepted
/// events (<see cref="AcceptedEvents"/>) and counting duplicates (<see cref="DuplicateEvents"/>);</item>
/// <item><c>GET /open_api/v1.3/report/integrated/get/</c>: serves the seeded rows (<see cref="SeedReportRows"/>)
/// at campaign or ad group level with <c>page_info{page, page_size, total_number, total_page}</c>;</item>
/// <item><c>campaign|adgroup/status/update/</c> and <c>campaign|adgroup/update/</c>: tracks status and budget of
/// the seeded campaigns and ad groups (20001 naming the updated ids when some are unknown);</item>
/// <item><c>dmp/custom_audience/file/upload/</c> (multipart; the <c>file_signature</c> must be the MD5 of the file),
/// <c>create/</c> and <c>update/</c> (APPEND, REMOVE, REPLACE): tracks audience members.</item>
/// </list>
/// Faults: 5xx (HTTP 500, code 50000), throttling (HTTP 200, code 40100), token expiry (HTTP 200, code 40105).
/// </summary>
public sealed class TikTokEmulator : PlatformEmulator
{
    private const string Prefix = "/open_api/v1.3/";
    private static readonly HashSet<string> EventSources = new(StringComparer.Ordinal) { "web", "app", "offline", "crm" };
    private static readonly HashSet<string> ReportMetrics = new(StringComparer.Ordinal)
    {
        "spend", "impressions", "clicks", "conversion", "total_complete_payment_rate", "campaign_name", "campaign_id", "adgroup_name",
    };

    private readonly TikTokEmulatorOptions _options;
    private readonly ConcurrentDictionary<string, byte> _tokens;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TikTokReceivedEvent> _events = new(StringComparer.Ordinal);
    private readonly List<TikTokReceivedEvent> _eventLog = [];
    private readonly HashSet<string> _failBatchOn = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dropOn = new(StringComparer.Ordinal);
    private readonly List<TikTokReportSeedRow> _reportRows = [];
    private readonly Dictionary<string, TikTokEmulatedObject> _campaigns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TikTokEmulatedObject> _adGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Advertiser, string CalculateType, string[] Ids)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TikTokEmulatedAudience> _audiences = new(StringComparer.Ordinal);
    private int _duplicates;
    private int _rejectedBatches;
    private long _sequence;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public TikTokEmulator(TikTokEmulatorOptions? options = null) : base("tiktok")
    {
        _options = options ?? new TikTokEmulatorOptions();
        _tokens = new ConcurrentDictionary<string, byte>(_options.AccessTokens.Select(t => new KeyValuePair<string, byte>(t, 0)), StringComparer.Ordinal);
    }

    /// <summary>The first accepted access token (for tests).</summary>
    public string AccessToken => _options.AccessTokens.First();

    /// <summary>The events accepted, in order of arrival (duplicates excluded).</summary>
    public IReadOnlyList<TikTokReceivedEvent> AcceptedEvents
    {
        get
        {
            lock (_gate)
            {
                return [.. _eventLog];
            }
        }
    }

    /// <summary>Events that arrived again with an event id already accepted (counted once, not recorded again).</summary>
    public int DuplicateEvents => Volatile.Read(ref _duplicates);

    /// <summary>Event batches refused as a whole (code 40002).</summary>
    public int RejectedBatches => Volatile.Read(ref _rejectedBatches);

    /// <summary>Audience files uploaded.</summary>
    public int UploadedFiles
    {
        get
        {
            lock (_gate)
            {
                return _files.Count;
            }
        }
    }

    /// <summary>Accepts another access token from now on (e.g. a rotated one).</summary>
    /// <param name="token">The token.</param>
    public void AcceptToken(string token) => _tokens[token] = 0;

    /// <summary>Stops accepting a token (it answers 40105 from now on).</summary>
    /// <param name="token">The token.</param>
    public void RevokeToken(string token) => _tokens.TryRemove(token, out _);

    /// <summary>Makes any batch containing this event id fail as a whole with 40002 — a platform rule a client cannot check before sending.</summary>
    /// <param name="eventId">The event id.</param>
    public void FailBatchOnEventId(string eventId)
    {
        lock (_gate)
        {
            _failBatchOn.Add(eventId);
        }
    }

    /// <summary>Makes a batch containing this event id answer 20001 (partial success) naming the event as not taken.</summary>
    /// <param name="eventId">The event id.</param>
    public void DropEventId(string eventId)
    {
        lock (_gate)
        {
            _dropOn.Add(eventId);
        }
    }

    /// <summary>Adds rows the integrated report serves.</summary>
    /// <param name="rows">The rows.</param>
    public void SeedReportRows(IEnumerable<TikTokReportSeedRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            _reportRows.AddRange(rows);
        }
    }

    /// <summary>Adds a campaign that status and budget updates may change.</summary>
    /// <param name="advertiserId">The advertiser.</param>
    /// <param name="campaignId">The campaign id.</param>
    /// <param name="status">ENABLE or DISABLE.</param>
    /// <param name="budget">The budget, if any.</param>
    public void AddCampaign(string advertiserId, string campaignId, string status = "ENABLE", decimal? budget = null)
    {
        lock (_gate)
        {
            _campaigns[campaignId] = new TikTokEmulatedObject(advertiserId, campaignId, false, status, budget);
        }
    }

    /// <summary>Adds an ad group that status and budget updates may change.</summary>
    /// <param name="advertiserId">The advertiser.</param>
    /// <param name="adGroupId">The ad group id.</param>
    /// <param name="status">ENABLE or DISABLE.</param>
    /// <param name="budget">The budget, if any.</param>
    public void AddAdGroup(string advertiserId, string adGroupId, string status = "ENABLE", decimal? budget = null)
    {
        lock (_gate)
        {
            _adGroups[adGroupId] = new TikTokEmulatedObject(advertiserId, adGroupId, true, status, budget);
        }
    }

    /// <summary>A campaign's current state, or <see langword="null"/>.</summary>
    /// <param name="campaignId">The campaign id.</param>
    public TikTokEmulatedObject? GetCampaign(string campaignId)
    {
        lock (_gate)
        {
            return _campaigns.GetValueOrDefault(campaignId);
        }
    }

    /// <summary>An ad group's current state, or <see langword="null"/>.</summary>
    /// <param name="adGroupId">The ad group id.</param>
    public TikTokEmulatedObject? GetAdGroup(string adGroupId)
    {
        lock (_gate)
        {
            return _adGroups.GetValueOrDefault(adGroupId);
        }
    }

    /// <summary>An audience's current state, or <see langword="null"/>.</summary>
    /// <param name="audienceId">The audience id.</param>
    public TikTokEmulatedAudience? GetAudience(string audienceId)
    {
        lock (_gate)
        {
            return _audiences.GetValueOrDefault(audienceId);
        }
    }

    /// <summary>Adds an existing audience (members as hashes).</summary>
    /// <param name="advertiserId">The advertiser.</param>
    /// <param name="audienceId">The audience id.</param>
    /// <param name="calculateType">The match key type (e.g. <c>EMAIL_SHA256</c>).</param>
    /// <param name="members">The hashed members.</param>
    public void AddAudience(string advertiserId, string audienceId, string calculateType, IEnumerable<string> members)
    {
        lock (_gate)
        {
            _audiences[audienceId] = new TikTokEmulatedAudience(advertiserId, audienceId, audienceId, calculateType, members.ToHashSet(StringComparer.Ordinal), 0);
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost(Prefix + "event/track", (RequestDelegate)TrackAsync);
        routes.MapGet(Prefix + "report/integrated/get", (RequestDelegate)ReportAsync);
        routes.MapPost(Prefix + "campaign/status/update", (RequestDelegate)(ctx => StatusAsync(ctx, adGroups: false)));
        routes.MapPost(Prefix + "adgroup/status/update", (RequestDelegate)(ctx => StatusAsync(ctx, adGroups: true)));
        routes.MapPost(Prefix + "campaign/update", (RequestDelegate)(ctx => BudgetAsync(ctx, adGroups: false)));
        routes.MapPost(Prefix + "adgroup/update", (RequestDelegate)(ctx => BudgetAsync(ctx, adGroups: true)));
        routes.MapPost(Prefix + "dmp/custom_audience/file/upload", (RequestDelegate)UploadAsync);
        routes.MapPost(Prefix + "dmp/custom_audience/create", (RequestDelegate)CreateAudienceAsync);
        routes.MapPost(Prefix + "dmp/custom_audience/update", (RequestDelegate)UpdateAudienceAsync);
    }

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) =>
        WriteAsync(context, 50000, "Internal service error. Please try again later.", null, StatusCodes.Status500InternalServerError);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) =>
        WriteAsync(context, 40100, "Too many requests. Please retry in some time.", null);

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) =>
        WriteAsync(context, 40105, "Access token is incorrect or has been revoked.", null);

    // ---- Events API 2.0 ------------------------------------------------------------------------

    private async Task TrackAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc is null)
        {
            await InvalidAsync(context, "the body is not a JSON object").ConfigureAwait(false);
            return;
        }
        var root = doc.RootElement;
        var (events, error) = ParseEvents(root);
        if (error is not null)
        {
            Interlocked.Increment(ref _rejectedBatches);
            await InvalidAsync(context, error).ConfigureAwait(false);
            return;
        }
        JsonArray? failed = null;
        lock (_gate)
        {
            var bad = events!.FindIndex(e => e.EventId is not null && _failBatchOn.Contains(e.EventId));
            if (bad >= 0)
            {
                error = $"data[{bad}]: the event was refused";
            }
            else
            {
                for (var i = 0; i < events.Count; i++)
                {
                    var e = events[i];
                    if (e.EventId is not null && _dropOn.Contains(e.EventId))
                    {
                        (failed ??= []).Add((JsonNode)new JsonObject { ["index"] = i, ["event_id"] = e.EventId, ["code"] = 40002, ["message"] = "the event was not taken" });
                        continue;
                    }
                    if (e.EventId is null)
                    {
                        _eventLog.Add(e);
                        continue;
                    }
                    var key = $"{e.EventSourceId}\n{e.Event}\n{e.EventId}";
                    if (_events.TryAdd(key, e))
                    {
                        _eventLog.Add(e);
                    }
                    else
                    {
                        _duplicates++;
                    }
                }
            }
        }
        if (error is not null)
        {
            Interlocked.Increment(ref _rejectedBatches);
            await InvalidAsync(context, error).ConfigureAwait(false);
            return;
        }
        if (failed is not null)
        {
            await WriteAsync(context, 20001, "Partial success: some events were not taken.", new JsonObject { ["failed_events"] = failed }).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", new JsonObject()).ConfigureAwait(false);
    }

    private (List<TikTokReceivedEvent>? Events, string? Error) ParseEvents(JsonElement root)
    {
        var source = String(root, "event_source");
        if (source is null || !EventSources.Contains(source))
        {
            return (null, "event_source must be web, app, offline or crm");
        }
        var sourceId = String(root, "event_source_id");
        if (string.IsNullOrWhiteSpace(sourceId))
        {
            return (null, "event_source_id is required");
        }
        var testCode = String(root, "test_event_code");
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
        {
            return (null, "data must be a non-empty array");
        }
        if (data.GetArrayLength() > 1000)
        {
            return (null, "data: at most 1000 events per request");
        }
        var now = _options.TimeProvider.GetUtcNow();
        var events = new List<TikTokReceivedEvent>(data.GetArrayLength());
        var index = 0;
        foreach (var e in data.EnumerateArray())
        {
            var at = $"data[{index++}]";
            if (e.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}: an event must be an object");
            }
            var name = String(e, "event");
            if (string.IsNullOrWhiteSpace(name))
            {
                return (null, $"{at}.event is required");
            }
            if (!e.TryGetProperty("event_time", out var t) || t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var seconds))
            {
                return (null, $"{at}.event_time must be a Unix time in seconds");
            }
            if (seconds > 100_000_000_000)
            {
                return (null, $"{at}.event_time must be in seconds, not milliseconds");
            }
            var time = DateTimeOffset.FromUnixTimeSeconds(seconds);
            if (time > now + _options.FutureTolerance)
            {
                return (null, $"{at}.event_time lies in the future");
            }
            if (now - time > _options.MaxEventAge)
            {
                return (null, $"{at}.event_time is older than the accepted window");
            }
            string? eventId = null;
            if (e.TryGetProperty("event_id", out var id))
            {
                eventId = id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                if (string.IsNullOrEmpty(eventId))
                {
                    return (null, $"{at}.event_id must be a non-empty string");
                }
            }
            if (!e.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Object)
            {
                return (null, $"{at}.user is required");
            }
            string? email = null, phone = null, externalId = null;
            foreach (var field in new[] { "email", "phone", "external_id" })
            {
                if (!user.TryGetProperty(field, out var v))
                {
                    continue;
                }
                var values = v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray()] : new[] { v };
                foreach (var one in values)
                {
                    if (one.ValueKind != JsonValueKind.String || !IsLowerHex(one.GetString()!, 64))
                    {
                        return (null, $"{at}.user.{field} must be SHA-256 hashed (64 lower-case hex characters)");
                    }
                }
                var first = values.Length > 0 ? values[0].GetString() : null;
                switch (field)
                {
                    case "email": email = first; break;
                    case "phone": phone = first; break;
                    default: externalId = first; break;
                }
            }
            decimal? value = null;
            string? currency = null, orderId = null;
            var contents = 0;
            if (e.TryGetProperty("properties", out var props))
            {
                if (props.ValueKind != JsonValueKind.Object)
                {
                    return (null, $"{at}.properties must be an object");
                }
                if (props.TryGetProperty("value", out var v))
                {
                    if (v.ValueKind != JsonValueKind.Number || v.GetDecimal() < 0)
                    {
                        return (null, $"{at}.properties.value must be a non-negative number");
                    }
                    value = v.GetDecimal();
                }
                if (props.TryGetProperty("currency", out var c))
                {
                    currency = c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    if (currency is null || currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper) || !Currencies.IsKnown(currency))
                    {
                        return (null, $"{at}.properties.currency must be an ISO 4217 code");
                    }
                }
                if (value is not null && currency is null)
                {
                    return (null, $"{at}.properties.currency is required with a value");
                }
                orderId = String(props, "order_id");
                if (props.TryGetProperty("contents", out var list))
                {
                    if (list.ValueKind != JsonValueKind.Array)
                    {
                        return (null, $"{at}.properties.contents must be an array");
                    }
                    foreach (var item in list.EnumerateArray())
                    {
                        if (string.IsNullOrEmpty(String(item, "content_id"))
                            || (item.TryGetProperty("quantity", out var q) && (q.ValueKind != JsonValueKind.Number || !q.TryGetInt32(out var qty) || qty <= 0))
                            || (item.TryGetProperty("price", out var p) && (p.ValueKind != JsonValueKind.Number || p.GetDecimal() < 0)))
                        {
                            return (null, $"{at}.properties.contents[{contents}] needs a content_id, a positive quantity and a non-negative price");
                        }
                        contents++;
                    }
                }
            }
            if (e.TryGetProperty("page", out var page) && String(page, "url") is { } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                return (null, $"{at}.page.url must be an absolute URL");
            }
            events.Add(new TikTokReceivedEvent(source, sourceId, name, eventId, time, email, phone, externalId, String(user, "ttclid"), value, currency, orderId, contents, testCode));
        }
        return (events, null);
    }

    // ---- Reporting ----------------------------------------------------------------------------

    private async Task ReportAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        var q = context.Request.Query;
        var advertiser = q["advertiser_id"].ToString();
        if (string.IsNullOrEmpty(advertiser))
        {
            await InvalidAsync(context, "advertiser_id is required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        if (q["report_type"] != "BASIC")
        {
            await InvalidAsync(context, "report_type: the emulator serves BASIC reports").ConfigureAwait(false);
            return;
        }
        var level = q["data_level"].ToString();
        var idKey = level switch { "AUCTION_CAMPAIGN" => "campaign_id", "AUCTION_ADGROUP" => "adgroup_id", _ => null };
        if (idKey is null)
        {
            await InvalidAsync(context, "data_level must be AUCTION_CAMPAIGN or AUCTION_ADGROUP").ConfigureAwait(false);
            return;
        }
        var dimensions = JsonStringArray(q["dimensions"].ToString());
        var metrics = JsonStringArray(q["metrics"].ToString());
        if (dimensions is null || !dimensions.Contains("stat_time_day") || !dimensions.Contains(idKey) || dimensions.Length != 2)
        {
            await InvalidAsync(context, $"dimensions must be [\"{idKey}\", \"stat_time_day\"]").ConfigureAwait(false);
            return;
        }
        if (metrics is null || metrics.Length == 0 || metrics.Any(m => !ReportMetrics.Contains(m)))
        {
            await InvalidAsync(context, "metrics must be a non-empty JSON array of supported metrics").ConfigureAwait(false);
            return;
        }
        if (!DateOnly.TryParseExact(q["start_date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || !DateOnly.TryParseExact(q["end_date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end) || end < start)
        {
            await InvalidAsync(context, "start_date and end_date must be YYYY-MM-DD with start_date <= end_date").ConfigureAwait(false);
            return;
        }
        if (end.DayNumber - start.DayNumber + 1 > _options.MaxReportDays)
        {
            await InvalidAsync(context, $"the time span cannot exceed {_options.MaxReportDays} days when stat_time_day is a dimension").ConfigureAwait(false);
            return;
        }
        var page = int.TryParse(q["page"], CultureInfo.InvariantCulture, out var p) ? p : 1;
        var pageSize = int.TryParse(q["page_size"], CultureInfo.InvariantCulture, out var s) ? s : 10;
        if (page < 1 || pageSize is < 1 or > 1000)
        {
            await InvalidAsync(context, "page must be >= 1 and page_size between 1 and 1000").ConfigureAwait(false);
            return;
        }
        List<TikTokReportSeedRow> rows;
        lock (_gate)
        {
            var campaignLevel = idKey == "campaign_id";
            rows = [.. _reportRows
                .Where(r => r.AdvertiserId == advertiser && r.Date >= start && r.Date <= end && (campaignLevel || r.AdGroupId is not null))
                .GroupBy(r => (r.Date, Id: campaignLevel ? r.CampaignId : r.AdGroupId!))
                .Select(g => g.First() with
                {
                    AdGroupId = campaignLevel ? null : g.Key.Id,
                    Spend = g.Sum(r => r.Spend), Impressions = g.Sum(r => r.Impressions), Clicks = g.Sum(r => r.Clicks),
                    Conversions = g.Sum(r => r.Conversions), ConversionValue = g.Sum(r => r.ConversionValue),
                })
                .OrderBy(r => r.Date).ThenBy(r => campaignLevel ? r.CampaignId : r.AdGroupId, StringComparer.Ordinal)];
        }
        var totalPage = (rows.Count + pageSize - 1) / pageSize;
        var list = new JsonArray();
        foreach (var r in rows.Skip((page - 1) * pageSize).Take(pageSize))
        {
            var m = new JsonObject();
            foreach (var metric in metrics)
            {
                m[metric] = metric switch
                {
                    "spend" => Money(r.Spend),
                    "impressions" => r.Impressions.ToString(CultureInfo.InvariantCulture),
                    "clicks" => r.Clicks.ToString(CultureInfo.InvariantCulture),
                    "conversion" => r.Conversions.ToString(CultureInfo.InvariantCulture),
                    "total_complete_payment_rate" => Money(r.ConversionValue),
                    "campaign_name" => r.CampaignName ?? "-",
                    "campaign_id" => r.CampaignId,
                    _ => "-",
                };
            }
            list.Add((JsonNode)new JsonObject
            {
                ["dimensions"] = new JsonObject { [idKey] = idKey == "campaign_id" ? r.CampaignId : r.AdGroupId, ["stat_time_day"] = r.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00" },
                ["metrics"] = m,
            });
        }
        await WriteAsync(context, 0, "OK", new JsonObject
        {
            ["list"] = list,
            ["page_info"] = new JsonObject { ["page"] = page, ["page_size"] = pageSize, ["total_number"] = rows.Count, ["total_page"] = totalPage },
        }).ConfigureAwait(false);
    }

    private static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    // ---- Campaign management ------------------------------------------------------------------

    private async Task StatusAsync(HttpContext context, bool adGroups)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var root = doc?.RootElement;
        var advertiser = root is { } r0 ? String(r0, "advertiser_id") : null;
        var idsKey = adGroups ? "adgroup_ids" : "campaign_ids";
        var idKey = adGroups ? "adgroup_id" : "campaign_id";
        if (root is not { } r || advertiser is null)
        {
            await InvalidAsync(context, "advertiser_id is required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var status = String(r, "operation_status");
        if (status is not ("ENABLE" or "DISABLE" or "DELETE"))
        {
            await InvalidAsync(context, "operation_status must be ENABLE, DISABLE or DELETE").ConfigureAwait(false);
            return;
        }
        if (!r.TryGetProperty(idsKey, out var idsElement) || idsElement.ValueKind != JsonValueKind.Array || idsElement.GetArrayLength() is < 1 or > 20
            || idsElement.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            await InvalidAsync(context, $"{idsKey} must list 1 to 20 ids").ConfigureAwait(false);
            return;
        }
        var updated = new JsonArray();
        var errors = new JsonArray();
        lock (_gate)
        {
            var objects = adGroups ? _adGroups : _campaigns;
            foreach (var id in idsElement.EnumerateArray().Select(x => x.GetString()!))
            {
                if (objects.TryGetValue(id, out var o) && o.AdvertiserId == advertiser && o.Status != "DELETE")
                {
                    objects[id] = o with { Status = status };
                    updated.Add((JsonNode?)JsonValue.Create(id));
                }
                else
                {
                    errors.Add((JsonNode)new JsonObject { [idKey] = id, ["error_message"] = $"{idKey} {id} does not exist or was deleted" });
                }
            }
        }
        if (updated.Count == 0)
        {
            await InvalidAsync(context, $"none of the {idsKey} exist").ConfigureAwait(false);
            return;
        }
        var data = new JsonObject { [idsKey] = updated, ["status"] = status };
        if (errors.Count > 0)
        {
            data["errors"] = errors;
            await WriteAsync(context, 20001, "Partial success.", data).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", data).ConfigureAwait(false);
    }

    private async Task BudgetAsync(HttpContext context, bool adGroups)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        var idKey = adGroups ? "adgroup_id" : "campaign_id";
        if (doc?.RootElement is not { } r || String(r, "advertiser_id") is not { } advertiser || String(r, idKey) is not { } id)
        {
            await InvalidAsync(context, $"advertiser_id and {idKey} are required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        if (!r.TryGetProperty("budget", out var b) || b.ValueKind != JsonValueKind.Number || b.GetDecimal() <= 0)
        {
            await InvalidAsync(context, "budget must be a positive number").ConfigureAwait(false);
            return;
        }
        bool found;
        lock (_gate)
        {
            var objects = adGroups ? _adGroups : _campaigns;
            found = objects.TryGetValue(id, out var o) && o.AdvertiserId == advertiser && o.Status != "DELETE";
            if (found)
            {
                objects[id] = o! with { Budget = b.GetDecimal() };
            }
        }
        if (!found)
        {
            await InvalidAsync(context, $"{idKey} {id} does not exist").ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", new JsonObject { [idKey] = id }).ConfigureAwait(false);
    }

    // ---- Custom audiences ---------------------------------------------------------------------

    private async Task UploadAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        if (!context.Request.HasFormContentType)
        {
            await InvalidAsync(context, "the upload must be multipart/form-data").ConfigureAwait(false);
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var advertiser = form["advertiser_id"].ToString();
        var calculateType = form["calculate_type"].ToString();
        var signature = form["file_signature"].ToString();
        var file = form.Files.GetFile("file");
        if (string.IsNullOrEmpty(advertiser) || file is null || string.IsNullOrEmpty(signature))
        {
            await InvalidAsync(context, "advertiser_id, file and file_signature are required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var hexLength = calculateType switch
        {
            "EMAIL_SHA256" or "PHONE_SHA256" or "IDFA_SHA256" or "GAID_SHA256" => 64,
            "IDFA_MD5" or "GAID_MD5" => 32,
            _ => 0,
        };
        if (hexLength == 0)
        {
            await InvalidAsync(context, "calculate_type is not supported").ConfigureAwait(false);
            return;
        }
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var bytes = buffer.ToArray();
#pragma warning disable CA5351 // TikTok defines file_signature as the MD5 of the file.
        var md5 = Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
        if (!string.Equals(md5, signature, StringComparison.OrdinalIgnoreCase))
        {
            await InvalidAsync(context, "file_signature does not match the MD5 of the file").ConfigureAwait(false);
            return;
        }
        var ids = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
        {
            await InvalidAsync(context, "the file is empty").ConfigureAwait(false);
            return;
        }
        var bad = Array.FindIndex(ids, id => !IsLowerHex(id, hexLength));
        if (bad >= 0)
        {
            await InvalidAsync(context, $"line {bad + 1} of the file is not a {hexLength}-character lower-case hex hash").ConfigureAwait(false);
            return;
        }
        var path = $"custom_audience/{Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture)}/{file.FileName}";
        lock (_gate)
        {
            _files[path] = (advertiser, calculateType, ids);
        }
        await WriteAsync(context, 0, "OK", new JsonObject { ["file_path"] = path }).ConfigureAwait(false);
    }

    private async Task CreateAudienceAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } r || String(r, "advertiser_id") is not { } advertiser)
        {
            await InvalidAsync(context, "advertiser_id is required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var name = String(r, "custom_audience_name");
        var calculateType = String(r, "calculate_type");
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || string.IsNullOrEmpty(calculateType))
        {
            await InvalidAsync(context, "custom_audience_name (1-128 characters) and calculate_type are required").ConfigureAwait(false);
            return;
        }
        if (r.TryGetProperty("retention_in_days", out var ret) && (ret.ValueKind != JsonValueKind.Number || !ret.TryGetInt32(out var days) || days is < 1 or > 365))
        {
            await InvalidAsync(context, "retention_in_days must be between 1 and 365").ConfigureAwait(false);
            return;
        }
        string? error;
        string id;
        lock (_gate)
        {
            var (members, e) = ResolveFiles(r, advertiser, calculateType, required: true);
            error = e;
            id = (7_000_000_000_000_000_000 + Interlocked.Increment(ref _sequence)).ToString(CultureInfo.InvariantCulture);
            if (error is null)
            {
                _audiences[id] = new TikTokEmulatedAudience(advertiser, id, name, calculateType, members!, 0);
            }
        }
        if (error is not null)
        {
            await InvalidAsync(context, error).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, 0, "OK", new JsonObject { ["custom_audience_id"] = id }).ConfigureAwait(false);
    }

    private async Task UpdateAudienceAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context).ConfigureAwait(false) is false)
        {
            return;
        }
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc?.RootElement is not { } r || String(r, "advertiser_id") is not { } advertiser || String(r, "custom_audience_id") is not { } id)
        {
            await InvalidAsync(context, "advertiser_id and custom_audience_id are required").ConfigureAwait(false);
            return;
        }
        if (!await AdvertiserAllowedAsync(context, advertiser).ConfigureAwait(false))
        {
            return;
        }
        var action = String(r, "action") ?? "REPLACE";
        if (action is not ("APPEND" or "REMOVE" or "REPLACE"))
        {
            await InvalidAsync(context, "action must be APPEND, REMOVE or REPLACE").ConfigureAwait(false);
            return;
        }
        var name = String(r, "custom_audience_name");
        string? error = null;
        lock (_gate)
        {
            if (!_audiences.TryGetValue(id, out var audience) || audience.AdvertiserId != advertiser)
            {
                error = $"custom_audience_id {id} does not exist";
            }
            else
            {
                var (members, e) = ResolveFiles(r, advertiser, audience.CalculateType, required: name is null);
                error = e;
                if (error is null)
                {
                    var next = members is null ? audience.Members : action switch
                    {
                        "APPEND" => audience.Members.Union(members, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal),
                        "REMOVE" => audience.Members.Except(members, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal),
                        _ => members,
                    };
                    _audiences[id] = audience with { Name = name ?? audience.Name, Members = next, Updates = audience.Updates + 1 };
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

    /// <summary>The members of the uploaded files named by <c>file_paths</c> (caller holds the lock).</summary>
    private (HashSet<string>? Members, string? Error) ResolveFiles(JsonElement root, string advertiser, string calculateType, bool required)
    {
        if (!root.TryGetProperty("file_paths", out var paths) || paths.ValueKind != JsonValueKind.Array || paths.GetArrayLength() == 0)
        {
            return required ? (null, "file_paths must list at least one uploaded file") : (null, null);
        }
        var members = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths.EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.String || !_files.TryGetValue(p.GetString()!, out var file) || file.Advertiser != advertiser)
            {
                return (null, "file_paths names a file that was not uploaded");
            }
            if (file.CalculateType != calculateType)
            {
                return (null, $"a file was uploaded as {file.CalculateType} but the audience uses {calculateType}");
            }
            members.UnionWith(file.Ids);
        }
        return (members, null);
    }

    // ---- Helpers ------------------------------------------------------------------------------

    private async Task<bool> AuthorizeAsync(HttpContext context)
    {
        var token = context.Request.Headers["Access-Token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            await WriteAsync(context, 40104, "Access token is null. Please pass the access token in the Access-Token header.", null).ConfigureAwait(false);
            return false;
        }
        if (!_tokens.ContainsKey(token))
        {
            await WriteAsync(context, 40105, "Access token is incorrect or has been revoked.", null).ConfigureAwait(false);
            return false;
        }
        return true;
    }

    private async Task<bool> AdvertiserAllowedAsync(HttpContext context, string advertiser)
    {
        if (_options.AdvertiserIds.Count == 0 || _options.AdvertiserIds.Contains(advertiser))
        {
            return true;
        }
        await WriteAsync(context, 40001, "No permission to operate advertiser " + advertiser + ".", null).ConfigureAwait(false);
        return false;
    }

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

    private static string[]? JsonStringArray(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                ? [.. doc.RootElement.EnumerateArray().Select(e => e.GetString()!)]
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool IsLowerHex(string value, int length) =>
        value.Length == length && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private Task InvalidAsync(HttpContext context, string message) => WriteAsync(context, 40002, message, null);

    private async Task WriteAsync(HttpContext context, int code, string message, JsonNode? data, int status = StatusCodes.Status200OK)
    {
        var requestId = _options.TimeProvider.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
            + Interlocked.Increment(ref _sequence).ToString("X18", CultureInfo.InvariantCulture);
        var body = new JsonObject { ["code"] = code, ["message"] = message, ["request_id"] = requestId, ["data"] = data ?? new JsonObject() };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
