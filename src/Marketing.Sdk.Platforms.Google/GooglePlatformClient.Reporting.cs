using Marketing.Sdk.Platforms.Http;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Marketing.Sdk.Platforms.Google.Wire;

namespace Marketing.Sdk.Platforms.Google;

public sealed partial class GooglePlatformClient
{
    /// <summary>
    /// Reads spend and results per day × campaign (or ad group) with one Google Ads
    /// <c>googleAds:searchStream</c> call and yields every row of every batch of the stream. The GAQL
    /// selects <c>customer.currency_code</c>, so <c>metrics.cost_micros</c> becomes <see cref="Money"/> in
    /// the account currency (micros / 10⁶) and <c>metrics.conversions_value</c> likewise.
    /// </summary>
    /// <param name="query">The account (customer id), days and level.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="PlatformApiException">Google refused the query, or the stream ended with an error.</exception>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var customerId = CustomerDigits(query.AccountId, nameof(query.AccountId));
        var body = JsonSerializer.SerializeToUtf8Bytes(new SearchStreamRequest(BuildQuery(query)), GoogleJsonContext.Default.SearchStreamRequest);
        var response = await SendAsync("reporting.search_stream", Post(GoogleAdsUri(customerId, "googleAds:searchStream"), body, r =>
        {
            AddGoogleAdsHeaders(r);
            r.Options.Set(PlatformRetry.Retriable, true); // a read: safe to send again
        }), cancellationToken).ConfigureAwait(false);
        // The whole answer is already in memory; it is read and mapped before the first row is handed out, so a
        // truncated or wrong-shaped stream is a typed error, never a partial report taken for a whole one.
        var (rows, error) = ReadAnswer("reporting.search_stream", response, r => ReadStream(r, query.Level));
        foreach (var row in rows)
        {
            yield return row;
        }
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>The rows of a stream, and the error a batch ended it with (after the rows before it), if any.</summary>
    private Tuple<List<AdReportRow>, PlatformApiException?> ReadStream(PlatformResponse response, ReportLevel level)
    {
        var rows = new List<AdReportRow>();
        if (response.Body.IsEmpty)
        {
            return Tuple.Create(rows, (PlatformApiException?)null);
        }
        var batches = JsonSerializer.Deserialize(response.Body.Span, GoogleJsonContext.Default.ListSearchStreamBatch)
            ?? throw Malformed("reporting.search_stream", response, "the stream is not an array of batches");
        if (batches.Count > _options.MaxPages)
        {
            throw new PlatformApiException(GoogleErrors.Platform, PlatformErrorClass.Permanent, response.StatusCode,
                $"reporting.search_stream: more than {_options.MaxPages} batches (PlatformClient_options.MaxPages)", PageLimitCode);
        }
        foreach (var batch in batches)
        {
            if (batch is null)
            {
                continue;
            }
            if (batch.Error is not null)
            {
                return Tuple.Create(rows, (PlatformApiException?)GoogleErrors.FromStatus(batch.Error, response.StatusCode, batch.RequestId));
            }
            foreach (var row in batch.Results ?? [])
            {
                rows.Add(ToRow(row, level, batch.RequestId));
            }
        }
        return Tuple.Create(rows, (PlatformApiException?)null);
    }

    /// <summary>The GAQL for a report query (dates inclusive, <c>segments.date BETWEEN</c>).</summary>
    /// <param name="query">The query.</param>
    public static string BuildQuery(AdReportQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var from = query.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = query.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var metrics = "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value";
        return query.Level == ReportLevel.AdSet
            ? $"SELECT customer.currency_code, campaign.id, campaign.name, ad_group.id, ad_group.name, segments.date, {metrics} FROM ad_group WHERE segments.date BETWEEN '{from}' AND '{to}'"
            : $"SELECT customer.currency_code, campaign.id, campaign.name, segments.date, {metrics} FROM campaign WHERE segments.date BETWEEN '{from}' AND '{to}'";
    }

    private static AdReportRow ToRow(GoogleAdsRow? row, ReportLevel level, string? requestId)
    {
        var currency = row?.Customer?.CurrencyCode;
        if (row is null || string.IsNullOrWhiteSpace(currency) || row.Campaign?.Id is null
            || !DateOnly.TryParseExact(row.Segments?.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new PlatformApiException(GoogleErrors.Platform, PlatformErrorClass.Permanent, null,
                "a searchStream row lacks customer.currency_code, campaign.id or segments.date", "MALFORMED_ROW", requestId: requestId);
        }
        var metrics = row.Metrics;
        return new AdReportRow
        {
            Platform = Channel.Google,
            Date = date,
            CampaignId = row.Campaign.Id,
            CampaignName = row.Campaign.Name,
            AdSetId = level == ReportLevel.AdSet ? row.AdGroup?.Id : null,
            Spend = Money.FromMicros(metrics?.CostMicros ?? 0, currency),
            Impressions = metrics?.Impressions ?? 0,
            Clicks = metrics?.Clicks ?? 0,
            Conversions = metrics?.Conversions ?? 0,
            ConversionValue = metrics?.ConversionsValue is { } value ? new Money((decimal)value, currency) : null,
        };
    }
}
