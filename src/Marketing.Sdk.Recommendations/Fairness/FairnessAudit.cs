using System.Globalization;

namespace Marketing.Sdk.Recommendations.Fairness;

/// <summary>How much attention a list position receives.</summary>
public enum ExposureWeighting
{
    /// <summary>Every position counts 1.</summary>
    Uniform,
    /// <summary>Position r counts 1 / log₂(r + 1) (the DCG browsing model of Singh &amp; Joachims, "Fairness of Exposure in Rankings", 2018).</summary>
    PositionDiscounted,
}

/// <summary>Settings of a fairness audit.</summary>
public sealed record FairnessOptions
{
    /// <summary>Position weighting; default <see cref="ExposureWeighting.PositionDiscounted"/>.</summary>
    public ExposureWeighting Weighting { get; init; } = ExposureWeighting.PositionDiscounted;

    /// <summary>A value is flagged when its disparity ratio is below this; default 0.8 (the "four-fifths rule").</summary>
    public double DisparityThreshold { get; init; } = 0.8;

    /// <summary>Values with a smaller overall exposure share are reported but never flagged (their ratios are noise); default 0.01.</summary>
    public double MinOverallShare { get; init; } = 0.01;
}

/// <summary>The exposure of one attribute value (an item, a price band, a category) across customer groups.</summary>
/// <param name="Value">The attribute value.</param>
/// <param name="OverallShare">Its share of all exposure.</param>
/// <param name="ShareByGroup">Its share of each group's exposure.</param>
/// <param name="DisparityRatio">Smallest group share divided by the largest (1 = equal exposure, 0 = some group never sees it).</param>
/// <param name="Flagged">Whether the ratio is below the threshold for a value with enough exposure.</param>
public sealed record ExposureRow(string Value, double OverallShare, IReadOnlyDictionary<string, double> ShareByGroup, double DisparityRatio, bool Flagged);

/// <summary>The result of a fairness audit of one attribute.</summary>
/// <param name="Attribute">What was audited (e.g. <c>price_band</c>, <c>item</c>).</param>
/// <param name="UsersByGroup">Number of audited users per group.</param>
/// <param name="Rows">One row per attribute value, largest overall share first.</param>
/// <param name="MinDisparityRatio">The smallest disparity ratio among values with enough exposure (1 when there are none).</param>
/// <param name="Passed">Whether no value was flagged.</param>
public sealed record FairnessReport(string Attribute, IReadOnlyDictionary<string, int> UsersByGroup, IReadOnlyList<ExposureRow> Rows, double MinDisparityRatio, bool Passed);

/// <summary>
/// Audits recommendation exposure by customer group (gender, region, value layer…): for each value
/// of an item attribute, the share of each group's total exposure it receives, and the ratio of
/// the smallest to the largest group share. Shares are within-group, so group sizes do not matter.
/// </summary>
public static class FairnessAudit
{
    /// <summary>Audits an item attribute.</summary>
    /// <param name="attribute">A name for the audited attribute.</param>
    /// <param name="recommendations">Recommendations per user.</param>
    /// <param name="groupOfUser">The group of a user, or <see langword="null"/> to leave the user out.</param>
    /// <param name="valueOfItem">The attribute value of an item, or <see langword="null"/> to leave the item out.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static FairnessReport Audit(string attribute, IEnumerable<UserRecommendations> recommendations, Func<string, string?> groupOfUser, Func<string, string?> valueOfItem, FairnessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        ArgumentNullException.ThrowIfNull(recommendations);
        ArgumentNullException.ThrowIfNull(groupOfUser);
        ArgumentNullException.ThrowIfNull(valueOfItem);
        options ??= new FairnessOptions();
        var exposure = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        var overall = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var rec in recommendations)
        {
            if (groupOfUser(rec.UserId) is not { } group)
            {
                continue;
            }
            users[group] = users.GetValueOrDefault(group) + 1;
            if (!exposure.TryGetValue(group, out var e))
            {
                exposure[group] = e = new Dictionary<string, double>(StringComparer.Ordinal);
            }
            for (var r = 0; r < rec.Items.Count; r++)
            {
                if (valueOfItem(rec.Items[r].ItemId) is not { } value)
                {
                    continue;
                }
                var w = options.Weighting == ExposureWeighting.Uniform ? 1.0 : 1.0 / Math.Log2(r + 2);
                e[value] = e.GetValueOrDefault(value) + w;
                overall[value] = overall.GetValueOrDefault(value) + w;
            }
        }
        var totals = exposure.ToDictionary(kv => kv.Key, kv => kv.Value.Values.Sum(), StringComparer.Ordinal);
        var grand = overall.Values.Sum();
        var groups = exposure.Keys.Where(g => totals[g] > 0).Order(StringComparer.Ordinal).ToArray();
        var rows = new List<ExposureRow>();
        foreach (var (value, total) in overall.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var shares = groups.ToDictionary(g => g, g => exposure[g].GetValueOrDefault(value) / totals[g], StringComparer.Ordinal);
            var max = shares.Values.DefaultIfEmpty(0).Max();
            var ratio = max == 0 ? 1.0 : shares.Values.Min() / max;
            var share = grand == 0 ? 0 : total / grand;
            rows.Add(new ExposureRow(value, share, shares, ratio, groups.Length > 1 && share >= options.MinOverallShare && ratio < options.DisparityThreshold));
        }
        var considered = rows.Where(r => r.OverallShare >= options.MinOverallShare).ToArray();
        var min = considered.Length == 0 || groups.Length < 2 ? 1.0 : considered.Min(r => r.DisparityRatio);
        return new FairnessReport(attribute, users, rows, min, rows.All(r => !r.Flagged));
    }

    /// <summary>Audits the exposure of price bands.</summary>
    /// <param name="recommendations">Recommendations per user.</param>
    /// <param name="groupOfUser">The group of a user, or <see langword="null"/> to leave the user out.</param>
    /// <param name="prices">The catalogue's price ladder.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static FairnessReport AuditPriceBands(IEnumerable<UserRecommendations> recommendations, Func<string, string?> groupOfUser, PriceLadder prices, FairnessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prices);
        return Audit("price_band", recommendations, groupOfUser, item => prices.Band(item)?.ToString(CultureInfo.InvariantCulture), options);
    }

    /// <summary>Audits the exposure of individual items.</summary>
    /// <param name="recommendations">Recommendations per user.</param>
    /// <param name="groupOfUser">The group of a user, or <see langword="null"/> to leave the user out.</param>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public static FairnessReport AuditItems(IEnumerable<UserRecommendations> recommendations, Func<string, string?> groupOfUser, FairnessOptions? options = null) =>
        Audit("item", recommendations, groupOfUser, item => item, options);
}
