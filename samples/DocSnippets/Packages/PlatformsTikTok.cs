#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.TikTok;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.TikTok (docs/how-to).</summary>
public static class PlatformsTikTokSnippets
{
    /// <summary>Marketing.Sdk.Platforms.TikTok, example 1 (from src/Marketing.Sdk.Platforms.TikTok/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddTikTokPlatform(o =>
            {
                o.AccessToken = configuration["TikTok:AccessToken"]!;   // long-lived advertiser token (Access-Token header)
                o.AdvertiserId = "7000000001";
                o.AccountCurrency = "USD";
                o.PixelCode = "CXXXXXXXXXXXXXXX";                        // web events; AppId / OfflineEventSetId / CrmEventSetId for the others
            }));
        #endregion
        await Task.CompletedTask;
    }
}
