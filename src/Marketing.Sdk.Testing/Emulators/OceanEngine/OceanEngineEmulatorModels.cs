namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="OceanEngineEmulator"/>.</summary>
public sealed record OceanEngineEmulatorOptions
{
    /// <summary>The first access token (default <c>ocean-access-0</c>).</summary>
    public string AccessToken { get; init; } = "ocean-access-0";

    /// <summary>The first refresh token (default <c>ocean-refresh-0</c>).</summary>
    public string RefreshToken { get; init; } = "ocean-refresh-0";

    /// <summary>The app id <c>oauth2/refresh_token/</c> accepts (default <c>1700000000000001</c>).</summary>
    public string AppId { get; init; } = "1700000000000001";

    /// <summary>The app secret <c>oauth2/refresh_token/</c> accepts.</summary>
    public string Secret { get; init; } = "ocean-app-secret";

    /// <summary>Advertisers the tokens may act for; another <c>advertiser_id</c> answers 40001 (no permission). Empty: any.</summary>
    public IReadOnlyCollection<string> AdvertiserIds { get; init; } = [];

    /// <summary>The lifetime of an issued access token (default 86 400 s, the commonly reported one day).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromSeconds(86_400);

    /// <summary>The lifetime of an issued refresh token (default 30 days).</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The smallest daily budget of a project or promotion, in yuan (default 300; the emulator's rule, UNVERIFIED on the platform).</summary>
    public decimal MinDailyBudget { get; init; } = 300m;

    /// <summary>The emulator's clock (token expiry).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A conversion the emulator accepted through <c>api/v2/conversion</c>.</summary>
/// <param name="Callback">The click callback (<c>context.ad.callback</c>).</param>
/// <param name="EventType">The event type.</param>
/// <param name="Timestamp">When it happened (from the millisecond <c>timestamp</c>).</param>
/// <param name="EventWeight">The value in yuan (<c>event_weight</c>), if any.</param>
/// <param name="PayAmount"><c>properties.pay_amount</c> as sent, if any.</param>
/// <param name="PhoneSha256">The phone digest (<c>context.device.phone_num_blurred</c>), if any.</param>
public sealed record OceanEngineReceivedConversion(string Callback, string EventType, DateTimeOffset Timestamp, decimal? EventWeight, long? PayAmount, string? PhoneSha256);

/// <summary>A row the emulator's reports serve (money in yuan).</summary>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="Date">The day.</param>
/// <param name="ProjectId">The project (summed per project at campaign level).</param>
/// <param name="PromotionId">The promotion (the ad plan id in Qianchuan reports).</param>
public sealed record OceanEngineReportSeedRow(string AdvertiserId, DateOnly Date, string ProjectId, string PromotionId)
{
    /// <summary>The project name.</summary>
    public string? ProjectName { get; init; }
    /// <summary>Cost in yuan (<c>stat_cost</c>).</summary>
    public decimal Cost { get; init; }
    /// <summary>Impressions (<c>show_cnt</c>).</summary>
    public long Shows { get; init; }
    /// <summary>Clicks (<c>click_cnt</c>).</summary>
    public long Clicks { get; init; }
    /// <summary>Conversions (<c>convert_cnt</c>).</summary>
    public long Conversions { get; init; }
    /// <summary>Paid order amount in yuan (Qianchuan <c>pay_order_amount</c>).</summary>
    public decimal PayOrderAmount { get; init; }
}

/// <summary>What an emulated object is.</summary>
public enum OceanEngineObjectKind
{
    /// <summary>A 巨量广告 project (项目).</summary>
    Project = 1,
    /// <summary>A 巨量广告 promotion (广告).</summary>
    Promotion = 2,
    /// <summary>A Qianchuan ad plan (计划).</summary>
    QianchuanAd = 3,
}

/// <summary>A project, promotion or Qianchuan ad plan as the emulator keeps it.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="Id">The id.</param>
/// <param name="OptStatus"><c>ENABLE</c> or <c>DISABLE</c>.</param>
/// <param name="Budget">The daily budget in yuan.</param>
/// <param name="BudgetMode">The budget mode (<c>BUDGET_MODE_DAY</c>).</param>
public sealed record OceanEngineEmulatedObject(OceanEngineObjectKind Kind, string AdvertiserId, string Id, string OptStatus, decimal Budget, string BudgetMode);

/// <summary>A DMP data source as the emulator keeps it.</summary>
/// <param name="DataSourceId">The id.</param>
/// <param name="AdvertiserId">The advertiser.</param>
/// <param name="CustomAudienceId">The custom audience built from it.</param>
/// <param name="Members">The ids (hashes) it holds.</param>
/// <param name="Published">Whether its audience was published.</param>
/// <param name="PushedTo">Advertisers its audience was pushed to.</param>
public sealed record OceanEngineEmulatedDataSource(string DataSourceId, string AdvertiserId, string CustomAudienceId, IReadOnlySet<string> Members, bool Published, IReadOnlySet<string> PushedTo);
