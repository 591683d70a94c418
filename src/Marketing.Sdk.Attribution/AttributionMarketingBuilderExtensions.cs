using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Attribution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the attribution package on the marketing builder.</summary>
public static class AttributionMarketingBuilderExtensions
{
    /// <summary>Adds the attribution package with default settings; see the <c>Action&lt;AttributionOptions&gt;</c> overload.</summary>
    /// <param name="builder">The marketing builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddAttribution(this IMarketingBuilder builder) => builder.AddAttribution(_ => { });

    /// <summary>
    /// Adds paths, attribution models (<see cref="AttributionModelSet"/>), funnels, KPIs and the
    /// budget rule engine (ROI floor, stock pause, 70/20/10 split, marginal-ROAS reallocation,
    /// audience bids). Options are validated on start. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The marketing builder.</param>
    /// <param name="configure">Configures <see cref="AttributionOptions"/>.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddAttribution(this IMarketingBuilder builder, Action<AttributionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<AttributionOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AttributionOptions>, AttributionOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PathBuilder(sp.GetRequiredService<IOptions<AttributionOptions>>().Value.Paths));
        services.TryAddSingleton(sp => new AttributionModelSet(sp.GetRequiredService<IOptions<AttributionOptions>>()));
        services.TryAddSingleton<FunnelAnalyzer>();
        services.TryAddSingleton<KpiCalculator>();
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AttributionOptions>>().Value;
            IBudgetRule[] rules =
            [
                new StockPauseRule(o.StockPauseThreshold),
                new RoiFloorRule(o.RoiFloor),
                new ExploreExploitSplitRule(o.ProvenShare, o.TestShare),
                new MarginalRoasReallocationRule(),
                new AudienceBidRule(),
            ];
            return new BudgetRuleEngine(rules, sp.GetRequiredService<TimeProvider>());
        });
        return builder;
    }

    /// <summary>Adds the attribution package with settings bound from configuration (validated on start); see the <c>Action&lt;AttributionOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">The section holding <see cref="AttributionOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<AttributionOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<AttributionOptions> overload for native AOT.")]
    public static IMarketingBuilder AddAttribution(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<AttributionOptions>().Bind(section);
        return builder.AddAttribution(_ => { });
    }
}
