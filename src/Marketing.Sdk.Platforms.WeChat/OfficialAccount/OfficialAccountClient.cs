using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>A template message (<c>/cgi-bin/message/template/send</c>). <see cref="ToString"/> shows no openid or values.</summary>
/// <param name="OpenId">The recipient's openid (a follower of the account).</param>
/// <param name="TemplateId">The account's template id.</param>
/// <param name="Data">The values by template key (e.g. <c>thing1</c>, <c>time2</c>).</param>
/// <param name="ClientMsgId">The de-duplication id: the platform sends one message per openid and id (within about 10 minutes).</param>
public sealed record OfficialAccountTemplateMessage(
    [property: PersonalData] string OpenId,
    string TemplateId,
    [property: PersonalData] IReadOnlyDictionary<string, string> Data,
    string ClientMsgId)
{
    /// <summary>The web page the message opens, if any.</summary>
    public string? Url { get; init; }

    /// <summary>The mini-program the message opens (takes precedence over <see cref="Url"/>), if any.</summary>
    public string? MiniProgramAppId { get; init; }

    /// <summary>The mini-program page, if any.</summary>
    public string? MiniProgramPagePath { get; init; }

    /// <summary>Describes the message without openid or values.</summary>
    public override string ToString() => $"OfficialAccountTemplateMessage {{ TemplateId = {TemplateId}, ClientMsgId = {ClientMsgId}, Data = {Data.Count} }}";
}

/// <summary>A subscribe message (<c>/cgi-bin/message/subscribe/bizsend</c>). <see cref="ToString"/> shows no openid or values.</summary>
/// <param name="OpenId">The recipient's openid (who authorised the template).</param>
/// <param name="TemplateId">The subscribe template id.</param>
/// <param name="Data">The values by template key.</param>
public sealed record OfficialAccountSubscribeMessage(
    [property: PersonalData] string OpenId,
    string TemplateId,
    [property: PersonalData] IReadOnlyDictionary<string, string> Data)
{
    /// <summary>The web page the message opens, if any.</summary>
    public string? Page { get; init; }

    /// <summary>The mini-program the message opens, if any.</summary>
    public string? MiniProgramAppId { get; init; }

    /// <summary>The mini-program page, if any.</summary>
    public string? MiniProgramPagePath { get; init; }

    /// <summary>Describes the message without openid or values.</summary>
    public override string ToString() => $"OfficialAccountSubscribeMessage {{ TemplateId = {TemplateId}, Data = {Data.Count} }}";
}

/// <summary>One page of followers (<c>/cgi-bin/user/get</c>).</summary>
/// <param name="OpenIds">The followers' openids (at most 10 000).</param>
/// <param name="Total">How many followers the account has.</param>
/// <param name="NextOpenId">The cursor of the next page (<see langword="null"/> at the end).</param>
public sealed record OfficialAccountFollowerPage([property: PersonalData] IReadOnlyList<string> OpenIds, long Total, [property: PersonalData] string? NextOpenId)
{
    /// <summary>Describes the page without openids.</summary>
    public override string ToString() => $"OfficialAccountFollowerPage {{ OpenIds = {OpenIds.Count}, Total = {Total} }}";
}

/// <summary>What <c>/cgi-bin/user/info/batchget</c> says about one user.</summary>
/// <param name="OpenId">The openid.</param>
/// <param name="Subscribed">Whether the user follows the account.</param>
/// <param name="UnionId">The unionid (only when the account is bound to an open-platform account), if any.</param>
public sealed record OfficialAccountUserInfo([property: PersonalData] string OpenId, bool Subscribed, [property: PersonalData] string? UnionId)
{
    /// <summary>Describes the user without ids.</summary>
    public override string ToString() => $"OfficialAccountUserInfo {{ Subscribed = {Subscribed}, UnionId = {(UnionId is null ? "none" : "***")} }}";
}

