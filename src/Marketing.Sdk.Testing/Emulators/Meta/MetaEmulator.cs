using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>A server event the Meta emulator accepted (after deduplication).</summary>
/// <param name="PixelId">The pixel (dataset) id.</param>
/// <param name="EventName">The event name (e.g. <c>Purchase</c>).</param>
/// <param name="EventId">The event id, if sent.</param>
/// <param name="EventTime">The event time.</param>
/// <param name="ActionSource">The action source.</param>
/// <param name="ReceivedAt">When the emulator accepted it.</param>
/// <param name="TestEventCode">The request's <c>test_event_code</c>, if any.</param>
/// <param name="UserData">The <c>user_data</c> values as sent (hashes, click ids, IP and user agent), by key; lists joined with commas.</param>
/// <param name="Value">The <c>custom_data.value</c>, if any.</param>
/// <param name="Currency">The <c>custom_data.currency</c>, if any.</param>
/// <param name="OrderId">The <c>custom_data.order_id</c>, if any.</param>
/// <param name="ContentCount">Entries in <c>custom_data.contents</c>.</param>
public sealed record MetaReceivedEvent(
    string PixelId, string EventName, string? EventId, DateTimeOffset EventTime, string ActionSource, DateTimeOffset ReceivedAt,
    string? TestEventCode, IReadOnlyDictionary<string, string> UserData, decimal? Value, string? Currency, string? OrderId, int ContentCount);

/// <summary>A row of ad delivery the emulator's insights endpoint reports (one day × ad set, or × campaign when <see cref="AdSetId"/> is null).</summary>
public sealed record MetaInsightsSeedRow
{
    /// <summary>The day.</summary>
    public required DateOnly Date { get; init; }
    /// <summary>The campaign id.</summary>
    public required string CampaignId { get; init; }
    /// <summary>The campaign name.</summary>
    public string? CampaignName { get; init; }
    /// <summary>The ad set id (rows without one appear only at campaign level).</summary>
    public string? AdSetId { get; init; }
    /// <summary>The ad set name.</summary>
    public string? AdSetName { get; init; }
    /// <summary>Spend in the account currency.</summary>
    public decimal Spend { get; init; }
    /// <summary>Impressions.</summary>
    public long Impressions { get; init; }
    /// <summary>Clicks.</summary>
    public long Clicks { get; init; }
    /// <summary>Action counts by action type (e.g. <c>purchase</c>, <c>omni_purchase</c>).</summary>
    public IReadOnlyDictionary<string, decimal> Actions { get; init; } = new Dictionary<string, decimal>();
    /// <summary>Action values by action type, in the account currency.</summary>
    public IReadOnlyDictionary<string, decimal> ActionValues { get; init; } = new Dictionary<string, decimal>();
}

/// <summary>A campaign or ad set as the emulator holds it.</summary>
/// <param name="Id">The id.</param>
/// <param name="Kind"><c>campaign</c> or <c>adset</c>.</param>
/// <param name="Status">ACTIVE, PAUSED, ARCHIVED or DELETED.</param>
/// <param name="DailyBudget">The daily budget in the account currency's minor units, if set.</param>
/// <param name="BudgetChanges">When the budget was changed.</param>
public sealed record MetaAdObject(string Id, string Kind, string Status, long? DailyBudget, IReadOnlyList<DateTimeOffset> BudgetChanges);

/// <summary>A custom-audience upload session as the emulator tracks it.</summary>
/// <param name="SessionId">The session id.</param>
/// <param name="AudienceId">The audience.</param>
/// <param name="Edge"><c>users</c> or <c>usersreplace</c>.</param>
/// <param name="Batches">Batches received (distinct <c>batch_seq</c>).</param>
/// <param name="NumReceived">Rows received.</param>
/// <param name="NumInvalidEntries">Rows rejected as invalid.</param>
/// <param name="EstimatedNumTotal">The client's <c>estimated_num_total</c>.</param>
/// <param name="Completed">Whether the last batch arrived.</param>
public sealed record MetaAudienceSession(long SessionId, string AudienceId, string Edge, int Batches, int NumReceived, int NumInvalidEntries, int EstimatedNumTotal, bool Completed);

