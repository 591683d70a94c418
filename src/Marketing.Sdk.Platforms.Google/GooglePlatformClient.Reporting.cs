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
        var response = await SendAsync("reporting.search_stream", Post(GoogleAdsUri(customerId, "googleAds:searchStream"), body, AddGoogleAdsHeaders), cancellationToken).ConfigureAwait(false);
        if (response.Body.IsEmpty)
        {
            yield break;
        }
        var bytes = MemoryMarshal.TryGetArray(response.Body, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(response.Body.ToArray(), writable: false);
        await using (bytes.ConfigureAwait(false))
        {
            await foreach (var batch in JsonSerializer.DeserializeAsyncEnumerable(bytes, GoogleJsonContext.Default.SearchStreamBatch, cancellationToken).ConfigureAwait(false))
            {
                if (batch is null)
                {
                    continue;
                }
                if (batch.Error is not null)
                {
                    throw GoogleErrors.FromStatus(batch.Error, response.StatusCode, batch.RequestId);
                }
                foreach (var row in batch.Results ?? [])
                {
                    yield return ToRow(row, query.Level, batch.RequestId);
                }
            }
        }
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

    private static AdReportRow ToRow(GoogleAdsRow row, ReportLevel level, string? requestId)
    {
        var currency = row.Customer?.CurrencyCode;
        if (string.IsNullOrWhiteSpace(currency) || row.Campaign?.Id is null
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
