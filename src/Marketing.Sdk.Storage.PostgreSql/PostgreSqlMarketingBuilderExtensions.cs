using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.PostgreSql;
using Marketing.Sdk.Storage.Relational;
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
    /// PostgreSQL (replacing the in-memory defaults); any number of hosts may share the database.
    /// Migrations run when the host starts unless <see cref="PostgreSqlStorageOptions.MigrateOnStart"/> is off.
    /// </summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="connectionString">E.g. <c>Host=db;Username=shop;Password=…;Database=shop</c>.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, string connectionString, Action<PostgreSqlStorageOptions>? configure = null) =>
        Register(builder, o =>
        {
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        });

    /// <summary>Uses an application-owned <see cref="NpgsqlDataSource"/> (not disposed by the SDK).</summary>
    /// <param name="builder">The Marketing.Sdk builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Further options.</param>
    /// <returns>The builder.</returns>
    public static IMarketingBuilder UsePostgreSql(this IMarketingBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlStorageOptions>? configure = null) =>
        Register(builder, o =>
        {
            o.DataSource = dataSource;
            configure?.Invoke(o);
        });

    private static IMarketingBuilder Register(IMarketingBuilder builder, Action<PostgreSqlStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PostgreSqlStorageOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStorageOptions>, PostgreSqlStorageOptionsValidator>());
        RelationalRegistration.AddRelationalStores(
            services,
            sp => new PostgreSqlDatabase(
                sp.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Marketing.Sdk.Storage.PostgreSql")),
            sp => sp.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value.MigrateOnStart);
        return builder;
    }
}
