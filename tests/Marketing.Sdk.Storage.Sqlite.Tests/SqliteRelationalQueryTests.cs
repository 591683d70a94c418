using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>The read-only query capability the segmentation package compiles rules for.</summary>
public class SqliteRelationalQueryTests
{
    [Fact]
    public async Task Runs_a_parameterised_select_over_the_whitelisted_tables_and_refuses_anything_else()
    {
        await using var harness = await SqliteHarness.CreateAsync(new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)));
        var at = new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero);
        await harness.Profiles.SaveAsync(new CustomerProfile { Id = new CustomerId("c1"), FirstSeen = at, LastSeen = at, Traits = new Dictionary<string, PropertyValue> { ["age"] = 31 } });
        await harness.Profiles.SaveAsync(new CustomerProfile { Id = new CustomerId("c2"), FirstSeen = at, LastSeen = at, Traits = new Dictionary<string, PropertyValue> { ["age"] = 20 } });
        var store = Assert.IsAssignableFrom<IRelationalQueryStore>(harness.Profiles);
        Assert.Equal(SqlDialect.Sqlite, store.Dialect);

        var ids = new List<string>();
        await store.QueryAsync(
            $"SELECT id FROM {store.TableName(SqlStoreTable.Profiles)} WHERE json_extract(data, @p0) >= @p1 ORDER BY id",
            ["$.traits.age", 30L],
            async (r, ct) =>
            {
                while (await r.ReadAsync(ct))
                {
                    ids.Add(r.GetString(0));
                }
            });
        Assert.Equal(["c1"], ids);

        var profiles = store.TableName(SqlStoreTable.Profiles);
        await Assert.ThrowsAsync<ArgumentException>(() => store.QueryAsync($"DELETE FROM {profiles}", [], (_, _) => ValueTask.CompletedTask).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.QueryAsync($"SELECT 1; DELETE FROM {profiles}", [], (_, _) => ValueTask.CompletedTask).AsTask());
        Assert.Equal(2, await harness.Profiles.CountAsync());
    }
}
