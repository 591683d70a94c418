using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Dashboard;

/// <summary>Settings of the marketing dashboard (<c>services.AddMarketingDashboard(...)</c>; section <c>Marketing:Dashboard</c> in the sample).</summary>
public sealed class MarketingDashboardOptions
{
    /// <summary>The configuration section name the sample binds.</summary>
    public const string SectionName = "Marketing:Dashboard";

    /// <summary>
    /// The authorization policy a viewer must also satisfy to use the write actions (retry a dead letter).
    /// <see langword="null"/> (the default) keeps the dashboard read-only: the write endpoints are not mapped at all.
    /// The read pages stay under whatever the host adds to <c>MapMarketingDashboard</c>'s convention builder.
    /// </summary>
    public string? WritePolicy { get; set; }

    /// <summary>The title shown in the page header and the browser tab (default "Marketing"; 1 to 80 characters).</summary>
    public string Title { get; set; } = "Marketing";

    /// <summary>Days of the overview trend and the funnel window, ending today (UTC) (default 14; 1 to 366).</summary>
    public int TrendDays { get; set; } = 14;

    /// <summary>
    /// Most events one page reads from the store (default 200 000; 1 000 to 10 000 000). A page that reaches it
    /// says so (<c>truncated</c>) rather than spending unbounded time; large shops export to a warehouse instead.
    /// </summary>
    public int MaxEventsScanned { get; set; } = 200_000;

    /// <summary>Most customer profiles the consent page reads (default 200 000; 1 000 to 10 000 000).</summary>
    public int MaxProfilesScanned { get; set; } = 200_000;

    /// <summary>Dead letters listed on the delivery page, newest first (default 50; 1 to 1 000).</summary>
    public int DeadLettersListed { get; set; } = 50;

    /// <summary>How often an open page refreshes its data without a reload (default 15 s; 1 s to 1 hour).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The reason prefix of dead letters that are lawful outcomes (consent withheld), shown apart from failures
    /// (default <c>consent_withheld:</c>, the prefix the delivery worker writes).
    /// </summary>
    public string ConsentWithheldPrefix { get; set; } = "consent_withheld:";

    /// <summary>Days of the attribution, experiment and message pages, and of the spend read from the ad platforms, ending today (UTC) (default 30; 1 to 366).</summary>
    public int AnalysisDays { get; set; } = 30;

    /// <summary>
    /// The ad accounts whose spend the dashboard reads through the platforms' reporting contract (<c>IAdReporting</c>,
    /// registered by the platform packages under their key). Empty (the default): spend is unknown, and the pages say so
    /// instead of showing CPA, CAC, ROAS, ROI, LTV/CAC and budget proposals.
    /// </summary>
    public IList<DashboardAdAccount> AdAccounts { get; } = new List<DashboardAdAccount>();

    /// <summary>The attribution model whose credit the channel ROI and the budget proposals use: a model name or its prefix (default <c>linear</c>; e.g. <c>markov</c>, <c>shapley</c>, <c>last_touch</c>).</summary>
    public string RoiModel { get; set; } = "linear";

    /// <summary>Days before a day that its anomaly check compares it with (default 7; 3 to 60). See <see cref="AnomalyThreshold"/>.</summary>
    public int AnomalyWindowDays { get; set; } = 7;

    /// <summary>
    /// How far from the trailing median a KPI's day must lie to be flagged, in robust standard deviations
    /// (1.4826 × the median absolute deviation of the trailing window; default 3; 1 to 10).
    /// </summary>
    public double AnomalyThreshold { get; set; } = 3;
}

/// <summary>An ad account whose spend the dashboard reads (<see cref="MarketingDashboardOptions.AdAccounts"/>).</summary>
public sealed class DashboardAdAccount
{
    /// <summary>The key the platform package registered its reporting under (<c>meta</c>, <c>google</c>, <c>tiktok</c>, <c>tencent_ads</c>, <c>ocean_engine</c>).</summary>
    public string Platform { get; set; } = "";

    /// <summary>The ad account id as the platform's reporting expects it (Meta without <c>act_</c>, Google customer id, TikTok advertiser id).</summary>
    public string AccountId { get; set; } = "";

    /// <summary>The channel the account's traffic carries on the shop's events (<c>MarketingEvent.Channel</c>, e.g. <c>social</c>), so spend meets the attributed revenue; the platform key when empty.</summary>
    public string? Channel { get; set; }
}

internal sealed class MarketingDashboardOptionsValidator : IValidateOptions<MarketingDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketingDashboardOptions options)
    {
        List<string> failures = [];
        if (options.WritePolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            failures.Add("WritePolicy must be null (read-only) or a policy name.");
        }
        if (string.IsNullOrWhiteSpace(options.Title) || options.Title.Length > 80)
        {
            failures.Add("Title must have 1 to 80 characters.");
        }
        if (options.TrendDays is < 1 or > 366)
        {
            failures.Add("TrendDays must be between 1 and 366.");
        }
        if (options.MaxEventsScanned is < 1_000 or > 10_000_000)
        {
            failures.Add("MaxEventsScanned must be between 1000 and 10000000.");
        }
        if (options.MaxProfilesScanned is < 1_000 or > 10_000_000)
        {
            failures.Add("MaxProfilesScanned must be between 1000 and 10000000.");
        }
        if (options.DeadLettersListed is < 1 or > 1_000)
        {
            failures.Add("DeadLettersListed must be between 1 and 1000.");
        }
        if (options.RefreshInterval < TimeSpan.FromSeconds(1) || options.RefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add("RefreshInterval must be between 00:00:01 and 01:00:00.");
        }
        if (string.IsNullOrEmpty(options.ConsentWithheldPrefix))
        {
            failures.Add("ConsentWithheldPrefix must not be empty.");
        }
        if (options.AnalysisDays is < 1 or > 366)
        {
            failures.Add("AnalysisDays must be between 1 and 366.");
        }
        if (string.IsNullOrWhiteSpace(options.RoiModel))
        {
            failures.Add("RoiModel must name an attribution model.");
        }
        if (options.AnomalyWindowDays is < 3 or > 60)
        {
            failures.Add("AnomalyWindowDays must be between 3 and 60.");
        }
        if (!(options.AnomalyThreshold >= 1 && options.AnomalyThreshold <= 10))
        {
            failures.Add("AnomalyThreshold must be between 1 and 10.");
        }
        foreach (var account in options.AdAccounts)
        {
            if (account is null || string.IsNullOrWhiteSpace(account.Platform) || string.IsNullOrWhiteSpace(account.AccountId))
            {
                failures.Add("Every AdAccounts entry needs a Platform and an AccountId.");
                break;
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
