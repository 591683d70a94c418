#region usings
using Marketing.Sdk.AspNetCore.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.AspNetCore (docs/how-to).</summary>
public static class AspNetCoreSnippets
{
    /// <summary>Marketing.Sdk.AspNetCore, example 1 (from src/Marketing.Sdk.AspNetCore/README.md).</summary>
    public static async Task Example1Async(string[] args)
    {
        #region example1
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        builder.Services.AddMarketingSdk(m => m
            .UseSqlite("Data Source=marketing.db")
            .AddWebTracking(builder.Configuration.GetSection(MarketingTrackingOptions.SectionName)));
        builder.Services.AddMarketingProblemDetails();
        builder.Services.AddHealthChecks().AddMarketingHealthChecks();
        builder.Services.AddOpenApi(o => o.AddMarketingSchemas());

        var app = builder.Build();
        app.UseMarketingProblemDetails();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapMarketingTracking("/marketing");
        app.MapHealthChecks("/health");
        app.MapOpenApi();
        app.Run();
        #endregion
        await Task.CompletedTask;
    }
}
