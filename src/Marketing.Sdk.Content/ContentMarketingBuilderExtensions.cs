using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content;
using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the content package on the Marketing.Sdk builder.</summary>
public static class ContentMarketingBuilderExtensions
{
    /// <summary>
    /// Adds the template registry (<see cref="ContentTemplateRegistry"/>, compiled with the limits of
    /// <see cref="ContentOptions"/>) and the review gate (<see cref="ContentReviewGate"/>, over the registered
    /// <see cref="AdCopyReviewer"/> or the default lexicons), the template store (<see cref="ContentTemplateStore"/>, over the
    /// registered <see cref="IStateStore"/>) and the generator (<see cref="ContentGenerator"/>, over the <see cref="IChatClient"/>
    /// the host registers — resolved when the generator is first asked for, so hosts without a model need none).
    /// Calling it again is harmless.
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
        services.TryAddSingleton(BriefRedactor.Default);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ContentOptions>>().Value;
            return new ContentTemplateStore(sp.GetRequiredService<IStateStore>(), sp.GetService<TimeProvider>(), options.Limits, options.TemplateHistory, sp.GetService<ILogger<ContentTemplateStore>>());
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ContentOptions>>().Value.Generation;
            var client = options.ChatClientKey is { } key ? sp.GetRequiredKeyedService<IChatClient>(key) : sp.GetRequiredService<IChatClient>();
            return new ContentGenerator(client, sp.GetRequiredService<ContentReviewGate>(), options, sp.GetRequiredService<BriefRedactor>(),
                sp.GetService<TimeProvider>(), sp.GetService<IMeterFactory>(), sp.GetService<ILogger<ContentGenerator>>());
        });
        return builder;
    }

    /// <summary>Adds the content package and configures its options.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Sets the template limits, the template history and the generation settings.</param>
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
