#region usings
using Marketing.Sdk;
using Npgsql;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Storage.PostgreSql (docs/how-to).</summary>
public static class StoragePostgreSqlSnippets
{
    /// <summary>Marketing.Sdk.Storage.PostgreSql, example 1 (from src/Marketing.Sdk.Storage.PostgreSql/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration, NpgsqlDataSource dataSource)
    {
        #region example1
        services.AddMarketingSdk(m => m.UsePostgreSql(configuration.GetConnectionString("marketing")!, o => o.Schema = "marketing"));
        // or with an application-owned data source:
        services.AddMarketingSdk(m => m.UsePostgreSql(dataSource));
        #endregion
        await Task.CompletedTask;
    }
}
