#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.OceanEngine;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.OceanEngine (docs/how-to).</summary>
public static class PlatformsOceanEngineSnippets
{
    /// <summary>Marketing.Sdk.Platforms.OceanEngine, example 1 (from src/Marketing.Sdk.Platforms.OceanEngine/README.md).</summary>
    public static ClickIdentifiers Example1(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .AddCompliance()
            .AddOceanEnginePlatform(o =>
            {
                o.AdvertiserId = "1600000000000001";                        // advertiser_id for audiences
                o.Product = OceanEngineProduct.Ads;                          // or Qianchuan: reports and changes of ad plans
                o.AccessToken = configuration["OceanEngine:AccessToken"]!;   // first token of the pair (Access-Token header)
                o.RefreshToken = configuration["OceanEngine:RefreshToken"];  // with AppId + Secret: the pair rotates once per fleet
                o.AppId = configuration["OceanEngine:AppId"];
                o.Secret = configuration["OceanEngine:Secret"];
            }));

        // A conversion carries the landing URL's clickid; without it Ocean Engine cannot attribute it and publishing
        // skips it for this destination (PublishResult.Skipped, ConversionSkipReason.NotAttributable).
        var clicks = new ClickIdentifiers { OceanEngineCallback = "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkx" };
        #endregion
        return clicks;
    }
}
