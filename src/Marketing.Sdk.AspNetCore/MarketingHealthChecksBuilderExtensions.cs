using Marketing.Sdk.AspNetCore.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks of Marketing.Sdk: <c>services.AddHealthChecks().AddMarketingHealthChecks()</c>.</summary>
public static class MarketingHealthChecksBuilderExtensions
{
    /// <summary>The tags every Marketing.Sdk health check carries.</summary>
    public static readonly IReadOnlyList<string> Tags = ["marketing", "ready"];

    /// <summary>
    /// Adds <c>marketing-database</c> (reachable and migrated), <c>marketing-outbox</c> (backlog age
    /// and dead letters per destination against <see cref="MarketingHealthCheckOptions"/>) and
    /// <c>marketing-platform-tokens</c> (each registered token provider hands out a token).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Configures the thresholds, if needed.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMarketingHealthChecks(this IHealthChecksBuilder builder, Action<MarketingHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<MarketingHealthCheckOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MarketingHealthCheckOptions>, MarketingHealthCheckOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.Configure<HealthCheckServiceOptions>(o =>
        {
            void Add<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] T>(string name) where T : class, IHealthCheck
            {
                if (!o.Registrations.Any(r => r.Name == name))
                {
                    o.Registrations.Add(new HealthCheckRegistration(name, sp => ActivatorUtilities.CreateInstance<T>(sp), HealthStatus.Unhealthy, Tags));
                }
            }
            Add<MarketingDatabaseHealthCheck>("marketing-database");
            Add<MarketingOutboxHealthCheck>("marketing-outbox");
            Add<MarketingTokenHealthCheck>("marketing-platform-tokens");
        });
        return builder;
    }

    /// <summary>Adds the health checks with thresholds bound from a configuration section (e.g. <c>Marketing:HealthChecks</c>).</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="section">The section.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMarketingHealthChecks(this IHealthChecksBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.Configure<MarketingHealthCheckOptions>(section);
        return builder.AddMarketingHealthChecks();
    }
}
