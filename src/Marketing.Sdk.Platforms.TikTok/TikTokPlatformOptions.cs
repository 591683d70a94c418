using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TikTok;

/// <summary>The audience match key of a TikTok customer-file audience (its <c>calculate_type</c>).</summary>
public enum TikTokAudienceMatchKey
{
    /// <summary>SHA-256 of the normalised email (<c>EMAIL_SHA256</c>).</summary>
    Email = 1,
    /// <summary>SHA-256 of the phone in E.164 with '+' (<c>PHONE_SHA256</c>).</summary>
    Phone = 2,
}

/// <summary>
/// Settings of the TikTok client (Business API v1.3 and Events API 2.0). The access token is a
/// secret: it is read on every call (so rotating it takes effect without a restart) and never
/// appears in <see cref="ToString"/> or logs.
/// </summary>
public sealed class TikTokPlatformOptions : PlatformClientOptions
{
    /// <summary>The name of the TikTok <see cref="HttpClient"/> on <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Marketing.Sdk.Platforms.TikTok";

    /// <summary>The production host, <c>https://business-api.tiktok.com/</c>.</summary>
    public static Uri DefaultBaseAddress { get; } = new("https://business-api.tiktok.com/");

    /// <summary>The long-lived advertiser access token sent in the <c>Access-Token</c> header.</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>The advertiser (ad account) id used for audiences (reports and campaign changes name their account).</summary>
    public string AdvertiserId { get; set; } = "";

    /// <summary>The ISO 4217 currency of the advertiser account: report money and budgets are in it.</summary>
    public string AccountCurrency { get; set; } = "USD";

    /// <summary>The API version path segment (default <c>v1.3</c>).</summary>
    public string ApiVersion { get; set; } = "v1.3";

    /// <summary>The pixel code that website conversions are sent under (<c>event_source = web</c>).</summary>
    public string? PixelCode { get; set; }

    /// <summary>The TikTok app id that app conversions are sent under (<c>event_source = app</c>), if any.</summary>
    public string? AppId { get; set; }

    /// <summary>The offline event set id that physical-store conversions are sent under (<c>event_source = offline</c>), if any.</summary>
    public string? OfflineEventSetId { get; set; }

    /// <summary>The CRM event set id that CRM, chat and phone conversions are sent under (<c>event_source = crm</c>), if any.</summary>
    public string? CrmEventSetId { get; set; }

    /// <summary>Routes events to Events Manager's "Test events" view instead of live data, when set.</summary>
    public string? TestEventCode { get; set; }

    /// <summary>The TikTok name of a purchase: <c>CompletePayment</c> (default) or the newer <c>Purchase</c>.</summary>
    public string PurchaseEventName { get; set; } = "CompletePayment";

    /// <summary>Extra or overriding event-type mappings (SDK event type, e.g. <c>subscribe</c> → TikTok event, e.g. <c>Subscribe</c>).</summary>
    public IDictionary<string, string> EventNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The oldest event accepted: older events are rejected before sending (default 7 days).</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How far in the future an event time may lie (clock skew) before it is rejected (default 1 minute).</summary>
    public TimeSpan FutureTolerance { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The wait hint reported for TikTok's throttling code 40100 when the answer carries no <c>Retry-After</c> (default 5 s).</summary>
    public TimeSpan ThrottleRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows per report page, 1–1000 (default 1000).</summary>
    public int ReportPageSize { get; set; } = 1000;

    /// <summary>Days per report request when breaking down by day (default 30; longer ranges are split).</summary>
    public int ReportMaxDaysPerRequest { get; set; } = 30;

    /// <summary>The match key of the audiences this client syncs (default email).</summary>
    public TikTokAudienceMatchKey AudienceMatchKey { get; set; } = TikTokAudienceMatchKey.Email;

    /// <summary>Hashed ids per uploaded audience file (default 500 000; larger lists upload several files).</summary>
    public int AudienceMembersPerFile { get; set; } = 500_000;

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

        if (string.IsNullOrWhiteSpace(AdvertiserId))
        {
            yield return $"{nameof(AdvertiserId)} is required.";
        }

        if (!Currencies.IsKnown(AccountCurrency))
        {
            yield return $"{nameof(AccountCurrency)} must be an ISO 4217 code.";
        }

        if (string.IsNullOrWhiteSpace(ApiVersion))
        {
            yield return $"{nameof(ApiVersion)} is required.";
        }

        if (string.IsNullOrWhiteSpace(PixelCode) && string.IsNullOrWhiteSpace(AppId) && string.IsNullOrWhiteSpace(OfflineEventSetId) && string.IsNullOrWhiteSpace(CrmEventSetId))
        {
            yield return $"At least one event source ({nameof(PixelCode)}, {nameof(AppId)}, {nameof(OfflineEventSetId)} or {nameof(CrmEventSetId)}) is required.";
        }

        if (string.IsNullOrWhiteSpace(PurchaseEventName))
        {
            yield return $"{nameof(PurchaseEventName)} is required.";
        }

        if (MaxEventAge <= TimeSpan.Zero)
        {
            yield return $"{nameof(MaxEventAge)} must be positive.";
        }

        if (FutureTolerance < TimeSpan.Zero)
        {
            yield return $"{nameof(FutureTolerance)} cannot be negative.";
        }

        if (ReportPageSize is < 1 or > 1000)
        {
            yield return $"{nameof(ReportPageSize)} must be between 1 and 1000.";
        }

        if (ReportMaxDaysPerRequest < 1)
        {
            yield return $"{nameof(ReportMaxDaysPerRequest)} must be at least 1.";
        }

        if (AudienceMembersPerFile < 1)
        {
            yield return $"{nameof(AudienceMembersPerFile)} must be at least 1.";
        }
    }

    /// <summary>Describes the options without the access token.</summary>
    public override string ToString() =>
        $"TikTokPlatformOptions {{ AdvertiserId = {AdvertiserId}, ApiVersion = {ApiVersion}, BaseAddress = {BaseAddress?.ToString() ?? DefaultBaseAddress.ToString()}, AccessToken = {(string.IsNullOrEmpty(AccessToken) ? "(none)" : "***")} }}";
}
