using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>
/// The outbox's claim indexes are partial (pending and leased messages only, migration 8), and the claim
/// statement reads each kind of due message through its partial index in order: delivered messages are
/// never read, and no claim scans or sorts the messages of a whole destination.
/// </summary>
public sealed class SqliteOutboxQueryPlanTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Claims_read_pending_and_expired_messages_through_the_partial_indexes(bool byDestination)
    {
        using var db = await SqliteHarness.NewMigratedDatabaseAsync(new FakeTimeProvider());
        var outbox = new RelationalStoreSet(db).Outbox;
        await using var conn = (SqliteConnection)await db.OpenAsync(default);
        var text = await PlanAsync(conn, outbox.ClaimSql(1000, byDestination), byDestination);
        Assert.True(text.Contains("INDEX ix_outbox_due (next_attempt_at<?)", StringComparison.Ordinal), text);
        Assert.True(text.Contains("INDEX ix_outbox_lease (lease_expires_at<?)", StringComparison.Ordinal), text);
        Assert.DoesNotContain("sqlite_autoindex_outbox_messages", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN outbox_messages", text, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task The_claim_indexes_hold_only_pending_and_leased_messages()
    {
        using var db = await SqliteHarness.NewMigratedDatabaseAsync(TimeProvider.System);
        var outbox = new RelationalStoreSet(db).Outbox;
        await outbox.EnqueueAsync([.. Enumerable.Range(0, 5).Select(i => new OutboxMessage { Destination = "meta.capi", IdempotencyKey = $"k{i}", Payload = new byte[] { 1 } })]);
        var claimed = await outbox.ClaimAsync("w1", 3, TimeSpan.FromMinutes(5), "meta.capi");
        Assert.Equal(2, await outbox.AckManyAsync([.. claimed.Take(2).Select(c => (c.Id, c.LeaseToken))]));

        await using var conn = (SqliteConnection)await db.OpenAsync(default);
        Assert.Equal(2L, await ScalarAsync(conn, "SELECT COUNT(*) FROM outbox_messages INDEXED BY ix_outbox_due WHERE state = 0 AND next_attempt_at >= 0"));
        Assert.Equal(1L, await ScalarAsync(conn, "SELECT COUNT(*) FROM outbox_messages INDEXED BY ix_outbox_lease WHERE state = 1 AND lease_expires_at >= 0"));
        Assert.Equal(2L, await ScalarAsync(conn, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('ix_outbox_due', 'ix_outbox_lease') AND sql LIKE '%WHERE state = _'"));
        SqliteConnection.ClearAllPools();
    }

    private static async Task<string> PlanAsync(SqliteConnection conn, string sql, bool byDestination)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in new[] { "@now", "@w", "@tok", "@exp" })
        {
            cmd.Parameters.AddWithValue(name, 1L);
        }
        if (byDestination)
        {
            cmd.Parameters.AddWithValue("@d", "meta.capi");
        }
        return string.Join(" | ", await SqliteHarness.QueryPlanAsync(cmd));
    }

    private static async Task<long> ScalarAsync(SqliteConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}

/// <summary>The consent gate's batched status read is answered from the covering index of migration 9, without reading records.</summary>
public sealed class SqliteConsentStatusQueryPlanTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_status_read_uses_only_the_covering_index(bool byPurpose)
    {
        using var db = await SqliteHarness.NewMigratedDatabaseAsync(new FakeTimeProvider());
        var consents = new RelationalStoreSet(db).Consents;
        await using var conn = (SqliteConnection)await db.OpenAsync(default);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = consents.StatusSql(3, byPurpose ? 2 : null);
        foreach (var name in new[] { "@c0", "@c1", "@c2", "@p0", "@p1" })
        {
            cmd.Parameters.AddWithValue(name, "x");
        }
        var plan = await SqliteHarness.QueryPlanAsync(cmd);
        var text = string.Join(" | ", plan);
        Assert.True(plan.Count(p => p.Contains("USING COVERING INDEX ix_consent_records_current", StringComparison.Ordinal)) == 2, text);
        Assert.DoesNotContain("SCAN", text.Replace("SCAN CONSTANT ROW", "", StringComparison.Ordinal), StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
    }
}
