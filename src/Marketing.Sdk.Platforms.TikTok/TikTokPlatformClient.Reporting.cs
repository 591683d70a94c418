using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.TikTok;

public sealed partial class TikTokPlatformClient
{
    private static readonly string[] CampaignDimensions = ["campaign_id", "stat_time_day"];
    private static readonly string[] AdGroupDimensions = ["adgroup_id", "stat_time_day"];
    private static readonly string[] CampaignMetrics = ["spend", "impressions", "clicks", "conversion", "total_complete_payment_rate", "campaign_name"];
    private static readonly string[] AdGroupMetrics = ["spend", "impressions", "clicks", "conversion", "total_complete_payment_rate", "campaign_id", "campaign_name"];

    /// <summary>
    /// Streams a daily report from <c>GET /open_api/v1.3/report/integrated/get/</c> (<c>report_type=BASIC</c>,
    /// <c>data_level</c> <c>AUCTION_CAMPAIGN</c> or <c>AUCTION_ADGROUP</c>, one row per day and campaign or
    /// ad group), following <c>page_info.total_page</c> to the last page and splitting long ranges into
    /// <see cref="TikTokPlatformOptions.ReportMaxDaysPerRequest"/>-day windows. Spend and conversion value
    /// (<c>total_complete_payment_rate</c>, TikTok's name for the complete-payment value) are in the
    /// account currency.
    /// </summary>
    /// <param name="query">The advertiser, the days and the level.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var campaignLevel = query.Level == ReportLevel.Campaign;
        var currency = Currencies.Normalize(_options.AccountCurrency, nameof(TikTokPlatformOptions.AccountCurrency));
        for (var from = query.From; from <= query.To;)
        {
            var to = from.AddDays(_options.ReportMaxDaysPerRequest - 1);
            if (to > query.To)
            {
                to = query.To;
            }
            for (var page = 1; ; page++)
            {
                var path = ReportPath(query.AccountId, campaignLevel, from, to, page);
                var response = await SendAsync("reports.get", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), cancellationToken).ConfigureAwait(false);
                var envelope = Envelope(response);
                var data = Data(envelope, TikTokJsonContext.Default.ReportData);
                foreach (var item in data?.List ?? [])
                {
                    yield return ToRow(item, campaignLevel, currency);
                }
                if (data?.PageInfo is not { } info || page >= info.TotalPage || data.List is not { Count: > 0 })
                {
                    break;
                }
            }
            from = to.AddDays(1);
        }
    }

    private string ReportPath(string advertiserId, bool campaignLevel, DateOnly from, DateOnly to, int page)
    {
        var dimensions = JsonSerializer.Serialize(campaignLevel ? CampaignDimensions : AdGroupDimensions, TikTokJsonContext.Default.StringArray);
        var metrics = JsonSerializer.Serialize(campaignLevel ? CampaignMetrics : AdGroupMetrics, TikTokJsonContext.Default.StringArray);
        var sb = new StringBuilder(ApiPath("report/integrated/get/"));
        sb.Append("?advertiser_id=").Append(Uri.EscapeDataString(advertiserId))
          .Append("&report_type=BASIC")
          .Append("&data_level=").Append(campaignLevel ? "AUCTION_CAMPAIGN" : "AUCTION_ADGROUP")
          .Append("&dimensions=").Append(Uri.EscapeDataString(dimensions))
          .Append("&metrics=").Append(Uri.EscapeDataString(metrics))
          .Append("&start_date=").Append(from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
          .Append("&end_date=").Append(to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
          .Append("&page=").Append(page.ToString(CultureInfo.InvariantCulture))
          .Append("&page_size=").Append(_options.ReportPageSize.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static AdReportRow ToRow(ReportItem item, bool campaignLevel, string currency)
    {
        var dimensions = item.Dimensions ?? [];
        var metrics = item.Metrics ?? [];
        var day = Text(dimensions, "stat_time_day") ?? throw new PlatformApiException(Name, PlatformErrorClass.Transient, null, "a report row has no stat_time_day");
        if (day.Length < 10 || !DateOnly.TryParseExact(day.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new PlatformApiException(Name, PlatformErrorClass.Transient, null, "a report row has an unreadable stat_time_day");
        }
        var value = Number(metrics, "total_complete_payment_rate");
        return new AdReportRow
        {
            Platform = Channel.TikTok,
            Date = date,
            CampaignId = (campaignLevel ? Text(dimensions, "campaign_id") : Text(metrics, "campaign_id") ?? Text(dimensions, "campaign_id")) ?? "",
            CampaignName = Text(metrics, "campaign_name"),
            AdSetId = campaignLevel ? null : Text(dimensions, "adgroup_id"),
            Spend = new Money(Number(metrics, "spend") ?? 0m, currency),
            Impressions = (long)(Number(metrics, "impressions") ?? 0m),
            Clicks = (long)(Number(metrics, "clicks") ?? 0m),
            Conversions = (double)(Number(metrics, "conversion") ?? 0m),
            ConversionValue = value is null ? null : new Money(value.Value, currency),
        };
    }

    private static string? Text(Dictionary<string, JsonElement> values, string name) =>
        values.TryGetValue(name, out var e) ? e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            _ => null,
        } : null;

    /// <summary>A metric as a number: TikTok sends metrics as strings (e.g. <c>"12.34"</c>) and <c>"-"</c> when not available.</summary>
    private static decimal? Number(Dictionary<string, JsonElement> values, string name)
    {
        var text = Text(values, name);
        return text is not null && decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
