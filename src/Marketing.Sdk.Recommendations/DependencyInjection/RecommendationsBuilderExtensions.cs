using Marketing.Sdk;
using Marketing.Sdk.Recommendations;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the recommendations package on the Marketing.Sdk builder.</summary>
public static class RecommendationsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IRecommender"/>, <see cref="RecommendationTrainer"/> (needs an <c>IEventStore</c>),
    /// the <see cref="RecommendationModelHolder"/> and an event listener that updates the model
    /// incrementally. Register <see cref="IRecommendationRule"/> singletons to replace the default
    /// rule pipeline (pinned, in stock, exclude purchased, price band, margin boost, category diversity).
    /// Calling it twice is harmless.
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
}
