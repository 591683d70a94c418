using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TencentAds;

public sealed partial class TencentAdsPlatformClient
{
    /// <summary>The <see cref="ItemResult.Code"/> of conversions refused by the pre-send checks.</summary>
    public const string PreSendRejectionCode = "client_validation";

    /// <summary>The most extra requests made to isolate the refused actions of a batch.</summary>
    private const int MaxSplitRequests = 24;

    /// <summary>
    /// Sends conversions to <c>POST /v3.0/user_actions/add</c>: every conversion becomes an action with
    /// <c>outer_action_id</c> = the event id (Tencent's de-duplication key), <c>action_time</c> in Unix seconds, the
    /// mapped <c>action_type</c>, <c>user_id.hash_phone</c> (MD5 of the national number), the WeChat openid/unionid with
    /// its app id, <c>trace.click_id</c>, and <c>action_param.value</c> in fen (exact: a value with a fraction of a fen is
    /// refused). Actions that cannot be sent are rejected before sending; the others are packed into requests of at
    /// most <see cref="MaxActionsPerRequest"/> actions and <see cref="MaxRequestBytes"/> bytes. A batch refused with a
    /// business code is split to find the refused actions, so the others still get through.
    /// </summary>
    /// <param name="batch">The conversions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ItemResult?[batch.Count];
        var pending = new List<Pending>(batch.Count);
        var account = string.IsNullOrWhiteSpace(_options.AccountId) ? 0 : Id(_options.AccountId, "account_id");
        if (string.IsNullOrWhiteSpace(_options.UserActionSetId))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, "no user_action_set_id is configured", PreSendRejectionCode);
            }
            return new BatchResult([.. results.Select(r => r!)]);
        }
        var set = Id(_options.UserActionSetId, "user_action_set_id");
        for (var i = 0; i < batch.Count; i++)
        {
            var (action, rejection) = Build(batch[i]);
            if (rejection is not null)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, rejection, PreSendRejectionCode);
                continue;
            }
            var size = JsonSerializer.SerializeToUtf8Bytes(action!, TencentAdsJsonContext.Default.UserAction).Length;
            if (size + Overhead(account, set) > MaxRequestBytes)
            {
                results[i] = new ItemResult(i, DeliveryOutcome.Rejected, "the action alone exceeds the 50 KB request limit", PreSendRejectionCode);
                continue;
            }
            pending.Add(new Pending(i, action!, size));
        }
        if (pending.Count < batch.Count)
        {
            LogPreRejected(Logger, batch.Count - pending.Count, batch.Count);
        }
        var requests = Pack(pending, account, set);
        if (requests.Count > 1)
        {
            LogSplit(Logger, pending.Count, requests.Count);
        }
        var context = new SendContext(results);
        string? requestId = null;
        foreach (var request in requests)
        {
            requestId = await AddAsync(account, set, request, context, rethrow: requests.Count == 1, cancellationToken).ConfigureAwait(false) ?? requestId;
        }
        return new BatchResult([.. results.Select((r, i) => r ?? new ItemResult(i, DeliveryOutcome.Retry, "no result", null))], requestId);
    }

    private sealed record Pending(int Index, UserAction Action, int Bytes);

    private sealed class SendContext(ItemResult?[] results)
    {
        public ItemResult?[] Results { get; } = results;
        public int SplitRequestsLeft { get; set; } = MaxSplitRequests;
    }

    /// <summary>The bytes of a request body around its actions: <c>{"account_id":…,"user_action_set_id":…,"actions":[]}</c>.</summary>
    private static int Overhead(long account, long set) =>
        JsonSerializer.SerializeToUtf8Bytes(new UserActionsAddRequest(account, set, []), TencentAdsJsonContext.Default.UserActionsAddRequest).Length;

    /// <summary>Packs actions in order into requests of at most 50 actions and 50 KB (body bytes, commas included).</summary>
    private static List<List<Pending>> Pack(IReadOnlyList<Pending> pending, long account, long set)
    {
        var overhead = Overhead(account, set);
        var requests = new List<List<Pending>>();
        List<Pending>? current = null;
        var bytes = 0;
        foreach (var p in pending)
        {
            var added = p.Bytes + (current is { Count: > 0 } ? 1 : 0);
            if (current is null || current.Count >= MaxActionsPerRequest || bytes + added > MaxRequestBytes)
            {
                requests.Add(current = []);
                bytes = overhead;
                added = p.Bytes;
            }
            current.Add(p);
            bytes += added;
        }
        return requests;
    }

    private async Task<string?> AddAsync(long account, long set, IReadOnlyList<Pending> items, SendContext context, bool rethrow, CancellationToken cancellationToken)
    {
        var results = context.Results;
        var body = JsonSerializer.SerializeToUtf8Bytes(new UserActionsAddRequest(account, set, [.. items.Select(p => p.Action)]), TencentAdsJsonContext.Default.UserActionsAddRequest);
        PlatformResponse response;
        try
        {
            response = await PostAsync("conversions.send", "user_actions/add", body, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (ex.ErrorClass == PlatformErrorClass.Permanent && items.Count > 1 && context.SplitRequestsLeft >= 2)
        {
            LogBisecting(Logger, items.Count);
            context.SplitRequestsLeft -= 2;
            var half = items.Count / 2;
            await AddAsync(account, set, [.. items.Take(half)], context, rethrow: false, cancellationToken).ConfigureAwait(false);
            return await AddAsync(account, set, [.. items.Skip(half)], context, rethrow: false, cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex) when (!rethrow || ex.ErrorClass == PlatformErrorClass.Permanent)
        {
            var outcome = ex.ErrorClass == PlatformErrorClass.Permanent ? DeliveryOutcome.Rejected : DeliveryOutcome.Retry;
            foreach (var p in items)
            {
                results[p.Index] = new ItemResult(p.Index, outcome, ex.Message, ex.PlatformCode ?? ex.ErrorClass.ToString(), ex.RetryAfter);
            }
            return ex.RequestId;
        }
        var envelope = Envelope("conversions.send", response);
        foreach (var p in items)
        {
            results[p.Index] = ItemResult.Accepted(p.Index);
        }
        return envelope.TraceId;
    }

    private (UserAction? Action, string? Rejection) Build(PreparedConversion c)
    {
        if (c is null)
        {
            return (null, "the conversion is missing");
        }
        if (string.IsNullOrWhiteSpace(c.EventId) || c.EventId.Length > 255)
        {
            return (null, "outer_action_id (the event id) is required, at most 255 characters");
        }
        var type = TencentAdsActionTypes.Map(c.EventType, _options);
        if (type is null)
        {
            return (null, $"the event type '{c.EventType}' has no Tencent Ads action type; map it in TencentAdsPlatformOptions.ActionTypes");
        }
        var seconds = c.OccurredAt.ToUnixTimeSeconds();
        if (seconds is <= 0 or > int.MaxValue)
        {
            return (null, "action_time is out of range");
        }
        var phone = c.Get(MatchField.Phone);
        if (phone is not null && !TencentAdsHashing.IsLowerMd5(phone))
        {
            return (null, "user_id.hash_phone must be an MD5 digest in 32 lower-case hex characters");
        }
        var clicks = c.Clicks ?? new ClickIdentifiers();
        var openId = Blank(clicks.WeChatOpenId);
        var unionId = Blank(clicks.WeChatUnionId);
        var appId = Blank(clicks.WeChatAppId);
        if ((openId is not null || unionId is not null) && appId is null)
        {
            return (null, "a WeChat openid or unionid needs user_id.wechat_app_id");
        }
        var clickId = Blank(clicks.TencentClickId);
        if (phone is null && openId is null && unionId is null && clickId is null)
        {
            return (null, "no user identifier (hash_phone, WeChat openid/unionid) and no click id");
        }
        Dictionary<string, JsonElement>? param = null;
        if (c.Value is { } value)
        {
            if (!string.Equals(c.Currency, "CNY", StringComparison.OrdinalIgnoreCase))
            {
                return (null, "action_param.value must be in CNY (Tencent Ads counts in fen)");
            }
            if (!TencentAdsMoney.TryToFen(value, out var fen))
            {
                return (null, "action_param.value must be a non-negative amount in whole fen");
            }
            param = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
            {
                ["value"] = JsonSerializer.SerializeToElement(fen, TencentAdsJsonContext.Default.Int64),
            };
        }
        string? url = null;
        if (c.SourceUrl is not null)
        {
            if (!Uri.TryCreate(c.SourceUrl, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttps && u.Scheme != Uri.UriSchemeHttp))
            {
                return (null, "url must be an absolute http(s) address");
            }
            url = u.ToString();
        }
        var userId = phone is null && openId is null && unionId is null ? null : new UserIdSpec(phone, openId, unionId, appId);
        return (new UserAction(seconds, type, c.EventId, userId, clickId is null ? null : new TraceSpec(clickId), param, url, null), null);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Exact conversions between yuan and fen (分), the unit Tencent Ads states money in.</summary>
public static class TencentAdsMoney
{
    /// <summary>Yuan to fen when the amount is a whole number of fen and not negative; <see langword="false"/> otherwise (never rounds).</summary>
    /// <param name="yuan">The amount in yuan.</param>
    /// <param name="fen">The amount in fen.</param>
    public static bool TryToFen(decimal yuan, out long fen)
    {
        fen = 0;
        if (yuan < 0)
        {
            return false;
        }
        var scaled = yuan * 100m;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue)
        {
            return false;
        }
        fen = (long)scaled;
        return true;
    }

    /// <summary>Fen to yuan, exactly (a <see cref="decimal"/> division by 100).</summary>
    /// <param name="fen">The amount in fen.</param>
    public static decimal ToYuan(long fen) => fen / 100m;

    /// <summary>Fen (possibly with a fraction, as some report fields carry) to yuan, exactly.</summary>
    /// <param name="fen">The amount in fen.</param>
    public static decimal ToYuan(decimal fen) => fen / 100m;
}
