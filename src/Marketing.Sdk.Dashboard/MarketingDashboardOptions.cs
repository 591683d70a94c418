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
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
