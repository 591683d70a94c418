using System.Globalization;
using System.Threading.RateLimiting;
using Marketing.Sdk;
using Marketing.Sdk.AspNetCore;
using Marketing.Sdk.AspNetCore.Problems;
using Marketing.Sdk.AspNetCore.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ASP.NET Core integration: <c>m.AddWebTracking()</c> and <c>services.AddMarketingProblemDetails()</c>.</summary>
public static class AspNetCoreMarketingBuilderExtensions
{
    /// <summary>
    /// Registers what <c>app.MapMarketingTracking()</c> needs: validated <see cref="MarketingTrackingOptions"/>,
    /// the default <see cref="ClaimsTrackingIdentityResolver"/> (register your own
    /// <see cref="ITrackingIdentityResolver"/> to replace it) and the rate-limiting policy. A second call is harmless.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWebTracking(this IMarketingBuilder builder) => builder.AddWebTracking(_ => { });

    /// <summary>Registers the tracking endpoints' services with options bound from a configuration section (e.g. <c>Marketing:Tracking</c>).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWebTracking(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.Configure<MarketingTrackingOptions>(section);
        return builder.AddWebTracking(_ => { });
    }

    /// <summary>Registers the tracking endpoints' services and configures their options.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddWebTracking(this IMarketingBuilder builder, Action<MarketingTrackingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<MarketingTrackingOptions>().Configure(configure).ValidateOnStart();
        if (services.Any(d => d.ServiceType == typeof(TrackingRegistered)))
        {
            return builder;
        }
        services.AddSingleton<TrackingRegistered>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MarketingTrackingOptions>, MarketingTrackingOptionsValidator>());
        services.TryAddSingleton<ITrackingIdentityResolver, ClaimsTrackingIdentityResolver>();
        services.AddMetrics();
        services.TryAddSingleton<AspNetCoreMetrics>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(MarketingTrackingEndpointRouteBuilderExtensions.RateLimitPolicy, context =>
            {
                var rate = context.RequestServices.GetRequiredService<IOptions<MarketingTrackingOptions>>().Value.RateLimit;
                var caller = context.User.Identity?.IsAuthenticated == true && context.User.Identity.Name is { Length: > 0 } name
                    ? "user:" + name
                    : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                return RateLimitPartition.GetFixedWindowLimiter(caller, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = rate.PermitLimit,
                    Window = rate.Window,
                    QueueLimit = rate.QueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
            });
            var previous = o.OnRejected;
            o.OnRejected = async (context, cancellationToken) =>
            {
                if (previous is not null)
                {
                    await previous(context, cancellationToken).ConfigureAwait(false);
                    if (context.HttpContext.Response.HasStarted)
                    {
                        return;
                    }
                }
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : (TimeSpan?)null;
                var problem = new MarketingProblem(StatusCodes.Status429TooManyRequests, MarketingProblemTypes.TooManyRequests,
                    MarketingProblem.TitleOf(MarketingProblemTypes.TooManyRequests), "This caller sent more tracking requests than the rate limit allows.", "rate_limit.exceeded",
                    RetryAfter: retry ?? TimeSpan.FromSeconds(1));
                await MarketingExceptionHandler.WriteAsync(context.HttpContext, context.HttpContext.RequestServices.GetService<IProblemDetailsService>(), problem).ConfigureAwait(false);
            };
        });
        return builder;
    }

    /// <summary>
    /// Answers every library exception family — and JSON bodies the framework cannot read — with an
    /// RFC 9457 ProblemDetails body that has a stable <c>type</c>, the field and the reason (never the
    /// value), in every environment: validation → 400, not found → 404, conflicts → 409, transient
    /// platform or store failures → 503 with <c>Retry-After</c>, anything else → 500 with a trace id.
    /// Call <c>app.UseMarketingProblemDetails()</c> (or <c>app.UseExceptionHandler()</c> and
    /// <c>app.UseStatusCodePages()</c>) in the pipeline. A second call is harmless.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options, if needed.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMarketingProblemDetails(this IServiceCollection services, Action<MarketingProblemDetailsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MarketingProblemDetailsOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        if (services.Any(d => d.ServiceType == typeof(ProblemDetailsRegistered)))
        {
            return services;
        }
        services.AddSingleton<ProblemDetailsRegistered>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MarketingProblemDetailsOptions>, MarketingProblemDetailsOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<AspNetCoreMetrics>();
        services.AddProblemDetails(o =>
        {
            var previous = o.CustomizeProblemDetails;
            o.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);
                context.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
            };
        });
        services.AddExceptionHandler<MarketingExceptionHandler>();
        // Body binding failures are thrown (and answered as ProblemDetails by the handler) instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Configures the ProblemDetails options from a configuration section (e.g. <c>Marketing:ProblemDetails</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMarketingProblemDetails(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<MarketingProblemDetailsOptions>(section);
        return services.AddMarketingProblemDetails();
    }

    private sealed class TrackingRegistered;

    private sealed class ProblemDetailsRegistered;
}
