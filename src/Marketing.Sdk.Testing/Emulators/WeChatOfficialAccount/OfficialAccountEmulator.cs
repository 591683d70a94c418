using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback WeChat Official Account (服务号) API server for tests. It answers HTTP 200 with WeChat's
/// <c>{errcode, errmsg}</c> envelope for errors (the errmsg ends with a <c>rid</c>, as WeChat's does) and:
/// <list type="bullet">
/// <item><c>POST /cgi-bin/stable_token</c>: checks grant_type (40002), appid (40013) and secret (40125); normal mode
/// answers the current token with its remaining lifetime and hands out the next one only in the last
/// <see cref="OfficialAccountEmulatorOptions.RotationOverlap"/>; <c>force_refresh</c> rotates at once, keeps the old
/// token valid for the overlap, and is limited per day (45009) and in spacing (45011);</item>
/// <item>every other route takes <c>access_token</c> in the query: missing 41001, unknown or invalidated 40001,
/// expired 42001;</item>
/// <item><c>POST /cgi-bin/message/template/send</c>: 40003 unknown openid, 43004 not a follower, 40037 unknown
/// template, 47003 a value breaking its key's rule (thing ≤ 20 characters, character_string ≤ 32 without Chinese…),
/// 45009 daily quota, 45011 per-minute quota; de-duplicates on openid + <c>client_msg_id</c> within
/// <see cref="OfficialAccountEmulatorOptions.ClientMsgIdWindow"/> (answers the first <c>msgid</c> again);</item>
/// <item><c>POST /cgi-bin/message/subscribe/bizsend</c>: needs a remaining authorisation of the user for the
/// template (<see cref="GrantSubscription"/>; 43101 otherwise), consumes one per message;</item>
/// <item><c>GET /cgi-bin/user/get?next_openid=</c>: the followers in pages of
/// <see cref="OfficialAccountEmulatorOptions.FollowersPageSize"/>, <c>next_openid</c> the last of the page, then an
/// empty page;</item>
/// <item><c>POST /cgi-bin/user/info/batchget</c>: 1–100 users (40032 otherwise), subscribe state and unionid.</item>
/// </list>
/// Faults: server error (HTTP 200, errcode -1), throttling (HTTP 200, errcode 45011), token expiry (errcode 42001);
/// <see cref="AnswerNextWith"/> sends one raw, hostile answer. stable_token is never faulted.
/// </summary>
public sealed class OfficialAccountEmulator : PlatformEmulator
{
    private readonly OfficialAccountEmulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly List<string> _followers = [];
    private readonly Dictionary<string, bool> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unionIds = new(StringComparer.Ordinal);
    private readonly Dictionary<(string OpenId, string TemplateId), int> _subscriptions = [];
    private readonly Dictionary<(string OpenId, string ClientMsgId), (long MsgId, DateTimeOffset At)> _clientMsgIds = [];
    private readonly List<OfficialAccountSentMessage> _sent = [];
    private readonly List<DateTimeOffset> _recentSends = [];
    private readonly List<DateTimeOffset> _forceRefreshes = [];
    private (byte[] Body, string ContentType)? _rawAnswer;
    private string? _currentToken;
    private DateTimeOffset _tokenIssuedAt;
    private int _templateToday;
    private DateOnly _quotaDay;
    private long _msgIds = 1_000_000;
    private long _sequence;
    private int _stableTokenCalls;
    private int _duplicates;

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public OfficialAccountEmulator(OfficialAccountEmulatorOptions? options = null) : base("wechat_oa")
    {
        _options = options ?? new OfficialAccountEmulatorOptions();
        _time = _options.TimeProvider;
    }

    /// <summary>The AppID the emulator accepts.</summary>
    public string AppId => _options.AppId;

    /// <summary>The AppSecret the emulator accepts.</summary>
    public string AppSecret => _options.AppSecret;

    /// <summary>Calls of <c>/cgi-bin/stable_token</c> (normal and forced, refused ones included).</summary>
    public int StableTokenCalls => Volatile.Read(ref _stableTokenCalls);

    /// <summary>Forced refreshes granted today.</summary>
    public int ForceRefreshes
    {
        get
        {
            lock (_gate)
            {
                return _forceRefreshes.Count;
            }
        }
    }

