using System.Diagnostics.CodeAnalysis;
using Marketing.Sdk;
using Marketing.Sdk.Experimentation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the experimentation package on the Marketing.Sdk builder.</summary>
public static class ExperimentationMarketingBuilderExtensions
{
    /// <summary>
    /// Adds experiment assignment (<see cref="IExperimentAssigner"/>), exposure logging
    /// (<see cref="IExposureLogger"/>, <see cref="IExperimentClient"/>) and analysis
    /// (<see cref="IExperimentAnalyzer"/>). Calling it again is harmless.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    public static ExperimentationBuilder AddExperimentation(this IMarketingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ExperimentationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ExperimentationOptions>, ExperimentationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IExperimentAssigner, ExperimentAssigner>();
        services.TryAddSingleton<IExposureLogger, EventExposureLogger>();
        services.TryAddSingleton<IExperimentClient, ExperimentClient>();
        services.TryAddSingleton<IExperimentAnalyzer>(sp => new ExperimentAnalyzer(sp.GetRequiredService<IOptions<ExperimentationOptions>>().Value.Analysis));
        return new ExperimentationBuilder(services);
    }

    /// <summary>Adds experimentation and configures its options.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Adds experiments and holdouts, sets analysis options.</param>
    public static ExperimentationBuilder AddExperimentation(this IMarketingBuilder builder, Action<ExperimentationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var result = builder.AddExperimentation();
        builder.Services.Configure(configure);
        return result;
    }

    /// <summary>Adds experimentation with settings bound from configuration (validated on start); see the <c>Action&lt;ExperimentationOptions&gt;</c> overload.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The section holding <see cref="ExperimentationOptions"/>'s properties.</param>
    [RequiresUnreferencedCode("Binds the options by reflection; use the Action<ExperimentationOptions> overload when trimming.")]
    [RequiresDynamicCode("Binds the options by reflection; use the Action<ExperimentationOptions> overload for native AOT.")]
    public static ExperimentationBuilder AddExperimentation(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var result = builder.AddExperimentation();
        builder.Services.AddOptions<ExperimentationOptions>().Bind(section);
        return result;
    }
}

/// <summary>Further configuration of the experimentation package; it is also an <see cref="IMarketingBuilder"/>, so the <c>AddMarketingSdk(m =&gt; m…)</c> chain continues after it.</summary>
public sealed class ExperimentationBuilder : IMarketingBuilder
{
    internal ExperimentationBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds an experiment defined in code.</summary>
    /// <param name="experiment">The definition.</param>
    public ExperimentationBuilder AddExperiment(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        Services.Configure<ExperimentationOptions>(o => o.Experiments.Add(experiment));
        return this;
    }

    /// <summary>Adds a holdout group.</summary>
    /// <param name="holdout">The definition.</param>
    public ExperimentationBuilder AddHoldout(HoldoutDefinition holdout)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        Services.Configure<ExperimentationOptions>(o => o.Holdouts.Add(holdout));
        return this;
    }

    /// <summary>Adds the experiments and holdouts of a JSON catalog (parsed and validated now).</summary>
    /// <param name="json">Catalog JSON (see <see cref="ExperimentCatalog"/>).</param>
    /// <exception cref="MarketingValidationException">The JSON or a definition is invalid.</exception>
    public ExperimentationBuilder AddCatalogJson(string json)
    {
        var catalog = ExperimentCatalog.FromJson(json);
        Services.Configure<ExperimentationOptions>(o => o.AddCatalog(catalog));
        return this;
    }

    /// <summary>Sends exposure events to a sink type (e.g. an adapter over the host's event collector).</summary>
    /// <typeparam name="TSink">The sink; registered as a singleton.</typeparam>
    public ExperimentationBuilder AddExposureSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>() where TSink : class, IExposureEventSink
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IExposureEventSink, TSink>());
        return this;
    }

    /// <summary>Sends exposure events to a delegate.</summary>
    /// <param name="write">Receives each <c>experiment_exposure</c> event.</param>
    public ExperimentationBuilder AddExposureSink(Func<MarketingEvent, CancellationToken, ValueTask> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Services.AddSingleton<IExposureEventSink>(new DelegateExposureEventSink(write));
        return this;
    }
}
