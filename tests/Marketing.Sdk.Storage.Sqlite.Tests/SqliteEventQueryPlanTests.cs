using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>
/// Every page query of an event read is an index range scan in (occurred_at, id) order: no sort of
/// the remaining matches per page, so reading all N matching events costs O(N) rows, not O(N²/page).
/// </summary>
public sealed class SqliteEventQueryPlanTests
{
    public static TheoryData<string, string?, string[]> Queries => new()
    {
        { "one type", null, ["purchase"] },
        { "customer and several types", "c_1", ["purchase", "search"] },
        { "customer", "c_1", [] },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Page_queries_scan_an_index_in_order_without_a_sort(string name, string? customer, string[] types)
    {
        using var db = await SqliteHarness.NewMigratedDatabaseAsync(new FakeTimeProvider());
        var store = new RelationalStoreSet(db).Events;
        var query = new EventQuery
        {
            CustomerId = customer is null ? null : new CustomerId(customer),
            From = DateTimeOffset.UnixEpoch,
            To = DateTimeOffset.UnixEpoch.AddDays(1),
        };
        await using var conn = (SqliteConnection)await db.OpenAsync(default);
        foreach (var (lastTicks, lastId) in new[] { (0L, (string?)null), (42L, "e-1") })
        {
            await using var cmd = (SqliteCommand)store.PageCommand(conn, query, types, lastTicks, lastId, 1000);
            var text = string.Join(" | ", await SqliteHarness.QueryPlanAsync(cmd));
            Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
            Assert.Contains(customer is null ? "ix_events_type_time" : "ix_events_customer", text, StringComparison.Ordinal);
            Assert.DoesNotContain("SCAN events", text.Replace("SCAN events USING INDEX", "", StringComparison.Ordinal), StringComparison.Ordinal);
            _ = name;
        }
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Stored_types_and_time_range_counts_descend_the_type_index_without_scanning_events()
    {
        using var db = await SqliteHarness.NewMigratedDatabaseAsync(new FakeTimeProvider());
        var store = new RelationalStoreSet(db).Events;
        await using var conn = (SqliteConnection)await db.OpenAsync(default);
        foreach (var sql in new[] { store.StoredTypesSql, $"SELECT COUNT(*) FROM events WHERE occurred_at >= 1 AND type IN ({store.StoredTypesSql})" })
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            var text = string.Join(" | ", await SqliteHarness.QueryPlanAsync(cmd));
            Assert.Contains("ix_events_type_time", text, StringComparison.Ordinal);
            Assert.DoesNotContain("SCAN events", text, StringComparison.Ordinal);
        }
        SqliteConnection.ClearAllPools();
    }
}
