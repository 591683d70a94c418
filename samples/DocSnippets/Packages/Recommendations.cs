#region usings
using Marketing.Sdk;
using Marketing.Sdk.Recommendations;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Recommendations (docs/how-to).</summary>
public static class RecommendationsSnippets
{
    /// <summary>Marketing.Sdk.Recommendations, example 1 (from src/Marketing.Sdk.Recommendations/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IServiceProvider provider, IReadOnlyList<Product> catalogue, CustomerId customerId)
    {
        #region example1
        services.AddMarketingSdk(m => m.AddRecommendations(o =>
        {
            o.Sar = o.Sar with { Similarity = ItemSimilarity.Jaccard, HalfLife = TimeSpan.FromDays(30) };
            o.SegmentTrait = "region";
        }));

        // Train from the event store (product views, carts, reviews, purchases) and publish the model.
        await provider.GetRequiredService<RecommendationTrainer>().TrainAsync(catalogue);

        var recommender = provider.GetRequiredService<IRecommender>();
        var list = await recommender.RecommendForCustomerAsync(customerId, new RecommendationRequest { Count = 10 });
        foreach (var item in list.Items)
        {
            Console.WriteLine($"{item.Rank}. {item.ProductId}: {item.Reasons[0].Text}"); // "Because you bought "Hydrating Serum"."
        }
        var alsoBought = await recommender.SimilarItemsAsync("serum");
        #endregion
        await Task.CompletedTask;
    }
}