    /// <summary>Messages that arrived again with an openid and <c>client_msg_id</c> seen within the window (answered, not delivered again).</summary>
    public int DuplicateMessages => Volatile.Read(ref _duplicates);

    /// <summary>The messages delivered, in order.</summary>
    public IReadOnlyList<OfficialAccountSentMessage> SentMessages
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>The token normal-mode stable_token would answer now, if one was issued.</summary>
    public string? CurrentToken
    {
        get
        {
            lock (_gate)
            {
                return _currentToken;
            }
        }
    }

    /// <summary>Adds followers (in follow order), each with a unionid when given.</summary>
    /// <param name="followers">Openid and optional unionid of each.</param>
    public void AddFollowers(IEnumerable<(string OpenId, string? UnionId)> followers)
    {
        ArgumentNullException.ThrowIfNull(followers);
        lock (_gate)
        {
            foreach (var (openId, unionId) in followers)
            {
                if (!_users.TryGetValue(openId, out var following) || !following)
                {
                    _followers.Add(openId);
                }
                _users[openId] = true;
                if (unionId is not null)
                {
                    _unionIds[openId] = unionId;
                }
            }
        }
    }

    /// <summary>Makes a follower unfollow (template messages then answer 43004; user info says subscribe 0).</summary>
    /// <param name="openId">The openid.</param>
    public void Unfollow(string openId)
    {
        lock (_gate)
        {
            if (_users.ContainsKey(openId))
            {
                _users[openId] = false;
                _followers.Remove(openId);
            }
        }
    }

    /// <summary>Records that a user authorised a subscribe template <paramref name="times"/> times (one message each).</summary>
    /// <param name="openId">The openid (made a known user if it is not one).</param>
    /// <param name="templateId">The subscribe template id.</param>
    /// <param name="times">Authorisations granted.</param>
    public void GrantSubscription(string openId, string templateId, int times = 1)
    {
        lock (_gate)
        {
            _users.TryAdd(openId, false);
            _subscriptions[(openId, templateId)] = _subscriptions.GetValueOrDefault((openId, templateId)) + times;
        }
    }

    /// <summary>Invalidates the current token before its time (as a platform-side reset does): calls with it answer 40001 and normal-mode stable_token still answers it until a forced refresh.</summary>
    public void InvalidateCurrentToken()
    {
        lock (_gate)
        {
            if (_currentToken is not null)
            {
                _tokens.Remove(_currentToken);
            }
        }
    }

