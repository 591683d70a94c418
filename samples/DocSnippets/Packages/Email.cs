#region usings
using Marketing.Sdk;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Email (docs/how-to).</summary>
public static class EmailSnippets
{
    /// <summary>Marketing.Sdk.Email, example 1 (from src/Marketing.Sdk.Email/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddMessaging()
            .AddEmail(configuration.GetSection("Marketing:Email")));
        #endregion
        await Task.CompletedTask;
    }
}
