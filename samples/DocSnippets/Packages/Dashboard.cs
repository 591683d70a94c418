#region usings
using Marketing.Sdk;
#endregion

namespace DocSnippets.Packages;

/// <summary>How-to snippets of Marketing.Sdk.Dashboard (docs/how-to).</summary>
public static class DashboardSnippets
{
    /// <summary>Marketing.Sdk.Dashboard, example 1: registration and mapping behind the host's policies.</summary>
    public static WebApplication Example1(WebApplicationBuilder builder)
    {
        #region example1
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy("marketing-dashboard", p => p.RequireRole("admin", "marketer"));
            o.AddPolicy("marketing-dashboard-write", p => p.RequireRole("admin"));
        });
        builder.Services.AddMarketingSdk(m => m
            .AddSegmentation()
            .AddDashboard(o => o.WritePolicy = "marketing-dashboard-write")); // write actions: retry a dead letter

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMarketingDashboard("/marketing/dashboard").RequireAuthorization("marketing-dashboard");
        #endregion
        return app;
    }
}
