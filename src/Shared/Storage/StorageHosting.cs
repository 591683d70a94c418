using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>Applies migrations when the host starts.</summary>
internal sealed class MigrationHostedService(IStorageMigrator migrator, Func<bool> enabled) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (enabled())
        {
            await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Applied {Provider} schema migration {Version} ({Description}).")]
    public static partial void MigrationApplied(ILogger logger, string provider, int version, string description);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Debug, Message = "{Provider} schema is up to date at version {Version}.")]
    public static partial void SchemaUpToDate(ILogger logger, string provider, int version);
}

/// <summary>One schema migration.</summary>
internal sealed record Migration(int Version, string Description, string Sql);

/// <summary>Registers a relational provider's stores, replacing the in-memory defaults.</summary>
internal static class RelationalRegistration
{
    public static void AddRelationalStores<TDatabase>(
        Microsoft.Extensions.DependencyInjection.IServiceCollection services,
        Func<IServiceProvider, TDatabase> createDatabase,
        Func<IServiceProvider, bool> migrateOnStart)
        where TDatabase : RelationalDatabase, IStorageMigrator
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(createDatabase);
        services.TryAddSingleton(sp => new RelationalStoreSet(sp.GetRequiredService<TDatabase>()));
        services.Replace(ServiceDescriptor.Singleton<IProfileStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Profiles));
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Events));
        services.Replace(ServiceDescriptor.Singleton<IIdentityGraphStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Identities));
        services.Replace(ServiceDescriptor.Singleton<IIngestionStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Ingestion));
        services.Replace(ServiceDescriptor.Singleton<IConsentStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Consents));
        services.Replace(ServiceDescriptor.Singleton<IAuditLogStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Audit));
        services.Replace(ServiceDescriptor.Singleton<IOutboxStore>(sp => sp.GetRequiredService<RelationalStoreSet>().Outbox));
        // Replace, not TryAdd: packages that fall back to a process-local state store register it with TryAdd,
        // and the durable one must win whichever order the host calls them in.
        services.Replace(ServiceDescriptor.Singleton<IStateStore>(sp => sp.GetRequiredService<RelationalStoreSet>().State));
        services.Replace(ServiceDescriptor.Singleton<ITransactionalOutbox>(sp => sp.GetRequiredService<RelationalStoreSet>().UnitOfWork));
        services.Replace(ServiceDescriptor.Singleton<ICustomerDataEraser>(sp => sp.GetRequiredService<RelationalStoreSet>().UnitOfWork));
        services.Replace(ServiceDescriptor.Singleton<IStorageMigrator>(sp => sp.GetRequiredService<TDatabase>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MigrationHostedService>(sp => new MigrationHostedService(
            sp.GetRequiredService<IStorageMigrator>(),
            () => migrateOnStart(sp))));
    }
}
