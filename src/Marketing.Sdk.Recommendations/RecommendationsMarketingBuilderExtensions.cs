using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Recommendations;
using Microsoft.Extensions.Configuration;
using System.Diagnostics.Metrics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the recommendations package on the Marketing.Sdk builder.</summary>
public static class RecommendationsMarketingBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IRecommender"/>, <see cref="RecommendationTrainer"/> (needs an <c>IEventStore</c>),
    /// the <see cref="RecommendationModelHolder"/>, an event listener that updates the model
    /// incrementally, the <see cref="IRecommendationModelStore"/> over the host's <c>IStateStore</c>
    /// and a hosted service that loads the current model version at start, picks up newer ones every
    /// <see cref="RecommendationOptions.ModelCheckInterval"/> and, with
    /// <see cref="RecommendationOptions.RetrainInterval"/>, retrains on one host at a time. The default rule pipeline (pinned, in stock, exclude purchased, price band,
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
        services.TryAddSingleton(sp => new RecommendationMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<RecommendationModelHolder>();
        services.TryAddSingleton<IRecommendationModelStore, StateStoreRecommendationModelStore>();
        services.TryAddSingleton<RecommendationModelSync>();
        services.TryAddSingleton<IRecommender>(sp => new Recommender(
            sp.GetRequiredService<RecommendationModelHolder>(), sp.GetServices<IRecommendationRule>(), sp.GetRequiredService<IOptions<RecommendationOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Recommender>>(), sp.GetService<IProfileStore>(),
            sp.GetRequiredService<RecommendationModelSync>(), sp.GetService<IEventStore>(), sp.GetService<IRecommendationCatalog>(), sp.GetRequiredService<RecommendationMetrics>()));
        services.TryAddSingleton(sp => new RecommendationTrainer(
            sp.GetRequiredService<RecommendationModelHolder>(), sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IOptions<RecommendationOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RecommendationTrainer>>(), sp.GetRequiredService<IRecommendationModelStore>(),
            sp.GetService<IRecommendationCatalog>(), sp.GetRequiredService<RecommendationMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, RecommendationEventListener>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RecommendationModelHostedService>());
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
