using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the content package on the Marketing.Sdk builder.</summary>
public static class ContentMarketingBuilderExtensions
{
    /// <summary>
    /// Adds the template registry (<see cref="ContentTemplateRegistry"/>, compiled with the limits of
    /// <see cref="ContentOptions"/>) and the review gate (<see cref="ContentReviewGate"/>, over the registered
    /// <see cref="AdCopyReviewer"/> or the default lexicons). Calling it again is harmless.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    public static IMarketingBuilder AddContent(this IMarketingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ContentOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ContentOptions>, ContentOptionsValidator>());
        services.TryAddSingleton(sp => AdCopyReviewer.CreateDefault([.. sp.GetServices<AdCopyLexicon>()]));
        services.TryAddSingleton(sp => new ContentTemplateRegistry(sp.GetRequiredService<IOptions<ContentOptions>>().Value.Limits));
        services.TryAddSingleton(sp => new ContentReviewGate(sp.GetRequiredService<AdCopyReviewer>()));
        return builder;
    }

    /// <summary>Adds the content package and configures its options.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Sets the template limits.</param>
    public static IMarketingBuilder AddContent(this IMarketingBuilder builder, Action<ContentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var result = builder.AddContent();
        builder.Services.Configure(configure);
        return result;
    }

    /// <summary>Adds the content package with settings bound from configuration (validated on start); see the <c>Action&lt;ContentOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="ContentOptions"/>'s properties.</param>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<ContentOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<ContentOptions> overload for native AOT.")]
    public static IMarketingBuilder AddContent(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var result = builder.AddContent();
        builder.Services.AddOptions<ContentOptions>().Bind(section);
        return result;
    }
}
