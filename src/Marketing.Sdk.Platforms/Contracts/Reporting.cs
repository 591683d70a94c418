namespace Marketing.Sdk.Platforms;

/// <summary>The level at which a report is broken down.</summary>
public enum ReportLevel
{
    /// <summary>One row per day and campaign.</summary>
    Campaign = 1,
    /// <summary>One row per day and ad set (Meta ad set, Google ad group, TikTok ad group).</summary>
    AdSet = 2,
}

/// <summary>A report request: a date range (inclusive, in the ad account's time zone) and a level.</summary>
/// <param name="AccountId">The ad account (Meta <c>act_…</c> without the prefix, Google customer id, TikTok advertiser id).</param>
/// <param name="From">First day.</param>
/// <param name="To">Last day (inclusive).</param>
/// <param name="Level">The breakdown.</param>
public sealed record AdReportQuery(string AccountId, DateOnly From, DateOnly To, ReportLevel Level = ReportLevel.Campaign)
{
    /// <summary>Checks the range (from ≤ to) and the account id.</summary>
    /// <exception cref="MarketingValidationException">The query is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(AccountId))
        {
            throw new MarketingValidationException(nameof(AccountId), ValidationReason.Missing, "an ad account id is required");
        }
        if (To < From)
        {
            throw new MarketingValidationException(nameof(To), ValidationReason.OutOfRange, "the last day precedes the first day");
        }
    }
}

/// <summary>One row of an ad report: one day × campaign (or ad set).</summary>
public sealed record AdReportRow
{
    /// <summary>The platform.</summary>
    public required Channel Platform { get; init; }
    /// <summary>The day.</summary>
    public required DateOnly Date { get; init; }
    /// <summary>The campaign id.</summary>
    public required string CampaignId { get; init; }
    /// <summary>The campaign name, if the platform returned it.</summary>
    public string? CampaignName { get; init; }
    /// <summary>The ad set id, for <see cref="ReportLevel.AdSet"/>.</summary>
    public string? AdSetId { get; init; }
    /// <summary>Spend in the account currency.</summary>
    public required Money Spend { get; init; }
    /// <summary>Impressions.</summary>
    public long Impressions { get; init; }
    /// <summary>Clicks.</summary>
    public long Clicks { get; init; }
    /// <summary>Conversions (platforms may report fractions).</summary>
    public double Conversions { get; init; }
    /// <summary>Conversion value in the account currency.</summary>
    public Money? ConversionValue { get; init; }
}

/// <summary>Pulls spend and results back from a platform, paging to the end.</summary>
public interface IAdReporting
{
    /// <summary>The platform.</summary>
    Channel Platform { get; }

    /// <summary>Streams the report rows for the query, following the platform's paging to the end.</summary>
    /// <param name="query">What to read.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, CancellationToken cancellationToken = default);
}
