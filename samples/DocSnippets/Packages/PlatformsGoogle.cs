#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Google;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.Google (docs/how-to).</summary>
public static class PlatformsGoogleSnippets
{
    /// <summary>Marketing.Sdk.Platforms.Google, example 1 (from src/Marketing.Sdk.Platforms.Google/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration cfg)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddCompliance()                       // the consent gate: nothing leaves without it
            .AddGooglePlatform(o =>
            {
                o.ClientId = cfg["Google:ClientId"]!;          // OAuth 2.0 refresh-token flow
                o.ClientSecret = cfg["Google:ClientSecret"]!;
                o.RefreshToken = cfg["Google:RefreshToken"]!;
                o.OperatingAccountId = "123-456-7890";        // the Google Ads account
                o.LoginCustomerId = "111-222-3333";           // the manager account, if any
                o.ConversionActions["purchase"] = "555000111";
                o.CustomerMatchTermsAccepted = true;
            }));
        #endregion
        await Task.CompletedTask;
    }
}
