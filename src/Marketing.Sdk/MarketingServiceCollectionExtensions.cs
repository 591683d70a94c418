using Marketing.Sdk;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
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
        services.TryAddSingleton<IIngestionStore>(sp => new InMemoryIngestionStore(
            sp.GetRequiredService<IProfileStore>(), sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IIdentityGraphStore>()));
        services.TryAddSingleton(sp => new InMemoryOutboxStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<InMemoryConsentStore>();
        services.TryAddSingleton<IOutboxStore>(sp => sp.GetRequiredService<InMemoryOutboxStore>());
        services.TryAddSingleton<IConsentStore>(sp => sp.GetRequiredService<InMemoryConsentStore>());
        services.TryAddSingleton<IAuditLogStore, InMemoryAuditLogStore>();
        services.TryAddSingleton<InMemoryTransactionalOutbox>();
        services.TryAddSingleton<ITransactionalOutbox>(sp => sp.GetRequiredService<InMemoryTransactionalOutbox>());
        services.TryAddSingleton<ICustomerDataEraser>(sp => sp.GetRequiredService<InMemoryTransactionalOutbox>());
        services.TryAddSingleton<IStateStore, InMemoryStateStore>();
        services.TryAddSingleton<ILeaseStore, StateStoreLeaseStore>();

        services.TryAddSingleton<IngestionMetrics>();
        services.TryAddSingleton<IdentityNormalizer>();
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton<BotDetector>();
        services.TryAddSingleton<IIdentityResolver, IdentityResolver>();
        services.TryAddSingleton<IProfileService, ProfileService>();
        services.TryAddSingleton<IEventCollector, EventCollector>();
        return builder;
    }

    private sealed class MarketingBuilder(IServiceCollection services) : IMarketingBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
