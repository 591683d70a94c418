#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.TencentAds;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.TencentAds (docs/how-to).</summary>
public static class PlatformsTencentAdsSnippets
{
    /// <summary>Marketing.Sdk.Platforms.TencentAds, example 1 (from src/Marketing.Sdk.Platforms.TencentAds/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddTencentAdsPlatform(o =>
            {
                o.AccountId = "20001";                                    // advertiser account_id
                o.UserActionSetId = "1100000001";                         // DataNexus data source for conversions
                o.AccessToken = configuration["TencentAds:AccessToken"]!;  // first token of the pair
                o.RefreshToken = configuration["TencentAds:RefreshToken"]; // with ClientId + ClientSecret: the pair rotates
                o.ClientId = configuration["TencentAds:ClientId"];
                o.ClientSecret = configuration["TencentAds:ClientSecret"];
            }));
        #endregion
        await Task.CompletedTask;
    }
}
