#region usings
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Testing;
using Marketing.Sdk.Testing.Emulators;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Testing (docs/how-to).</summary>
public static class TestingSnippets
{
    /// <summary>Marketing.Sdk.Testing, example 1 (from src/Marketing.Sdk.Testing/README.md).</summary>
    public static async Task Example1Async(IEventCollector collector)
    {
        #region example1
        var shop = new SyntheticShop(new SyntheticShopOptions { Customers = 1_000, Seed = 7 });
        foreach (var batch in shop.Events().Chunk(500))
        {
            await collector.TrackBatchAsync(batch);
        }
        #endregion
        await Task.CompletedTask;
    }

    /// <summary>Marketing.Sdk.Testing, example 2 (from src/Marketing.Sdk.Testing/README.md).</summary>
    public static async Task Example2Async()
    {
        #region example2
        await using var meta = new MetaEmulator();
        meta.AddPixel("880000000000001");
        await meta.StartAsync();
        meta.Faults = new FaultOptions { ServerErrorRate = 0.2, ThrottleRate = 0.1, TimeoutRate = 0.05, Seed = 7 };
        meta.ExpireTokenOnce();
        #endregion
        await Task.CompletedTask;
    }
}
