using Marketing.Sdk;
using Marketing.Sdk.Dashboard;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the marketing dashboard from the SDK builder: <c>m.AddDashboard()</c> (the same as <c>services.AddMarketingDashboard()</c>).</summary>
public static class DashboardMarketingBuilderExtensions
{
    /// <summary>Adds the dashboard with settings configured elsewhere (validated on start); map it with <c>app.MapMarketingDashboard()</c>.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddDashboard(this IMarketingBuilder builder) => builder.AddDashboard(_ => { });

    /// <summary>Adds the dashboard (see <see cref="MarketingDashboardServiceCollectionExtensions.AddMarketingDashboard(IServiceCollection, Action{MarketingDashboardOptions})"/>).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the dashboard.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddDashboard(this IMarketingBuilder builder, Action<MarketingDashboardOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMarketingDashboard(configure);
        return builder;
    }

    /// <summary>Adds the dashboard with settings bound from configuration (validated on start).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="MarketingDashboardOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddDashboard(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMarketingDashboard(section);
        return builder;
    }
}
