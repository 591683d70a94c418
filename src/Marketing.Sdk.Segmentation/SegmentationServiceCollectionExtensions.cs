using Marketing.Sdk;
using Marketing.Sdk.Segmentation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the segmentation package.</summary>
public static class SegmentationMarketingBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ISegmentService"/> (singleton) and an <see cref="IMarketingEventListener"/> that
    /// re-evaluates a customer's segments when their events arrive. Needs an
    /// <see cref="Marketing.Sdk.Storage.IProfileStore"/> and <see cref="Marketing.Sdk.Storage.IEventStore"/>
    /// registered by a store provider. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="configure">Adjusts the options (validated at start).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddSegmentation(this IMarketingBuilder builder, Action<SegmentationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<SegmentationOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SegmentationOptions>, SegmentationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISegmentService>(sp => ActivatorUtilities.CreateInstance<SegmentService>(sp));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, SegmentEventListener>());
        return builder;
    }
}
