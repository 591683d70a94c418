using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Marketing.Sdk;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the lifecycle package.</summary>
public static class LifecycleMarketingBuilderExtensions
{
    /// <summary>Adds lifecycle stages and journeys with default settings.</summary>
    /// <param name="builder">The SDK builder.</param>
    public static IMarketingBuilder AddLifecycle(this IMarketingBuilder builder) => builder.AddLifecycle(_ => { });

    /// <summary>
    /// Adds lifecycle stages (<see cref="LifecycleStageTracker"/>) and journeys (<see cref="JourneyEngine"/>),
    /// both as event listeners and profile-merge listeners, the engine also as a segment-membership listener; the built-in consent
    /// and quiet-hours gates; a background scheduler (one host at a time, under an <see cref="ILeaseStore"/> lease); an <see cref="IPersonalDataEraser"/> that removes a
    /// customer's lifecycle state on a data-subject erasure; and a process-local state store when the host
    /// registered no <see cref="IStateStore"/>. Calling it again only adds configuration.
    /// </summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="configure">Configures stages and journeys (e.g. <c>o =&gt; o.Journeys.Add("cart", j =&gt; …)</c>).</param>
    public static IMarketingBuilder AddLifecycle(this IMarketingBuilder builder, Action<LifecycleOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<LifecycleOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LifecycleOptions>, LifecycleOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LifecycleStageTracker>();
        services.TryAddSingleton<JourneyStateStore>();
        services.TryAddSingleton<JourneyActionExecutor>();
        services.TryAddSingleton<JourneyConditionEvaluator>();
        services.TryAddSingleton<AnniversaryScanner>();
        // The engine's parts are internal, so its part-taking constructor is too: the container cannot pick it itself.
        services.TryAddSingleton(sp => new JourneyEngine(
            sp.GetRequiredService<IOptions<LifecycleOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<JourneyStateStore>(),
            sp.GetRequiredService<JourneyActionExecutor>(),
            sp.GetRequiredService<JourneyConditionEvaluator>(),
            sp.GetRequiredService<AnniversaryScanner>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<ILogger<JourneyEngine>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, LifecycleStageTracker>(sp => sp.GetRequiredService<LifecycleStageTracker>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, JourneyEngine>(sp => sp.GetRequiredService<JourneyEngine>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISegmentMembershipListener, JourneyEngine>(sp => sp.GetRequiredService<JourneyEngine>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, LifecycleStageTracker>(sp => sp.GetRequiredService<LifecycleStageTracker>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, JourneyEngine>(sp => sp.GetRequiredService<JourneyEngine>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJourneyActionGate, ConsentSummaryGate>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJourneyActionGate, QuietHoursGate>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JourneySchedulerService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, LifecycleDataEraser>());
        return builder;
    }

    /// <summary>Adds the lifecycle package with settings bound from configuration (validated on start); see the <c>Action&lt;LifecycleOptions&gt;</c> overload.</summary>
    /// <param name="builder">The SDK builder.</param>
    /// <param name="section">The section holding <see cref="LifecycleOptions"/>'s properties.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<LifecycleOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<LifecycleOptions> overload for native AOT.")]
    public static IMarketingBuilder AddLifecycle(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<LifecycleOptions>().Bind(section);
        return builder.AddLifecycle(_ => { });
    }
}
