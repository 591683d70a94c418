using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Platforms.Http;

namespace Marketing.Sdk.Platforms.OceanEngine;

public sealed partial class OceanEnginePlatformClient
{
    /// <summary>The path of the v3.0 custom report (official Go SDK <c>api/api_report_custom_get_v30.go</c>).</summary>
    public const string CustomReportPath = "open_api/v3.0/report/custom/get/";

    /// <summary>The path of the Qianchuan ad plan report (official Go SDK <c>api/api_qianchuan_report_ad_get_v10.go</c>).</summary>
    public const string QianchuanReportPath = "open_api/v1.0/qianchuan/report/ad/get/";

    private static readonly string[] CampaignDimensions = ["stat_time_day", "cdp_project_id", "cdp_project_name"];
    private static readonly string[] AdSetDimensions = ["stat_time_day", "cdp_project_id", "cdp_promotion_id"];
    private static readonly string[] Metrics = ["stat_cost", "show_cnt", "click_cnt", "convert_cnt"];
    private static readonly string[] QianchuanFields = ["stat_cost", "show_cnt", "click_cnt", "convert_cnt", "pay_order_amount"];

    /// <summary>
    /// Streams a daily report. For <see cref="OceanEngineProduct.Ads"/>: <c>GET /open_api/v3.0/report/custom/get/</c> by day and
    /// project (<see cref="ReportLevel.Campaign"/>) or promotion (<see cref="ReportLevel.AdSet"/>), metrics <c>stat_cost</c>,
    /// <c>show_cnt</c>, <c>click_cnt</c>, <c>convert_cnt</c>. For <see cref="OceanEngineProduct.Qianchuan"/>:
    /// <c>GET /open_api/v1.0/qianchuan/report/ad/get/</c> by day and ad plan (ad set level only), with
    /// <c>pay_order_amount</c> as the conversion value. Pages are followed to <c>page_info.total_page</c> (bounded by
    /// <see cref="PlatformClientOptions.MaxPages"/>); money arrives in yuan and is read exactly as a decimal.
    /// </summary>
    /// <param name="query">The advertiser, the days and the level.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="PlatformRequestException">A campaign-level Qianchuan report (Qianchuan reports ad plans).</exception>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var advertiser = Id(query.AccountId, "advertiser_id");
        var qianchuan = _options.Product == OceanEngineProduct.Qianchuan;
        if (qianchuan && query.Level != ReportLevel.AdSet)
        {
            throw new PlatformRequestException(PlatformId, "level", "Qianchuan reports ad plans; ask for ReportLevel.AdSet");
        }
        var campaignLevel = query.Level == ReportLevel.Campaign;
        var paging = StartPaging("reports.get", _options.MaxPages);
        for (var page = 1; ; page++)
        {
            paging.Next(null);
            var path = qianchuan ? QianchuanPath(advertiser, query.From, query.To, page) : CustomPath(advertiser, campaignLevel, query.From, query.To, page);
            var response = await SendAsync("reports.get", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), cancellationToken).ConfigureAwait(false);
            var (rows, more) = ReadAnswer("reports.get", response, r => qianchuan ? ReadQianchuanPage(r, page) : ReadCustomPage(r, page, campaignLevel));
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

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private string CustomPath(long advertiser, bool campaignLevel, DateOnly from, DateOnly to, int page)
    {
        var ctx = OceanEngineJsonContext.Default;
        var sb = new StringBuilder(CustomReportPath);
        sb.Append("?advertiser_id=").Append(advertiser.ToString(CultureInfo.InvariantCulture))
          .Append("&dimensions=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(campaignLevel ? CampaignDimensions : AdSetDimensions, ctx.StringArray)))
          .Append("&metrics=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(Metrics, ctx.StringArray)))
          .Append("&filters=").Append(Uri.EscapeDataString("[]"))
          .Append("&start_time=").Append(Day(from))
          .Append("&end_time=").Append(Day(to))
          .Append("&order_by=").Append(Uri.EscapeDataString(JsonSerializer.Serialize([new OrderBy("stat_time_day", "ASC")], ctx.OrderByArray)))
          .Append("&page=").Append(page.ToString(CultureInfo.InvariantCulture))
          .Append("&page_size=").Append(_options.ReportPageSize.ToString(CultureInfo.InvariantCulture))
          .Append("&data_topic=").Append(Uri.EscapeDataString(_options.ReportDataTopic));
        return sb.ToString();
    }

    private string QianchuanPath(long advertiser, DateOnly from, DateOnly to, int page)
    {
        var ctx = OceanEngineJsonContext.Default;
        var sb = new StringBuilder(QianchuanReportPath);
        sb.Append("?advertiser_id=").Append(advertiser.ToString(CultureInfo.InvariantCulture))
          .Append("&start_date=").Append(Day(from))
          .Append("&end_date=").Append(Day(to))
          .Append("&fields=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(QianchuanFields, ctx.StringArray)))
          .Append("&filtering=").Append(Uri.EscapeDataString(JsonSerializer.Serialize(new QianchuanFiltering("ALL"), ctx.QianchuanFiltering)))
          .Append("&time_granularity=TIME_GRANULARITY_DAILY")
          .Append("&page=").Append(page.ToString(CultureInfo.InvariantCulture))
          .Append("&page_size=").Append(_options.ReportPageSize.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private Tuple<List<AdReportRow>, bool> ReadCustomPage(PlatformResponse response, int page, bool campaignLevel)
    {
        var data = Data(Envelope("reports.get", response), OceanEngineJsonContext.Default.CustomReportData);
        if (data?.Rows is null)
        {
            throw Malformed("reports.get", response, "the answer has no data.rows");
        }
        var rows = data.Rows.Select(row => row?.Dimensions is { } d && row.Metrics is { } m
            ? ToCustomRow(d, m, campaignLevel)
            : throw Malformed("reports.get", response, "a row has no dimensions or metrics")).ToList();
        return Tuple.Create(rows, More(response, data.PageInfo, page, data.Rows.Count));
    }

    private Tuple<List<AdReportRow>, bool> ReadQianchuanPage(PlatformResponse response, int page)
    {
        var data = Data(Envelope("reports.get", response), OceanEngineJsonContext.Default.QianchuanReportData);
        if (data?.List is null)
        {
            throw Malformed("reports.get", response, "the answer has no data.list");
        }
        var rows = data.List.Select(item => ToQianchuanRow(item ?? throw Malformed("reports.get", response, "a row is null"))).ToList();
        return Tuple.Create(rows, More(response, data.PageInfo, page, data.List.Count));
    }

    private bool More(PlatformResponse response, PageInfo? info, int page, int count)
    {
        if (info is { } p && (p.Page != page || p.TotalPage < 0))
        {
            throw Malformed("reports.get", response, "page_info does not match the page asked for");
        }
        return info is { } i && page < i.TotalPage && count > 0;
    }

    private static AdReportRow ToCustomRow(Dictionary<string, JsonElement> d, Dictionary<string, JsonElement> m, bool campaignLevel)
    {
        var day = ReportMetricReader.Text(d, "stat_time_day") ?? throw new FormatException("a report row has no stat_time_day");
        return new AdReportRow
        {
            Platform = Channel.OceanEngine,
            Date = ParseDay(day),
            CampaignId = ReportMetricReader.Text(d, "cdp_project_id") ?? "",
            CampaignName = campaignLevel ? ReportMetricReader.Text(d, "cdp_project_name") : null,
            AdSetId = campaignLevel ? null : ReportMetricReader.Text(d, "cdp_promotion_id"),
            Spend = new Marketing.Sdk.Money(ReportMetricReader.Number(m, "stat_cost", nonNegative: true) ?? 0m, "CNY"),
            Impressions = checked((long)(ReportMetricReader.Number(m, "show_cnt", nonNegative: true) ?? 0m)),
            Clicks = checked((long)(ReportMetricReader.Number(m, "click_cnt", nonNegative: true) ?? 0m)),
            Conversions = (double)(ReportMetricReader.Number(m, "convert_cnt", nonNegative: true) ?? 0m),
        };
    }

    private static AdReportRow ToQianchuanRow(Dictionary<string, JsonElement> item)
    {
        var day = ReportMetricReader.Text(item, "stat_datetime") ?? throw new FormatException("a report row has no stat_datetime");
        var value = ReportMetricReader.Number(item, "pay_order_amount", nonNegative: true);
        return new AdReportRow
        {
            Platform = Channel.OceanEngine,
            Date = ParseDay(day),
            CampaignId = "",
            AdSetId = ReportMetricReader.Text(item, "ad_id") ?? throw new FormatException("a report row has no ad_id"),
            Spend = new Marketing.Sdk.Money(ReportMetricReader.Number(item, "stat_cost", nonNegative: true) ?? 0m, "CNY"),
            Impressions = checked((long)(ReportMetricReader.Number(item, "show_cnt", nonNegative: true) ?? 0m)),
            Clicks = checked((long)(ReportMetricReader.Number(item, "click_cnt", nonNegative: true) ?? 0m)),
            Conversions = (double)(ReportMetricReader.Number(item, "convert_cnt", nonNegative: true) ?? 0m),
            ConversionValue = value is null ? null : new Marketing.Sdk.Money(value.Value, "CNY"),
        };
    }

    /// <summary>A day as <c>yyyy-MM-dd</c>, or the day of <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    private static DateOnly ParseDay(string text)
    {
        var day = text.Length >= 10 ? text[..10] : text;
        return DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new FormatException("a report row has an unreadable day");
    }
}