/// <summary>
/// The WeChat Official Account (服务号) client: template and subscribe messages, the follower list and user
/// info. Every call carries the <c>access_token</c> query parameter from an <see cref="IAccessTokenProvider"/>
/// (normally <see cref="OfficialAccountTokenProvider"/>); errors arrive as HTTP 200 with a non-zero
/// <c>errcode</c> and are classified from the body (see <see cref="OfficialAccountErrorCodes"/>); a refused token
/// (40001, 40014, 42001) is fetched again and the call retried once.
/// </summary>
public sealed partial class OfficialAccountClient : PlatformApiClient
{
    /// <summary>The platform id (<c>wechat_oa</c>, as exceptions name it), also the key of the keyed token provider.</summary>
    public const string PlatformId = "wechat_oa";

    /// <summary>Most openids one <c>/cgi-bin/user/get</c> page holds.</summary>
    public const int FollowersPerPage = 10_000;

    /// <summary>Most openids one <c>/cgi-bin/user/info/batchget</c> call takes.</summary>
    public const int UsersPerBatchGet = 100;

    /// <summary>The longest openid or unionid accepted from an answer (they are 28 characters today).</summary>
    internal const int MaxIdLength = 128;

    private readonly OfficialAccountOptions _options;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set).</param>
    /// <param name="tokens">Supplies the access token (normally an <see cref="OfficialAccountTokenProvider"/>).</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the request metrics' meter.</param>
    /// <param name="logger">The logger.</param>
    public OfficialAccountClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, OfficialAccountOptions options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<OfficialAccountClient>? logger = null)
        : base(httpClientFactory, tokens, PlatformId, (options ?? throw new ArgumentNullException(nameof(options))).CreateRateLimiter(), timeProvider, meterFactory, logger)
        => _options = options;

    /// <summary>The settings.</summary>
    internal OfficialAccountOptions Options => _options;

    /// <summary>Sends a template message; returns the platform's <c>msgid</c>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The platform refused it (e.g. 43004 not a follower, 47003 bad values) or could not be reached.</exception>
    public async Task<long> SendTemplateMessageAsync(OfficialAccountTemplateMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Require(message.OpenId, "touser");
        Require(message.TemplateId, "template_id");
        Require(message.ClientMsgId, "client_msg_id");
        var body = new TemplateSendRequest(message.OpenId, message.TemplateId, message.Url, MiniProgram(message.MiniProgramAppId, message.MiniProgramPagePath), message.ClientMsgId, Data(message.Data));
        var response = await PostAsync("template.send", "cgi-bin/message/template/send", body, OfficialAccountJsonContext.Default.TemplateSendRequest, retriable: false, cancellationToken).ConfigureAwait(false);
        return MessageId("template.send", response);
    }

    /// <summary>Sends a subscribe message; returns the platform's <c>msgid</c> (0 when it returns none).</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The platform refused it (e.g. 43101 the user refused, 47003 bad values) or could not be reached.</exception>
    public async Task<long> SendSubscribeMessageAsync(OfficialAccountSubscribeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Require(message.OpenId, "touser");
        Require(message.TemplateId, "template_id");
        var body = new SubscribeSendRequest(message.OpenId, message.TemplateId, message.Page, MiniProgram(message.MiniProgramAppId, message.MiniProgramPagePath), Data(message.Data));
        var response = await PostAsync("subscribe.send", "cgi-bin/message/subscribe/bizsend", body, OfficialAccountJsonContext.Default.SubscribeSendRequest, retriable: false, cancellationToken).ConfigureAwait(false);
        return MessageId("subscribe.send", response);
    }

    /// <summary>Reads one page of followers: the openids after <paramref name="nextOpenId"/> (from the first when <see langword="null"/>).</summary>
    /// <param name="nextOpenId">The openid to continue after.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The platform refused the call, could not be reached or answered something unreadable.</exception>
    public async Task<OfficialAccountFollowerPage> GetFollowerPageAsync(string? nextOpenId = null, CancellationToken cancellationToken = default)
    {
        const string operation = "followers.get";
        var path = "cgi-bin/user/get" + (string.IsNullOrEmpty(nextOpenId) ? "" : "?next_openid=" + Uri.EscapeDataString(nextOpenId));
        var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), cancellationToken).ConfigureAwait(false);
        var parsed = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, OfficialAccountJsonContext.Default.FollowersResponse));
        var ids = parsed.Data?.OpenId ?? [];
        if (ids.Count > FollowersPerPage || parsed.Count is < 0 || (parsed.Count is { } count && count != ids.Count) || parsed.Total is < 0)
        {
            throw Malformed(operation, response, "count, total and the openid list disagree or exceed 10000");
        }
        foreach (var id in ids)
        {
            CheckId(operation, response, id);
        }
        var next = string.IsNullOrEmpty(parsed.NextOpenId) ? null : parsed.NextOpenId;
        if (next is not null)
        {
            CheckId(operation, response, next);
        }
        return new OfficialAccountFollowerPage(ids, parsed.Total ?? ids.Count, next);
    }

    /// <summary>
    /// Every page of followers from <paramref name="startAfter"/> to the end, lazily; stops at an empty page or
    /// when the platform sends no cursor, and after <see cref="PlatformClientOptions.MaxPages"/> pages or on a
    /// repeated cursor with a typed error.
    /// </summary>
    /// <param name="startAfter">The openid to continue after (<see langword="null"/>: from the first).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async IAsyncEnumerable<OfficialAccountFollowerPage> GetFollowersAsync(string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var guard = StartPaging("followers.get", _options.MaxPages);
        var cursor = string.IsNullOrEmpty(startAfter) ? null : startAfter;
        while (true)
        {
            guard.Next(cursor);
            var page = await GetFollowerPageAsync(cursor, cancellationToken).ConfigureAwait(false);
            if (page.OpenIds.Count == 0)
            {
                yield break;
            }
            yield return page;
            if (page.NextOpenId is null)
            {
                yield break;
            }
            cursor = page.NextOpenId;
        }
    }

    /// <summary>Reads follow state and unionid of up to 100 users (<c>/cgi-bin/user/info/batchget</c>).</summary>
    /// <param name="openIds">The openids (1–100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformRequestException">More than 100 openids, or none.</exception>
    /// <exception cref="PlatformApiException">The platform refused the call, could not be reached or answered something unreadable.</exception>
    public async Task<IReadOnlyList<OfficialAccountUserInfo>> GetUserInfosAsync(IReadOnlyList<string> openIds, CancellationToken cancellationToken = default)
    {
        const string operation = "users.batchget";
        ArgumentNullException.ThrowIfNull(openIds);
        if (openIds.Count is 0 or > UsersPerBatchGet)
        {
            throw new PlatformRequestException(PlatformId, "user_list", $"1 to {UsersPerBatchGet} openids per call");
        }
        foreach (var id in openIds)
        {
            Require(id, "user_list.openid");
        }
        var body = new BatchGetRequest([.. openIds.Select(id => new BatchGetUser(id, "zh_CN"))]);
        var response = await PostAsync(operation, "cgi-bin/user/info/batchget", body, OfficialAccountJsonContext.Default.BatchGetRequest, retriable: true, cancellationToken).ConfigureAwait(false);
        var parsed = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, OfficialAccountJsonContext.Default.BatchGetResponse));
        var list = parsed.UserInfoList ?? throw Malformed(operation, response, "user_info_list is missing");
        if (list.Count > openIds.Count)
        {
            throw Malformed(operation, response, "more users than asked for");
        }
        var asked = new HashSet<string>(openIds, StringComparer.Ordinal);
        var result = new List<OfficialAccountUserInfo>(list.Count);
        foreach (var info in list)
        {
            if (info?.OpenId is not { } openId || !asked.Contains(openId))
            {
                throw Malformed(operation, response, "a user that was not asked for");
            }
            var unionId = string.IsNullOrEmpty(info.UnionId) ? null : info.UnionId;
            if (unionId is not null)
            {
                CheckId(operation, response, unionId);
            }
            result.Add(new OfficialAccountUserInfo(openId, info.Subscribe == 1, unionId));
        }
        return result;
    }

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, AccessToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(token);
        var uri = request.RequestUri?.OriginalString ?? "";
        request.RequestUri = new Uri(uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "access_token=" + Uri.EscapeDataString(token.Value), UriKind.RelativeOrAbsolute);
    }

    /// <inheritdoc />
    protected override PlatformApiException? Classify(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        OaEnvelope? envelope = null;
        var readable = false;
        if (!response.Body.IsEmpty)
        {
            try
            {
                envelope = JsonSerializer.Deserialize(response.Body.Span, OfficialAccountJsonContext.Default.OaEnvelope);
                readable = envelope is not null;
            }
            catch (JsonException)
            {
                // unreadable: decided below
            }
        }
        if (envelope?.ErrCode is { } code && code != OfficialAccountErrorCodes.Ok)
        {
            var errorClass = status >= 500 ? PlatformErrorClass.Transient : OfficialAccountErrorCodes.Classify(code) ?? PlatformErrorClass.Permanent;
            var retryAfter = code switch
            {
                OfficialAccountErrorCodes.DailyQuota => RetryAfter(response) ?? _options.DailyQuotaRetryAfter,
                OfficialAccountErrorCodes.MinuteQuota => RetryAfter(response) ?? _options.MinuteQuotaRetryAfter,
                _ => RetryAfter(response),
            };
            // errmsg is the platform's own text (it carries the rid to quote to WeChat, never the recipient); it is bounded.
            var message = envelope.ErrMsg is { Length: > 0 } m ? (m.Length > 200 ? m[..200] : m) : "no errmsg";
            return new PlatformApiException(PlatformId, errorClass, response.StatusCode, message, code.ToString(CultureInfo.InvariantCulture), requestId: RequestId(envelope.ErrMsg), retryAfter: retryAfter);
        }
        if (status is >= 200 and < 300)
        {
            return readable ? null : Malformed("answer", response, "the answer is not a JSON object");
        }
        var fallback = ClassifyStatus(response.StatusCode);
        return new PlatformApiException(PlatformId, fallback == PlatformErrorClass.AuthenticationExpired ? PlatformErrorClass.Unauthorized : fallback, response.StatusCode, $"HTTP {status}", retryAfter: RetryAfter(response));
    }

    /// <summary>The <c>rid</c> WeChat appends to <c>errmsg</c> (<c>"… rid: 6500…-…"</c>), to quote when asking WeChat about a call.</summary>
    internal static string? RequestId(string? errmsg)
    {
        if (errmsg is null)
        {
            return null;
        }
        var at = errmsg.LastIndexOf("rid:", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var rid = errmsg[(at + 4)..].Trim();
        return rid.Length is > 0 and <= 64 && rid.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? rid : null;
    }

    private long MessageId(string operation, PlatformResponse response)
    {
        var parsed = ReadAnswer(operation, response, r => JsonSerializer.Deserialize(r.Body.Span, OfficialAccountJsonContext.Default.SendResponse));
        return parsed.MsgId is { } id && id >= 0 ? id : 0;
    }

    private void CheckId(string operation, PlatformResponse response, string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw Malformed(operation, response, "an openid or unionid is empty, too long or holds characters ids never hold");
        }
    }

    private static void Require(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new PlatformRequestException(PlatformId, field, "is required");
        }
    }

    private static OaMiniProgram? MiniProgram(string? appId, string? pagePath) =>
        string.IsNullOrEmpty(appId) ? null : new OaMiniProgram(appId, string.IsNullOrEmpty(pagePath) ? null : pagePath);

    private static Dictionary<string, OaDataValue> Data(IReadOnlyDictionary<string, string> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = new Dictionary<string, OaDataValue>(data.Count, StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            result[key] = new OaDataValue(value ?? "");
        }
        return result;
    }

    private Task<PlatformResponse> PostAsync<T>(string operation, string path, T body, JsonTypeInfo<T> typeInfo, bool retriable, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, typeInfo);
        return SendAsync(operation, () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
            request.Options.Set(PlatformRetry.Retriable, retriable);
            return request;
        }, cancellationToken);
    }
}
