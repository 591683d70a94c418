using Marketing.Sdk;
using Marketing.Sdk.Recommendations;
using Marketing.Sdk.Recommendations.Evaluation;
using Marketing.Sdk.Segmentation;

namespace QuickStart;

internal sealed record RecommendationsReport(
    IReadOnlyList<RecommendationList> ForCustomers,
    string SimilarTo,
    IReadOnlyList<Recommendation> Similar,
    IReadOnlyList<EvaluationResult> Evaluation,
    int TestUsers);

/// <summary>
/// Step 7: recommendations. The model (SAR item-item, content, popularity, business rules) is trained
/// from the stored behaviour and published; three buyers get their top 5 with the reasons, a
/// bestseller gets its "also bought" list, and SAR is compared with popularity offline on a
/// chronological split (train on the first 60 days, test on the last 30).
/// </summary>
internal static class RecommendationsStep
{
    public const int TopN = 5;

    public static async Task<RecommendationsReport> RunAsync(QuickStartContext run)
    {
        run.Heading(7, "Recommendations");
        var model = await run.Get<RecommendationTrainer>().TrainAsync(run.Shop.Products);
        var recommender = run.Get<IRecommender>();
        var titles = run.Shop.Products.ToDictionary(p => p.ProductId, p => p, StringComparer.Ordinal);
        run.Line($"model trained on the stored behaviour: {model.Hybrid.Sar?.UserCount ?? 0:N0} customers x {model.Hybrid.Sar?.ItemCount ?? 0:N0} products (SAR, Jaccard, 30-day half-life) + content + popularity");

        // Top 5 for three recent buyers (the three most recent champions by RFM).
        var rfm = await run.Get<ISegmentService>().ComputeRfmAsync();
        var customers = rfm.OrderBy(s => s.Segment).ThenBy(s => s.RecencyDays).ThenByDescending(s => s.Monetary).ThenBy(s => s.CustomerId)
            .Take(3).Select(s => s.CustomerId).ToList();
        var lists = new List<RecommendationList>();
        foreach (var customer in customers)
        {
            var list = await recommender.RecommendForCustomerAsync(customer, new RecommendationRequest { Count = TopN });
            lists.Add(list);
            run.Line($"for customer {customer.Value}{(list.ColdStart ? " (cold start)" : string.Empty)}:");
            var table = new Table("#", "product", "category", "price", "score", "why").Left(1, 2, 5);
            foreach (var item in list.Items)
            {
                var p = titles.GetValueOrDefault(item.ProductId);
                table.Add(item.Rank, item.ProductId, p?.Category, p?.Price.Amount, item.Score.ToString("0.000"), string.Join(" ", item.Reasons.Select(r => r.Text)));
            }
            table.WriteTo(run.Out, "     ");
        }

        // "Also bought" for the bestseller.
        var events = (await run.GetEventsAsync()).Where(e => !e.Flags.HasFlag(EventFlags.SuspectedBot)).ToList();
        var interactions = InteractionExtractor.FromEvents(events).ToList();
        var bestseller = interactions.Where(i => i.Kind == InteractionKind.Purchase).GroupBy(i => i.ItemId, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault()
            ?? run.Shop.Products[0].ProductId;
        var similar = await recommender.SimilarItemsAsync(bestseller, TopN);
        run.Line($"similar to the bestseller {bestseller} ({titles.GetValueOrDefault(bestseller)?.Category}): "
            + string.Join(", ", similar.Select(s => $"{s.ProductId} ({titles.GetValueOrDefault(s.ProductId)?.Category}, {s.Score:0.000})")));

        // Offline: SAR against popularity on a chronological split.
        var cutoff = run.ShopEnd.AddDays(-30);
        var split = DataSplitter.Chronological(interactions, cutoff);
        var sarOptions = new SarOptions { Similarity = ItemSimilarity.Jaccard, HalfLife = TimeSpan.FromDays(30), ReferenceTime = cutoff };
        var popularityOptions = new PopularityOptions { ReferenceTime = cutoff };
        var results = EvaluationRunner.Run(split,
            [
                train => SarModel.Fit(train, sarOptions),
                train => PopularityModel.Fit(train, popularityOptions),
            ],
            new EvaluationOptions { K = 10 });
        var testUsers = split.Test.Select(i => i.UserId).Distinct(StringComparer.Ordinal).Count();
        run.Line($"offline, chronological split at {cutoff.ToOffset(run.ShopEnd.Offset):yyyy-MM-dd}: {split.Train.Count:N0} training and {split.Test.Count:N0} test interactions; new products per returning customer, K = 10:");
        var evaluation = new Table("recommender", "users", "precision@10", "recall@10", "NDCG@10", "MAP@10", "coverage");
        foreach (var r in results)
        {
            evaluation.Add(r.Recommender, r.Users, r.PrecisionAtK.ToString("0.0000"), r.RecallAtK.ToString("0.0000"), r.NdcgAtK.ToString("0.0000"), r.MapAtK.ToString("0.0000"), Table.Percent(r.Coverage));
        }
        evaluation.WriteTo(run.Out);
        run.Line();
        return new RecommendationsReport(lists, bestseller, similar, results, testUsers);
    }
}
