using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Marketing.Sdk.SharedSource.Tests;

public sealed class KeysetPagingTests
{
    private static readonly Migration Items = new(1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");

    private static async Task<TestDatabase> SeedAsync(int rows, int pageSize)
    {
        var db = new TestDatabase([Items], pageSize: pageSize);
        await db.MigrateAsync();
        await using var conn = await db.OpenAsync(default);
        await using var tx = conn.BeginTransaction();
        for (var i = 1; i <= rows; i++)
        {
            await using var cmd = conn.Command("INSERT INTO items (id, name) VALUES (@i, @n)").P("@i", i * 3).P("@n", $"n{i}");
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return db;
    }

    private static IAsyncEnumerable<(long Id, string Name)> Read(TestDatabase db, long after = 0) =>
        db.PagesAsync<(long Id, string Name), long>(
            after,
            (conn, last, _) => conn.Command($"SELECT id, name FROM items WHERE id > @last ORDER BY id LIMIT {db.PageSize}").P("@last", last),
            r => (r.GetInt64(0), r.GetString(1)),
            row => row.Id);

    [Theory]
    [InlineData(0, 10, 1)]
    [InlineData(9, 10, 1)]
    [InlineData(25, 10, 3)]
    [InlineData(30, 10, 4)] // a full last page needs one more (empty) page to know it was the last
    public async Task Every_row_once_in_key_order_one_connection_per_page(int rows, int pageSize, int pages)
    {
        using var db = await SeedAsync(rows, pageSize);
        var opened = db.Opened;
        var read = new List<(long Id, string Name)>();
        await foreach (var row in Read(db))
        {
            read.Add(row);
        }
        Assert.Equal(Enumerable.Range(1, rows).Select(i => ((long)i * 3, $"n{i}")), read);
        Assert.Equal(pages, db.Opened - opened);
    }

    [Fact]
    public async Task The_stream_starts_after_the_given_key_and_stops_when_the_consumer_stops()
    {
        using var db = await SeedAsync(25, 10);
        var read = new List<long>();
        await foreach (var (id, _) in Read(db, after: 30))
        {
            read.Add(id);
        }
        Assert.Equal(Enumerable.Range(11, 15).Select(i => (long)i * 3), read);

        var opened = db.Opened;
        await foreach (var _ in Read(db))
        {
            break;
        }
        Assert.Equal(1, db.Opened - opened);
    }
}

public sealed class MigrationLifecycleTests
{
    private static readonly Migration[] Two =
    [
        new(1, "first", "CREATE TABLE a (x INTEGER)"),
        new(2, "second", "CREATE TABLE b (y INTEGER)"),
    ];

    [Fact]
    public async Task Migrations_apply_once_in_order_and_log_by_event_id()
    {
        var logs = new FakeLogCollector();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        using var db = new TestDatabase(Two, logger: factory.CreateLogger("test"));
        Assert.Equal(0, await db.GetVersionAsync());

        var first = await db.MigrateAsync();
        Assert.Equal((0, 2), (first.FromVersion, first.ToVersion));
        Assert.Equal([1, 2], first.Applied);
        var again = await db.MigrateAsync();
        Assert.Equal((2, 2), (again.FromVersion, again.ToVersion));
        Assert.Empty(again.Applied);
        Assert.Equal(2, await db.GetVersionAsync());

        var records = logs.GetSnapshot();
        Assert.Equal([9001, 9001, 9002], records.Select(r => r.Id.Id));
        Assert.All(records.Take(2), r => Assert.Equal(LogLevel.Information, r.Level));
    }

    [Fact]
    public async Task A_failing_migration_keeps_the_ones_before_it_and_is_wrapped_as_a_provider_error()
    {
        using var db = new TestDatabase([Two[0], new(2, "broken", "CREATE TABLE a (x INTEGER)")]);
        var ex = await Assert.ThrowsAsync<StoreProviderException>(async () => await db.MigrateAsync());
        Assert.Equal("schema", ex.Store);
        Assert.Equal("migrate", ex.Operation);
        Assert.Equal(1, await db.GetVersionAsync());
    }

    [Fact]
    public async Task Auto_migration_runs_once_before_the_first_use()
    {
        using var db = new TestDatabase(Two, autoMigrate: true);
        await (await db.OpenAsync(default)).DisposeAsync();
        await (await db.OpenAsync(default)).DisposeAsync();
        Assert.Equal(1, db.Locks);
        Assert.Equal(2, await db.GetVersionAsync());
    }

    [Fact]
    public async Task Without_auto_migration_first_use_does_not_migrate()
    {
        using var db = new TestDatabase(Two, autoMigrate: false);
        await (await db.OpenAsync(default)).DisposeAsync();
        Assert.Equal(0, db.Locks);
        Assert.Equal(0, await db.GetVersionAsync());
    }
}
