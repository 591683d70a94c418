using System.Globalization;
using Marketing.Sdk.Recommendations.Evaluation;
using Marketing.Sdk.Recommendations.Fairness;
using Xunit.Abstractions;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Recommendations.Tests;

/// <summary>
/// Quality on real data: UCI Online Retail (customers × stock codes as implicit feedback), k = 10,
/// a chronological split at 2011-10-01 and a 75/25 random split stratified by customer (seed 42).
/// The item-item recommender must clearly beat the popularity baseline on both.
/// </summary>
public class OnlineRetailEvaluationTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Cutoff = new(2011, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private static IEnumerable<Func<IReadOnlyList<Interaction>, IInteractionRecommender>> Recommenders(IReadOnlyList<Product> products) =>
    [
        train => PopularityModel.Fit(train, new PopularityOptions { Measure = PopularityMeasure.DistinctUsers }),
        train => SarModel.Fit(train, new SarOptions { Similarity = ItemSimilarity.Jaccard, MaxNeighbours = 0 }),
        train => SarModel.Fit(train, new SarOptions { Similarity = ItemSimilarity.Jaccard, MaxNeighbours = 200, HalfLife = TimeSpan.FromDays(30) }),
        train => SarModel.Fit(train, new SarOptions { Similarity = ItemSimilarity.Lift, MaxNeighbours = 0 }),
        train => ContentRecommender.Create(ContentModel.Fit(products), train),
        train => new HybridModel(SarModel.Fit(train, new SarOptions { HalfLife = TimeSpan.FromDays(30) }), ContentRecommender.Create(ContentModel.Fit(products), train),
            PopularityModel.Fit(train, new PopularityOptions { Measure = PopularityMeasure.DistinctUsers }), new HybridWeights { CoOccurrence = 0.8, Content = 0.1, Popularity = 0.1 }),
    ];

    [SkippableFact]
    public void Item_item_beats_popularity_on_a_chronological_split()
    {
        var (interactions, products) = TestData.OnlineRetail();
        var split = DataSplitter.Chronological(interactions, Cutoff);
        Check("chronological (train < 2011-10-01)", split, products);
    }

    [SkippableFact]
    public void Item_item_beats_popularity_on_a_random_stratified_split()
    {
        var (interactions, products) = TestData.OnlineRetail();
        var split = DataSplitter.RandomStratified(interactions, 0.75, seed: 42);
        Check("random stratified 75/25 (seed 42)", split, products);
    }

    private void Check(string name, DataSplit split, IReadOnlyList<Product> products)
    {
        Assert.True(split.Train.Count > 250_000, "Online Retail should yield well over 250k training lines.");
        var results = EvaluationRunner.Run(split, Recommenders(products));
        output.WriteLine($"### {name}: {split.Train.Count} train / {split.Test.Count} test lines, {results[0].Users} evaluated customers");
        output.WriteLine("| recommender | precision@10 | recall@10 | nDCG@10 | MAP@10 | coverage | novelty (bits) |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Recommender}{(r == results[2] ? " + 30-day half-life, 200 neighbours" : "")} | {r.PrecisionAtK:0.0000} | {r.RecallAtK:0.0000} | {r.NdcgAtK:0.0000} | {r.MapAtK:0.0000} | {r.Coverage:0.0000} | {r.Novelty:0.00} |"));
        }
        var popularity = results[0];
        var sar = results[1];
        Assert.True(popularity.Users > 1000);
        Assert.Equal(popularity.Users, sar.Users);
        Assert.True(sar.PrecisionAtK > 1.5 * popularity.PrecisionAtK, $"SAR precision {sar.PrecisionAtK} vs popularity {popularity.PrecisionAtK}");
        Assert.True(sar.NdcgAtK > 1.5 * popularity.NdcgAtK, $"SAR nDCG {sar.NdcgAtK} vs popularity {popularity.NdcgAtK}");
        Assert.True(sar.MapAtK > popularity.MapAtK && sar.RecallAtK > popularity.RecallAtK);
        Assert.True(sar.Coverage > popularity.Coverage);
    }

    [SkippableFact]
    public void Exposure_audit_by_country_on_real_recommendations()
    {
        var (interactions, products) = TestData.OnlineRetail();
        var country = LoadCountries();
        var model = SarModel.Fit(interactions.Where(x => x.OccurredAt < Cutoff));
        var recs = model.RecommendAll(10);
        var ladder = PriceLadder.Build(products);
        string? Group(string user) => country.TryGetValue(user, out var c) ? (c == "United Kingdom" ? "UK" : "non-UK") : null;
        var report = FairnessAudit.AuditPriceBands(recs, Group, ladder);
        output.WriteLine($"price-band exposure UK vs non-UK: min disparity ratio {report.MinDisparityRatio:0.000}, passed {report.Passed}");
        foreach (var row in report.Rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"band {row.Value}: UK {row.ShareByGroup["UK"]:0.000}, non-UK {row.ShareByGroup["non-UK"]:0.000}, ratio {row.DisparityRatio:0.000}"));
        }
        Assert.Equal(2, report.UsersByGroup.Count);
        Assert.Equal(1, report.Rows.Sum(r => r.OverallShare), 9);
        foreach (var group in new[] { "UK", "non-UK" })
        {
            Assert.Equal(1, report.Rows.Sum(r => r.ShareByGroup[group]), 9);
        }
    }

    private static Dictionary<string, string> LoadCountries()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var fields = new List<string>();
        foreach (var part in Enumerable.Range(1, 3))
        {
            foreach (var line in File.ReadLines(ReferenceFiles.Get("online_retail", $"online_retail_part{part}_of_3.csv")).Skip(1))
            {
                InteractionFileReader.Split(line, ',', fields);
                if (fields[6].Length > 0)
                {
                    result.TryAdd(fields[6].Split('.')[0], fields[7]);
                }
            }
        }
        return result;
    }
}
