using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.Relational;
using Marketing.Sdk.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
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
    /// one SQLite database (replacing the in-memory defaults), with <see cref="SqliteStorageOptions"/>
    /// configured elsewhere (e.g. <c>services.Configure&lt;SqliteStorageOptions&gt;(…)</c>); they are
    /// validated when the host starts. Migrations run when the host starts unless
    /// <see cref="SqliteStorageOptions.MigrateOnStart"/> is off; <see cref="IStorageMigrator"/> runs them
    /// explicitly. Calling it again changes nothing but adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UseSqlite(this IMarketingBuilder builder) => Register(builder, null);

    /// <summary>Stores everything in SQLite (see <see cref="UseSqlite(IMarketingBuilder)"/>), configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the options (at least <see cref="SqliteStorageOptions.ConnectionString"/>).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UseSqlite(this IMarketingBuilder builder, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Register(builder, o => o.Configure(configure));
    }

    /// <summary>Stores everything in SQLite (see <see cref="UseSqlite(IMarketingBuilder)"/>), with options bound from <paramref name="section"/>.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The configuration section (e.g. <c>Marketing:Sqlite</c> with <c>ConnectionString</c>).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UseSqlite(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Register(builder, o => o.Bind(section));
    }

    /// <summary>Stores everything in the SQLite database of <paramref name="connectionString"/> (see <see cref="UseSqlite(IMarketingBuilder)"/>).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="connectionString">E.g. <c>Data Source=marketing.db</c>.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UseSqlite(this IMarketingBuilder builder, string connectionString, Action<SqliteStorageOptions>? configure = null) =>
        Register(builder, o => o.Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        }));

    private static IMarketingBuilder Register(IMarketingBuilder builder, Action<OptionsBuilder<SqliteStorageOptions>>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<SqliteStorageOptions>();
        configure?.Invoke(options);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStorageOptions>, SqliteStorageOptionsValidator>());
        RelationalRegistration.AddRelationalStores(
            services,
            sp => new SqliteDatabase(
                sp.GetRequiredService<IOptions<SqliteStorageOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Marketing.Sdk.Storage.Sqlite"))
            {
                Metrics = new StorageMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()),
            },
            sp => sp.GetRequiredService<IOptions<SqliteStorageOptions>>().Value.MigrateOnStart);
        return builder;
    }
}
