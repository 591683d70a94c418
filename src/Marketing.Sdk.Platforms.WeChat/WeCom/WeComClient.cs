using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>One external contact of a member. <see cref="ToString"/> never shows the ids.</summary>
/// <param name="ExternalUserId">The customer's <c>external_userid</c> (unique per corp).</param>
/// <param name="UnionId">The customer's WeChat <c>unionid</c>, when WeCom returns it (WeChat users, corp bound to an open-platform account).</param>
/// <param name="FollowUserId">The member (<c>userid</c>) who has the customer as a contact.</param>
/// <param name="AddedAt">When the member added the customer, if WeCom said.</param>
public sealed record WeComContact([property: PersonalData] string ExternalUserId, [property: PersonalData] string? UnionId, string FollowUserId, DateTimeOffset? AddedAt)
{
    /// <summary>Describes the contact without its ids.</summary>
    public override string ToString() => $"WeComContact {{ FollowUserId = {FollowUserId}, HasUnionId = {UnionId is not null} }}";
}

/// <summary>A page of <c>batch/get_by_user</c>.</summary>
/// <param name="Contacts">The contacts.</param>
/// <param name="NextCursor">The cursor of the next page, or <see langword="null"/> at the end.</param>
public sealed record WeComContactPage(IReadOnlyList<WeComContact> Contacts, string? NextCursor);

/// <summary>What <c>add_msg_template</c> answered.</summary>
/// <param name="MsgId">The task's <c>msgid</c>.</param>
/// <param name="FailedExternalUserIds">The customers WeCom would not put in the task (not a contact of any member, invalid).</param>
public sealed record WeComMassTask(string MsgId, [property: PersonalData] IReadOnlyList<string> FailedExternalUserIds)
{
    /// <summary>Describes the task without customer ids.</summary>
    public override string ToString() => $"WeComMassTask {{ MsgId = {MsgId}, Failed = {FailedExternalUserIds.Count} }}";
}

/// <summary>One member's part of a mass-message task (<c>get_groupmsg_task</c>).</summary>
/// <param name="UserId">The member.</param>
/// <param name="Status">0 not yet sent by the member, 2 sent.</param>
/// <param name="SentAt">When the member sent it, if sent.</param>
public sealed record WeComMassTaskMember(string UserId, int Status, DateTimeOffset? SentAt);

/// <summary>One customer's result of a mass message (<c>get_groupmsg_send_result</c>).</summary>
/// <param name="ExternalUserId">The customer.</param>
/// <param name="UserId">The member.</param>
/// <param name="Status">0 not sent, 1 sent, 2 not a contact (any more), 3 the customer already received their mass messages for the month.</param>
/// <param name="SentAt">When it was sent, if sent.</param>
public sealed record WeComMassSendResult([property: PersonalData] string ExternalUserId, string UserId, int Status, DateTimeOffset? SentAt)
{
    /// <summary>Describes the result without the customer id.</summary>
    public override string ToString() => $"WeComMassSendResult {{ UserId = {UserId}, Status = {Status} }}";
}

/// <summary>What <c>message/send</c> answered.</summary>
/// <param name="MsgId">The message's <c>msgid</c>.</param>
/// <param name="InvalidUsers">Recipients WeCom refused (the others got the message).</param>
public sealed record WeComAppMessageResult(string? MsgId, IReadOnlyList<string> InvalidUsers);

/// <summary>
/// The WeCom (企业微信) server API client: the access token (<c>gettoken</c>, per corp id and secret, shared through
/// <see cref="Tokens.SharedAccessTokenProvider"/>), external contacts (<c>get_follow_user_list</c>,
/// <c>batch/get_by_user</c>), mass messages (<c>add_msg_template</c>, <c>get_groupmsg_task</c>,
/// <c>get_groupmsg_send_result</c>), app messages (<c>message/send</c>) and welcome messages (<c>send_welcome_msg</c>).
/// Errors arrive as HTTP 200 with a non-zero <c>errcode</c> and are classified by <see cref="WeComErrorCodes"/>; an
/// expired or invalid token (40014, 42001, 40001) is refreshed and the call retried once.
/// </summary>
public sealed partial class WeComClient : PlatformApiClient
{
    /// <summary>The platform id (<c>wecom</c>), as exceptions name it.</summary>
    public const string PlatformId = "wecom";

