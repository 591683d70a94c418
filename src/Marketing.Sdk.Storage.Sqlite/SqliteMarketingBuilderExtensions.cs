using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.Relational;
using Marketing.Sdk.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite stores.</summary>
public static class SqliteMarketingBuilderExtensions
{
    /// <summary>
    /// Stores profiles, events, the identity graph, consent records, the audit log, the outbox and
    /// state documents (<see cref="IStateStore"/>, which wins over process-local fallbacks) in
    /// one SQLite database (replacing the in-memory defaults). Migrations run when the host starts
    /// unless <see cref="SqliteStorageOptions.MigrateOnStart"/> is off; <see cref="IStorageMigrator"/>
    /// runs them explicitly.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="connectionString">E.g. <c>Data Source=marketing.db</c>.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UseSqlite(this IMarketingBuilder builder, string connectionString, Action<SqliteStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SqliteStorageOptions>()
            .Configure(o =>
            {
                o.ConnectionString = connectionString;
                configure?.Invoke(o);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStorageOptions>, SqliteStorageOptionsValidator>());
        RelationalRegistration.AddRelationalStores(
            services,
            sp => new SqliteDatabase(
                sp.GetRequiredService<IOptions<SqliteStorageOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Marketing.Sdk.Storage.Sqlite")),
            sp => sp.GetRequiredService<IOptions<SqliteStorageOptions>>().Value.MigrateOnStart);
        return builder;
    }
}
