using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marketing.Sdk.Testing.Emulators;

/// <summary>
/// A loopback WeCom (企业微信) server API for tests. It speaks WeCom's envelope <c>{errcode, errmsg, …}</c> (HTTP 200 with
/// a non-zero <c>errcode</c> for errors) and:
/// <list type="bullet">
/// <item><c>GET /cgi-bin/gettoken</c>: 40013 wrong corp id, 40001 wrong secret; the same token while it is valid
/// (<see cref="WeComEmulatorOptions.TokenLifetime"/>), counted in <see cref="TokenCalls"/>; every other call checks
/// <c>access_token</c> (41001 missing, 40014 unknown, 42001 expired);</item>
/// <item><c>get_follow_user_list</c> and <c>batch/get_by_user</c> (1–100 members, <c>limit</c> 1–100, opaque cursor)
/// over the seeded contacts (<see cref="AddContact"/>);</item>
/// <item><c>add_msg_template</c> (≤ 10 000 customers, text ≤ 4 000 UTF-8 bytes; customers who are no member's
/// contact come back in <c>fail_list</c>), <c>get_groupmsg_task</c> and <c>get_groupmsg_send_result</c>: a task is sent
/// when its members confirm (at once, or by <see cref="ConfirmTask"/>); a customer past
/// <see cref="WeComEmulatorOptions.MonthlyMassMessageLimit"/> mass messages in the natural month gets status 3 and
/// nothing;</item>
/// <item><c>message/send</c> with the duplicate check (the same text to the same member within
/// <c>duplicate_check_interval</c> is not delivered again), 81013 when every member is invalid;</item>
/// <item><c>send_welcome_msg</c> with codes from <see cref="IssueWelcomeCode"/> (20 s, once; 41051 otherwise).</item>
/// </list>
/// Faults: 5xx (HTTP 500, errcode -1), throttling (45009), token expiry (42001), <see cref="FailNext"/> for any code,
/// and a per-path rate limit (<see cref="WeComEmulatorOptions.MaxCallsPerMinute"/>, 45009).
/// </summary>
public sealed class WeComEmulator : PlatformEmulator
{
    private const string Prefix = "/cgi-bin/";

