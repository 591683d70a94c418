using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Segmentation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the segmentation package.</summary>
public static class SegmentationMarketingBuilderExtensions
{
    /// <summary>Adds the segmentation package with default settings; see the <c>Action&lt;SegmentationOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddSegmentation(this IMarketingBuilder builder) => builder.AddSegmentation(_ => { });

    /// <summary>
    /// Adds <see cref="ISegmentService"/> (singleton), an <see cref="IMarketingEventListener"/> that
    /// re-evaluates a customer's segments when their events arrive, an <see cref="IProfileMergeListener"/>
    /// that moves memberships along with merges, an <see cref="IPersonalDataEraser"/> for the recorded
    /// memberships, the hosted refresh of rolling windows (off unless
    /// <see cref="SegmentationOptions.RefreshInterval"/> is set) and the hosted republish sweep of changes whose
    /// host stopped before every listener had them (<see cref="SegmentationOptions.RepublishAfter"/>). Definitions and memberships are kept in
    /// the <see cref="Marketing.Sdk.Storage.IStateStore"/>, so they survive restarts and are shared by every
    /// host on the same store. Needs the stores and the <see cref="Marketing.Sdk.Storage.ILeaseStore"/> that
    /// <c>AddMarketingSdk</c> (and a storage provider) register. Calling it twice is harmless.
    /// </summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="configure">Adjusts the options (validated at start).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddSegmentation(this IMarketingBuilder builder, Action<SegmentationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<SegmentationOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SegmentationOptions>, SegmentationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISegmentService>(sp => ActivatorUtilities.CreateInstance<SegmentService>(sp));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, SegmentEventListener>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, SegmentMergeListener>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, SegmentationDataEraser>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SegmentRefreshService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SegmentChangeRepublisher>());
        return builder;
    }

    /// <summary>Adds the segmentation package with settings bound from configuration (validated on start); see the <c>Action&lt;SegmentationOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">The section holding <see cref="SegmentationOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<SegmentationOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<SegmentationOptions> overload for native AOT.")]
    public static IMarketingBuilder AddSegmentation(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<SegmentationOptions>().Bind(section);
        return builder.AddSegmentation(_ => { });
    }
}
