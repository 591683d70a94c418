using System.Text.RegularExpressions;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// Settings of the Meta client: credentials (a system-user access token and, optionally, the app
/// secret for <c>appsecret_proof</c>), the Graph API version, the pixel (dataset) conversions go to,
/// batch sizes and limits. Secrets never appear in <see cref="ToString"/> or logs.
/// </summary>
public sealed partial class MetaPlatformOptions : PlatformClientOptions
{
    /// <summary>The name of the Meta <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.Meta";

    /// <summary>Graph's production address, <c>https://graph.facebook.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://graph.facebook.com/");

    /// <summary>The Graph API version, e.g. <c>v25.0</c> (default). Each version is supported for at least two years.</summary>
    public string ApiVersion { get; set; } = "v25.0";

    /// <summary>The system-user access token (long-lived; rotate it in configuration — it is read on every call).</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>The app secret; when set, every call carries <c>appsecret_proof</c> = HMAC-SHA256 of the token keyed by this secret.</summary>
    public string? AppSecret { get; set; }

    /// <summary>The pixel (dataset) id conversions are sent to (<c>POST /{version}/{pixel_id}/events</c>).</summary>
    public string PixelId { get; set; } = "";

    /// <summary>Routes conversions to Events Manager's "Test Events" instead of production, when set.</summary>
    public string? TestEventCode { get; set; }

    /// <summary>The outbox destination of conversions (default <c>meta.conversions</c>).</summary>
    public string Destination { get; set; } = MetaPlatformClient.ConversionsDestination;

    /// <summary>Events per Conversions API request (default and maximum 1 000).</summary>
    public int ConversionBatchSize { get; set; } = MetaPlatformClient.MaxEventsPerRequest;

    /// <summary>Rows per custom-audience request (default and maximum 10 000); larger uploads use a session.</summary>
    public int AudienceBatchSize { get; set; } = MetaPlatformClient.MaxAudienceMembersPerRequest;

    /// <summary>Rows per insights page (<c>limit</c>, default 500).</summary>
    public int InsightsPageSize { get; set; } = 500;

    /// <summary>The ad account's currency, used when an insights row does not carry <c>account_currency</c> and to check budget changes (optional).</summary>
    public string? AccountCurrency { get; set; }

    /// <summary>
    /// The insights action types counted as conversions, in priority order; the first one present in a
    /// row is used (they overlap, so they are never added up). Default: <c>purchase</c>,
    /// <c>omni_purchase</c>, <c>offsite_conversion.fb_pixel_purchase</c>.
    /// </summary>
    public IList<string> ConversionActionTypes { get; } = ["purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase"];

    /// <summary>Budget changes allowed per ad set per rolling hour (default 4, Meta's limit); the next one is refused client-side.</summary>
    public int MaxBudgetChangesPerAdSetPerHour { get; set; } = 4;

    /// <summary>
    /// How long to hold calls back after a throttling error whose only hint is <c>X-App-Usage</c> at 100 %
    /// (that header has no reset time; default 5 minutes). <c>X-Business-Use-Case-Usage</c>'s
    /// <c>estimated_time_to_regain_access</c> and <c>X-Ad-Account-Usage</c>'s <c>reset_time_duration</c> take precedence.
    /// </summary>
    public TimeSpan AppUsageThrottleWait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() =>
        $"MetaPlatformOptions {{ ApiVersion = {ApiVersion}, PixelId = {PixelId}, BaseAddress = {BaseAddress?.ToString() ?? "(production)"}, TestEventCode = {(TestEventCode is null ? "none" : "set")}, AccessToken = {(string.IsNullOrEmpty(AccessToken) ? "missing" : "***")}, AppSecret = {(string.IsNullOrEmpty(AppSecret) ? "none" : "***")} }}";

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (var error in base.GetValidationErrors())
        {
            yield return error;
        }
        if (string.IsNullOrWhiteSpace(AccessToken))
        {
            yield return $"{nameof(AccessToken)} is required (a system-user access token).";
        }

        if (!VersionPattern().IsMatch(ApiVersion ?? ""))
        {
            yield return $"{nameof(ApiVersion)} must look like v25.0.";
        }

        if (string.IsNullOrWhiteSpace(PixelId) || !MetaPlatformClient.IsGraphId(PixelId))
        {
            yield return $"{nameof(PixelId)} is required and must be a numeric Graph id.";
        }

        if (string.IsNullOrWhiteSpace(Destination))
        {
            yield return $"{nameof(Destination)} is required.";
        }

        if (ConversionBatchSize is < 1 or > MetaPlatformClient.MaxEventsPerRequest)
        {
            yield return $"{nameof(ConversionBatchSize)} must be between 1 and {MetaPlatformClient.MaxEventsPerRequest}.";
        }

        if (AudienceBatchSize is < 1 or > MetaPlatformClient.MaxAudienceMembersPerRequest)
        {
            yield return $"{nameof(AudienceBatchSize)} must be between 1 and {MetaPlatformClient.MaxAudienceMembersPerRequest}.";
        }

        if (InsightsPageSize is < 1 or > 5000)
        {
            yield return $"{nameof(InsightsPageSize)} must be between 1 and 5000.";
        }

        if (MaxBudgetChangesPerAdSetPerHour < 1)
        {
            yield return $"{nameof(MaxBudgetChangesPerAdSetPerHour)} must be at least 1.";
        }

        if (AccountCurrency is not null && !Currencies.IsKnown(AccountCurrency))
        {
            yield return $"{nameof(AccountCurrency)} must be an ISO 4217 code.";
        }

        if (ConversionActionTypes.Count == 0 || ConversionActionTypes.Any(string.IsNullOrWhiteSpace))
        {
            yield return $"{nameof(ConversionActionTypes)} must list at least one action type and no blank ones.";
        }

        if (AppUsageThrottleWait < TimeSpan.Zero)
        {
            yield return $"{nameof(AppUsageThrottleWait)} cannot be negative.";
        }
    }

    [GeneratedRegex(@"^v\d{1,3}\.\d{1,2}$")]
    private static partial Regex VersionPattern();
}
