using Marketing.Sdk;
using Marketing.Sdk.Attribution;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the attribution package on the marketing builder.</summary>
public static class AttributionMarketingBuilderExtensions
{
    /// <summary>
    /// Adds paths, attribution models (<see cref="AttributionModelSet"/>), funnels, KPIs and the
    /// budget rule engine (ROI floor, stock pause, 70/20/10 split, marginal-ROAS reallocation,
    /// audience bids). Options are validated on start. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The marketing builder.</param>
    /// <param name="configure">Optional configuration of <see cref="AttributionOptions"/>.</param>
    public static IMarketingBuilder AddAttribution(this IMarketingBuilder builder, Action<AttributionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<AttributionOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
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
}
