using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization.Metadata;
using Marketing.Sdk.Dashboard;
using Marketing.Sdk.Dashboard.Data;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts the marketing dashboard: <c>app.MapMarketingDashboard("/marketing/dashboard")</c>.</summary>
public static class MarketingDashboardEndpointRouteBuilderExtensions
{
    // Chinese text stays readable in the page (only markup characters are escaped).
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private static readonly string[] Pages = ["overview", "funnel", "attribution", "segments", "lifecycle", "experiments", "messages", "consent", "delivery"];

    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/>: the pages (<c>{prefix}</c> overview, <c>/funnel</c>,
    /// <c>/attribution</c>, <c>/segments</c>, <c>/lifecycle</c>, <c>/experiments</c>, <c>/messages</c>, <c>/consent</c>,
    /// <c>/delivery</c>), their JSON (<c>{prefix}/api/{page}</c>) and the bundled
    /// scripts (<c>{prefix}/assets/…</c>). Nothing is protected by default, like Hangfire's dashboard outside
    /// localhost is not: add the host's policy to the returned builder (<c>.RequireAuthorization("marketing")</c>).
    /// The dashboard is read-only unless <see cref="MarketingDashboardOptions.WritePolicy"/> names a policy; then
    /// <c>POST {prefix}/api/delivery/dead-letters/{id}/retry</c> and <c>…/discard</c> and
    /// <c>POST {prefix}/api/lifecycle/journeys/{journey}/pause</c> and <c>…/resume</c> are mapped, needing that policy as
    /// well and an antiforgery token (the page sends it). Needs <c>services.AddMarketingDashboard()</c>.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">The route prefix, without route parameters (default <c>/marketing/dashboard</c>).</param>
    /// <returns>The convention builder of every dashboard endpoint, for <c>.RequireAuthorization(...)</c> and the like.</returns>
    public static IEndpointConventionBuilder MapMarketingDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/marketing/dashboard")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (!prefix.StartsWith('/') || prefix.Contains('{', StringComparison.Ordinal) || prefix.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException("The dashboard prefix must start with '/' and hold no route parameters or query.", nameof(prefix));
        }
        var root = prefix.TrimEnd('/');
        var services = endpoints.ServiceProvider;
        if (services.GetService<DashboardDataService>() is null)
        {
            throw new InvalidOperationException("The marketing dashboard needs services.AddMarketingDashboard() before app.MapMarketingDashboard().");
        }
        var options = services.GetRequiredService<IOptions<MarketingDashboardOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Marketing.Sdk.Dashboard");
        var group = endpoints.MapGroup(root.Length == 0 ? "/" : root);
        group.WithDisplayName("Marketing dashboard").ExcludeFromDescription();

