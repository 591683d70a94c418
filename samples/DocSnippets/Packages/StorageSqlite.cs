#region usings
using Marketing.Sdk;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Storage.Sqlite (docs/how-to).</summary>
public static class StorageSqliteSnippets
{
    /// <summary>Marketing.Sdk.Storage.Sqlite, example 1 (from src/Marketing.Sdk.Storage.Sqlite/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services)
    {
        #region example1
        services.AddMarketingSdk(m => m.UseSqlite("Data Source=marketing.db", o => o.BusyTimeout = TimeSpan.FromSeconds(10)));
        #endregion
        await Task.CompletedTask;
    }
}
