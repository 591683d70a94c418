using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Pipeline helpers of the ASP.NET Core integration.</summary>
public static class MarketingApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the exception handler and the status-code pages, so every error — a library exception, an
    /// unreadable body, an unknown route — is answered with a ProblemDetails body (needs
    /// <c>services.AddMarketingProblemDetails()</c>). Call it first in the pipeline.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseMarketingProblemDetails(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
