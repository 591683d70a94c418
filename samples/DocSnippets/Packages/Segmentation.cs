#region usings
using Marketing.Sdk;
using Marketing.Sdk.Segmentation;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Segmentation (docs/how-to).</summary>
public static class SegmentationSnippets
{
    /// <summary>Marketing.Sdk.Segmentation, example 1 (from src/Marketing.Sdk.Segmentation/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")   // any IProfileStore + IEventStore provider
            .AddSegmentation(o => o.ValueLayers.DormantAfter = TimeSpan.FromDays(14)));
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Segmentation, example 2 (from src/Marketing.Sdk.Segmentation/README.md).</summary>
    public static async Task Example2Async(IServiceProvider provider, CustomerId customerId)
    {
        #region example2
        var segments = provider.GetRequiredService<ISegmentService>();
        await segments.DefineAsync(SegmentDefinition.Parse("expecting_moms", """
            age between 25 and 35 and gender = "female"
            and count(product_view where category = "maternity") within 7d >= 1
            and not segment("purchased_last_30d")
            """));

        var result = await segments.EvaluateAsync("expecting_moms");        // batch, streams from the stores
        var why = await segments.ExplainAsync("expecting_moms", customerId); // which condition failed
        var rfm = await segments.ComputeRfmAsync();                         // R/F/M scores + Champions … Lost
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Segmentation, example 3 (from src/Marketing.Sdk.Segmentation/README.md).</summary>
    public static async Task Example3Async(SegmentDefinition definition, IReadOnlyList<CustomerProfile> profiles, IReadOnlyList<MarketingEvent> events)
    {
        #region example3
        var compiled = SegmentCompiler.Compile(definition);
        var columns = ProfileColumns.Build([compiled], profiles, events);   // once per data snapshot
        var members = SegmentBatchEvaluator.Create(compiled).Evaluate(columns, DateTimeOffset.UtcNow);
        Console.WriteLine($"{members.Count} of {members.Length}");          // members.Members(): ids
        #endregion
        await Task.CompletedTask;
    }
}