    private readonly WeComEmulatorOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly Lock _gate = new();
    private readonly List<(string UserId, string ExternalUserId, string? UnionId, long CreateTime)> _contacts = [];
    private readonly HashSet<string> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MassTask> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _monthly = new(StringComparer.Ordinal);
    private readonly List<WeComDeliveredMessage> _delivered = [];
    private readonly Dictionary<string, (string ExternalUserId, DateTimeOffset Issued, bool Used)> _welcomeCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<int>> _failNext = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Minute, int Calls)> _rate = new(StringComparer.Ordinal);
    private string? _currentToken;
    private int _tokenCalls;
    private long _sequence;

    private sealed class MassTask
    {
        public required string MsgId { get; init; }
        public required string Content { get; init; }
        public required Dictionary<string, List<string>> ByMember { get; init; }
        public Dictionary<string, (int Status, long SendTime)> Results { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> MemberSent { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Creates the emulator (call <see cref="PlatformEmulator.StartAsync"/>).</summary>
    /// <param name="options">The settings.</param>
    public WeComEmulator(WeComEmulatorOptions? options = null) : base("wecom")
    {
        _options = options ?? new WeComEmulatorOptions();
        _zone = TimeZoneInfo.FindSystemTimeZoneById(_options.TimeZone);
    }

    /// <summary>The settings.</summary>
    public WeComEmulatorOptions Options => _options;

    /// <summary>Calls to <c>gettoken</c> (including refused ones).</summary>
    public int TokenCalls => Volatile.Read(ref _tokenCalls);

    /// <summary>Mass-message tasks created.</summary>
    public int MassTasks
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Count;
            }
        }
    }

    /// <summary>Every message that reached a customer or member, in order.</summary>
    public IReadOnlyList<WeComDeliveredMessage> Delivered
    {
        get
        {
            lock (_gate)
            {
                return [.. _delivered];
            }
        }
    }

    /// <summary>The sizes of the mass tasks created, in order.</summary>
    public IReadOnlyList<int> MassTaskSizes
    {
        get
        {
            lock (_gate)
            {
                return [.. _tasks.Values.OrderBy(t => t.MsgId, StringComparer.Ordinal).Select(t => t.ByMember.Values.Sum(v => v.Count))];
            }
        }
    }

    /// <summary>Adds a member (a <c>userid</c> app messages may go to).</summary>
    /// <param name="userId">The member.</param>
    public void AddMember(string userId)
    {
        lock (_gate)
        {
            _members.Add(userId);
        }
    }

    /// <summary>Adds an external contact of a member (the member is added too).</summary>
    /// <param name="userId">The member.</param>
    /// <param name="externalUserId">The customer's <c>external_userid</c>.</param>
    /// <param name="unionId">The customer's unionid, if WeCom returns one.</param>
    public void AddContact(string userId, string externalUserId, string? unionId = null)
    {
        lock (_gate)
        {
            _members.Add(userId);
            _contacts.Add((userId, externalUserId, unionId, _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds()));
        }
    }

    /// <summary>Removes a contact (the customer deleted the member).</summary>
    /// <param name="externalUserId">The customer.</param>
    public void RemoveContact(string externalUserId)
    {
        lock (_gate)
        {
            _contacts.RemoveAll(c => c.ExternalUserId == externalUserId);
        }
    }

    /// <summary>Issues a welcome code for a new contact (what the contact-added callback carries).</summary>
    /// <param name="externalUserId">The customer.</param>
    /// <returns>The code.</returns>
    public string IssueWelcomeCode(string externalUserId)
    {
        lock (_gate)
        {
            var code = "WELCOME" + Next();
            _welcomeCodes[code] = (externalUserId, _options.TimeProvider.GetUtcNow(), false);
            return code;
        }
    }

    /// <summary>Makes the next call to an API path (e.g. <c>externalcontact/add_msg_template</c>) answer <paramref name="errcode"/>.</summary>
    /// <param name="path">The path after <c>/cgi-bin/</c>.</param>
    /// <param name="errcode">The code.</param>
    public void FailNext(string path, int errcode)
    {
        lock (_gate)
        {
            if (!_failNext.TryGetValue(path, out var queue))
            {
                _failNext[path] = queue = new Queue<int>();
            }
            queue.Enqueue(errcode);
        }
    }

    /// <summary>Makes every member of a task send it (as if they confirmed in the WeCom client).</summary>
    /// <param name="msgId">The task.</param>
    public void ConfirmTask(string msgId)
    {
        lock (_gate)
        {
            if (_tasks.TryGetValue(msgId, out var task))
            {
                Confirm(task);
            }
        }
    }

    /// <summary>Mass messages a customer received in the current month.</summary>
    /// <param name="externalUserId">The customer.</param>
    public int MassMessagesThisMonth(string externalUserId)
    {
        lock (_gate)
        {
            return _monthly.GetValueOrDefault(MonthKey(externalUserId));
        }
    }

    /// <inheritdoc />
    protected override void MapRoutes(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Prefix + "gettoken", (RequestDelegate)GetTokenAsync);
        routes.MapGet(Prefix + "externalcontact/get_follow_user_list", (RequestDelegate)(ctx => Api(ctx, "externalcontact/get_follow_user_list", FollowUsers)));
        routes.MapPost(Prefix + "externalcontact/batch/get_by_user", (RequestDelegate)(ctx => Api(ctx, "externalcontact/batch/get_by_user", BatchByUser)));
        routes.MapPost(Prefix + "externalcontact/add_msg_template", (RequestDelegate)(ctx => Api(ctx, "externalcontact/add_msg_template", AddMsgTemplate)));
        routes.MapPost(Prefix + "externalcontact/get_groupmsg_task", (RequestDelegate)(ctx => Api(ctx, "externalcontact/get_groupmsg_task", GroupMsgTask)));
        routes.MapPost(Prefix + "externalcontact/get_groupmsg_send_result", (RequestDelegate)(ctx => Api(ctx, "externalcontact/get_groupmsg_send_result", GroupMsgSendResult)));
        routes.MapPost(Prefix + "message/send", (RequestDelegate)(ctx => Api(ctx, "message/send", AppMessage)));
        routes.MapPost(Prefix + "externalcontact/send_welcome_msg", (RequestDelegate)(ctx => Api(ctx, "externalcontact/send_welcome_msg", Welcome)));
    }

    /// <inheritdoc />
    protected override bool IsFaultable(HttpContext context) => !context.Request.Path.StartsWithSegments(Prefix + "gettoken", StringComparison.Ordinal);

    /// <inheritdoc />
    protected override Task WriteServerErrorAsync(HttpContext context) => WriteAsync(context, Error(-1, "system busy"), StatusCodes.Status500InternalServerError);

    /// <inheritdoc />
    protected override Task WriteThrottledAsync(HttpContext context) => WriteAsync(context, Error(45009, "api freq out of limit"));

    /// <inheritdoc />
    protected override Task WriteTokenExpiredAsync(HttpContext context) => WriteAsync(context, Error(42001, "access_token expired"));

    // ---- token ---------------------------------------------------------------------------------

    private Task GetTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenCalls);
        var corp = context.Request.Query["corpid"].ToString();
        var secret = context.Request.Query["corpsecret"].ToString();
        JsonObject answer;
        lock (_gate)
        {
            if (OverRate("gettoken", _options.MaxTokenCallsPerMinute))
            {
                answer = Error(45009, "api freq out of limit");
            }
            else if (corp != _options.CorpId)
            {
                answer = Error(40013, "invalid corpid");
            }
            else if (secret != _options.CorpSecret)
            {
                answer = Error(40001, "invalid credential");
            }
            else
            {
                var now = _options.TimeProvider.GetUtcNow();
                if (_currentToken is null || _tokens[_currentToken] <= now)
                {
                    _currentToken = "wecom-token-" + Next();
                    _tokens[_currentToken] = now + _options.TokenLifetime;
                }
                answer = Ok();
                answer["access_token"] = _currentToken;
                answer["expires_in"] = (int)Math.Max(1, (_tokens[_currentToken] - now).TotalSeconds);
            }
        }
        return WriteAsync(context, answer);
    }

    /// <summary>Invalidates every issued token early (WeCom may do so): the next call answers 40014 and <c>gettoken</c> issues a new one.</summary>
    public void RevokeTokens()
    {
        lock (_gate)
        {
            _tokens.Clear();
            _currentToken = null;
        }
    }

    // ---- API frame -----------------------------------------------------------------------------

    private async Task Api(HttpContext context, string path, Func<JsonElement?, IQueryCollection, JsonObject> handle)
    {
        JsonDocument? doc = null;
        if (HttpMethods.IsPost(context.Request.Method))
        {
            doc = await ReadJsonAsync(context).ConfigureAwait(false);
            if (doc is null)
            {
                await WriteAsync(context, Error(47001, "data format error")).ConfigureAwait(false);
                return;
            }
        }
        using (doc)
        {
            JsonObject answer;
            lock (_gate)
            {
                answer = Authorize(context.Request.Query["access_token"].ToString())
                    ?? (_failNext.TryGetValue(path, out var queue) && queue.Count > 0 ? Error(queue.Dequeue(), "injected error") : null)
                    ?? (OverRate(path, _options.MaxCallsPerMinute) ? Error(45009, "api freq out of limit") : null)
                    ?? handle(doc?.RootElement, context.Request.Query);
            }
            await WriteAsync(context, answer).ConfigureAwait(false);
        }
    }

    private JsonObject? Authorize(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return Error(41001, "access_token missing");
        }
        if (!_tokens.TryGetValue(token, out var expires))
        {
            return Error(40014, "invalid access_token");
        }
        return expires <= _options.TimeProvider.GetUtcNow() ? Error(42001, "access_token expired") : null;
    }

    private bool OverRate(string path, int limit)
    {
        if (limit <= 0)
        {
            return false;
        }
        var minute = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        var (m, calls) = _rate.GetValueOrDefault(path);
        calls = m == minute ? calls + 1 : 1;
        _rate[path] = (minute, calls);
        return calls > limit;
    }

    // ---- contacts ------------------------------------------------------------------------------

    private JsonObject FollowUsers(JsonElement? body, IQueryCollection query)
    {
        var answer = Ok();
        answer["follow_user"] = new JsonArray([.. _contacts.Select(c => c.UserId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(u => (JsonNode)u)]);
        return answer;
    }

    private JsonObject BatchByUser(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        if (!root.TryGetProperty("userid_list", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is < 1 or > 100
            || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            return Error(40058, "userid_list must hold 1-100 userids");
        }
        var limit = Int(root, "limit") ?? 50;
        if (limit is < 1 or > 100)
        {
            return Error(40058, "limit must be 1-100");
        }
        var users = list.EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        var all = _contacts.Where(c => users.Contains(c.UserId)).ToList();
        var offset = 0;
        var cursor = Str(root, "cursor");
        if (!string.IsNullOrEmpty(cursor) && !TryDecodeCursor(cursor, out offset))
        {
            return Error(40058, "invalid cursor");
        }
        var page = all.Skip(offset).Take(limit).ToList();
        var answer = Ok();
        answer["external_contact_list"] = new JsonArray([.. page.Select(c =>
        {
            var contact = new JsonObject { ["external_userid"] = c.ExternalUserId, ["name"] = "customer", ["type"] = 1 };
            if (c.UnionId is not null)
            {
                contact["unionid"] = c.UnionId;
            }
            return (JsonNode)new JsonObject
            {
                ["external_contact"] = contact,
                ["follow_info"] = new JsonObject { ["userid"] = c.UserId, ["remark"] = "", ["createtime"] = c.CreateTime, ["tag_id"] = new JsonArray() },
            };
        })]);
        answer["next_cursor"] = offset + page.Count < all.Count ? EncodeCursor(offset + page.Count) : "";
        return answer;
    }

    // ---- mass messages -------------------------------------------------------------------------

    private JsonObject AddMsgTemplate(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        if ((Str(root, "chat_type") ?? "single") != "single")
        {
            return Error(40058, "only chat_type single is emulated");
        }
        if (!root.TryGetProperty("external_userid", out var ids) || ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() == 0
            || ids.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            return Error(40058, "external_userid is required");
        }
        if (ids.GetArrayLength() > 10_000)
        {
            return Error(40058, "external_userid: at most 10000");
        }
        var content = root.TryGetProperty("text", out var text) ? Str(text, "content") : null;
        if (string.IsNullOrEmpty(content) || Encoding.UTF8.GetByteCount(content) > 4000)
        {
            return Error(40058, "text.content must be 1-4000 bytes");
        }
        var sender = Str(root, "sender");
        var byMember = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var fail = new JsonArray();
        foreach (var id in ids.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal))
        {
            var owners = _contacts.Where(c => c.ExternalUserId == id && (sender is null || c.UserId == sender)).Select(c => c.UserId).Distinct(StringComparer.Ordinal).ToList();
            if (owners.Count == 0)
            {
                fail.Add((JsonNode)id);
                continue;
            }
            // WeCom gives the customer to one member (the first who has them).
            var owner = owners.Order(StringComparer.Ordinal).First();
            if (!byMember.TryGetValue(owner, out var l))
            {
                byMember[owner] = l = [];
            }
            l.Add(id);
        }
        var task = new MassTask { MsgId = "msg" + Next(), Content = content, ByMember = byMember };
        _tasks[task.MsgId] = task;
        if (_options.AutoConfirmMassTasks)
        {
            Confirm(task);
        }
        var answer = Ok();
        answer["fail_list"] = fail;
        answer["msgid"] = task.MsgId;
        return answer;
    }

    private void Confirm(MassTask task)
    {
        var now = _options.TimeProvider.GetUtcNow();
        foreach (var (member, customers) in task.ByMember)
        {
            if (task.MemberSent.ContainsKey(member))
            {
                continue;
            }
            task.MemberSent[member] = now.ToUnixTimeSeconds();
            foreach (var customer in customers)
            {
                if (!_contacts.Any(c => c.ExternalUserId == customer && c.UserId == member))
                {
                    task.Results[customer] = (2, 0);
                    continue;
                }
                var key = MonthKey(customer);
                var count = _monthly.GetValueOrDefault(key);
                if (count >= _options.MonthlyMassMessageLimit)
                {
                    task.Results[customer] = (3, 0);
                    continue;
                }
                _monthly[key] = count + 1;
                task.Results[customer] = (1, now.ToUnixTimeSeconds());
                _delivered.Add(new WeComDeliveredMessage("mass", customer, task.Content, task.MsgId, now));
            }
        }
    }

    private JsonObject GroupMsgTask(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        if (Str(root, "msgid") is not { } msgId || !_tasks.TryGetValue(msgId, out var task))
        {
            return Error(41062, "invalid msgid");
        }
        var limit = Int(root, "limit") ?? 500;
        if (limit is < 1 or > 1000)
        {
            return Error(40058, "limit must be 1-1000");
        }
        var members = task.ByMember.Keys.Order(StringComparer.Ordinal).ToList();
        var offset = 0;
        if (Str(root, "cursor") is { Length: > 0 } c && !TryDecodeCursor(c, out offset))
        {
            return Error(40058, "invalid cursor");
        }
        var page = members.Skip(offset).Take(limit).ToList();
        var answer = Ok();
        answer["task_list"] = new JsonArray([.. page.Select(m => (JsonNode)new JsonObject
        {
            ["userid"] = m,
            ["status"] = task.MemberSent.ContainsKey(m) ? 2 : 0,
            ["send_time"] = task.MemberSent.GetValueOrDefault(m),
        })]);
        answer["next_cursor"] = offset + page.Count < members.Count ? EncodeCursor(offset + page.Count) : "";
        return answer;
    }

    private JsonObject GroupMsgSendResult(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        if (Str(root, "msgid") is not { } msgId || !_tasks.TryGetValue(msgId, out var task))
        {
            return Error(41062, "invalid msgid");
        }
        var member = Str(root, "userid");
        if (member is null || !task.ByMember.TryGetValue(member, out var customers))
        {
            return Error(40003, "invalid userid");
        }
        var limit = Int(root, "limit") ?? 500;
        if (limit is < 1 or > 1000)
        {
            return Error(40058, "limit must be 1-1000");
        }
        var offset = 0;
        if (Str(root, "cursor") is { Length: > 0 } c && !TryDecodeCursor(c, out offset))
        {
            return Error(40058, "invalid cursor");
        }
        var page = customers.Skip(offset).Take(limit).ToList();
        var answer = Ok();
        answer["send_list"] = new JsonArray([.. page.Select(x =>
        {
            var (status, at) = task.Results.GetValueOrDefault(x);
            return (JsonNode)new JsonObject { ["external_userid"] = x, ["userid"] = member, ["status"] = status, ["send_time"] = at };
        })]);
        answer["next_cursor"] = offset + page.Count < customers.Count ? EncodeCursor(offset + page.Count) : "";
        return answer;
    }

    // ---- app and welcome messages --------------------------------------------------------------

    private JsonObject AppMessage(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        if (Int(root, "agentid") != _options.AgentId)
        {
            return Error(40056, "invalid agentid");
        }
        if (Str(root, "msgtype") != "text" || !root.TryGetProperty("text", out var text) || Str(text, "content") is not { Length: > 0 } content || Encoding.UTF8.GetByteCount(content) > 2048)
        {
            return Error(40058, "text.content must be 1-2048 bytes");
        }
        var to = (Str(root, "touser") ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        if (to.Length is 0 or > 1000)
        {
            return Error(40058, "touser must name 1-1000 members");
        }
        var dedupe = Int(root, "enable_duplicate_check") == 1;
        var interval = TimeSpan.FromSeconds(Math.Clamp(Int(root, "duplicate_check_interval") ?? 1800, 1, 4 * 3600));
        var now = _options.TimeProvider.GetUtcNow();
        var invalid = to.Where(u => !_members.Contains(u)).ToList();
        if (invalid.Count == to.Length)
        {
            return Error(81013, "user & party & tag all invalid");
        }
        var msgId = "app" + Next();
        foreach (var user in to.Where(_members.Contains))
        {
            if (dedupe && _delivered.Any(d => d.Kind == "app" && d.Recipient == user && d.Content == content && now - d.At < interval))
            {
                continue; // WeCom's duplicate check: not delivered again
            }
            _delivered.Add(new WeComDeliveredMessage("app", user, content, msgId, now));
        }
        var answer = Ok();
        answer["invaliduser"] = string.Join('|', invalid);
        answer["invalidparty"] = "";
        answer["invalidtag"] = "";
        answer["unlicenseduser"] = "";
        answer["msgid"] = msgId;
        answer["response_code"] = "rc" + msgId;
        return answer;
    }

    private JsonObject Welcome(JsonElement? body, IQueryCollection query)
    {
        var root = body!.Value;
        var code = Str(root, "welcome_code");
        var content = root.TryGetProperty("text", out var text) ? Str(text, "content") : null;
        if (string.IsNullOrEmpty(content) || Encoding.UTF8.GetByteCount(content) > 4000)
        {
            return Error(40058, "text.content must be 1-4000 bytes");
        }
        var now = _options.TimeProvider.GetUtcNow();
        if (code is null || !_welcomeCodes.TryGetValue(code, out var issued) || issued.Used || now - issued.Issued > TimeSpan.FromSeconds(20))
        {
            return Error(41051, "invalid welcome_code");
        }
        _welcomeCodes[code] = issued with { Used = true };
        _delivered.Add(new WeComDeliveredMessage("welcome", issued.ExternalUserId, content, code, now));
        return Ok();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private string MonthKey(string externalUserId) =>
        externalUserId + "|" + TimeZoneInfo.ConvertTime(_options.TimeProvider.GetUtcNow(), _zone).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private string Next() => Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture);

    private static string EncodeCursor(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("o:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static bool TryDecodeCursor(string cursor, out int offset)
    {
        offset = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("o:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonObject Ok() => new() { ["errcode"] = 0, ["errmsg"] = "ok" };

    private static JsonObject Error(int code, string message) => new() { ["errcode"] = code, ["errmsg"] = message };

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

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

    private static async Task WriteAsync(HttpContext context, JsonObject body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
