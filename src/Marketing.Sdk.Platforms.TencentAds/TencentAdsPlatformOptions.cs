using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TencentAds;

/// <summary>
/// Settings of the Tencent Ads (腾讯广告) Marketing API client. The app secret and the tokens are secrets: they
/// never appear in <see cref="ToString"/> or logs. With <see cref="ClientSecret"/> set, the token pair rotates
/// through <c>oauth/token</c> (<see cref="Tokens.TencentAdsTokenProvider"/>): <see cref="AccessToken"/> and
/// <see cref="RefreshToken"/> only seed the shared store the first time; after that the stored pair is the truth.
/// </summary>
public sealed class TencentAdsPlatformOptions : PlatformClientOptions
{
    /// <summary>The name of the Tencent Ads <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.TencentAds";

    /// <summary>The production host, <c>https://api.e.qq.com/</c> (sandbox: <c>https://sandbox-api.e.qq.com/</c>).</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://api.e.qq.com/");

    /// <summary>The access token (the first one, when the pair rotates; a permanent DataNexus token otherwise).</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>The refresh token issued with <see cref="AccessToken"/>; with <see cref="ClientId"/> and <see cref="ClientSecret"/> it turns on rotation.</summary>
    public string? RefreshToken { get; set; }

    /// <summary>The developer app id (<c>client_id</c> of <c>oauth/token</c>).</summary>
    public string? ClientId { get; set; }

    /// <summary>The developer app secret (<c>client_secret</c>).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The advertiser account id (<c>account_id</c>) used for conversions and audiences.</summary>
    public string AccountId { get; set; } = "";

    /// <summary>The data source id (<c>user_action_set_id</c>) conversions are reported under.</summary>
    public string UserActionSetId { get; set; } = "";

    /// <summary>The API version path segment (default <c>v3.0</c>).</summary>
    public string ApiVersion { get; set; } = "v3.0";

    /// <summary>The account currency. Tencent Ads bills in CNY and states money in fen (分); only <c>CNY</c> is accepted.</summary>
    public string AccountCurrency { get; set; } = "CNY";

    /// <summary>Extra or overriding event-type mappings (SDK event type → Tencent <c>action_type</c>, e.g. <c>subscribe</c> → <c>CUSTOM</c> is not allowed: use a standard type).</summary>
    public IDictionary<string, string> ActionTypes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The wait reported for the rate-limit codes (11008, 11016–11019) when the answer has no <c>Retry-After</c> (default 60 s).</summary>
    public TimeSpan ThrottleRetryAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows per report page, 1–1000 (default 1000).</summary>
    public int ReportPageSize { get; set; } = 1000;

    /// <summary>Hashed phones per uploaded audience file (default 1 000 000; larger lists upload several files).</summary>
    public int AudienceMembersPerFile { get; set; } = 1_000_000;

    /// <summary>Refresh the access token this long before it expires (default 10 minutes).</summary>
    public TimeSpan RefreshBefore { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a host waits for another host's refresh before giving up with a transient error (default 20 s; it never refreshes on its own, which would use a dead refresh token).</summary>
    public TimeSpan PeerWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether the token pair rotates (a client id, a secret and a refresh token are set).</summary>
    public bool RotatesTokens => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret) && !string.IsNullOrWhiteSpace(RefreshToken);

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(AccessToken))
        {
            yield return $"{nameof(AccessToken)} is required.";
        }
        if (!string.IsNullOrWhiteSpace(ClientSecret) && (string.IsNullOrWhiteSpace(ClientId) || string.IsNullOrWhiteSpace(RefreshToken)))
        {
            yield return $"{nameof(ClientSecret)} needs {nameof(ClientId)} and {nameof(RefreshToken)} (token rotation).";
        }
        if (string.IsNullOrWhiteSpace(AccountId) || !AccountId.All(char.IsAsciiDigit))
        {
            yield return $"{nameof(AccountId)} is required (digits).";
        }
        if (!string.IsNullOrWhiteSpace(UserActionSetId) && !UserActionSetId.All(char.IsAsciiDigit))
        {
            yield return $"{nameof(UserActionSetId)} must be digits.";
        }
        if (!string.Equals(AccountCurrency, "CNY", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{nameof(AccountCurrency)} must be CNY (Tencent Ads states money in fen).";
        }
        if (string.IsNullOrWhiteSpace(ApiVersion))
        {
            yield return $"{nameof(ApiVersion)} is required.";
        }
        if (ReportPageSize is < 1 or > 1000)
        {
            yield return $"{nameof(ReportPageSize)} must be between 1 and 1000.";
        }
        if (AudienceMembersPerFile < 1)
        {
            yield return $"{nameof(AudienceMembersPerFile)} must be at least 1.";
        }
        if (RefreshBefore < TimeSpan.Zero || PeerWait <= TimeSpan.Zero)
        {
            yield return $"{nameof(RefreshBefore)} cannot be negative and {nameof(PeerWait)} must be positive.";
        }
    }

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() =>
        $"TencentAdsPlatformOptions {{ AccountId = {AccountId}, ApiVersion = {ApiVersion}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, AccessToken = {(string.IsNullOrEmpty(AccessToken) ? "(none)" : "***")}, Rotates = {RotatesTokens} }}";
}
