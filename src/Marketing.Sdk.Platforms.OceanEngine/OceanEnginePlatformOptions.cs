using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.OceanEngine;

/// <summary>Which Ocean Engine product the Marketing API calls address.</summary>
public enum OceanEngineProduct
{
    /// <summary>巨量广告 (Douyin / Toutiao ads, v3.0): projects (项目) and promotions (广告), <c>report/custom/get</c>.</summary>
    Ads = 1,
    /// <summary>巨量千川 (Qianchuan, e-commerce): ad plans (计划) through the <c>v1.0/qianchuan/...</c> endpoints.</summary>
    Qianchuan = 2,
}

/// <summary>
/// Settings of the Ocean Engine (巨量引擎) client. The app secret and the tokens are secrets: they never appear in
/// <see cref="ToString"/> or logs. With <see cref="AppId"/>, <see cref="Secret"/> and <see cref="RefreshToken"/> set, the token
/// pair rotates through <c>oauth2/refresh_token/</c> (<see cref="Tokens.OceanEngineTokenProvider"/>): <see cref="AccessToken"/>
/// and <see cref="RefreshToken"/> only seed the shared store the first time; after that the stored pair is the truth.
/// </summary>
public sealed class OceanEnginePlatformOptions : PlatformClientOptions
{
    /// <summary>The name of the Ocean Engine <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.OceanEngine";

    /// <summary>The Marketing API host, <c>https://api.oceanengine.com/</c> (official Go SDK default).</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://api.oceanengine.com/");

    /// <summary>The conversion callback host, <c>https://analytics.oceanengine.com/</c>.</summary>
    public static Uri DefaultConversionAddress { get; } = new("https://analytics.oceanengine.com/");

    /// <summary>Where conversions are sent (<c>api/v2/conversion</c> under it); default <see cref="DefaultConversionAddress"/>. Point it at the emulator in tests.</summary>
    public Uri? ConversionAddress { get; set; }

    /// <summary>The access token sent in the <c>Access-Token</c> header (the first one, when the pair rotates).</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>The refresh token issued with <see cref="AccessToken"/>; with <see cref="AppId"/> and <see cref="Secret"/> it turns on rotation.</summary>
    public string? RefreshToken { get; set; }

    /// <summary>The developer app id (<c>app_id</c> of <c>oauth2/refresh_token/</c>; digits).</summary>
    public string? AppId { get; set; }

    /// <summary>The developer app secret (<c>secret</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>The advertiser id (<c>advertiser_id</c>) used for audiences; reports and campaign changes name theirs.</summary>
    public string AdvertiserId { get; set; } = "";

    /// <summary>Which product reports and campaign changes address (default <see cref="OceanEngineProduct.Ads"/>).</summary>
    public OceanEngineProduct Product { get; set; } = OceanEngineProduct.Ads;

    /// <summary>The account currency. Ocean Engine states money in yuan (CNY); only <c>CNY</c> is accepted.</summary>
    public string AccountCurrency { get; set; } = "CNY";

    /// <summary>Extra or overriding event-type mappings (SDK event type → Ocean Engine <c>event_type</c>).</summary>
    public IDictionary<string, string> EventTypes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The wait reported for the rate-limit codes (40100, 40110) when the answer has no <c>Retry-After</c> (default 10 s).</summary>
    public TimeSpan ThrottleRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Rows per report page, 1–1000 (default 100).</summary>
    public int ReportPageSize { get; set; } = 100;

    /// <summary>The <c>data_topic</c> of <c>report/custom/get</c> (default <c>BASIC_DATA</c>).</summary>
    public string ReportDataTopic { get; set; } = "BASIC_DATA";

    /// <summary>Hashed phones per uploaded DMP file (default 500 000, which keeps a file well below the 50 MB limit).</summary>
    public int AudienceMembersPerFile { get; set; } = 500_000;

    /// <summary>Refresh the access token this long before it expires (default 10 minutes).</summary>
    public TimeSpan RefreshBefore { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a host waits for another host's refresh before giving up with a transient error (default 20 s).</summary>
    public TimeSpan PeerWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether the token pair rotates (an app id, a secret and a refresh token are set).</summary>
    public bool RotatesTokens => !string.IsNullOrWhiteSpace(AppId) && !string.IsNullOrWhiteSpace(Secret) && !string.IsNullOrWhiteSpace(RefreshToken);

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
        if (!string.IsNullOrWhiteSpace(Secret) && (string.IsNullOrWhiteSpace(AppId) || string.IsNullOrWhiteSpace(RefreshToken)))
        {
            yield return $"{nameof(Secret)} needs {nameof(AppId)} and {nameof(RefreshToken)} (token rotation).";
        }
        if (!string.IsNullOrWhiteSpace(AppId) && !AppId.All(char.IsAsciiDigit))
        {
            yield return $"{nameof(AppId)} must be digits.";
        }
        if (!string.IsNullOrWhiteSpace(AdvertiserId) && !AdvertiserId.All(char.IsAsciiDigit))
        {
            yield return $"{nameof(AdvertiserId)} must be digits.";
        }
        if (!string.Equals(AccountCurrency, "CNY", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{nameof(AccountCurrency)} must be CNY (Ocean Engine states money in yuan).";
        }
        if (!Enum.IsDefined(Product))
        {
            yield return $"{nameof(Product)} is not a known product.";
        }
        if (ReportPageSize is < 1 or > 1000)
        {
            yield return $"{nameof(ReportPageSize)} must be between 1 and 1000.";
        }
        if (string.IsNullOrWhiteSpace(ReportDataTopic))
        {
            yield return $"{nameof(ReportDataTopic)} is required.";
        }
        if (AudienceMembersPerFile < 1)
        {
            yield return $"{nameof(AudienceMembersPerFile)} must be at least 1.";
        }
        if (RefreshBefore < TimeSpan.Zero || PeerWait <= TimeSpan.Zero)
        {
            yield return $"{nameof(RefreshBefore)} cannot be negative and {nameof(PeerWait)} must be positive.";
        }
        if (ConversionAddress is { IsAbsoluteUri: false })
        {
            yield return $"{nameof(ConversionAddress)} must be absolute.";
        }
    }

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() =>
        $"OceanEnginePlatformOptions {{ AdvertiserId = {AdvertiserId}, Product = {Product}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, AccessToken = {(string.IsNullOrEmpty(AccessToken) ? "(none)" : "***")}, Rotates = {RotatesTokens} }}";
}
