using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>
/// Settings of the WeChat Official Account (服务号) client. The app secret is a secret: it never appears in
/// <see cref="ToString"/> or logs.
/// </summary>
public sealed class OfficialAccountOptions : PlatformClientOptions
{
    /// <summary>The name of the Official Account <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.WeChat.OfficialAccount";

    /// <summary>The production host, <c>https://api.weixin.qq.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://api.weixin.qq.com/");

    /// <summary>The account's AppID (<c>appid</c>, e.g. <c>wx…</c>).</summary>
    public string AppId { get; set; } = "";

    /// <summary>The account's AppSecret (<c>secret</c> of <c>/cgi-bin/stable_token</c>).</summary>
    public string AppSecret { get; set; } = "";

    /// <summary>Refresh the access token this long before it expires (default 5 minutes; the platform keeps an old token valid 5 minutes after it rotates).</summary>
    public TimeSpan TokenRefreshBefore { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one host holds the cross-host refresh lease (default 30 s); other hosts wait for the shared token meanwhile.</summary>
    public TimeSpan TokenLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a host that does not hold the refresh lease looks for the token another host is fetching (default 200 ms).</summary>
    public TimeSpan TokenPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The key under which the token is shared through <c>IDistributedCache</c> (default derived from the AppID).</summary>
    public string? TokenCacheKey { get; set; }

    /// <summary>
    /// The channel name of template messages (default <c>wechat</c>, the well-known <see cref="Channel.WeChat"/>,
    /// which messaging maps to the consent purpose <c>private_domain_messaging</c>).
    /// </summary>
    public string TemplateChannelName { get; set; } = "wechat";

    /// <summary>
    /// The channel name of subscribe messages (default <c>wechat_subscribe</c>; map it to a consent purpose in the
    /// messaging options to send marketing messages through it, e.g. <c>private_domain_messaging</c>).
    /// </summary>
    public string SubscribeChannelName { get; set; } = "wechat_subscribe";

    /// <summary>
    /// How long after a template send whose answer was lost the same message may be sent again (default 5 minutes):
    /// within it the platform de-duplicates the repeated <c>client_msg_id</c>; the platform keeps an id only for a
    /// short time (about 10 minutes, not documented as a guarantee), so the default leaves half of it as margin for
    /// the call's own duration and clock differences. After it, the message fails with code <c>outcome_unknown</c>.
    /// </summary>
    public TimeSpan ClientMsgIdWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Messages one channel call sends (one HTTP call each; default 20).</summary>
    public int MessagesPerCall { get; set; } = 20;

    /// <summary>The wait hint for the daily quota code 45009 (default 1 hour).</summary>
    public TimeSpan DailyQuotaRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The wait hint for the per-minute quota code 45011 (default 60 s).</summary>
    public TimeSpan MinuteQuotaRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most followers one <see cref="OfficialAccountFollowerSync.RunAsync"/> links before it stops and keeps its place (default 100 000).</summary>
    public int MaxFollowersPerSync { get; set; } = 100_000;

    /// <summary>The cache key of the shared token.</summary>
    internal string EffectiveTokenCacheKey => TokenCacheKey ?? $"marketing-sdk:wechat-oa:token:{AppId}";

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(AppId))
        {
            yield return $"{nameof(AppId)} is required.";
        }
        if (string.IsNullOrWhiteSpace(AppSecret))
        {
            yield return $"{nameof(AppSecret)} is required.";
        }
        if (TokenRefreshBefore < TimeSpan.Zero || TokenRefreshBefore > TimeSpan.FromMinutes(60))
        {
            yield return $"{nameof(TokenRefreshBefore)} must be between 0 and 60 minutes.";
        }
        if (TokenLeaseDuration <= TimeSpan.Zero || TokenLeaseDuration > TimeSpan.FromMinutes(10))
        {
            yield return $"{nameof(TokenLeaseDuration)} must be positive and at most 10 minutes.";
        }
        if (TokenPollInterval <= TimeSpan.Zero || TokenPollInterval >= TokenLeaseDuration)
        {
            yield return $"{nameof(TokenPollInterval)} must be positive and shorter than {nameof(TokenLeaseDuration)}.";
        }
        if (!IsChannelName(TemplateChannelName) || !IsChannelName(SubscribeChannelName) || TemplateChannelName == SubscribeChannelName)
        {
            yield return $"{nameof(TemplateChannelName)} and {nameof(SubscribeChannelName)} must be two different lower snake_case names.";
        }
        if (MessagesPerCall is < 1 or > 100)
        {
            yield return $"{nameof(MessagesPerCall)} must be between 1 and 100.";
        }
        if (ClientMsgIdWindow < TimeSpan.Zero || ClientMsgIdWindow > TimeSpan.FromMinutes(10))
        {
            yield return $"{nameof(ClientMsgIdWindow)} must be between 0 and 10 minutes.";
        }
        if (DailyQuotaRetryAfter < TimeSpan.Zero || MinuteQuotaRetryAfter < TimeSpan.Zero)
        {
            yield return "Quota wait hints cannot be negative.";
        }
        if (MaxFollowersPerSync < 1)
        {
            yield return $"{nameof(MaxFollowersPerSync)} must be at least 1.";
        }
    }

    private static bool IsChannelName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    /// <summary>Describes the options without the secret.</summary>
    public override string ToString() =>
        $"OfficialAccountOptions {{ AppId = {AppId}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, AppSecret = {(string.IsNullOrEmpty(AppSecret) ? "(none)" : "***")} }}";
}
