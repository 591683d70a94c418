using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Recommendations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the recommendations package on the Marketing.Sdk builder.</summary>
public static class RecommendationsMarketingBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IRecommender"/>, <see cref="RecommendationTrainer"/> (needs an <c>IEventStore</c>),
    /// the <see cref="RecommendationModelHolder"/> and an event listener that updates the model
    /// incrementally. The default rule pipeline (pinned, in stock, exclude purchased, price band,
    /// margin boost, category diversity — see <see cref="RecommendationRuleNames"/>) always runs;
    /// rules added with <see cref="AddRecommendationRule{TRule}"/> (or registered as
    /// <see cref="IRecommendationRule"/> singletons) run after it, and a default rule leaves it only
    /// through <see cref="RemoveDefaultRecommendationRule"/>. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddRecommendations(this IMarketingBuilder builder) => builder.AddRecommendations(_ => { });

    /// <summary>Adds the recommendations package with settings (validated on start).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the settings.</param>
    public static IMarketingBuilder AddRecommendations(this IMarketingBuilder builder, Action<RecommendationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<RecommendationOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecommendationOptions>, RecommendationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RecommendationModelHolder>();
        services.TryAddSingleton<IRecommender, Recommender>();
        services.TryAddSingleton<RecommendationTrainer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, RecommendationEventListener>());
        return builder;
    }

    /// <summary>Adds the recommendations package with settings bound from configuration (validated on start); see the <c>Action&lt;RecommendationOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">The section holding <see cref="RecommendationOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<RecommendationOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<RecommendationOptions> overload for native AOT.")]
    public static IMarketingBuilder AddRecommendations(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<RecommendationOptions>().Bind(section);
        return builder.AddRecommendations(_ => { });
    }

    /// <summary>
    /// Adds a business rule that runs after the default rules (in the order rules are added); a rule
    /// whose <see cref="IRecommendationRule.Name"/> is a default rule's name takes that rule's place.
    /// The default rules, <see cref="InStockRule"/> included, keep running.
    /// </summary>
    /// <typeparam name="TRule">The rule, resolved as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddRecommendationRule<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TRule>(this IMarketingBuilder builder)
        where TRule : class, IRecommendationRule
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IRecommendationRule, TRule>());
        return builder;
    }

    /// <summary>Leaves a default rule out of the pipeline (adds its name to <see cref="RecommendationOptions.RemovedDefaultRules"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">A name from <see cref="RecommendationRuleNames"/>; any other name fails options validation on start.</param>
    public static IMarketingBuilder RemoveDefaultRecommendationRule(this IMarketingBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.Configure<RecommendationOptions>(o =>
        {
            if (!o.RemovedDefaultRules.Contains(name, StringComparer.Ordinal))
            {
                o.RemovedDefaultRules.Add(name);
            }
        });
        return builder;
    }
}
