#region usings
using Marketing.Sdk;
using Marketing.Sdk.Platforms.Meta;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Platforms.Meta (docs/how-to).</summary>
public static class PlatformsMetaSnippets
{
    /// <summary>Marketing.Sdk.Platforms.Meta, example 1 (from src/Marketing.Sdk.Platforms.Meta/README.md).</summary>
    public static async Task Example1Async(IServiceCollection services, IConfiguration configuration)
    {
        #region example1
        services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")      // the outbox conversions wait in
            .AddCompliance()                              // the consent gate: nothing leaves without it
            .AddMetaPlatform(o =>
            {
                o.AccessToken = configuration["Meta:SystemUserToken"]!;  // read on every call
                o.AppSecret = configuration["Meta:AppSecret"];           // optional: adds appsecret_proof
                o.PixelId = "1234567890";
                o.ApiVersion = "v25.0";
                o.TestEventCode = null;                                   // "TEST123" routes to Test Events
            }));
        #endregion
        await Task.CompletedTask;
    }
}