    /// <summary>Answers the next request (except stable_token) with this raw body and HTTP 200, whatever it asked.</summary>
    /// <param name="body">The body.</param>
    /// <param name="contentType">The content type (default JSON).</param>
    public void AnswerNextWith(byte[] body, string contentType = "application/json")
    {
        lock (_gate)
        {
            _rawAnswer = (body, contentType);
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/cgi-bin/stable_token", (RequestDelegate)StableTokenAsync);
        routes.MapPost("/cgi-bin/message/template/send", (RequestDelegate)(ctx => Authorized(ctx, TemplateSendAsync)));
        routes.MapPost("/cgi-bin/message/subscribe/bizsend", (RequestDelegate)(ctx => Authorized(ctx, SubscribeSendAsync)));
        routes.MapGet("/cgi-bin/user/get", (RequestDelegate)(ctx => Authorized(ctx, FollowersAsync)));
        routes.MapPost("/cgi-bin/user/info/batchget", (RequestDelegate)(ctx => Authorized(ctx, BatchGetAsync)));
        routes.MapPost("/cgi-bin/token", (RequestDelegate)(ctx => ErrorAsync(ctx, 48001, "api unauthorized: this emulator serves stable_token only")));
        routes.MapGet("/cgi-bin/token", (RequestDelegate)(ctx => ErrorAsync(ctx, 48001, "api unauthorized: this emulator serves stable_token only")));
    }

    /// <inheritdoc />
    protected override bool IsFaultable(HttpContext context) => context.Request.Path != "/cgi-bin/stable_token";

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) => ErrorAsync(context, -1, "system error");

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) => ErrorAsync(context, 45011, "api minute-quota reach limit mustslower retry next minute");

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => ErrorAsync(context, 42001, "access_token expired");

    // ---- stable_token --------------------------------------------------------------------------

    private async Task StableTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _stableTokenCalls);
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc is null)
        {
            await ErrorAsync(context, 47001, "data format error").ConfigureAwait(false);
            return;
        }
        var root = doc.RootElement;
        if (String(root, "grant_type") != "client_credential")
        {
            await ErrorAsync(context, 40002, "invalid grant_type").ConfigureAwait(false);
            return;
        }
        if (String(root, "appid") != _options.AppId)
        {
            await ErrorAsync(context, 40013, "invalid appid").ConfigureAwait(false);
            return;
        }
        if (String(root, "secret") != _options.AppSecret)
        {
            await ErrorAsync(context, 40125, "invalid appsecret").ConfigureAwait(false);
            return;
        }
        var force = root.TryGetProperty("force_refresh", out var f) && f.ValueKind == JsonValueKind.True;
        var now = _time.GetUtcNow();
        string token;
        DateTimeOffset expires;
        lock (_gate)
        {
            if (force)
            {
                _forceRefreshes.RemoveAll(t => t.UtcDateTime.Date != now.UtcDateTime.Date);
                if (_forceRefreshes.Count >= _options.ForceRefreshDailyLimit)
                {
                    token = "";
                    expires = default;
                }
                else if (_forceRefreshes.Count > 0 && now - _forceRefreshes[^1] < _options.ForceRefreshSpacing)
                {
                    token = "-";
                    expires = default;
                }
                else
                {
                    _forceRefreshes.Add(now);
                    (token, expires) = Rotate(now);
                }
            }
            else if (_currentToken is { } current && _tokens.TryGetValue(current, out var currentExpiry) && now < currentExpiry - _options.RotationOverlap)
            {
                (token, expires) = (current, currentExpiry);
            }
            else if (_currentToken is { } invalidated && !_tokens.ContainsKey(invalidated) && _tokenIssuedAt + _options.TokenLifetime - _options.RotationOverlap > now)
            {
                // Invalidated on the platform's side but not yet due: normal mode still answers it (only force_refresh helps).
                (token, expires) = (invalidated, _tokenIssuedAt + _options.TokenLifetime);
            }
            else
            {
                (token, expires) = Rotate(now);
            }
        }
        if (token == "")
        {
            await ErrorAsync(context, 45009, "reach max api daily quota limit").ConfigureAwait(false);
            return;
        }
        if (token == "-")
        {
            await ErrorAsync(context, 45011, "api minute-quota reach limit mustslower retry next minute").ConfigureAwait(false);
            return;
        }
        var remaining = (long)Math.Ceiling((expires - now).TotalSeconds);
        await WriteAsync(context, new JsonObject { ["access_token"] = token, ["expires_in"] = remaining }).ConfigureAwait(false);
    }

    /// <summary>Issues a new token; the old one stays valid for the overlap at most. Caller holds the lock.</summary>
    private (string Token, DateTimeOffset Expires) Rotate(DateTimeOffset now)
    {
        if (_currentToken is { } old && _tokens.TryGetValue(old, out var oldExpiry))
        {
            _tokens[old] = oldExpiry < now + _options.RotationOverlap ? oldExpiry : now + _options.RotationOverlap;
        }
        var token = "oa-token-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");
        var expires = now + _options.TokenLifetime;
        _tokens[token] = expires;
        _currentToken = token;
        _tokenIssuedAt = now;
        return (token, expires);
    }

    private async Task Authorized(HttpContext context, Func<HttpContext, Task> handler)
    {
        (byte[] Body, string ContentType)? raw;
        lock (_gate)
        {
            raw = _rawAnswer;
            _rawAnswer = null;
        }
        if (raw is { } answer)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = answer.ContentType;
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        var token = context.Request.Query["access_token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            await ErrorAsync(context, 41001, "access_token missing").ConfigureAwait(false);
            return;
        }
        DateTimeOffset? expiry;
        lock (_gate)
        {
            expiry = _tokens.TryGetValue(token, out var e) ? e : null;
        }
        if (expiry is null)
        {
            await ErrorAsync(context, 40001, "invalid credential, access_token is invalid or not latest").ConfigureAwait(false);
            return;
        }
        if (_time.GetUtcNow() >= expiry)
        {
            await ErrorAsync(context, 42001, "access_token expired").ConfigureAwait(false);
            return;
        }
        await handler(context).ConfigureAwait(false);
    }

    // ---- messages ------------------------------------------------------------------------------

    private Task TemplateSendAsync(HttpContext context) => SendAsync(context, OfficialAccountMessageKind.Template);

    private Task SubscribeSendAsync(HttpContext context) => SendAsync(context, OfficialAccountMessageKind.Subscribe);

    private async Task SendAsync(HttpContext context, OfficialAccountMessageKind kind)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc is null)
        {
            await ErrorAsync(context, 47001, "data format error").ConfigureAwait(false);
            return;
        }
        var root = doc.RootElement;
        var openId = String(root, "touser");
        var templateId = String(root, "template_id");
        if (string.IsNullOrEmpty(templateId))
        {
            await ErrorAsync(context, 40037, "invalid template_id").ConfigureAwait(false);
            return;
        }
        if (!root.TryGetProperty("data", out var dataElement) || dataElement.ValueKind != JsonValueKind.Object)
        {
            await ErrorAsync(context, 47003, "argument invalid! data invalid").ConfigureAwait(false);
            return;
        }
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in dataElement.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Object || String(property.Value, "value") is not { } value || !ValueFits(property.Name, value))
            {
                await ErrorAsync(context, 47003, $"argument invalid! data.{property.Name}.value invalid").ConfigureAwait(false);
                return;
            }
            data[property.Name] = value;
        }
        var clientMsgId = kind == OfficialAccountMessageKind.Template ? String(root, "client_msg_id") : null;
        var url = kind == OfficialAccountMessageKind.Template ? String(root, "url") : String(root, "page");
        var now = _time.GetUtcNow();
        int code;
        string message;
        long msgId = 0;
        lock (_gate)
        {
            (code, message) = Check(kind, openId, templateId, now);
            if (code == 0 && clientMsgId is not null && _clientMsgIds.TryGetValue((openId!, clientMsgId), out var seen) && now - seen.At < _options.ClientMsgIdWindow)
            {
                Interlocked.Increment(ref _duplicates);
                msgId = seen.MsgId;
            }
            else if (code == 0)
            {
                msgId = Interlocked.Increment(ref _msgIds);
                _recentSends.Add(now);
                if (kind == OfficialAccountMessageKind.Template)
                {
                    _templateToday++;
                }
                else
                {
                    _subscriptions[(openId!, templateId)]--;
                }
                if (clientMsgId is not null)
                {
                    _clientMsgIds[(openId!, clientMsgId)] = (msgId, now);
                }
                _sent.Add(new OfficialAccountSentMessage(kind, openId!, templateId, data, clientMsgId, msgId, url, now));
            }
        }
        if (code != 0)
        {
            await ErrorAsync(context, code, message).ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, new JsonObject { ["errcode"] = 0, ["errmsg"] = "ok", ["msgid"] = msgId }).ConfigureAwait(false);
    }

    /// <summary>Recipient, template and quota checks of a send. Caller holds the lock.</summary>
    private (int Code, string Message) Check(OfficialAccountMessageKind kind, string? openId, string templateId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(openId) || !_users.TryGetValue(openId, out var following))
        {
            return (40003, "invalid openid");
        }
        if (kind == OfficialAccountMessageKind.Template)
        {
            if (_options.TemplateIds.Count > 0 && !_options.TemplateIds.Contains(templateId))
            {
                return (40037, "invalid template_id");
            }
            if (!following)
            {
                return (43004, "require subscribe");
            }
        }
        else if (_subscriptions.GetValueOrDefault((openId, templateId)) <= 0)
        {
            return (43101, "user refuse to accept the msg");
        }
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        if (day != _quotaDay)
        {
            _quotaDay = day;
            _templateToday = 0;
        }
        if (kind == OfficialAccountMessageKind.Template && _templateToday >= _options.TemplateDailyQuota)
        {
            return (45009, "reach max api daily quota limit");
        }
        _recentSends.RemoveAll(t => now - t >= TimeSpan.FromMinutes(1));
        if (_options.MessagesPerMinute > 0 && _recentSends.Count >= _options.MessagesPerMinute)
        {
            return (45011, "api minute-quota reach limit mustslower retry next minute");
        }
        return (0, "ok");
    }

    /// <summary>The value rule of a key's kind (documented limits; characters counted as Unicode scalars).</summary>
    private static bool ValueFits(string key, string value)
    {
        if (value.Any(char.IsControl))
        {
            return false;
        }
        var end = key.Length;
        while (end > 0 && char.IsAsciiDigit(key[end - 1]))
        {
            end--;
        }
        var length = value.EnumerateRunes().Count();
        var ascii = value.All(char.IsAscii);
        return key[..end] switch
        {
            "thing" or "const" or "keyword" => length <= 20,
            "number" => length <= 32 && value.All(c => char.IsAsciiDigit(c) || c == '.'),
            "letter" => length <= 32 && value.All(char.IsAsciiLetter),
            "symbol" => length <= 5,
            "character_string" => length <= 32 && ascii,
            "phone_number" => length <= 17 && ascii,
            "car_number" => length <= 8,
            "name" => length <= (ascii ? 20 : 10),
            "phrase" => length <= 5,
            _ => length <= 200,
        };
    }

    // ---- followers -----------------------------------------------------------------------------

    private async Task FollowersAsync(HttpContext context)
    {
        var next = context.Request.Query["next_openid"].ToString();
        JsonObject? body = null;
        lock (_gate)
        {
            var start = 0;
            if (!string.IsNullOrEmpty(next))
            {
                var at = _followers.IndexOf(next);
                start = at + 1;
                if (at < 0)
                {
                    start = -1;
                }
            }
            if (start >= 0)
            {
                var page = _followers.Skip(start).Take(_options.FollowersPageSize).ToList();
                body = new JsonObject { ["total"] = _followers.Count, ["count"] = page.Count };
                if (page.Count > 0)
                {
                    body["data"] = new JsonObject { ["openid"] = new JsonArray([.. page.Select(id => (JsonNode?)JsonValue.Create(id))]) };
                }
                body["next_openid"] = page.Count > 0 ? page[^1] : "";
            }
        }
        if (body is null)
        {
            await ErrorAsync(context, 40003, "invalid next_openid").ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, body).ConfigureAwait(false);
    }

    private async Task BatchGetAsync(HttpContext context)
    {
        using var doc = await ReadJsonAsync(context).ConfigureAwait(false);
        if (doc is null || !doc.RootElement.TryGetProperty("user_list", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            await ErrorAsync(context, 47001, "data format error").ConfigureAwait(false);
            return;
        }
        if (list.GetArrayLength() is 0 or > 100)
        {
            await ErrorAsync(context, 40032, "invalid openid list size").ConfigureAwait(false);
            return;
        }
        var infos = new JsonArray();
        lock (_gate)
        {
            foreach (var user in list.EnumerateArray())
            {
                var openId = String(user, "openid");
                if (openId is null || !_users.TryGetValue(openId, out var following))
                {
                    infos = null;
                    break;
                }
                var info = new JsonObject { ["subscribe"] = following ? 1 : 0, ["openid"] = openId };
                if (following)
                {
                    info["language"] = "zh_CN";
                    info["subscribe_time"] = 1_700_000_000;
                    info["remark"] = "";
                    info["groupid"] = 0;
                    info["tagid_list"] = new JsonArray();
                    info["subscribe_scene"] = "ADD_SCENE_QR_CODE";
                    if (_unionIds.TryGetValue(openId, out var unionId))
                    {
                        info["unionid"] = unionId;
                    }
                }
                infos.Add((JsonNode)info);
            }
        }
        if (infos is null)
        {
            await ErrorAsync(context, 40003, "invalid openid").ConfigureAwait(false);
            return;
        }
        await WriteAsync(context, new JsonObject { ["user_info_list"] = infos }).ConfigureAwait(false);
    }

    // ---- helpers -------------------------------------------------------------------------------

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

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private string Rid(string message) =>
        message + " rid: " + _time.GetUtcNow().ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture) + "-" + Interlocked.Increment(ref _sequence).ToString("x8", CultureInfo.InvariantCulture);

    private Task ErrorAsync(HttpContext context, int code, string message) =>
        WriteAsync(context, new JsonObject { ["errcode"] = code, ["errmsg"] = Rid(message) });

    private static async Task WriteAsync(HttpContext context, JsonObject body)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; encoding=utf-8";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), context.RequestAborted).ConfigureAwait(false);
    }
}
