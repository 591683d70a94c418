using Marketing.Sdk.Dashboard;
using Marketing.Sdk.Dashboard.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the marketing dashboard: <c>services.AddMarketingDashboard()</c>, then <c>app.MapMarketingDashboard()</c>.</summary>
public static class MarketingDashboardServiceCollectionExtensions
{
    /// <summary>Adds the dashboard with settings configured elsewhere (validated on start); see the <c>Action&lt;MarketingDashboardOptions&gt;</c> overload.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMarketingDashboard(this IServiceCollection services) => services.AddMarketingDashboard(_ => { });

    /// <summary>
    /// Adds the dashboard's data service (aggregates from the SDK's stores and services registered by
    /// <c>AddMarketingSdk</c>; segmentation pages need <c>AddSegmentation()</c>), antiforgery for its write actions
    /// and authorization. Options are validated on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the dashboard (write policy, title, trend days, scan limits, refresh interval).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMarketingDashboard(this IServiceCollection services, Action<MarketingDashboardOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MarketingDashboardOptions>().Configure(configure);
        return Register(services);
    }

    /// <summary>Adds the dashboard with settings bound from configuration (validated on start); see the <c>Action&lt;MarketingDashboardOptions&gt;</c> overload.</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section holding <see cref="MarketingDashboardOptions"/>'s properties (the sample uses <c>Marketing:Dashboard</c>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMarketingDashboard(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<MarketingDashboardOptions>().Bind(section);
        return Register(services);
    }

    private static IServiceCollection Register(IServiceCollection services)
    {
        services.AddOptions<MarketingDashboardOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MarketingDashboardOptions>, MarketingDashboardOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DashboardDataService>();
        services.AddAntiforgery();
        services.AddAuthorization();
        return services;
    }
}
