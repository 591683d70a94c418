using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.PostgreSql;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL stores.</summary>
public static class PostgreSqlMarketingBuilderExtensions
{
    /// <summary>
    /// Stores profiles, events, the identity graph, consent records, the audit log, the outbox and
    /// state documents (<see cref="IStateStore"/>, which wins over process-local fallbacks) in
    /// PostgreSQL (replacing the in-memory defaults), with <see cref="PostgreSqlStorageOptions"/>
    /// configured elsewhere; they are validated when the host starts. Any number of hosts may share the
    /// database. Migrations run when the host starts unless <see cref="PostgreSqlStorageOptions.MigrateOnStart"/>
    /// is off. Calling it again changes nothing but adds configuration.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder) => Register(builder, null);

    /// <summary>Stores everything in PostgreSQL (see <see cref="UsePostgreSql(IMarketingBuilder)"/>), configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="configure">Configures the options (a connection string or a data source at least).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, Action<PostgreSqlStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Register(builder, o => o.Configure(configure));
    }

    /// <summary>Stores everything in PostgreSQL (see <see cref="UsePostgreSql(IMarketingBuilder)"/>), with options bound from <paramref name="section"/>.</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="section">The configuration section (e.g. <c>Marketing:PostgreSql</c> with <c>ConnectionString</c> and <c>Schema</c>).</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        // DataSource is an object the application builds in code: bind every other setting through a
        // configuration-only shape, so the binding generator never meets NpgsqlDataSource.
        return Register(builder, o => o.Configure(options =>
        {
            var bound = new PostgreSqlConfiguredSettings
            {
                ConnectionString = options.ConnectionString,
                Schema = options.Schema,
                MigrateOnStart = options.MigrateOnStart,
                CopyThreshold = options.CopyThreshold,
                ErasureVacuum = options.ErasureVacuum,
            };
            section.Bind(bound);
            options.ConnectionString = bound.ConnectionString;
            options.Schema = bound.Schema;
            options.MigrateOnStart = bound.MigrateOnStart;
            options.CopyThreshold = bound.CopyThreshold;
            options.ErasureVacuum = bound.ErasureVacuum;
        }));
    }


    /// <summary>Stores everything in the PostgreSQL database of <paramref name="connectionString"/> (see <see cref="UsePostgreSql(IMarketingBuilder)"/>).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="connectionString">E.g. <c>Host=db;Username=shop;Password=…;Database=shop</c>.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, string connectionString, Action<PostgreSqlStorageOptions>? configure = null) =>
        Register(builder, o => o.Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        }));

    /// <summary>Uses an application-owned <see cref="NpgsqlDataSource"/> (not disposed by the SDK).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlStorageOptions>? configure = null) =>
        Register(builder, o => o.Configure(options =>
        {
            options.DataSource = dataSource;
            configure?.Invoke(options);
        }));

    private static IMarketingBuilder Register(IMarketingBuilder builder, Action<OptionsBuilder<PostgreSqlStorageOptions>>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<PostgreSqlStorageOptions>();
        configure?.Invoke(options);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStorageOptions>, PostgreSqlStorageOptionsValidator>());
        RelationalRegistration.AddRelationalStores(
            services,
            sp => new PostgreSqlDatabase(
                sp.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Marketing.Sdk.Storage.PostgreSql"))
            {
                Metrics = new StorageMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()),
            },
            sp => sp.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value.MigrateOnStart);
        return builder;
    }
}

/// <summary>The settings of <see cref="PostgreSqlStorageOptions"/> that configuration can hold.</summary>
internal sealed class PostgreSqlConfiguredSettings
{
    public string? ConnectionString { get; set; }
    public string Schema { get; set; } = "marketing";
    public bool MigrateOnStart { get; set; }
    public int CopyThreshold { get; set; }
    public PostgreSqlErasureVacuum ErasureVacuum { get; set; }
}
