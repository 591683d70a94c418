using System.Text.Json.Serialization;

namespace Marketing.Sdk.Attribution;

/// <summary>Spend and delivery of a channel or campaign over a period, as reported by the platform.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="CampaignId">The campaign, or null for channel-level spend.</param>
/// <param name="Spend">Money spent.</param>
/// <param name="Impressions">Ad impressions.</param>
/// <param name="Clicks">Ad clicks.</param>
public sealed record SpendRecord(Channel Channel, string? CampaignId, Money Spend, long Impressions, long Clicks);

/// <summary>Reference values for anomaly flags; null ones are not checked.</summary>
public sealed record KpiBenchmarks
{
    /// <summary>Expected click-through rate (0–1).</summary>
    public double? Ctr { get; init; }

    /// <summary>Expected conversion rate per click (0–1).</summary>
    public double? Cvr { get; init; }

    /// <summary>Expected cost per acquisition.</summary>
    public decimal? Cpa { get; init; }

    /// <summary>Expected return on ad spend.</summary>
    public double? Roas { get; init; }

    /// <summary>Relative deviation that raises a flag. Default 0.2 (20 %).</summary>
    public double Tolerance { get; init; } = 0.2;
}

/// <summary>What looks wrong in a KPI row.</summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<KpiAnomaly>))]
public enum KpiAnomaly
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>CTR more than the tolerance below its benchmark.</summary>
    CtrBelowBenchmark = 1,
    /// <summary>CVR more than the tolerance below its benchmark.</summary>
    CvrBelowBenchmark = 2,
    /// <summary>CPA more than the tolerance above its benchmark.</summary>
    CpaAboveBenchmark = 4,
    /// <summary>ROAS more than the tolerance below its benchmark.</summary>
    RoasBelowBenchmark = 8,
    /// <summary>Money was spent and nothing converted.</summary>
    SpendWithoutConversions = 16,
}

/// <summary>
/// KPIs of a channel or campaign. Ratios are null when their denominator is zero.
/// CTR = clicks / impressions; CVR = conversions / clicks; CPC = spend / clicks;
/// CPM = 1000 × spend / impressions; CPA = spend / conversions; CAC = spend / new customers;
/// ROAS = revenue / spend; ROI = (revenue × margin − spend) / spend; AOV = revenue / conversions;
/// LTV/CAC = lifetime value / CAC.
/// </summary>
public sealed record KpiRow
{
    /// <summary>The channel.</summary>
    public required Channel Channel { get; init; }

    /// <summary>The campaign, or null for the channel.</summary>
    public string? CampaignId { get; init; }

    /// <summary>Currency of the money amounts.</summary>
    public required string Currency { get; init; }

    /// <summary>Money spent.</summary>
    public decimal Spend { get; init; }

    /// <summary>Impressions.</summary>
    public long Impressions { get; init; }

    /// <summary>Clicks.</summary>
    public long Clicks { get; init; }

    /// <summary>Attributed conversions.</summary>
    public double Conversions { get; init; }

    /// <summary>Attributed revenue.</summary>
    public decimal Revenue { get; init; }

    /// <summary>New customers acquired, if known.</summary>
    public double? NewCustomers { get; init; }

    /// <summary>Click-through rate.</summary>
    public double? Ctr { get; init; }

    /// <summary>Conversion rate per click.</summary>
    public double? Cvr { get; init; }

    /// <summary>Cost per click.</summary>
    public decimal? Cpc { get; init; }

    /// <summary>Cost per thousand impressions.</summary>
    public decimal? Cpm { get; init; }

    /// <summary>Cost per acquisition (conversion).</summary>
    public decimal? Cpa { get; init; }

    /// <summary>Customer acquisition cost.</summary>
    public decimal? Cac { get; init; }

    /// <summary>Return on ad spend.</summary>
    public double? Roas { get; init; }

    /// <summary>Return on investment (margin-adjusted).</summary>
    public double? Roi { get; init; }

    /// <summary>Average order value.</summary>
    public decimal? Aov { get; init; }

    /// <summary>Lifetime value over acquisition cost.</summary>
    public double? LtvToCac { get; init; }

    /// <summary>Anomalies against the benchmarks.</summary>
    public KpiAnomaly Anomalies { get; init; }
}

