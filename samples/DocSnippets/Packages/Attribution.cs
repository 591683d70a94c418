#region usings
using Marketing.Sdk;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.Storage;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Attribution (docs/how-to).</summary>
public static class AttributionSnippets
{
    /// <summary>Marketing.Sdk.Attribution, example 1 (from src/Marketing.Sdk.Attribution/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m.AddAttribution(o => o.MarkovOrder = 2));
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Attribution, example 2 (from src/Marketing.Sdk.Attribution/README.md).</summary>
    public static async Task Example2Async(PathBuilder pathBuilder, IEventStore eventStore, AttributionModelSet modelSet, KpiCalculator kpiCalculator, IReadOnlyList<SpendRecord> spendRecords, BudgetRuleEngine budgetEngine, IReadOnlyList<BudgetLine> lines, IReadOnlyDictionary<string, StockLevel> stock)
    {
        #region example2
        var paths = await pathBuilder.BuildAsync(eventStore.ReadAsync(EventQuery.All));   // or PathSetReader / PathSetBuilder
        var results = modelSet.Compare(paths, byCampaign: true);                           // first, last, …, Markov, Shapley
        var markov = new MarkovChainModel(new MarkovOptions { Order = 1 }).Attribute(paths);
        var shapley = new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Exact }).Attribute(paths);
        var kpis = kpiCalculator.Compute(spendRecords, markov, new KpiBenchmarks { Ctr = 0.02 });
        var plan = budgetEngine.Propose(new BudgetContext { Lines = lines, Kpis = kpis, Stock = stock });
        string json = AttributionJson.Serialize(plan);
        #endregion
        await Task.CompletedTask;
    }
}
