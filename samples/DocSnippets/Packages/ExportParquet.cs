#region usings
using Marketing.Sdk;
using Marketing.Sdk.Export.Parquet;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Export.Parquet (docs/how-to).</summary>
public static class ExportParquetSnippets
{
    /// <summary>Marketing.Sdk.Export.Parquet, example 1 (from src/Marketing.Sdk.Export.Parquet/README.md).</summary>
    public static async Task<ParquetExportResult> Example1Async(IServiceCollection services, string key)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddParquetExport(o =>
            {
                o.Directory = "/data/marketing-export";
                o.PseudonymisationKey = key;   // base64 HMAC key, ≥ 32 bytes
            }));
        #endregion
        await using var provider = services.BuildServiceProvider();
        #region example2
        // From your scheduler, on one host:
        var result = await provider.GetRequiredService<ParquetExporter>().ExportAsync();
        #endregion
        return result;
    }
}