/// <summary>Computes KPIs per channel and per campaign from platform spend and attributed conversions and revenue.</summary>
public sealed class KpiCalculator
{
    /// <summary>Computes one row per channel (and per campaign when spend is reported per campaign).</summary>
    /// <param name="spend">Spend records (one currency).</param>
    /// <param name="attribution">Attributed conversions and value (value in the spend currency); campaign rows use its campaign credit.</param>
    /// <param name="benchmarks">Benchmarks for anomaly flags; none when null.</param>
    /// <param name="grossMargin">Gross margin (0–1) applied to revenue in ROI. Default 1.</param>
    /// <param name="newCustomers">New customers per channel, if known (for CAC).</param>
    /// <param name="lifetimeValue">Average customer lifetime value per channel, if known (for LTV/CAC).</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "An injectable service.")]
    public IReadOnlyList<KpiRow> Compute(IEnumerable<SpendRecord> spend, AttributionResult attribution, KpiBenchmarks? benchmarks = null,
        decimal grossMargin = 1m, IReadOnlyDictionary<Channel, double>? newCustomers = null, IReadOnlyDictionary<Channel, decimal>? lifetimeValue = null)
    {
        ArgumentNullException.ThrowIfNull(spend);
        ArgumentNullException.ThrowIfNull(attribution);
        if (grossMargin is < 0 or > 1)
        {
            throw new MarketingValidationException(nameof(grossMargin), ValidationReason.OutOfRange, "The margin is between 0 and 1.");
        }
        string? currency = null;
        var byChannel = new SortedDictionary<string, (Channel Channel, decimal Spend, long Impressions, long Clicks)>(StringComparer.Ordinal);
        var byCampaign = new SortedDictionary<(string, string), (Channel Channel, decimal Spend, long Impressions, long Clicks)>();
        var index = 0;
        foreach (var r in spend)
        {
            if (r.Impressions < 0 || r.Clicks < 0 || r.Spend.Amount < 0)
            {
                throw new MarketingValidationException("spend", ValidationReason.Negative, "Spend, impressions and clicks are not negative.", index);
            }
            currency ??= r.Spend.Currency;
            if (!string.Equals(currency, r.Spend.Currency, StringComparison.Ordinal))
            {
                throw new CurrencyMismatchException(currency, r.Spend.Currency);
            }
            var c = byChannel.GetValueOrDefault(r.Channel.Value, (Channel: r.Channel, Spend: 0m, Impressions: 0L, Clicks: 0L));
            byChannel[r.Channel.Value] = (r.Channel, c.Spend + r.Spend.Amount, c.Impressions + r.Impressions, c.Clicks + r.Clicks);
            if (r.CampaignId is not null)
            {
                var k = (r.Channel.Value, r.CampaignId);
                var cc = byCampaign.GetValueOrDefault(k, (Channel: r.Channel, Spend: 0m, Impressions: 0L, Clicks: 0L));
                byCampaign[k] = (r.Channel, cc.Spend + r.Spend.Amount, cc.Impressions + r.Impressions, cc.Clicks + r.Clicks);
            }
            index++;
        }
        currency ??= "XXX";
        var rows = new List<KpiRow>();
        foreach (var (_, s) in byChannel)
        {
            var credit = attribution.For(s.Channel);
            rows.Add(Row(s.Channel, null, currency, s.Spend, s.Impressions, s.Clicks, credit?.Conversions ?? 0, credit?.Value ?? 0,
                newCustomers?.GetValueOrDefault(s.Channel), lifetimeValue?.GetValueOrDefault(s.Channel), grossMargin, benchmarks));
        }
        foreach (var ((_, campaign), s) in byCampaign)
        {
            double conv = 0, value = 0;
            foreach (var cc in attribution.Campaigns)
            {
                if (cc.Channel == s.Channel && string.Equals(cc.CampaignId, campaign, StringComparison.Ordinal))
                {
                    conv += cc.Conversions;
                    value += cc.Value;
                }
            }
            rows.Add(Row(s.Channel, campaign, currency, s.Spend, s.Impressions, s.Clicks, conv, value, null, null, grossMargin, benchmarks));
        }
        return rows;
    }

    private static KpiRow Row(Channel channel, string? campaign, string currency, decimal spend, long impressions, long clicks,
        double conversions, double value, double? newCustomers, decimal? ltv, decimal margin, KpiBenchmarks? b)
    {
        var revenue = (decimal)value;
        var conv = (decimal)conversions;
        double? ctr = impressions > 0 ? (double)clicks / impressions : null;
        double? cvr = clicks > 0 ? conversions / clicks : null;
        decimal? cpa = conv > 0 ? spend / conv : null;
        decimal? cac = newCustomers is > 0 ? spend / (decimal)newCustomers.Value : null;
        double? roas = spend > 0 ? (double)(revenue / spend) : null;
        var anomalies = KpiAnomaly.None;
        if (b is not null)
        {
            var tol = b.Tolerance;
            if (b.Ctr is { } bc && ctr is { } c && c < bc * (1 - tol))
            {
                anomalies |= KpiAnomaly.CtrBelowBenchmark;
            }
            if (b.Cvr is { } bv && cvr is { } v && v < bv * (1 - tol))
            {
                anomalies |= KpiAnomaly.CvrBelowBenchmark;
            }
            if (b.Cpa is { } bp && cpa is { } p && p > bp * (decimal)(1 + tol))
            {
                anomalies |= KpiAnomaly.CpaAboveBenchmark;
            }
            if (b.Roas is { } br && roas is { } r && r < br * (1 - tol))
            {
                anomalies |= KpiAnomaly.RoasBelowBenchmark;
            }
        }
        if (spend > 0 && conversions <= 0)
        {
            anomalies |= KpiAnomaly.SpendWithoutConversions;
        }
        return new KpiRow
        {
            Channel = channel,
            CampaignId = campaign,
            Currency = currency,
            Spend = spend,
            Impressions = impressions,
            Clicks = clicks,
            Conversions = conversions,
            Revenue = revenue,
            NewCustomers = newCustomers,
            Ctr = ctr,
            Cvr = cvr,
            Cpc = clicks > 0 ? spend / clicks : null,
            Cpm = impressions > 0 ? 1000m * spend / impressions : null,
            Cpa = cpa,
            Cac = cac,
            Roas = roas,
            Roi = spend > 0 ? (double)((revenue * margin - spend) / spend) : null,
            Aov = conv > 0 ? revenue / conv : null,
            LtvToCac = ltv is { } l && cac is > 0 ? (double)(l / cac.Value) : null,
            Anomalies = anomalies,
        };
    }
}
