using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>Migration 6 moves stored outbox payloads into their own table without losing a byte.</summary>
public sealed class SqliteOutboxPayloadMigrationTests
{
    [Fact]
    public async Task Messages_stored_before_the_payload_table_keep_their_payloads()
    {
        var path = SqliteHarness.NewDatabasePath();
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        await using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await conn.OpenAsync();
            await using var tx = conn.BeginTransaction();
            await using (var cmd = conn.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)";
                await cmd.ExecuteNonQueryAsync();
            }
            foreach (var m in SqliteSchema.Migrations.Where(m => m.Version <= 5))
            {
                await using var cmd = conn.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = m.Sql + $"; INSERT INTO schema_version VALUES ({m.Version}, 'v', 0)";
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var cmd = conn.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO outbox_messages (destination, idempotency_key, customer_id, payload, meta, state, attempts, enqueued_at, next_attempt_at) VALUES ('meta.capi', 'k1', 'c1', @p, '{}', 0, 0, 0, 0)";
                cmd.Parameters.AddWithValue("@p", payload);
                await cmd.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }

        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
        await using var provider = services.BuildServiceProvider();
        var result = await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        Assert.Equal(SqliteSchema.Migrations.Count, result.ToVersion);

        var outbox = provider.GetRequiredService<IOutboxStore>();
        await outbox.EnqueueAsync([new OutboxMessage { Destination = "meta.capi", IdempotencyKey = "k2", Payload = new byte[] { 1, 2, 3 } }]);
        var claimed = await outbox.ClaimAsync("w1", 10, TimeSpan.FromMinutes(5), "meta.capi");
        Assert.Equal(["k1", "k2"], claimed.Select(c => c.Message.IdempotencyKey));
        Assert.Equal(payload, claimed[0].Message.Payload.ToArray());
        Assert.Equal([1, 2, 3], claimed[1].Message.Payload.ToArray());
        Assert.Equal(2, await outbox.AckManyAsync([.. claimed.Select(c => (c.Id, c.LeaseToken))]));
        Assert.Equal(payload, (await outbox.GetAsync(claimed[0].Id))!.Message.Payload.ToArray());

        // Delivered now (by the fake clock): kept by a cut-off at that instant, purged by one just after it.
        Assert.Equal(0, await outbox.PurgeDeliveredAsync(time.GetUtcNow().AddTicks(-1)));
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, await outbox.PurgeDeliveredAsync(time.GetUtcNow()));
        await using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        await check.OpenAsync();
        await using var count = check.CreateCommand();
        count.CommandText = "SELECT (SELECT COUNT(*) FROM outbox_payloads) + (SELECT COUNT(*) FROM outbox_messages)";
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }
}
