using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

/// <summary>
/// After an erasure the erased tables are vacuumed (dead rows and their index entries removed) unless
/// <see cref="PostgreSqlStorageOptions.ErasureVacuum"/> is None. Decided by the server's own counters.
/// </summary>
public sealed class PostgreSqlErasureVacuumTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly string[] Erased = ["events", "profiles", "identities", "identity_observations", "consent_records", "outbox_messages", "outbox_payloads", "state_entries"];

    /// <summary>Per table: how many times it was vacuumed, or (<paramref name="fileNodes"/>) the number of its file.</summary>
    private static async Task<Dictionary<string, long>> CountersAsync(string cs, string schema, bool fileNodes)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(fileNodes
            ? "SELECT c.relname, c.relfilenode::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @s AND c.relkind = 'r'"
            : "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE schemaname = @s", conn);
        cmd.Parameters.AddWithValue("s", schema);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            counts[r.GetString(0)] = r.GetInt64(1);
        }
        return counts;
    }

    private static async Task<Dictionary<string, long>> EraseAndCountAsync(PostgreSqlErasureVacuum vacuum, bool fileNodes = false)
    {
        var cs = PostgreSqlHarness.ConnectionString();
        var schema = PostgreSqlHarness.NewSchema();
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql(cs, o =>
        {
            o.Schema = schema;
            o.ErasureVacuum = vacuum;
        });
        try
        {
            await using var sp = services.BuildServiceProvider();
            await sp.GetRequiredService<IStorageMigrator>().MigrateAsync();
            var c = new CustomerId("c_vacuum");
            await sp.GetRequiredService<IProfileStore>().SaveAsync(Samples.Profile(c, Start));
            await sp.GetRequiredService<IEventStore>().AppendAsync([Samples.RichEvent("e1", c, Start)]);
            await sp.GetRequiredService<IIdentityGraphStore>().ClaimAsync(Identity.Email("v@example.org"), c);
            await sp.GetRequiredService<IOutboxStore>().EnqueueAsync([Samples.Message("meta", "k1", c)]);
            var before = await CountersAsync(cs, schema, fileNodes);
            var report = await sp.GetRequiredService<ICustomerDataEraser>().EraseAsync(c);
            Assert.True(report.Total >= 4);
            var after = await CountersAsync(cs, schema, fileNodes);
            return Erased.ToDictionary(t => t, t => fileNodes ? (after[t] != before[t] ? 1L : 0L) : after[t] - before[t]);
        }
        finally
        {
            await PostgreSqlHarness.DropSchemaAsync(cs, schema);
        }
    }

    [SkippableFact]
    public async Task Erasure_vacuums_every_table_it_deleted_from()
    {
        var vacuumed = await EraseAndCountAsync(PostgreSqlErasureVacuum.Vacuum);
        Assert.All(Erased, t => Assert.True(vacuumed[t] == 1, $"{t} vacuumed {vacuumed[t]} times"));
    }

    [SkippableFact]
    public async Task Erasure_does_not_vacuum_when_turned_off()
    {
        var vacuumed = await EraseAndCountAsync(PostgreSqlErasureVacuum.None);
        Assert.All(Erased, t => Assert.True(vacuumed[t] == 0, $"{t} vacuumed {vacuumed[t]} times"));
    }

    [SkippableFact]
    public async Task Erasure_with_vacuum_full_rewrites_the_tables_into_new_files()
    {
        var rewritten = await EraseAndCountAsync(PostgreSqlErasureVacuum.Full, fileNodes: true);
        Assert.All(Erased, t => Assert.True(rewritten[t] == 1, $"{t} rewritten {rewritten[t]} times"));
    }
}