        foreach (var page in Pages)
        {
            var pageName = page;
            group.MapGet(page == "overview" ? "/" : "/" + page, context => WriteShellAsync(context, root, pageName));
        }
        group.MapGet("/api/overview", OverviewAsync);
        group.MapGet("/api/delivery", DeliveryAsync);
        group.MapGet("/api/consent", ConsentAsync);
        group.MapGet("/api/segments", SegmentsAsync);
        group.MapGet("/api/funnel", FunnelAsync);
        group.MapGet("/api/attribution", AttributionAsync);
        group.MapGet("/api/lifecycle", LifecycleAsync);
        group.MapGet("/api/experiments", ExperimentsAsync);
        group.MapGet("/api/messages", MessagesAsync);
        group.MapGet("/assets/{**path}", ServeAssetAsync);
        if (options.WritePolicy is { } policy)
        {
            group.MapPost("/api/delivery/dead-letters/{id:long}/retry", RetryAsync).RequireAuthorization(policy);
            group.MapPost("/api/delivery/dead-letters/{id:long}/discard", DiscardAsync).RequireAuthorization(policy);
            group.MapPost("/api/lifecycle/journeys/{journey}/pause", context => ToggleJourneyAsync(context, paused: true)).RequireAuthorization(policy);
            group.MapPost("/api/lifecycle/journeys/{journey}/resume", context => ToggleJourneyAsync(context, paused: false)).RequireAuthorization(policy);
        }
        Log.Mounted(logger, root, options.WritePolicy is null ? "read-only" : "write actions under policy " + options.WritePolicy);
        return group;
    }

    private static Task OverviewAsync(HttpContext context) => WriteJsonAsync(context, ReadOverview, DashboardJsonContext.Default.OverviewData);

    private static Task<OverviewData> ReadOverview(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetOverviewAsync(cancellationToken);

    private static Task DeliveryAsync(HttpContext context) => WriteJsonAsync(context, ReadDelivery, DashboardJsonContext.Default.DeliveryData);

    private static Task<DeliveryData> ReadDelivery(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetDeliveryAsync(canWrite, cancellationToken);

    private static Task ConsentAsync(HttpContext context) => WriteJsonAsync(context, ReadConsent, DashboardJsonContext.Default.ConsentData);

    private static Task<ConsentData> ReadConsent(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetConsentAsync(cancellationToken);

    private static Task SegmentsAsync(HttpContext context) => WriteJsonAsync(context, ReadSegments, DashboardJsonContext.Default.SegmentsData);

    private static Task<SegmentsData> ReadSegments(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetSegmentsAsync(cancellationToken);

    private static Task FunnelAsync(HttpContext context) => WriteJsonAsync(context, ReadFunnel, DashboardJsonContext.Default.FunnelData);

    private static Task<FunnelData> ReadFunnel(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetFunnelAsync(cancellationToken);

    private static Task AttributionAsync(HttpContext context) => WriteJsonAsync(context, ReadAttribution, DashboardJsonContext.Default.AttributionData);

    private static Task<AttributionData> ReadAttribution(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetAttributionAsync(cancellationToken);

    private static Task LifecycleAsync(HttpContext context) => WriteJsonAsync(context, ReadLifecycle, DashboardJsonContext.Default.LifecycleData);

    private static Task<LifecycleData> ReadLifecycle(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetLifecycleAsync(canWrite, cancellationToken);

    private static Task ExperimentsAsync(HttpContext context) => WriteJsonAsync(context, ReadExperiments, DashboardJsonContext.Default.ExperimentsData);

    private static Task<ExperimentsData> ReadExperiments(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetExperimentsAsync(cancellationToken);

    private static Task MessagesAsync(HttpContext context) => WriteJsonAsync(context, ReadMessages, DashboardJsonContext.Default.MessagesData);

    private static Task<MessagesData> ReadMessages(DashboardDataService data, bool canWrite, CancellationToken cancellationToken) => data.GetMessagesAsync(cancellationToken);

    private static async Task<bool> CanWriteAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<MarketingDashboardOptions>>().Value;
        if (options.WritePolicy is not { } policy)
        {
            return false;
        }
        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        return (await authorization.AuthorizeAsync(context.User, policy).ConfigureAwait(false)).Succeeded;
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, Func<DashboardDataService, bool, CancellationToken, Task<T>> read, JsonTypeInfo<T> type)
    {
        var canWrite = await CanWriteAsync(context).ConfigureAwait(false);
        var data = await read(context.RequestServices.GetRequiredService<DashboardDataService>(), canWrite, context.RequestAborted).ConfigureAwait(false);
        NoStore(context.Response);
        await context.Response.WriteAsJsonAsync(data, type, contentType: null, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Checks the antiforgery token of a write action; answers 400 and returns false when it is missing or invalid.</summary>
    private static async Task<bool> AntiforgeryAsync(HttpContext context, ILogger logger)
    {
        NoStore(context.Response);
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context).ConfigureAwait(false);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            Log.WriteRefused(logger, "antiforgery token missing or invalid");
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The antiforgery token is missing or invalid.").ExecuteAsync(context).ConfigureAwait(false);
            return false;
        }
    }

    private static async Task DiscardAsync(HttpContext context)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Marketing.Sdk.Dashboard");
        if (!await AntiforgeryAsync(context, logger).ConfigureAwait(false))
        {
            return;
        }
        if (!long.TryParse(context.Request.RouteValues["id"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !await context.RequestServices.GetRequiredService<DashboardDataService>().DiscardDeadLetterAsync(id, context.RequestAborted).ConfigureAwait(false))
        {
            Log.WriteRefused(logger, "no discardable dead letter with this id");
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No discardable dead letter has this id.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await context.Response.WriteAsJsonAsync(new DiscardResult(id, true), DashboardJsonContext.Default.DiscardResult, contentType: null, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ToggleJourneyAsync(HttpContext context, bool paused)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Marketing.Sdk.Dashboard");
        if (!await AntiforgeryAsync(context, logger).ConfigureAwait(false))
        {
            return;
        }
        var journey = context.Request.RouteValues["journey"]?.ToString() ?? "";
        if (await context.RequestServices.GetRequiredService<DashboardDataService>().SetJourneyPausedAsync(journey, paused, context.RequestAborted).ConfigureAwait(false) is not { } result)
        {
            Log.WriteRefused(logger, "no configured journey with this id");
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No configured journey has this id.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await context.Response.WriteAsJsonAsync(result, DashboardJsonContext.Default.JourneyToggleResult, contentType: null, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task RetryAsync(HttpContext context)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Marketing.Sdk.Dashboard");
        if (!await AntiforgeryAsync(context, logger).ConfigureAwait(false))
        {
            return;
        }
        if (!long.TryParse(context.Request.RouteValues["id"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            await Results.NotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var requeued = await context.RequestServices.GetRequiredService<DashboardDataService>().RetryDeadLetterAsync(id, context.RequestAborted).ConfigureAwait(false);
        if (!requeued)
        {
            Log.WriteRefused(logger, "no retryable dead letter with this id");
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No retryable dead letter has this id.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await context.Response.WriteAsJsonAsync(new RetryResult(id, true), DashboardJsonContext.Default.RetryResult, contentType: null, context.RequestAborted).ConfigureAwait(false);
    }

    private static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    private static async Task WriteShellAsync(HttpContext context, string root, string page)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<MarketingDashboardOptions>>().Value;
        var language = DashboardStrings.Choose(context);
        var (strings, json) = DashboardStrings.For(language);
        var canWrite = await CanWriteAsync(context).ConfigureAwait(false);
        var token = canWrite ? context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context).RequestToken : null;
        var html = Html;
        var basePath = context.Request.PathBase.Add(new PathString(root)).Value ?? "";
        var b = new StringBuilder(4096);
        b.Append("<!DOCTYPE html>\n<html lang=\"").Append(html.Encode(language)).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(html.Encode(options.Title)).Append(" · ").Append(html.Encode(strings["nav." + page])).Append("</title>")
            .Append("<link rel=\"icon\" href=\"data:,\">")
            .Append("<link rel=\"stylesheet\" href=\"").Append(html.Encode(basePath)).Append("/assets/dashboard.css\"></head>\n")
            .Append("<body data-page=\"").Append(page).Append("\" data-api=\"").Append(html.Encode(basePath)).Append("/api\" data-refresh-ms=\"")
            .Append(((long)options.RefreshInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))
            .Append("\" data-can-write=\"").Append(canWrite ? "true" : "false").Append("\">\n")
            .Append("<script type=\"application/json\" id=\"dashboard-strings\">").Append(json.Replace("</", "<\\/", StringComparison.Ordinal)).Append("</script>\n");
        if (token is not null)
        {
            b.Append("<input type=\"hidden\" id=\"dashboard-antiforgery\" value=\"").Append(html.Encode(token)).Append("\">\n");
        }
        b.Append("<header><h1>").Append(html.Encode(options.Title)).Append("</h1><nav>");
        foreach (var p in Pages)
        {
            b.Append("<a href=\"").Append(html.Encode(basePath)).Append(p == "overview" ? "/" : "/" + p).Append('"')
                .Append(p == page ? " class=\"current\" aria-current=\"page\"" : "").Append('>').Append(html.Encode(strings["nav." + p])).Append("</a>");
        }
        b.Append("</nav><span class=\"status\"><span id=\"dashboard-updated\"></span> <button type=\"button\" id=\"dashboard-refresh\">")
            .Append(html.Encode(strings["common.refresh"])).Append("</button></span></header>\n")
            .Append("<main id=\"dashboard-content\"><p class=\"loading\">").Append(html.Encode(strings["common.loading"])).Append("</p></main>\n")
            .Append("<script src=\"").Append(html.Encode(basePath)).Append("/assets/echarts/echarts.min.js\"></script>\n")
            .Append("<script src=\"").Append(html.Encode(basePath)).Append("/assets/dashboard.js\"></script>\n</body></html>\n");
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        NoStore(response);
        response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers.ContentLanguage = language;
        response.Headers.Vary = "Accept-Language, Cookie";
        await response.WriteAsync(b.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType, string ETag)> Assets = LoadAssets();

    private static FrozenDictionary<string, (byte[], string, string)> LoadAssets()
    {
        const string Prefix = "Marketing.Sdk.Dashboard.wwwroot.";
        var assembly = typeof(MarketingDashboardOptions).Assembly;
        var assets = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            var type = Path.GetExtension(path) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "text/plain; charset=utf-8",
            };
            assets[path] = (content, type, "\"" + Convert.ToHexString(SHA256.HashData(content), 0, 16) + "\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static async Task ServeAssetAsync(HttpContext context)
    {
        var path = context.Request.RouteValues["path"]?.ToString() ?? "";
        if (!Assets.TryGetValue(path, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        await response.Body.WriteAsync(asset.Content, context.RequestAborted).ConfigureAwait(false);
    }
}
