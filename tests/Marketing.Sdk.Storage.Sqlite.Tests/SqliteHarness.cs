using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>A fresh SQLite database file per test, registered the way users do it.</summary>
internal static class SqliteHarness
{
    public static string NewDatabasePath() => Path.Combine(Path.GetTempPath(), $"marketing-sdk-{Guid.NewGuid():N}.db");

    /// <summary>A migrated database on a new file, used directly (no host).</summary>
    public static async Task<SqliteDatabase> NewMigratedDatabaseAsync(TimeProvider time)
    {
        var db = new SqliteDatabase(new SqliteStorageOptions { ConnectionString = $"Data Source={NewDatabasePath()}" }, time);
        await db.MigrateAsync();
        return db;
    }

    /// <summary>SQLite's plan for the command (<c>EXPLAIN QUERY PLAN</c>), one detail line per step.</summary>
    public static async Task<List<string>> QueryPlanAsync(SqliteCommand cmd)
    {
        cmd.CommandText = "EXPLAIN QUERY PLAN " + cmd.CommandText;
        var plan = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            plan.Add(r.GetString(3));
        }
        return plan;
    }

    public static async ValueTask<IStoreHarness> CreateAsync(TimeProvider time)
    {
        var path = NewDatabasePath();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var harness = new ServiceProviderHarness(provider, (c, ids) => CountRowsAsync(path, c, ids), () =>
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }
            return ValueTask.CompletedTask;
        });
        await harness.Migrator!.MigrateAsync();
        return harness;
    }

    /// <summary>Rows that refer to the customer or its identities in every customer-data table.</summary>
    public static async ValueTask<long> CountRowsAsync(string path, CustomerId c, IReadOnlyList<Identity> identities)
    {
        await using var conn = new SqliteConnection($"Data Source={path}");
        await conn.OpenAsync();
        long total = 0;
        foreach (var sql in new[]
        {
            "SELECT COUNT(*) FROM profiles WHERE id = @c",
            "SELECT COUNT(*) FROM events WHERE customer_id = @c",
            "SELECT COUNT(*) FROM identities WHERE customer_id = @c",
            "SELECT COUNT(*) FROM identity_merges WHERE survivor = @c OR merged = @c",
            "SELECT COUNT(*) FROM consent_records WHERE customer_id = @c",
            "SELECT COUNT(*) FROM outbox_messages WHERE customer_id = @c",
            "SELECT COUNT(*) FROM outbox_payloads WHERE id NOT IN (SELECT id FROM outbox_messages) AND @c IS NOT NULL",
            "SELECT COUNT(*) FROM state_entries WHERE substr(key, 1, length(@c) + 1) = @c || '|'",
        })
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("@c", c.Value);
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        foreach (var id in identities)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM identity_observations WHERE (kind = @k AND value = @v) OR anchor = @f";
            cmd.Parameters.AddWithValue("@k", (int)id.Kind);
            cmd.Parameters.AddWithValue("@v", id.Value);
            cmd.Parameters.AddWithValue("@f", id.Fingerprint);
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        return total;
    }
}

public sealed class SqliteProfileStoreTests : ProfileStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteEventStoreTests : EventStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteIdentityGraphTests : IdentityGraphConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteConsentStoreTests : ConsentStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteAuditLogTests : AuditLogConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteOutboxTests : OutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteTransactionalOutboxTests : TransactionalOutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteErasureTests : ErasureConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteStateStoreTests : StateStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteBadInputTests : BadInputConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}

public sealed class SqliteMigrationTests : MigrationConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);

    protected override ValueTask<(IStorageMigrator Migrator, IAsyncDisposable Owner)> CreateEmptyAsync()
    {
        var path = SqliteHarness.NewDatabasePath();
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}", o => o.MigrateOnStart = false);
        var provider = services.BuildServiceProvider();
        return ValueTask.FromResult<(IStorageMigrator, IAsyncDisposable)>((provider.GetRequiredService<IStorageMigrator>(), provider));
    }
}

public sealed class SqliteIngestionTests : IngestionConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => SqliteHarness.CreateAsync(timeProvider);
}
