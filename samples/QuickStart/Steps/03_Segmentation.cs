using System.Diagnostics;
using Marketing.Sdk;
using Marketing.Sdk.Segmentation;

namespace QuickStart;

internal sealed record SegmentationReport(
    IReadOnlyDictionary<string, long> SegmentSizes,
    long ProfilesEvaluated,
    IReadOnlyDictionary<RfmSegment, int> Rfm,
    IReadOnlyDictionary<ValueLayer, int> Layers,
    int LookalikeSeed,
    IReadOnlyList<LookalikeCandidate> Lookalikes);

/// <summary>
/// Step 3: audiences. Segments written in the rule language (who they are, what they did, what they
/// intend now), evaluated in batch over every profile; RFM scores with the named segments; value
/// layers; and a lookalike expansion of the best customers.
/// </summary>
internal static class SegmentationStep
{
    /// <summary>The segments of the sample: id and rule text.</summary>
    public static readonly (string Id, string Rule)[] Segments =
    [
        ("purchased_last_30d", "exists(purchase) within 30d"),
        ("maternity_browsers_no_buy_7d", """count(product_view where category starts with "maternity") within 7d >= 1 and not exists(purchase) within 7d"""),
        ("expecting_moms", """age between 25 and 40 and count(product_view where category starts with "maternity") within 30d >= 2 and not segment("purchased_last_30d")"""),
        ("big_spenders", "sum(value of purchase) within 90d >= 1500 and count(purchase) within 90d >= 3"),
    ];

    public static async Task<SegmentationReport> RunAsync(QuickStartContext run)
    {
        var segments = run.Get<ISegmentService>();
        run.Heading(3, "Segmentation");

        // Segments: define (parsed and compiled), then evaluate each over every profile.
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        long evaluated = 0;
        var table = new Table("segment", "members", "time", "rule").Left(3);
        foreach (var (id, rule) in Segments)
        {
            await segments.DefineAsync(SegmentDefinition.Parse(id, rule));
            var watch = Stopwatch.StartNew();
            var result = await segments.EvaluateAsync(id);
            sizes[id] = result.Members;
            evaluated = result.ProfilesEvaluated;
            table.Add(id, result.Members, $"{watch.ElapsedMilliseconds} ms", rule);
        }
        run.Line($"{Segments.Length} segments evaluated in batch over {evaluated:N0} profiles (windows end at {run.Clock.GetUtcNow().ToOffset(run.ShopEnd.Offset):yyyy-MM-dd HH:mm}):");
        table.WriteTo(run.Out);

        // Why is a recent maternity browser not an "expecting mom"? (condition texts and counts only; no personal data)
        await foreach (var candidate in segments.GetMembersAsync("maternity_browsers_no_buy_7d"))
        {
            var why = await segments.ExplainAsync("expecting_moms", candidate);
            if (!why.IsMember)
            {
                var reasons = string.Join("; ", why.FailedConditions.Select(c => c.Observed is null ? c.Condition : $"{c.Condition} [{c.Observed}]"));
                run.Line($"explain: customer {candidate.Value} is a maternity browser but not in expecting_moms because: {reasons}");
                break;
            }
        }
        run.Line();
        // RFM.
        var rfm = await segments.ComputeRfmAsync();
        var rfmCounts = rfm.GroupBy(s => s.Segment).ToDictionary(g => g.Key, g => g.Count());
        run.Line($"RFM of {rfm.Count:N0} buyers (quintile scores, R x F grid):");
        var rfmTable = new Table("RFM segment", "customers", "share", "avg recency", "avg orders", "avg revenue");
        foreach (var group in rfm.GroupBy(s => s.Segment).OrderBy(g => g.Key))
        {
            rfmTable.Add(RfmAnalysis.DisplayName(group.Key), group.Count(), Table.Percent((double)group.Count() / rfm.Count),
                $"{group.Average(s => s.RecencyDays):0.0} d", group.Average(s => s.Frequency), group.Average(s => s.Monetary));
        }
        rfmTable.WriteTo(run.Out);
        run.Line();
        // Value layers.
        var layers = new Dictionary<ValueLayer, int>();
        await foreach (var layer in segments.GetValueLayersAsync())
        {
            layers[layer.Layer] = layers.GetValueOrDefault(layer.Layer) + 1;
        }
        var total = layers.Values.Sum();
        run.Line("Value layers (dormant after 7 days without activity, churned after 90, loyal from 3 orders a year):");
        var layerTable = new Table("layer", "profiles", "share");
        foreach (var layer in Enum.GetValues<ValueLayer>())
        {
            layerTable.Add(layer.ToString().ToLowerInvariant(), layers.GetValueOrDefault(layer), Table.Percent((double)layers.GetValueOrDefault(layer) / Math.Max(total, 1)));
        }
        layerTable.WriteTo(run.Out);
        run.Line();
        // Lookalike expansion of the big spenders.
        var options = new LookalikeOptions { TopN = 100, Method = LookalikeMethod.Combined, BehaviourWindow = TimeSpan.FromDays(30) };
        options.NumericTraits.Add("age");
        foreach (var type in new[] { EventType.ProductView, EventType.AddToCart, EventType.BeginCheckout, EventType.Purchase, EventType.Search, EventType.Login })
        {
            options.BehaviourEventTypes.Add(type);
        }
        var lookalike = await segments.ExpandLookalikeAsync("big_spenders", options);
        run.Line($"Lookalikes of big_spenders: seed {lookalike.SeedSize:N0}, {lookalike.Scored:N0} non-members scored on {lookalike.Features.Count} features (age, 30-day behaviour counts), top {lookalike.Candidates.Count} kept; best 5:");
        var lookalikeTable = new Table("customer", "score", "centroid cos", "kNN cos");
        foreach (var c in lookalike.Candidates.Take(5))
        {
            lookalikeTable.Add(c.CustomerId.Value, c.Score.ToString("0.000"), c.CentroidSimilarity.ToString("0.000"), c.NeighbourSimilarity.ToString("0.000"));
        }
        lookalikeTable.WriteTo(run.Out);
        run.Line();
        return new SegmentationReport(sizes, evaluated, rfmCounts, layers, lookalike.SeedSize, lookalike.Candidates);
    }
}
