using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Clicks;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the shared platform pipeline.</summary>
public static class PlatformsMarketingBuilderExtensions
{
    /// <summary>Adds the shared platform pipeline with the delivery settings configured elsewhere (validated on start); see the <c>Action&lt;PlatformDeliveryOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddPlatforms(this IMarketingBuilder builder) => builder.AddPlatforms(_ => { });

    /// <summary>
    /// Adds the conversion publisher (<see cref="IConversionPublisher"/>), the delivery worker and its
    /// background service. Platform packages (<c>AddMetaPlatform</c>, <c>AddGooglePlatform</c>,
    /// <c>AddTikTokPlatform</c>) call this themselves; call it to change the delivery settings. Needs
    /// an <see cref="IOutboxStore"/> (the in-memory, SQLite or PostgreSQL store) and an
    /// <see cref="IConsentGate"/> (<c>AddCompliance()</c>): nothing leaves without a consent check.
    /// Options are validated on start. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures delivery.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder AddPlatforms(this IMarketingBuilder builder, Action<PlatformDeliveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PlatformDeliveryOptions>().Configure(configure);
        return Register(builder);
    }

    /// <summary>Adds the shared platform pipeline with delivery settings bound from configuration (e.g. <c>Marketing:Platforms</c>; validated on start); see the <c>Action&lt;PlatformDeliveryOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="PlatformDeliveryOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<PlatformDeliveryOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<PlatformDeliveryOptions> overload for native AOT.")]
    public static IMarketingBuilder AddPlatforms(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<PlatformDeliveryOptions>().Bind(section);
        return Register(builder);
    }

    /// <summary>
    /// Configures the capture of ad click ids from landing URLs (<see cref="ClickIdOptions"/>: each platform's click
    /// window, the URL length bound, on/off; validated on start). The capture itself is part of the platform pipeline:
    /// events with a landing URL (<see cref="EventProperties.Url"/>) or a launch query (<see cref="EventProperties.LaunchQuery"/>)
    /// have their click ids kept per customer, and <see cref="IConversionPublisher"/> fills them into conversions
    /// published without them. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the capture.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder ConfigureClickIds(this IMarketingBuilder builder, Action<ClickIdOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<ClickIdOptions>().Configure(configure);
        return Register(builder);
    }

    private static IMarketingBuilder Register(IMarketingBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PlatformDeliveryOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlatformDeliveryOptions>, PlatformDeliveryOptionsValidator>());
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ClickIdOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClickIdOptions>, ClickIdOptionsValidator>());
        services.TryAddSingleton(sp => new ClickIdStore(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<IOptions<ClickIdOptions>>()));
        services.TryAddSingleton(sp => new ClickIdCapture(sp.GetRequiredService<ClickIdStore>(), sp.GetRequiredService<IOptions<ClickIdOptions>>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<ClickIdCapture>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, ClickIdCapture>(sp => sp.GetRequiredService<ClickIdCapture>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, ClickIdCapture>(sp => sp.GetRequiredService<ClickIdCapture>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, ClickIdDataEraser>(sp => new ClickIdDataEraser(sp.GetRequiredService<ClickIdStore>())));
        services.TryAddSingleton<IConversionPublisher>(sp => new ConversionPublisher(
            sp.GetServices<IConversionSink>(), sp.GetRequiredService<IOutboxStore>(), sp.GetService<ILogger<ConversionPublisher>>(), sp.GetRequiredService<ClickIdStore>()));
        services.TryAddSingleton(sp => new PlatformDeliveryWorker(
            sp.GetServices<IConversionSink>(), sp.GetRequiredService<IOutboxStore>(),
            sp.GetService<IConsentGate>() ?? throw new InvalidOperationException("Platform delivery needs a consent gate: add AddCompliance() to AddMarketingSdk."),
            sp.GetRequiredService<IOptions<PlatformDeliveryOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ILogger<PlatformDeliveryWorker>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PlatformDeliveryService>());
        return builder;
    }
}