/// <summary>
/// A loopback emulator of Meta's Graph / Marketing API and Conversions API for tests: checks the
/// <c>access_token</c> (and <c>appsecret_proof</c> when <see cref="AppSecret"/> is set), pixel,
/// audience, account and object ids; validates server events as the Conversions API does (batch of at
/// most 1 000, hashed customer information as 64 lower-case hex, required website parameters, and
/// <em>any</em> event older than 7 days — 62 for physical-store events — rejects the whole request
/// with error 100); deduplicates on event name + event id within 48 hours and records what it
/// accepted; serves insights from seeded rows with cursor paging; tracks custom-audience members and
/// upload sessions (at most 10 000 rows per request) and campaign / ad-set status and budgets (at most
/// four budget changes per ad set per hour, then error 17). Faults use Meta's envelopes: 5xx with
/// code 2 and <c>is_transient</c>, throttling as HTTP 400 code 17 with <c>X-Business-Use-Case-Usage</c>,
/// expired tokens as code 190.
/// </summary>
public sealed partial class MetaEmulator : PlatformEmulator
{
    private static readonly string[] HashedUserDataKeys = ["em", "ph", "fn", "ln", "ct", "st", "zp", "country", "db", "ge"];
    private static readonly string[] PlainUserDataKeys = ["external_id", "client_ip_address", "client_user_agent", "fbc", "fbp", "subscription_id", "fb_login_id", "lead_id"];
    private static readonly HashSet<string> ActionSources = new(StringComparer.Ordinal) { "email", "website", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other" };
    private static readonly HashSet<string> AudienceKeys = new(StringComparer.Ordinal) { "EMAIL", "PHONE", "FN", "LN", "FI", "ZIP", "CT", "ST", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN", "EXTERN_ID", "MADID", "PAGEUID", "LOOKALIKE_VALUE" };
    private static readonly HashSet<string> UnhashedAudienceKeys = new(StringComparer.Ordinal) { "EXTERN_ID", "MADID", "PAGEUID", "LOOKALIKE_VALUE" };

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly HashSet<string> _pixels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<MetaInsightsSeedRow>> _insights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _audiences = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SessionState> _sessions = [];
    private readonly Dictionary<string, AdObjectState> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _dedup = new(StringComparer.Ordinal);
    private readonly List<MetaReceivedEvent> _accepted = [];
    private int _duplicates;
    private int _rejectedRequests;
    private long _trace;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="accessToken">The access token it accepts.</param>
    /// <param name="timeProvider">Its clock (event age, deduplication window, budget-change window).</param>
    public MetaEmulator(string accessToken = "meta-emulator-token", TimeProvider? timeProvider = null) : base("meta")
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        AccessToken = accessToken;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The access token the emulator accepts.</summary>
    public string AccessToken { get; }

    /// <summary>When set, every call must carry a matching <c>appsecret_proof</c>.</summary>
    public string? AppSecret { get; set; }

    /// <summary>How long an event name + event id pair is remembered for deduplication (default 48 hours).</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromHours(48);

    /// <summary>The <c>estimated_time_to_regain_access</c> (minutes) of throttling answers (default 1; 0 sends no wait hint).</summary>
    public int ThrottleRegainMinutes { get; set; } = 1;

    /// <summary>The percentage reported in <c>X-App-Usage</c> on every answer (default 1).</summary>
    public int AppUsagePercent { get; set; } = 1;

    /// <summary>Budget changes allowed per ad set per hour before error 17 (default 4).</summary>
    public int MaxBudgetChangesPerHour { get; set; } = 4;

    /// <summary>Accepted events, in arrival order (a snapshot).</summary>
    public IReadOnlyList<MetaReceivedEvent> AcceptedEvents
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    /// <summary>Events received again within the deduplication window and not counted twice.</summary>
    public int DuplicatesSuppressed => Volatile.Read(ref _duplicates);

    /// <summary>Conversions API requests rejected as a whole (validation errors).</summary>
    public int RejectedRequests => Volatile.Read(ref _rejectedRequests);

    /// <summary>Registers a pixel (dataset).</summary>
    /// <param name="pixelId">The id.</param>
    public MetaEmulator AddPixel(string pixelId)
    {
        lock (_gate)
        {
            _pixels.Add(pixelId);
        }
        return this;
    }

    /// <summary>Registers an ad account (id without <c>act_</c>) and its currency.</summary>
    /// <param name="accountId">The id.</param>
    /// <param name="currency">The account currency (ISO 4217).</param>
    public MetaEmulator AddAdAccount(string accountId, string currency)
    {
        lock (_gate)
        {
            _accounts[accountId] = currency;
            _insights.TryAdd(accountId, []);
        }
        return this;
    }

    /// <summary>Adds delivery rows the insights endpoint reports for an account (registered with <see cref="AddAdAccount"/>).</summary>
    /// <param name="accountId">The account id (without <c>act_</c>).</param>
    /// <param name="rows">The rows.</param>
    public MetaEmulator SeedInsights(string accountId, IEnumerable<MetaInsightsSeedRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            if (!_insights.TryGetValue(accountId, out var list))
            {
                throw new InvalidOperationException($"Register the ad account {accountId} with AddAdAccount first.");
            }
            list.AddRange(rows);
        }
        return this;
    }

    /// <summary>Registers an empty custom audience.</summary>
    /// <param name="audienceId">The id.</param>
    public MetaEmulator AddAudience(string audienceId)
    {
        lock (_gate)
        {
            _audiences.TryAdd(audienceId, new HashSet<string>(StringComparer.Ordinal));
        }
        return this;
    }

    /// <summary>Registers a campaign.</summary>
    /// <param name="campaignId">The id.</param>
    /// <param name="status">Its status.</param>
    /// <param name="dailyBudget">Its daily budget in minor units, if any.</param>
    public MetaEmulator AddCampaign(string campaignId, string status = "ACTIVE", long? dailyBudget = null) => AddObject(campaignId, "campaign", status, dailyBudget);

    /// <summary>Registers an ad set.</summary>
    /// <param name="adSetId">The id.</param>
    /// <param name="status">Its status.</param>
    /// <param name="dailyBudget">Its daily budget in minor units, if any.</param>
    public MetaEmulator AddAdSet(string adSetId, string status = "ACTIVE", long? dailyBudget = null) => AddObject(adSetId, "adset", status, dailyBudget);

    private MetaEmulator AddObject(string id, string kind, string status, long? budget)
    {
        lock (_gate)
        {
            _objects[id] = new AdObjectState { Kind = kind, Status = status, DailyBudget = budget };
        }
        return this;
    }

    /// <summary>A campaign or ad set.</summary>
    /// <param name="id">The id.</param>
    public MetaAdObject GetObject(string id)
    {
        lock (_gate)
        {
            var o = _objects[id];
            return new MetaAdObject(id, o.Kind, o.Status, o.DailyBudget, [.. o.BudgetChanges]);
        }
    }

    /// <summary>The members of a custom audience, each as its matched keys (<c>EMAIL=…|PHONE=…</c>).</summary>
    /// <param name="audienceId">The id.</param>
    public IReadOnlyCollection<string> AudienceMembers(string audienceId)
    {
        lock (_gate)
        {
            return [.. _audiences[audienceId]];
        }
    }

    /// <summary>An upload session, or <see langword="null"/>.</summary>
    /// <param name="sessionId">The session id.</param>
    public MetaAudienceSession? GetSession(long sessionId)
    {
        lock (_gate)
        {
            return _sessions.TryGetValue(sessionId, out var s)
                ? new MetaAudienceSession(sessionId, s.AudienceId, s.Edge, s.Batches.Count, s.NumReceived, s.NumInvalid, s.EstimatedTotal, s.Completed)
                : null;
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapPost("/{version}/{id}/events", EventsAsync);
        routes.MapPost("/{version}/{id}/users", ctx => AudienceAsync(ctx, "users", remove: false));
        routes.MapDelete("/{version}/{id}/users", ctx => AudienceAsync(ctx, "users", remove: true));
        routes.MapPost("/{version}/{id}/usersreplace", ctx => AudienceAsync(ctx, "usersreplace", remove: false));
        routes.MapGet("/{version}/{id}/insights", InsightsAsync);
        routes.MapPost("/{version}/{id}", UpdateObjectAsync);
    }

    // ------------------------------------------------------------------ conversions

    private async Task EventsAsync(HttpContext ctx)
    {
        var p = await AuthorizeAsync(ctx).ConfigureAwait(false);
        if (p is null)
        {
            return;
        }
        var pixel = (string)ctx.Request.RouteValues["id"]!;
        bool known;
        lock (_gate)
        {
            known = _pixels.Contains(pixel);
        }
        if (!known)
        {
            await UnknownObjectAsync(ctx, pixel).ConfigureAwait(false);
            return;
        }
        if (!p.TryGetValue("data", out var dataText))
        {
            await RejectEventsAsync(ctx, "The parameter data is required", null).ConfigureAwait(false);
            return;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(dataText);
        }
        catch (JsonException)
        {
            await RejectEventsAsync(ctx, "Invalid parameter", "data must be a JSON array of server events").ConfigureAwait(false);
            return;
        }
        using (doc)
        {
            var data = doc.RootElement;
            if (data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
            {
                await RejectEventsAsync(ctx, "Invalid parameter", "data must be a non-empty JSON array of server events").ConfigureAwait(false);
                return;
            }
            if (data.GetArrayLength() > 1000)
            {
                await RejectEventsAsync(ctx, "Invalid parameter", "A request can contain at most 1000 events").ConfigureAwait(false);
                return;
            }
            var now = _time.GetUtcNow();
            var parsed = new List<MetaReceivedEvent>();
            var index = 0;
            foreach (var e in data.EnumerateArray())
            {
                var problem = ValidateEvent(e, index, now, out var received, pixel, p.GetValueOrDefault("test_event_code"));
                if (problem is not null)
                {
                    await RejectEventsAsync(ctx, "Invalid parameter", problem).ConfigureAwait(false);
                    return;
                }
                parsed.Add(received!);
                index++;
            }
            lock (_gate)
            {
                foreach (var e in parsed)
                {
                    if (e.EventId is not null)
                    {
                        var key = $"{pixel}\n{e.EventName}\n{e.EventId}";
                        if (_dedup.TryGetValue(key, out var first) && now - first < DeduplicationWindow)
                        {
                            _duplicates++;
                            continue;
                        }
                        _dedup[key] = now;
                    }
                    _accepted.Add(e);
                }
            }
            await WriteJsonAsync(ctx, 200, w =>
            {
                w.WriteNumber("events_received", parsed.Count);
                w.WriteStartArray("messages");
                w.WriteEndArray();
                w.WriteString("fbtrace_id", NextTrace());
            }).ConfigureAwait(false);
        }
    }

    private Task RejectEventsAsync(HttpContext ctx, string message, string? userMessage)
    {
        Interlocked.Increment(ref _rejectedRequests);
        return WriteErrorAsync(ctx, 400, 100, message, errorUserTitle: userMessage is null ? null : "Invalid server event", errorUserMessage: userMessage);
    }

    private static string? ValidateEvent(JsonElement e, int i, DateTimeOffset now, out MetaReceivedEvent? received, string pixel, string? testCode)
    {
        received = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            return $"data[{i}] is not an object";
        }
        var name = Str(e, "event_name");
        if (string.IsNullOrEmpty(name))
        {
            return $"data[{i}].event_name is required";
        }
        if (!e.TryGetProperty("event_time", out var timeElement) || !timeElement.TryGetInt64(out var seconds))
        {
            return $"data[{i}].event_time is required (Unix seconds)";
        }
        var source = Str(e, "action_source");
        if (source is null || !ActionSources.Contains(source))
        {
            return $"data[{i}].action_source is required and must be a known source";
        }
        var eventTime = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var maxAge = source == "physical_store" ? TimeSpan.FromDays(62) : TimeSpan.FromDays(7);
        if (now - eventTime > maxAge)
        {
            return $"data[{i}].event_time is more than {maxAge.TotalDays:0} days in the past (Event Timestamp Too Old)";
        }
        if (!e.TryGetProperty("user_data", out var user) || user.ValueKind != JsonValueKind.Object)
        {
            return $"data[{i}].user_data is required";
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in HashedUserDataKeys)
        {
            if (!user.TryGetProperty(key, out var v))
            {
                continue;
            }
            var list = Strings(v);
            if (list is null || list.Count == 0 || list.Any(h => !IsSha256LowerHex(h)))
            {
                return $"data[{i}].user_data.{key} must be a SHA-256 digest in lower-case hex (or a list of them)";
            }
            values[key] = string.Join(',', list);
        }
        foreach (var key in PlainUserDataKeys)
        {
            if (user.TryGetProperty(key, out var v))
            {
                var list = Strings(v);
                if (list is null)
                {
                    return $"data[{i}].user_data.{key} must be a string";
                }
                values[key] = string.Join(',', list);
            }
        }
        var identifiable = values.Keys.Any(k => k is not ("client_ip_address" or "client_user_agent"))
            || (values.ContainsKey("client_ip_address") && values.ContainsKey("client_user_agent"));
        if (!identifiable)
        {
            return $"data[{i}].user_data has no customer information parameter";
        }
        var url = Str(e, "event_source_url");
        if (source == "website" && (url is null || !values.ContainsKey("client_user_agent")))
        {
            return $"data[{i}]: website events need event_source_url and user_data.client_user_agent";
        }
        decimal? value = null;
        string? currency = null, orderId = null;
        var contents = 0;
        if (e.TryGetProperty("custom_data", out var custom) && custom.ValueKind == JsonValueKind.Object)
        {
            if (custom.TryGetProperty("value", out var v))
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var d) || d < 0)
                {
                    return $"data[{i}].custom_data.value must be a non-negative number";
                }
                value = d;
            }
            currency = Str(custom, "currency");
            if (currency is not null && (currency.Length != 3 || !currency.All(char.IsAsciiLetter)))
            {
                return $"data[{i}].custom_data.currency must be an ISO 4217 code";
            }
            orderId = Str(custom, "order_id");
            if (custom.TryGetProperty("contents", out var c))
            {
                if (c.ValueKind != JsonValueKind.Array || c.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Object || Str(x, "id") is null))
                {
                    return $"data[{i}].custom_data.contents must be a list of objects with an id";
                }
                contents = c.GetArrayLength();
            }
        }
        if (name == "Purchase" && (value is null || currency is null))
        {
            return $"data[{i}]: Purchase events need custom_data.value and custom_data.currency";
        }
        received = new MetaReceivedEvent(pixel, name, Str(e, "event_id"), eventTime, source, now, testCode, values, value, currency?.ToUpperInvariant(), orderId, contents);
        return null;
    }

    // ------------------------------------------------------------------ audiences

    private async Task AudienceAsync(HttpContext ctx, string edge, bool remove)
    {
        var p = await AuthorizeAsync(ctx).ConfigureAwait(false);
        if (p is null)
        {
            return;
        }
        var audienceId = (string)ctx.Request.RouteValues["id"]!;
        lock (_gate)
        {
            if (!_audiences.ContainsKey(audienceId))
            {
                audienceId = "";
            }
        }
        if (audienceId.Length == 0)
        {
            await UnknownObjectAsync(ctx, (string)ctx.Request.RouteValues["id"]!).ConfigureAwait(false);
            return;
        }
        if (!p.TryGetValue("payload", out var payloadText))
        {
            await WriteErrorAsync(ctx, 400, 100, "The parameter payload is required").ConfigureAwait(false);
            return;
        }
        string[] keys;
        var rows = new List<string?[]?>();
        try
        {
            using var payload = JsonDocument.Parse(payloadText);
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("schema", out var schema) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "payload needs schema and data").ConfigureAwait(false);
                return;
            }
            var singleKey = schema.ValueKind == JsonValueKind.String;
            keys = singleKey
                ? [SingleKey(schema.GetString()!)]
                : schema.ValueKind == JsonValueKind.Array ? [.. schema.EnumerateArray().Select(k => k.ValueKind == JsonValueKind.String ? k.GetString()! : "")] : [];
            if (keys.Length == 0 || keys.Any(k => !AudienceKeys.Contains(k)) || keys.Distinct(StringComparer.Ordinal).Count() != keys.Length)
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "payload.schema has an unknown or repeated key").ConfigureAwait(false);
                return;
            }
            if (data.GetArrayLength() > 10_000)
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "a request can carry at most 10000 users; use a session").ConfigureAwait(false);
                return;
            }
            foreach (var row in data.EnumerateArray())
            {
                if (singleKey)
                {
                    rows.Add(row.ValueKind == JsonValueKind.String ? [row.GetString()] : null);
                }
                else if (row.ValueKind == JsonValueKind.Array && row.GetArrayLength() == keys.Length)
                {
                    rows.Add([.. row.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : null)]);
                }
                else
                {
                    rows.Add(null);
                }
            }
        }
        catch (JsonException)
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "payload is not JSON").ConfigureAwait(false);
            return;
        }

        long? sessionId = null;
        int batchSeq = 0, estimated = 0;
        var last = false;
        if (p.TryGetValue("session", out var sessionText))
        {
            try
            {
                using var s = JsonDocument.Parse(sessionText);
                var r = s.RootElement;
                if (!r.TryGetProperty("session_id", out var id) || !id.TryGetInt64(out var sid) || !r.TryGetProperty("batch_seq", out var seq) || !seq.TryGetInt32(out batchSeq) || batchSeq < 1)
                {
                    throw new JsonException("session");
                }
                sessionId = sid;
                last = r.TryGetProperty("last_batch_flag", out var lf) && lf.ValueKind == JsonValueKind.True;
                estimated = r.TryGetProperty("estimated_num_total", out var est) && est.TryGetInt32(out var n) ? n : 0;
            }
            catch (JsonException)
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "session needs session_id and a batch_seq of at least 1").ConfigureAwait(false);
                return;
            }
        }
        if (edge == "usersreplace" && sessionId is null)
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "usersreplace requires a session").ConfigureAwait(false);
            return;
        }

        var invalid = 0;
        var members = new List<string>(rows.Count);
        foreach (var row in rows)
        {
            var member = row is null ? null : MemberKey(keys, row);
            if (member is null)
            {
                invalid++;
            }
            else
            {
                members.Add(member);
            }
        }
        lock (_gate)
        {
            var audience = _audiences[audienceId];
            SessionState? session = null;
            if (sessionId is { } sid)
            {
                if (!_sessions.TryGetValue(sid, out session))
                {
                    _sessions[sid] = session = new SessionState { AudienceId = audienceId, Edge = edge };
                }
                session.Batches.Add(batchSeq);
                session.NumReceived += rows.Count;
                session.NumInvalid += invalid;
                session.EstimatedTotal = estimated;
            }
            if (edge == "usersreplace")
            {
                session!.Pending.UnionWith(members);
                if (last)
                {
                    audience.Clear();
                    audience.UnionWith(session.Pending);
                }
            }
            else if (remove)
            {
                audience.ExceptWith(members);
            }
            else
            {
                audience.UnionWith(members);
            }
            if (session is not null && last)
            {
                session.Completed = true;
            }
        }
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteString("audience_id", audienceId);
            if (sessionId is { } sid)
            {
                w.WriteString("session_id", sid.ToString(CultureInfo.InvariantCulture));
            }
            w.WriteNumber("num_received", rows.Count);
            w.WriteNumber("num_invalid_entries", invalid);
            w.WriteStartObject("invalid_entry_samples");
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static string SingleKey(string schema) => schema switch
    {
        "EMAIL_SHA256" => "EMAIL",
        "PHONE_SHA256" => "PHONE",
        _ => schema,
    };

    private static string? MemberKey(string[] keys, string?[] row)
    {
        var parts = new List<string>(keys.Length);
        for (var k = 0; k < keys.Length; k++)
        {
            var v = row[k];
            if (string.IsNullOrEmpty(v))
            {
                continue;
            }
            if (!UnhashedAudienceKeys.Contains(keys[k]) && !IsSha256LowerHex(v))
            {
                return null;
            }
            parts.Add($"{keys[k]}={v}");
        }
        if (parts.Count == 0)
        {
            return null;
        }
        parts.Sort(StringComparer.Ordinal);
        return string.Join('|', parts);
    }

    // ------------------------------------------------------------------ insights

    private async Task InsightsAsync(HttpContext ctx)
    {
        var p = await AuthorizeAsync(ctx).ConfigureAwait(false);
        if (p is null)
        {
            return;
        }
        var node = (string)ctx.Request.RouteValues["id"]!;
        var accountId = node.StartsWith("act_", StringComparison.Ordinal) ? node[4..] : "";
        string? currency;
        List<MetaInsightsSeedRow> seeded;
        lock (_gate)
        {
            currency = _accounts.GetValueOrDefault(accountId);
            seeded = currency is null ? [] : [.. _insights[accountId]];
        }
        if (currency is null)
        {
            await UnknownObjectAsync(ctx, node).ConfigureAwait(false);
            return;
        }
        var level = p.GetValueOrDefault("level");
        if (level is not ("campaign" or "adset"))
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "the emulator serves level=campaign or level=adset").ConfigureAwait(false);
            return;
        }
        if (p.GetValueOrDefault("time_increment") != "1")
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "the emulator serves time_increment=1").ConfigureAwait(false);
            return;
        }
        DateOnly since, until;
        try
        {
            using var range = JsonDocument.Parse(p.GetValueOrDefault("time_range") ?? "");
            since = DateOnly.ParseExact(Str(range.RootElement, "since") ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture);
            until = DateOnly.ParseExact(Str(range.RootElement, "until") ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "time_range must be {\"since\":\"YYYY-MM-DD\",\"until\":\"YYYY-MM-DD\"}").ConfigureAwait(false);
            return;
        }
        var fields = (p.GetValueOrDefault("fields") ?? "spend,impressions,clicks").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var limit = int.TryParse(p.GetValueOrDefault("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? Math.Min(l, 5000) : 25;
        var offset = 0;
        if (p.TryGetValue("after", out var after) && !TryReadCursor(after, out offset))
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "the after cursor is not valid").ConfigureAwait(false);
            return;
        }

        var adset = level == "adset";
        var rows = seeded
            .Where(r => r.Date >= since && r.Date <= until && (!adset || r.AdSetId is not null))
            .GroupBy(r => (r.Date, r.CampaignId, AdSet: adset ? r.AdSetId : null))
            .OrderBy(g => g.Key.Date).ThenBy(g => g.Key.CampaignId, StringComparer.Ordinal).ThenBy(g => g.Key.AdSet, StringComparer.Ordinal)
            .ToList();
        var page = rows.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count;
        await WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartArray("data");
            foreach (var g in page)
            {
                var first = g.First();
                w.WriteStartObject();
                if (fields.Contains("account_id"))
                {
                    w.WriteString("account_id", accountId);
                }

                if (fields.Contains("account_currency"))
                {
                    w.WriteString("account_currency", currency);
                }

                if (fields.Contains("campaign_id"))
                {
                    w.WriteString("campaign_id", g.Key.CampaignId);
                }

                if (fields.Contains("campaign_name") && first.CampaignName is not null)
                {
                    w.WriteString("campaign_name", first.CampaignName);
                }

                if (adset && fields.Contains("adset_id"))
                {
                    w.WriteString("adset_id", g.Key.AdSet);
                }

                if (adset && fields.Contains("adset_name") && first.AdSetName is not null)
                {
                    w.WriteString("adset_name", first.AdSetName);
                }

                if (fields.Contains("spend"))
                {
                    w.WriteString("spend", g.Sum(r => r.Spend).ToString("0.00", CultureInfo.InvariantCulture));
                }

                if (fields.Contains("impressions"))
                {
                    w.WriteString("impressions", g.Sum(r => r.Impressions).ToString(CultureInfo.InvariantCulture));
                }

                if (fields.Contains("clicks"))
                {
                    w.WriteString("clicks", g.Sum(r => r.Clicks).ToString(CultureInfo.InvariantCulture));
                }

                if (fields.Contains("actions"))
                {
                    WriteActions(w, "actions", g.SelectMany(r => r.Actions));
                }

                if (fields.Contains("action_values"))
                {
                    WriteActions(w, "action_values", g.SelectMany(r => r.ActionValues));
                }

                w.WriteString("date_start", g.Key.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("date_stop", g.Key.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (page.Count > 0)
            {
                w.WriteStartObject("paging");
                w.WriteStartObject("cursors");
                w.WriteString("before", Cursor(offset));
                w.WriteString("after", Cursor(next));
                w.WriteEndObject();
                if (next < rows.Count)
                {
                    w.WriteString("next", NextLink(ctx, Cursor(next)));
                }
                if (offset > 0)
                {
                    w.WriteString("previous", NextLink(ctx, Cursor(Math.Max(0, offset - limit))));
                }
                w.WriteEndObject();
            }
        }).ConfigureAwait(false);
    }

    private static void WriteActions(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, decimal>> actions)
    {
        var sums = actions.GroupBy(a => a.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (sums.Count == 0)
        {
            return;
        }
        w.WriteStartArray(name);
        foreach (var g in sums)
        {
            w.WriteStartObject();
            w.WriteString("action_type", g.Key);
            w.WriteString("value", g.Sum(a => a.Value).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string Cursor(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("offset:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static bool TryReadCursor(string cursor, out int offset)
    {
        offset = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("offset:", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string NextLink(HttpContext ctx, string after)
    {
        var query = ctx.Request.Query
            .Where(q => !string.Equals(q.Key, "after", StringComparison.Ordinal))
            .Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}")
            .Append($"after={Uri.EscapeDataString(after)}");
        return $"{ctx.Request.Scheme}://{ctx.Request.Host}{ctx.Request.Path}?{string.Join('&', query)}";
    }

    // ------------------------------------------------------------------ campaigns and ad sets

    private async Task UpdateObjectAsync(HttpContext ctx)
    {
        var p = await AuthorizeAsync(ctx).ConfigureAwait(false);
        if (p is null)
        {
            return;
        }
        var id = (string)ctx.Request.RouteValues["id"]!;
        var status = p.GetValueOrDefault("status");
        var budgetText = p.GetValueOrDefault("daily_budget");
        if (status is null && budgetText is null)
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "nothing to update").ConfigureAwait(false);
            return;
        }
        if (status is not null and not ("ACTIVE" or "PAUSED" or "ARCHIVED" or "DELETED"))
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "status must be ACTIVE, PAUSED, ARCHIVED or DELETED").ConfigureAwait(false);
            return;
        }
        long? budget = null;
        if (budgetText is not null)
        {
            if (!long.TryParse(budgetText, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b <= 0)
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "daily_budget must be a positive integer in the account currency's minor units").ConfigureAwait(false);
                return;
            }
            budget = b;
        }
        var now = _time.GetUtcNow();
        var outcome = 0; // 0 ok, 1 unknown, 2 budget limit
        lock (_gate)
        {
            if (!_objects.TryGetValue(id, out var o))
            {
                outcome = 1;
            }
            else
            {
                if (budget is not null && o.Kind == "adset")
                {
                    o.BudgetChanges.RemoveAll(t => now - t >= TimeSpan.FromHours(1));
                    if (o.BudgetChanges.Count >= MaxBudgetChangesPerHour)
                    {
                        outcome = 2;
                    }
                }
                if (outcome == 0)
                {
                    if (status is not null)
                    {
                        o.Status = status;
                    }
                    if (budget is not null)
                    {
                        o.DailyBudget = budget;
                        o.BudgetChanges.Add(now);
                    }
                }
            }
        }
        switch (outcome)
        {
            case 1:
                await UnknownObjectAsync(ctx, id).ConfigureAwait(false);
                return;
            case 2:
                ctx.Response.Headers[BucHeader] = BucValue(id, 60);
                await WriteErrorAsync(ctx, 400, 17, "User request limit reached", errorUserTitle: "Ad set budget change limit",
                    errorUserMessage: "The budget of this ad set was changed too often; try again in an hour").ConfigureAwait(false);
                return;
        }
        await WriteJsonAsync(ctx, 200, w => w.WriteBoolean("success", true)).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ auth, parameters, envelopes

    private const string BucHeader = "X-Business-Use-Case-Usage";

    private async Task<Dictionary<string, string>?> AuthorizeAsync(HttpContext ctx)
    {
        var p = await ReadParametersAsync(ctx).ConfigureAwait(false);
        if (p is null)
        {
            await WriteErrorAsync(ctx, 400, 100, "Invalid parameter", errorUserMessage: "the request body cannot be read").ConfigureAwait(false);
            return null;
        }
        var version = (string?)ctx.Request.RouteValues["version"];
        if (version is null || !VersionPattern().IsMatch(version))
        {
            await WriteErrorAsync(ctx, 400, 2500, "Unknown path components").ConfigureAwait(false);
            return null;
        }
        if (!p.TryGetValue("access_token", out var token) || token.Length == 0)
        {
            await WriteErrorAsync(ctx, 400, 104, "An access token is required to request this resource.").ConfigureAwait(false);
            return null;
        }
        if (!string.Equals(token, AccessToken, StringComparison.Ordinal))
        {
            await WriteErrorAsync(ctx, 400, 190, "Invalid OAuth access token - Cannot parse access token").ConfigureAwait(false);
            return null;
        }
        if (AppSecret is { Length: > 0 } secret)
        {
            var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(token)));
            if (!p.TryGetValue("appsecret_proof", out var proof))
            {
                await WriteErrorAsync(ctx, 400, 100, "API calls from the server require an appsecret_proof argument", type: "GraphMethodException").ConfigureAwait(false);
                return null;
            }
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(proof), Encoding.ASCII.GetBytes(expected)))
            {
                await WriteErrorAsync(ctx, 400, 100, "Invalid appsecret_proof provided in the API argument", type: "GraphMethodException").ConfigureAwait(false);
                return null;
            }
        }
        return p;
    }

    private static async Task<Dictionary<string, string>?> ReadParametersAsync(HttpContext ctx)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ctx.Request.Query)
        {
            p[key] = value.ToString();
        }
        try
        {
            if (ctx.Request.HasFormContentType)
            {
                ctx.Features.Set<IFormFeature>(new FormFeature(ctx.Request, new FormOptions
                {
                    ValueLengthLimit = 64 * 1024 * 1024,
                    KeyLengthLimit = 1024,
                    ValueCountLimit = 1024,
                }));
                var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
                foreach (var (key, value) in form)
                {
                    p[key] = value.ToString();
                }
            }
            else if (ctx.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }
                foreach (var prop in doc.RootElement.EnumerateObject())
                {
                    p[prop.Name] = prop.Value.ValueKind == JsonValueKind.String ? prop.Value.GetString()! : prop.Value.GetRawText();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            return null;
        }
        return p;
    }

    private Task UnknownObjectAsync(HttpContext ctx, string id) =>
        WriteErrorAsync(ctx, 400, 100, $"Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", type: "GraphMethodException", subcode: 33);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) =>
        WriteErrorAsync(context, 500, 2, "An unexpected error has occurred. Please retry your request later.", isTransient: true);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "0";
        context.Response.Headers[BucHeader] = BucValue(id.StartsWith("act_", StringComparison.Ordinal) ? id[4..] : id, ThrottleRegainMinutes);
        return WriteErrorAsync(context, 400, 17, "User request limit reached", subcode: 2446079, isTransient: true);
    }

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) =>
        WriteErrorAsync(context, 400, 190, "Error validating access token: Session has expired.", subcode: 463);

    private static string BucValue(string businessId, int regainMinutes) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"{businessId}\":[{{\"type\":\"ads_management\",\"call_count\":100,\"total_cputime\":30,\"total_time\":30,\"estimated_time_to_regain_access\":{regainMinutes}}}]}}");

    private Task WriteErrorAsync(HttpContext ctx, int status, int code, string message, string type = "OAuthException", int? subcode = null,
        string? errorUserTitle = null, string? errorUserMessage = null, bool? isTransient = null) =>
        WriteJsonAsync(ctx, status, w =>
        {
            w.WriteStartObject("error");
            w.WriteString("message", message);
            w.WriteString("type", type);
            w.WriteNumber("code", code);
            if (subcode is { } s)
            {
                w.WriteNumber("error_subcode", s);
            }

            if (isTransient is { } t)
            {
                w.WriteBoolean("is_transient", t);
            }

            if (errorUserTitle is not null)
            {
                w.WriteString("error_user_title", errorUserTitle);
            }

            if (errorUserMessage is not null)
            {
                w.WriteString("error_user_msg", errorUserMessage);
            }

            w.WriteString("fbtrace_id", NextTrace());
            w.WriteEndObject();
        });

    private async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=UTF-8";
        ctx.Response.Headers["X-App-Usage"] = string.Create(CultureInfo.InvariantCulture,
            $"{{\"call_count\":{AppUsagePercent},\"total_cputime\":{AppUsagePercent},\"total_time\":{AppUsagePercent}}}");
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }

    private string NextTrace() => "EmU" + Interlocked.Increment(ref _trace).ToString("x8", CultureInfo.InvariantCulture);

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string>? Strings(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => [v.GetString()!],
        JsonValueKind.Array when v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => [.. v.EnumerateArray().Select(x => x.GetString()!)],
        _ => null,
    };

    private static bool IsSha256LowerHex(string value) => value.Length == 64 && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    [GeneratedRegex(@"^v\d{1,3}\.\d{1,2}$")]
    private static partial Regex VersionPattern();

    private sealed class SessionState
    {
        public required string AudienceId { get; init; }
        public required string Edge { get; init; }
        public HashSet<int> Batches { get; } = [];
        public HashSet<string> Pending { get; } = new(StringComparer.Ordinal);
        public int NumReceived { get; set; }
        public int NumInvalid { get; set; }
        public int EstimatedTotal { get; set; }
        public bool Completed { get; set; }
    }

    private sealed class AdObjectState
    {
        public required string Kind { get; init; }
        public required string Status { get; set; }
        public long? DailyBudget { get; set; }
        public List<DateTimeOffset> BudgetChanges { get; } = [];
    }
}
