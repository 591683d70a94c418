using Marketing.Sdk.Platforms.Http;
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
            var paging = StartPaging("reports.get", _options.MaxPages);
            for (var page = 1; ; page++)
            {
                paging.Next(null);
                var path = ReportPath(query.AccountId, campaignLevel, from, to, page);
                var response = await SendAsync("reports.get", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), cancellationToken).ConfigureAwait(false);
                var (rows, more) = ReadAnswer("reports.get", response, r => ReadPage(r, page, campaignLevel, currency));
                foreach (var row in rows)
                {
                    yield return row;
                }
                if (!more)
                {
                    break;
                }
            }
            from = to.AddDays(1);
        }
    }

    /// <summary>One report page: its rows (mapped before any is handed out) and whether another page follows.</summary>
    private Tuple<List<AdReportRow>, bool> ReadPage(PlatformResponse response, int page, bool campaignLevel, string currency)
    {
        var data = Data(Envelope(response), TikTokJsonContext.Default.ReportData);
        if (data?.List is null)
        {
            throw Malformed("reports.get", response, "the answer has no data.list");
        }
        var rows = data.List.Select(item => ToRow(item ?? throw Malformed("reports.get", response, "a row is null"), campaignLevel, currency)).ToList();
        var more = data.PageInfo is { } info && page < info.TotalPage && data.List.Count > 0;
        return Tuple.Create(rows, more);
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
        var day = ReportMetricReader.Text(dimensions, "stat_time_day") ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, null, "a report row has no stat_time_day");
        if (day.Length < 10 || !DateOnly.TryParseExact(day.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Transient, null, "a report row has an unreadable stat_time_day");
        }
        var value = ReportMetricReader.Number(metrics, "total_complete_payment_rate");
        return new AdReportRow
        {
            Platform = Channel.TikTok,
            Date = date,
            CampaignId = (campaignLevel ? ReportMetricReader.Text(dimensions, "campaign_id") : ReportMetricReader.Text(metrics, "campaign_id") ?? ReportMetricReader.Text(dimensions, "campaign_id")) ?? "",
            CampaignName = ReportMetricReader.Text(metrics, "campaign_name"),
            AdSetId = campaignLevel ? null : ReportMetricReader.Text(dimensions, "adgroup_id"),
            Spend = new Money(ReportMetricReader.Number(metrics, "spend") ?? 0m, currency),
            Impressions = checked((long)(ReportMetricReader.Number(metrics, "impressions") ?? 0m)),
            Clicks = checked((long)(ReportMetricReader.Number(metrics, "clicks") ?? 0m)),
            Conversions = (double)(ReportMetricReader.Number(metrics, "conversion") ?? 0m),
            ConversionValue = value is null ? null : new Money(value.Value, currency),
        };
    }
}
