using System.Globalization;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Platforms.Meta;

public sealed partial class MetaPlatformClient
{
    /// <inheritdoc />
    /// <remarks>
    /// Reads <c>GET /act_{id}/insights</c> with <c>time_increment=1</c> at campaign or ad-set level and
    /// follows the <c>after</c> cursor while the page has a <c>paging.next</c> link (the link itself is
    /// not followed, so the token only ever goes to the configured host). Spend and conversion value
    /// are in the account currency; conversions come from the first of
    /// <see cref="MetaPlatformOptions.ConversionActionTypes"/> present in the row's <c>actions</c>.
    /// </remarks>
    public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var account = query.AccountId.StartsWith("act_", StringComparison.Ordinal) ? query.AccountId[4..] : query.AccountId;
        if (!IsGraphId(account))
        {
            throw new PlatformRequestException(PlatformId, nameof(query.AccountId), "an ad account id is numeric (with or without the act_ prefix)");
        }
        var level = query.Level == ReportLevel.AdSet ? "adset" : "campaign";
        var fields = query.Level == ReportLevel.AdSet
            ? "account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,action_values"
            : "account_currency,campaign_id,campaign_name,spend,impressions,clicks,actions,action_values";
        var timeRange = string.Create(CultureInfo.InvariantCulture, $"{{\"since\":\"{query.From:yyyy-MM-dd}\",\"until\":\"{query.To:yyyy-MM-dd}\"}}");
        var basePath = string.Create(CultureInfo.InvariantCulture,
            $"{Path("act_" + account, "insights")}?fields={Uri.EscapeDataString(fields)}&level={level}&time_range={Uri.EscapeDataString(timeRange)}&time_increment=1&limit={_options.InsightsPageSize}");
        string? after = null;
        var paging = StartPaging("insights.read", _options.MaxPages);
        while (true)
        {
            paging.Next(after);
            var path = after is null ? basePath : $"{basePath}&after={Uri.EscapeDataString(after)}";
            var page = await SendAsync("insights.read", () => new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)), MetaJsonContext.Default.InsightsPage, cancellationToken,
                p => p.Data is not null).ConfigureAwait(false);
            var rows = new List<AdReportRow>(page.Data!.Count);
            foreach (var row in page.Data)
            {
                rows.Add(ReadAnswerRow(row, query.Level));
            }
            foreach (var row in rows)
            {
                yield return row;
            }
            if (page.Paging?.Next is null)
            {
                yield break;
            }
            after = page.Paging.Cursors?.After;
            if (string.IsNullOrEmpty(after))
            {
                throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "insights.read: a next page was announced without an after cursor", RepeatedCursorCode);
            }
        }
    }

    /// <summary>Maps an insights row; a row whose values cannot be used (an unknown currency, out-of-range numbers) is a malformed answer.</summary>
    private AdReportRow ReadAnswerRow(InsightsRow? row, ReportLevel level)
    {
        try
        {
            return ToReportRow(row ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "insights.read: a row is null", MalformedAnswerCode), level);
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            throw Malformed("insights.read", null, "a row has values that cannot be read", ex);
        }
    }

    private AdReportRow ToReportRow(InsightsRow row, ReportLevel level)
    {
        var currency = row.AccountCurrency ?? _options.AccountCurrency
            ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no account_currency and no AccountCurrency is configured");
        if (!DateOnly.TryParseExact(row.DateStart, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no readable date_start");
        }
        var conversions = Pick(row.Actions);
        var value = Pick(row.ActionValues);
        return new AdReportRow
        {
            Platform = Channel.Meta,
            Date = date,
            CampaignId = row.CampaignId ?? throw new PlatformApiException(PlatformId, PlatformErrorClass.Permanent, null, "an insights row has no campaign_id"),
            CampaignName = row.CampaignName,
            AdSetId = level == ReportLevel.AdSet ? row.AdsetId : null,
            Spend = new Money(row.Spend ?? 0m, currency),
            Impressions = row.Impressions ?? 0,
            Clicks = row.Clicks ?? 0,
            Conversions = (double)(conversions ?? 0m),
            ConversionValue = value is null ? null : new Money(value.Value, currency),
        };
    }

    private decimal? Pick(IReadOnlyList<InsightsAction>? actions)
    {
        if (actions is null)
        {
            return null;
        }
        foreach (var type in _options.ConversionActionTypes)
        {
            foreach (var action in actions)
            {
                if (string.Equals(action.ActionType, type, StringComparison.Ordinal))
                {
                    return action.Value ?? 0m;
                }
            }
        }
        return null;
    }
}
