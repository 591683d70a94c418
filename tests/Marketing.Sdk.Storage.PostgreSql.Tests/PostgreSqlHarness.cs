using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

/// <summary>
/// A fresh schema per test in the server named by <c>MARKETING_SDK_TEST_POSTGRES</c>. Without it the
/// tests are skipped, except under CI (<c>CI=true</c>) where they fail.
/// </summary>
internal static class PostgreSqlHarness
{
    public const string Variable = "MARKETING_SDK_TEST_POSTGRES";

    public static string ConnectionString()
    {
        var cs = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(cs))
        {
            return cs;
        }
        var message = $"Set {Variable} to a PostgreSQL connection string (e.g. Host=127.0.0.1;Port=5433;Username=postgres;Database=marketing) to run the PostgreSQL store tests.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(message + " Under CI they must run.");
        }
        throw new SkipException(message);
    }

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N");

    public static async ValueTask<IStoreHarness> CreateAsync(TimeProvider time)
    {
        var cs = ConnectionString();
        var schema = NewSchema();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        new TestMarketingBuilder(services).UsePostgreSql(cs, o => o.Schema = schema);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var harness = new ServiceProviderHarness(provider, (c, ids) => CountRowsAsync(cs, schema, c, ids), () => DropSchemaAsync(cs, schema));
        await harness.Migrator!.MigrateAsync();
        return harness;
    }

    public static async ValueTask DropSchemaAsync(string cs, string schema)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async ValueTask<long> CountRowsAsync(string cs, string schema, CustomerId c, IReadOnlyList<Identity> identities)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        long total = 0;
        foreach (var sql in new[]
        {
            "SELECT COUNT(*) FROM {0}.profiles WHERE id = @c",
            "SELECT COUNT(*) FROM {0}.events WHERE customer_id = @c",
            "SELECT COUNT(*) FROM {0}.identities WHERE customer_id = @c",
            "SELECT COUNT(*) FROM {0}.identity_merges WHERE survivor = @c OR merged = @c",
            "SELECT COUNT(*) FROM {0}.consent_records WHERE customer_id = @c",
            "SELECT COUNT(*) FROM {0}.outbox_messages WHERE customer_id = @c",
            "SELECT COUNT(*) FROM {0}.outbox_payloads WHERE id NOT IN (SELECT id FROM {0}.outbox_messages) AND @c IS NOT NULL",
            "SELECT COUNT(*) FROM {0}.state_entries WHERE starts_with(key, @c || '|')",
        })
        {
            await using var cmd = new NpgsqlCommand(sql.Replace("{0}", $"\"{schema}\""), conn);
            cmd.Parameters.AddWithValue("c", c.Value);
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        foreach (var id in identities)
        {
            await using var cmd = new NpgsqlCommand($"SELECT COUNT(*) FROM \"{schema}\".identity_observations WHERE (kind = @k AND value = @v) OR anchor = @f", conn);
            cmd.Parameters.AddWithValue("k", (int)id.Kind);
            cmd.Parameters.AddWithValue("v", id.Value);
            cmd.Parameters.AddWithValue("f", id.Fingerprint);
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        return total;
    }
}

public sealed class PostgreSqlProfileStoreTests : ProfileStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlEventStoreTests : EventStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlIdentityGraphTests : IdentityGraphConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlConsentStoreTests : ConsentStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlAuditLogTests : AuditLogConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlOutboxTests : OutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlTransactionalOutboxTests : TransactionalOutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlErasureTests : ErasureConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlStateStoreTests : StateStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlBadInputTests : BadInputConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}

public sealed class PostgreSqlMigrationTests : MigrationConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);

    protected override ValueTask<(IStorageMigrator Migrator, IAsyncDisposable Owner)> CreateEmptyAsync()
    {
        var cs = PostgreSqlHarness.ConnectionString();
        var schema = PostgreSqlHarness.NewSchema();
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql(cs, o =>
        {
            o.Schema = schema;
            o.MigrateOnStart = false;
        });
        var provider = services.BuildServiceProvider();
        return ValueTask.FromResult<(IStorageMigrator, IAsyncDisposable)>((provider.GetRequiredService<IStorageMigrator>(), new Cleanup(provider, cs, schema)));
    }

    [SkippableFact]
    public async Task Hosts_starting_at_once_migrate_exactly_once()
    {
        var cs = PostgreSqlHarness.ConnectionString();
        var schema = PostgreSqlHarness.NewSchema();
        var providers = Enumerable.Range(0, 4).Select(_ =>
        {
            var services = new ServiceCollection();
            new TestMarketingBuilder(services).UsePostgreSql(cs, o => o.Schema = schema);
            return services.BuildServiceProvider();
        }).ToList();
        try
        {
            var results = await Task.WhenAll(providers.Select(p => Task.Run(async () => await p.GetRequiredService<IStorageMigrator>().MigrateAsync())));
            Assert.Single(results, r => r.Applied.Count > 0);
            Assert.All(results, r => Assert.Equal(PostgreSqlSchema.Migrations.Count, r.ToVersion));
        }
        finally
        {
            foreach (var p in providers)
            {
                await p.DisposeAsync();
            }
            await PostgreSqlHarness.DropSchemaAsync(cs, schema);
        }
    }

    private sealed class Cleanup(ServiceProvider provider, string cs, string schema) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await provider.DisposeAsync();
            await PostgreSqlHarness.DropSchemaAsync(cs, schema);
        }
    }
}

public sealed class PostgreSqlIngestionTests : IngestionConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => PostgreSqlHarness.CreateAsync(timeProvider);
}
