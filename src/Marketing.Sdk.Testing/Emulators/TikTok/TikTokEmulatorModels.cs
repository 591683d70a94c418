namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="TikTokEmulator"/>.</summary>
public sealed record TikTokEmulatorOptions
{
    /// <summary>The access tokens the emulator accepts in the <c>Access-Token</c> header (default <c>tiktok-test-token</c>).</summary>
    public IReadOnlyCollection<string> AccessTokens { get; init; } = ["tiktok-test-token"];

    /// <summary>Advertisers the tokens may act for; any other <c>advertiser_id</c> answers 40001 (no permission). Empty: any advertiser.</summary>
    public IReadOnlyCollection<string> AdvertiserIds { get; init; } = [];

    /// <summary>The oldest <c>event_time</c> accepted (default 7 days).</summary>
    public TimeSpan MaxEventAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How far in the future an <c>event_time</c> may lie (default 5 minutes).</summary>
    public TimeSpan FutureTolerance { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest date range of a daily report (default 30 days).</summary>
    public int MaxReportDays { get; init; } = 30;

    /// <summary>The emulator's clock (event-age checks, request ids).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>An event the emulator accepted through <c>/event/track/</c> (hashed identifiers as received).</summary>
/// <param name="EventSource">web, app, offline or crm.</param>
/// <param name="EventSourceId">The pixel code, app id or event set id.</param>
/// <param name="Event">The TikTok event name (e.g. <c>CompletePayment</c>).</param>
/// <param name="EventId">The deduplication id.</param>
/// <param name="EventTime">When the event happened.</param>
/// <param name="Email">The hashed email, if any.</param>
/// <param name="Phone">The hashed phone, if any.</param>
/// <param name="ExternalId">The hashed external id, if any.</param>
/// <param name="Ttclid">The click id, if any.</param>
/// <param name="Value">The value, if any.</param>
/// <param name="Currency">The currency, if any.</param>
/// <param name="OrderId">The order id, if any.</param>
/// <param name="Contents">Number of content lines.</param>
/// <param name="TestEventCode">The test event code of the request, if any.</param>
public sealed record TikTokReceivedEvent(
    string EventSource, string EventSourceId, string Event, string? EventId, DateTimeOffset EventTime,
    string? Email, string? Phone, string? ExternalId, string? Ttclid, decimal? Value, string? Currency, string? OrderId, int Contents, string? TestEventCode);

/// <summary>A row of delivery statistics the emulator's integrated report serves (one day of one ad group, or of a campaign when <see cref="AdGroupId"/> is null).</summary>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="Date">The day.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="AdGroupId">The ad group, or <see langword="null"/> for a campaign-level row.</param>
public sealed record TikTokReportSeedRow(string AdvertiserId, DateOnly Date, string CampaignId, string? AdGroupId = null)
{
    /// <summary>The campaign name.</summary>
    public string? CampaignName { get; init; }
    /// <summary>Spend in the account currency.</summary>
    public decimal Spend { get; init; }
    /// <summary>Impressions.</summary>
    public long Impressions { get; init; }
    /// <summary>Clicks.</summary>
    public long Clicks { get; init; }
    /// <summary>Conversions.</summary>
    public long Conversions { get; init; }
    /// <summary>Complete-payment value (<c>total_complete_payment_rate</c>).</summary>
    public decimal ConversionValue { get; init; }
}

/// <summary>A campaign or ad group as the emulator tracks it.</summary>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="Id">The campaign or ad group id.</param>
/// <param name="IsAdGroup">Whether it is an ad group.</param>
/// <param name="Status">ENABLE, DISABLE or DELETE (the last operation applied).</param>
/// <param name="Budget">The budget, if set.</param>
public sealed record TikTokEmulatedObject(string AdvertiserId, string Id, bool IsAdGroup, string Status, decimal? Budget);

/// <summary>A customer-file audience as the emulator tracks it.</summary>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="Id">The <c>custom_audience_id</c>.</param>
/// <param name="Name">The name.</param>
/// <param name="CalculateType">The match key type (e.g. <c>EMAIL_SHA256</c>).</param>
/// <param name="Members">The hashed members.</param>
/// <param name="Updates">Updates applied since creation.</param>
public sealed record TikTokEmulatedAudience(string AdvertiserId, string Id, string Name, string CalculateType, IReadOnlySet<string> Members, int Updates);
