using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.TencentAds;

public sealed partial class TencentAdsPlatformClient
{
    private static readonly string[] CampaignGroupBy = ["date", "campaign_id"];
    private static readonly string[] AdGroupGroupBy = ["date", "adgroup_id"];
    private static readonly string[] CampaignFields = ["date", "campaign_id", "campaign_name", "cost", "view_count", "valid_click_count", "conversions_count", "order_amount"];
    private static readonly string[] AdGroupFields = ["date", "campaign_id", "adgroup_id", "cost", "view_count", "valid_click_count", "conversions_count", "order_amount"];

    /// <summary>
    /// Streams a daily report from <c>GET /v3.0/daily_reports/get</c> (<c>level</c> <c>REPORT_LEVEL_CAMPAIGN</c> or
    /// <c>REPORT_LEVEL_ADGROUP</c>, grouped by <c>date</c> and the campaign or ad group), following
    /// <c>page_info.total_page</c> to the last page (bounded by <see cref="PlatformClientOptions.MaxPages"/>). Money
    /// (<c>cost</c>, <c>order_amount</c>) arrives in fen and is converted to CNY exactly.
    /// </summary>
    /// <param name="query">The account, the days and the level.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var campaignLevel = query.Level == ReportLevel.Campaign;
        var account = Id(query.AccountId, "account_id");
        var paging = StartPaging("reports.get", _options.MaxPages);
        for (var page = 1; ; page++)
        {
            paging.Next(null);
            var path = ReportPath(account, campaignLevel, query.From, query.To, page);
            var response = await SendAsync("reports.get", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), cancellationToken).ConfigureAwait(false);
            var (rows, more) = ReadAnswer("reports.get", response, r => ReadPage(r, page, campaignLevel));
            foreach (var row in rows)
            {
                yield return row;
            }
            if (!more)
            {
                break;
            }
        }
    }

    private Tuple<List<AdReportRow>, bool> ReadPage(PlatformResponse response, int page, bool campaignLevel)
    {
        var data = Data(Envelope("reports.get", response), TencentAdsJsonContext.Default.ReportData);
        if (data?.List is null)
        {
            throw Malformed("reports.get", response, "the answer has no data.list");
        }
        var rows = data.List.Select(item => ToRow(item ?? throw Malformed("reports.get", response, "a row is null"), campaignLevel)).ToList();
        if (data.PageInfo is { } info && (info.Page != page || info.TotalPage < 0))
        {
            throw Malformed("reports.get", response, "page_info does not match the page asked for");
        }
        var more = data.PageInfo is { } p && page < p.TotalPage && data.List.Count > 0;
        return Tuple.Create(rows, more);
    }

    private string ReportPath(long account, bool campaignLevel, DateOnly from, DateOnly to, int page)
    {
        var range = JsonSerializer.Serialize(new DateRange(from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), TencentAdsJsonContext.Default.DateRange);
        var groupBy = JsonSerializer.Serialize(campaignLevel ? CampaignGroupBy : AdGroupGroupBy, TencentAdsJsonContext.Default.StringArray);
        var fields = JsonSerializer.Serialize(campaignLevel ? CampaignFields : AdGroupFields, TencentAdsJsonContext.Default.StringArray);
        var sb = new StringBuilder(ApiPath("daily_reports/get"));
        sb.Append("?account_id=").Append(account.ToString(CultureInfo.InvariantCulture))
          .Append("&level=").Append(campaignLevel ? "REPORT_LEVEL_CAMPAIGN" : "REPORT_LEVEL_ADGROUP")
          .Append("&date_range=").Append(Uri.EscapeDataString(range))
          .Append("&group_by=").Append(Uri.EscapeDataString(groupBy))
          .Append("&fields=").Append(Uri.EscapeDataString(fields))
          .Append("&page=").Append(page.ToString(CultureInfo.InvariantCulture))
          .Append("&page_size=").Append(_options.ReportPageSize.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static AdReportRow ToRow(Dictionary<string, JsonElement> item, bool campaignLevel)
    {
        var day = ReportMetricReader.Text(item, "date") ?? throw new FormatException("a report row has no date");
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new FormatException("a report row has an unreadable date");
        }
        var cost = ReportMetricReader.Number(item, "cost", nonNegative: true) ?? 0m;
        var orders = ReportMetricReader.Number(item, "order_amount", nonNegative: true);
        return new AdReportRow
        {
            Platform = Channel.TencentAds,
            Date = date,
            CampaignId = ReportMetricReader.Text(item, "campaign_id") ?? "",
            CampaignName = ReportMetricReader.Text(item, "campaign_name"),
            AdSetId = campaignLevel ? null : ReportMetricReader.Text(item, "adgroup_id"),
            Spend = new Marketing.Sdk.Money(TencentAdsMoney.ToYuan(cost), "CNY"),
            Impressions = checked((long)(ReportMetricReader.Number(item, "view_count", nonNegative: true) ?? 0m)),
            Clicks = checked((long)(ReportMetricReader.Number(item, "valid_click_count", nonNegative: true) ?? 0m)),
            Conversions = (double)(ReportMetricReader.Number(item, "conversions_count", nonNegative: true) ?? 0m),
            ConversionValue = orders is null ? null : new Marketing.Sdk.Money(TencentAdsMoney.ToYuan(orders.Value), "CNY"),
        };
    }
}
