namespace Marketing.Sdk.Testing.Emulators;

/// <summary>Settings of the <see cref="TencentAdsEmulator"/>.</summary>
public sealed record TencentAdsEmulatorOptions
{
    /// <summary>The first access token (default <c>tencent-access-0</c>).</summary>
    public string AccessToken { get; init; } = "tencent-access-0";

    /// <summary>The first refresh token (default <c>tencent-refresh-0</c>).</summary>
    public string RefreshToken { get; init; } = "tencent-refresh-0";

    /// <summary>The app id <c>oauth/token</c> accepts (default <c>1110000001</c>).</summary>
    public string ClientId { get; init; } = "1110000001";

    /// <summary>The app secret <c>oauth/token</c> accepts.</summary>
    public string ClientSecret { get; init; } = "tencent-app-secret";

    /// <summary>Accounts the tokens may act for; another <c>account_id</c> answers 11014 (out of scope). Empty: any.</summary>
    public IReadOnlyCollection<string> AccountIds { get; init; } = [];

    /// <summary>The lifetime of an issued access token (default 86 400 s, as Tencent documents).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromSeconds(86_400);

    /// <summary>The lifetime of an issued refresh token (default 2 592 000 s).</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromSeconds(2_592_000);

    /// <summary>How far the request <c>timestamp</c> may be from the emulator's clock (default 300 s).</summary>
    public TimeSpan TimestampTolerance { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The emulator's clock (timestamps, token expiry).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>An action the emulator accepted through <c>user_actions/add</c> (hashes as received).</summary>
/// <param name="UserActionSetId">The data source.</param>
/// <param name="OuterActionId">The advertiser's action id (de-duplication key).</param>
/// <param name="ActionType">The action type.</param>
/// <param name="ActionTime">When it happened.</param>
/// <param name="HashPhone">The MD5 phone, if any.</param>
/// <param name="WeChatOpenId">The WeChat openid, if any.</param>
/// <param name="WeChatUnionId">The WeChat unionid, if any.</param>
/// <param name="WeChatAppId">The WeChat app id, if any.</param>
/// <param name="ClickId">The click id of <c>trace</c>, if any.</param>
/// <param name="ValueFen">The <c>action_param.value</c> in fen, if any.</param>
public sealed record TencentAdsReceivedAction(
    string UserActionSetId, string OuterActionId, string ActionType, DateTimeOffset ActionTime,
    string? HashPhone, string? WeChatOpenId, string? WeChatUnionId, string? WeChatAppId, string? ClickId, long? ValueFen);

/// <summary>A row the emulator's daily report serves (money in fen, as Tencent reports it).</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Date">The day.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="AdGroupId">The ad group (rows are summed per campaign at campaign level).</param>
public sealed record TencentAdsReportSeedRow(string AccountId, DateOnly Date, string CampaignId, string AdGroupId)
{
    /// <summary>The campaign name.</summary>
    public string? CampaignName { get; init; }
    /// <summary>Cost in fen.</summary>
    public long CostFen { get; init; }
    /// <summary>Impressions (<c>view_count</c>).</summary>
    public long Views { get; init; }
    /// <summary>Valid clicks.</summary>
    public long Clicks { get; init; }
    /// <summary>Conversions.</summary>
    public long Conversions { get; init; }
    /// <summary>Order amount in fen.</summary>
    public long OrderAmountFen { get; init; }
}

/// <summary>An ad group as the emulator keeps it.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="AdGroupId">The id.</param>
/// <param name="ConfiguredStatus"><c>AD_STATUS_NORMAL</c> or <c>AD_STATUS_SUSPEND</c>.</param>
/// <param name="DailyBudgetFen">The daily budget in fen.</param>
public sealed record TencentAdsEmulatedAdGroup(string AccountId, string AdGroupId, string ConfiguredStatus, long DailyBudgetFen);