    private readonly WeComOptions _options;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set).</param>
    /// <param name="tokens">Supplies the access token (a <see cref="Tokens.SharedAccessTokenProvider"/> over <see cref="FetchAccessTokenAsync"/>).</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public WeComClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, WeComOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<WeComClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
    {
        _options = options;
    }

    /// <summary>The settings.</summary>
    public WeComOptions Options => _options;

    /// <summary>
    /// Fetches a new access token with <c>GET /cgi-bin/gettoken?corpid=&amp;corpsecret=</c> (WeCom returns the same
    /// token while it is valid; the answer's <c>expires_in</c> is usually 7 200 s). Use it as the
    /// <see cref="Tokens.FetchAccessToken"/> of a shared provider, never per call.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">WeCom refused (40001 wrong secret and 40013 wrong corp id are <see cref="PlatformErrorClass.Unauthorized"/>) or could not be reached.</exception>
    public async Task<AccessToken> FetchAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        var path = $"cgi-bin/gettoken?corpid={Uri.EscapeDataString(_options.CorpId)}&corpsecret={Uri.EscapeDataString(_options.CorpSecret)}";
        PlatformResponse response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            var http = CreateHttpClient();
            using var answer = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response = await ReceiveAsync("gettoken", http, answer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or IOException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, null, $"gettoken did not complete ({ex.GetType().Name})", innerException: ex);
        }
        WeComTokenAnswer? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize(response.Body.Span, WeComJsonContext.Default.WeComTokenAnswer);
        }
        catch (JsonException)
        {
            // handled below
        }
        if (parsed?.ErrCode is { } code && code != 0)
        {
            var errorClass = (int)response.StatusCode >= 500 ? PlatformErrorClass.Transient : WeComErrorCodes.Classify(code, onTokenEndpoint: true);
            if (errorClass == PlatformErrorClass.AuthenticationExpired)
            {
                errorClass = PlatformErrorClass.Unauthorized;
            }
            LogTokenRefused(Logger, code);
            throw new PlatformApiException(PlatformId, errorClass, response.StatusCode, "gettoken was refused", code.ToString(CultureInfo.InvariantCulture),
                retryAfter: errorClass == PlatformErrorClass.RateLimited ? _options.ThrottleRetryAfter : null);
        }
        if (!response.StatusCode.Equals(System.Net.HttpStatusCode.OK) && (int)response.StatusCode is < 200 or >= 300)
        {
            throw Malformed("gettoken", response, "the token endpoint answered an HTTP error");
        }
        if (parsed?.AccessToken is not { Length: > 0 and <= 2048 } token || parsed.ExpiresIn is not > 0)
        {
            throw Malformed("gettoken", response, "the answer has no access_token or expires_in");
        }
        return new AccessToken(token, Clock.GetUtcNow().AddSeconds(parsed.ExpiresIn.Value));
    }

    /// <summary>The members who have external contacts (<c>GET /cgi-bin/externalcontact/get_follow_user_list</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<string>> GetFollowUsersAsync(CancellationToken cancellationToken = default)
    {
        const string operation = "externalcontact.get_follow_user_list";
        var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Get, new Uri("cgi-bin/externalcontact/get_follow_user_list", UriKind.Relative)), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComFollowUserAnswer));
        var users = answer.FollowUser ?? throw Malformed(operation, response, "follow_user is missing");
        foreach (var u in users)
        {
            CheckId(operation, response, u, "follow_user");
        }
        return users;
    }

    /// <summary>
    /// One page of the external contacts of up to 100 members (<c>POST /cgi-bin/externalcontact/batch/get_by_user</c>,
    /// <c>limit</c> ≤ 100, <c>cursor</c> from the previous page).
    /// </summary>
    /// <param name="userIds">The members (1–100).</param>
    /// <param name="cursor">The cursor, or <see langword="null"/> for the first page.</param>
    /// <param name="limit">Contacts per page, 1–100.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeComContactPage> GetContactsByUserAsync(IReadOnlyList<string> userIds, string? cursor = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count is < 1 or > 100)
        {
            throw new PlatformRequestException(PlatformId, "userid_list", "between 1 and 100 members per call");
        }
        if (limit is < 1 or > 100)
        {
            throw new PlatformRequestException(PlatformId, "limit", "between 1 and 100");
        }
        const string operation = "externalcontact.batch.get_by_user";
        var body = JsonSerializer.SerializeToUtf8Bytes(new WeComBatchByUserRequest(userIds, cursor ?? "", limit), WeComJsonContext.Default.WeComBatchByUserRequest);
        var response = await SendAsync(operation, () => Post("cgi-bin/externalcontact/batch/get_by_user", body, retriable: true), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComBatchByUserAnswer));
        var list = answer.ExternalContactList ?? [];
        if (list.Count > 1000)
        {
            throw Malformed(operation, response, "external_contact_list is longer than any page");
        }
        var contacts = new List<WeComContact>(list.Count);
        foreach (var entry in list)
        {
            var external = entry?.ExternalContact?.ExternalUserId;
            var follow = entry?.FollowInfo?.UserId;
            CheckId(operation, response, external, "external_userid");
            CheckId(operation, response, follow, "follow_info.userid");
            var union = entry!.ExternalContact!.UnionId;
            if (union is not null)
            {
                CheckId(operation, response, union, "unionid");
            }
            DateTimeOffset? added = entry.FollowInfo!.CreateTime is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(entry.FollowInfo.CreateTime.Value) : null;
            contacts.Add(new WeComContact(external!, string.IsNullOrEmpty(union) ? null : union, follow!, added));
        }
        var next = string.IsNullOrEmpty(answer.NextCursor) ? null : answer.NextCursor;
        if (next is { Length: > 1024 })
        {
            throw Malformed(operation, response, "next_cursor is too long");
        }
        return new WeComContactPage(contacts, next);
    }

    /// <summary>
    /// Creates a mass-message task to up to 10 000 customers (<c>POST /cgi-bin/externalcontact/add_msg_template</c>,
    /// <c>chat_type = single</c>). WeCom creates a task the member confirms in the client; nothing reaches a customer
    /// before that. The call is not idempotent: send it once per task (the channel records it before sending).
    /// </summary>
    /// <param name="externalUserIds">The customers (1–10 000).</param>
    /// <param name="content">The text (≤ 4 000 UTF-8 bytes).</param>
    /// <param name="sender">The member sending, or <see langword="null"/> for every member who has the customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeComMassTask> AddMassMessageAsync(IReadOnlyList<string> externalUserIds, string content, string? sender = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(externalUserIds);
        if (externalUserIds.Count is < 1 or > WeComOptions.MaxRecipientsPerMassTask)
        {
            throw new PlatformRequestException(PlatformId, "external_userid", $"between 1 and {WeComOptions.MaxRecipientsPerMassTask} customers per task");
        }
        CheckText(content);
        const string operation = "externalcontact.add_msg_template";
        var body = JsonSerializer.SerializeToUtf8Bytes(new WeComAddMsgTemplateRequest("single", externalUserIds, sender, new WeComText(content)), WeComJsonContext.Default.WeComAddMsgTemplateRequest);
        var response = await SendAsync(operation, () => Post("cgi-bin/externalcontact/add_msg_template", body, retriable: false), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComAddMsgTemplateAnswer));
        CheckId(operation, response, answer.MsgId, "msgid");
        var failed = answer.FailList ?? [];
        if (failed.Count > externalUserIds.Count)
        {
            throw Malformed(operation, response, "fail_list is longer than the request");
        }
        return new WeComMassTask(answer.MsgId!, failed);
    }

    /// <summary>One page of the members' parts of a mass-message task (<c>POST /cgi-bin/externalcontact/get_groupmsg_task</c>).</summary>
    /// <param name="msgId">The task.</param>
    /// <param name="cursor">The cursor, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<(IReadOnlyList<WeComMassTaskMember> Members, string? NextCursor)> GetMassTaskAsync(string msgId, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        const string operation = "externalcontact.get_groupmsg_task";
        var body = JsonSerializer.SerializeToUtf8Bytes(new WeComGroupMsgTaskRequest(msgId, 1000, cursor), WeComJsonContext.Default.WeComGroupMsgTaskRequest);
        var response = await SendAsync(operation, () => Post("cgi-bin/externalcontact/get_groupmsg_task", body, retriable: true), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComGroupMsgTaskAnswer));
        var members = new List<WeComMassTaskMember>();
        foreach (var t in answer.TaskList ?? [])
        {
            CheckId(operation, response, t?.UserId, "task_list.userid");
            members.Add(new WeComMassTaskMember(t!.UserId!, t.Status ?? 0, Time(t.SendTime)));
        }
        return (members, Cursor(operation, response, answer.NextCursor));
    }

    /// <summary>One page of the customers' results of a member's part of a mass message (<c>POST /cgi-bin/externalcontact/get_groupmsg_send_result</c>).</summary>
    /// <param name="msgId">The task.</param>
    /// <param name="userId">The member.</param>
    /// <param name="cursor">The cursor, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<(IReadOnlyList<WeComMassSendResult> Results, string? NextCursor)> GetMassSendResultAsync(string msgId, string userId, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        const string operation = "externalcontact.get_groupmsg_send_result";
        var body = JsonSerializer.SerializeToUtf8Bytes(new WeComGroupMsgSendResultRequest(msgId, userId, 1000, cursor), WeComJsonContext.Default.WeComGroupMsgSendResultRequest);
        var response = await SendAsync(operation, () => Post("cgi-bin/externalcontact/get_groupmsg_send_result", body, retriable: true), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComGroupMsgSendResultAnswer));
        var results = new List<WeComMassSendResult>();
        foreach (var s in answer.SendList ?? [])
        {
            CheckId(operation, response, s?.ExternalUserId, "send_list.external_userid");
            if (s!.Status is not (>= 0 and <= 3))
            {
                throw Malformed(operation, response, "send_list.status is not 0-3");
            }
            results.Add(new WeComMassSendResult(s.ExternalUserId!, s.UserId ?? userId, s.Status.Value, Time(s.SendTime)));
        }
        return (results, Cursor(operation, response, answer.NextCursor));
    }

    /// <summary>
    /// Sends an application text message (<c>POST /cgi-bin/message/send</c>) to up to 1 000 members, with WeCom's
    /// duplicate check (<c>enable_duplicate_check</c>, <c>duplicate_check_interval</c> from the options) so a resent
    /// identical message within the interval is dropped by WeCom.
    /// </summary>
    /// <param name="toUsers">The members (1–1 000).</param>
    /// <param name="content">The text.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeComAppMessageResult> SendAppMessageAsync(IReadOnlyList<string> toUsers, string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(toUsers);
        if (toUsers.Count is < 1 or > 1000 || toUsers.Any(u => string.IsNullOrEmpty(u) || u.Contains('|', StringComparison.Ordinal)))
        {
            throw new PlatformRequestException(PlatformId, "touser", "between 1 and 1000 member ids without '|'");
        }
        if (_options.AgentId <= 0)
        {
            throw new PlatformRequestException(PlatformId, "agentid", "app messages need WeComOptions.AgentId");
        }
        CheckText(content);
        const string operation = "message.send";
        var request = new WeComAppMessageRequest(string.Join('|', toUsers), "text", _options.AgentId, new WeComText(content),
            _options.EnableDuplicateCheck ? 1 : 0, (int)_options.DuplicateCheckInterval.TotalSeconds);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, WeComJsonContext.Default.WeComAppMessageRequest);
        var response = await SendAsync(operation, () => Post("cgi-bin/message/send", body, retriable: false), cancellationToken).ConfigureAwait(false);
        var answer = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, WeComJsonContext.Default.WeComAppMessageAnswer));
        var invalid = string.IsNullOrEmpty(answer.InvalidUser) ? [] : answer.InvalidUser.Split('|', StringSplitOptions.RemoveEmptyEntries);
        return new WeComAppMessageResult(answer.MsgId, invalid);
    }

    /// <summary>
    /// Sends the welcome message of a new contact (<c>POST /cgi-bin/externalcontact/send_welcome_msg</c>) with the
    /// <c>welcome_code</c> of the contact-added callback (valid 20 seconds, usable once: a second send with the same
    /// code is refused with 41051, so a retry never welcomes twice).
    /// </summary>
    /// <param name="welcomeCode">The callback's <c>WelcomeCode</c>.</param>
    /// <param name="content">The text.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task SendWelcomeMessageAsync(string welcomeCode, string content, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(welcomeCode) || welcomeCode.Length > 512)
        {
            throw new PlatformRequestException(PlatformId, "welcome_code", "1-512 characters");
        }
        CheckText(content);
        const string operation = "externalcontact.send_welcome_msg";
        var body = JsonSerializer.SerializeToUtf8Bytes(new WeComWelcomeRequest(welcomeCode, new WeComText(content)), WeComJsonContext.Default.WeComWelcomeRequest);
        await SendAsync(operation, () => Post("cgi-bin/externalcontact/send_welcome_msg", body, retriable: false), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var uri = request.RequestUri!.OriginalString;
        var separator = uri.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        request.RequestUri = new Uri($"{uri}{separator}access_token={Uri.EscapeDataString(token.Value)}", UriKind.RelativeOrAbsolute);
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        WeComEnvelope? envelope = null;
        if (!response.Body.IsEmpty)
        {
            try
            {
                envelope = JsonSerializer.Deserialize(response.Body.Span, WeComJsonContext.Default.WeComEnvelope);
            }
            catch (JsonException)
            {
                // classified below
            }
        }
        if (envelope?.ErrCode is { } code)
        {
            if (code == 0)
            {
                return status is >= 200 and < 300 ? null : new PlatformApiException(PlatformId, ClassifyStatus(response.StatusCode), response.StatusCode, $"HTTP {status}");
            }
            var errorClass = status >= 500 ? PlatformErrorClass.Transient : WeComErrorCodes.Classify(code);
            return new PlatformApiException(PlatformId, errorClass, response.StatusCode, Describe(code), code.ToString(CultureInfo.InvariantCulture),
                retryAfter: errorClass == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? _options.ThrottleRetryAfter : null);
        }
        if (status is >= 200 and < 300)
        {
            return Malformed("answer", response, "the answer has no errcode");
        }
        var fallback = ClassifyStatus(response.StatusCode);
        return new PlatformApiException(PlatformId, fallback, response.StatusCode, $"HTTP {status}", retryAfter: RetryAfter(response));
    }

    /// <summary>A short description of a code (WeCom's errmsg is not kept: it can echo request values).</summary>
    private static string Describe(int code) => code switch
    {
        WeComErrorCodes.SystemBusy => "system busy",
        WeComErrorCodes.InvalidAccessToken => "invalid access token",
        WeComErrorCodes.AccessTokenExpired => "access token expired",
        WeComErrorCodes.InvalidCredential => "invalid credential",
        WeComErrorCodes.FrequencyLimit or WeComErrorCodes.CalledTooOften => "call frequency limit",
        WeComErrorCodes.ConcurrencyLimit => "concurrent call limit",
        WeComErrorCodes.NotExternalContact => "not an external contact",
        WeComErrorCodes.InvalidExternalUserId => "invalid external user id",
        WeComErrorCodes.AllRecipientsInvalid => "every recipient is invalid",
        WeComErrorCodes.InvalidWelcomeCode => "invalid or used welcome code",
        _ => "business error",
    };

    private static HttpRequestMessage Post(string path, byte[] body, bool retriable)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        request.Options.Set(PlatformRetry.Retriable, retriable);
        return request;
    }

    private void CheckId(string operation, PlatformResponse response, string? id, string field)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 256 || id.Any(char.IsControl))
        {
            throw Malformed(operation, response, $"{field} is missing or not an id");
        }
    }

    private string? Cursor(string operation, PlatformResponse response, string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        return cursor.Length <= 1024 ? cursor : throw Malformed(operation, response, "next_cursor is too long");
    }

    private static DateTimeOffset? Time(long? seconds) => seconds is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds.Value) : null;

    private static void CheckText(string content)
    {
        if (string.IsNullOrEmpty(content))
        {
            throw new PlatformRequestException(PlatformId, "text.content", "the text is empty");
        }
        if (Encoding.UTF8.GetByteCount(content) > 4000)
        {
            throw new PlatformRequestException(PlatformId, "text.content", "longer than 4000 UTF-8 bytes");
        }
    }

    /// <summary>A short, stable pseudonym of an id for keys and provider ids (the first 16 hex digits of SHA-256).</summary>
    internal static string Pseudonym(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)).AsSpan(0, 8));

    [LoggerMessage(EventId = 5503, Level = LogLevel.Warning, Message = "WeCom refused gettoken with errcode {Code}")]
    private static partial void LogTokenRefused(ILogger logger, int code);
}
