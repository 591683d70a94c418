using Marketing.Sdk;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Marketing.Sdk in a service collection.</summary>
public static class MarketingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Marketing.Sdk core (event collector, identity resolution, profiles) and runs
    /// <paramref name="configure"/> to add packages and pick stores. Stores default to thread-safe
    /// in-memory ones when no provider (e.g. <c>UseSqlite</c>) is chosen. Calling it again is harmless:
    /// registrations use <c>TryAdd</c> and the second builder extends the first.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds packages and options, e.g. <c>m =&gt; m.UseSqlite("Data Source=marketing.db").AddSegmentation()</c>.</param>
    /// <returns>The builder, for further configuration.</returns>
    public static IMarketingBuilder AddMarketingSdk(this IServiceCollection services, Action<IMarketingBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new MarketingBuilder(services);
        configure?.Invoke(builder);

        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging(); // idempotent; lets every package take ILogger<T> in hosts without logging set up
        services.AddOptions<IngestionOptions>().ValidateOnStart();
        services.AddOptions<IdentityResolutionOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdentityResolutionOptions>, IdentityResolutionOptionsValidator>());

        services.TryAddSingleton<IProfileStore, InMemoryProfileStore>();
        services.TryAddSingleton<IEventStore, InMemoryEventStore>();
        services.TryAddSingleton<IIdentityGraphStore, InMemoryIdentityGraphStore>();
        services.TryAddSingleton(sp => new InMemoryOutboxStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<InMemoryConsentStore>();
        services.TryAddSingleton<IOutboxStore>(sp => sp.GetRequiredService<InMemoryOutboxStore>());
        services.TryAddSingleton<IConsentStore>(sp => sp.GetRequiredService<InMemoryConsentStore>());
        services.TryAddSingleton<IAuditLogStore, InMemoryAuditLogStore>();
        services.TryAddSingleton<InMemoryTransactionalOutbox>();
        services.TryAddSingleton<ITransactionalOutbox>(sp => sp.GetRequiredService<InMemoryTransactionalOutbox>());
        services.TryAddSingleton<ICustomerDataEraser>(sp => sp.GetRequiredService<InMemoryTransactionalOutbox>());

        services.TryAddSingleton<IngestionMetrics>();
        services.TryAddSingleton<IdentityNormalizer>();
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton<BotDetector>();
        services.TryAddSingleton<IIdentityResolver, IdentityResolver>();
        services.TryAddSingleton<IProfileService, ProfileService>();
        services.TryAddSingleton<IEventCollector, EventCollector>();
        return builder;
    }

    /// <summary>Configures event validation and cleaning.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    public static IMarketingBuilder ConfigureIngestion(this IMarketingBuilder builder, Action<IngestionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Binds event validation and cleaning options from configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="section">A configuration section with <see cref="IngestionOptions"/> keys.</param>
    public static IMarketingBuilder ConfigureIngestion(this IMarketingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<IngestionOptions>(section);
        return builder;
    }

    /// <summary>Configures identity-resolution rules.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the options.</param>
    public static IMarketingBuilder ConfigureIdentityResolution(this IMarketingBuilder builder, Action<IdentityResolutionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Registers a region resolver for events that carry an IP address but no region.</summary>
    /// <typeparam name="TResolver">The resolver type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder UseGeoResolver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TResolver>(this IMarketingBuilder builder) where TResolver : class, IGeoResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IGeoResolver, TResolver>());
        return builder;
    }

    /// <summary>Registers a listener that receives every batch of accepted events.</summary>
    /// <typeparam name="TListener">The listener type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddEventListener<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TListener>(this IMarketingBuilder builder) where TListener : class, IMarketingEventListener
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IMarketingEventListener, TListener>());
        return builder;
    }

    /// <summary>
    /// Registers a listener that identity resolution tells about each committed profile merge, so it can
    /// move its per-customer state to the survivor. Call once per listener type.
    /// </summary>
    /// <typeparam name="TListener">The listener type (registered as a singleton).</typeparam>
    /// <param name="builder">The builder.</param>
    public static IMarketingBuilder AddProfileMergeListener<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TListener>(this IMarketingBuilder builder) where TListener : class, IProfileMergeListener
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProfileMergeListener, TListener>());
        return builder;
    }

    private sealed class MarketingBuilder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
