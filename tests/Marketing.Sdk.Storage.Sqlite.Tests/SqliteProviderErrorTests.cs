using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>Real SQLite failures surface as <see cref="StoreProviderException"/>, never as raw provider exceptions.</summary>
public sealed class SqliteProviderErrorTests
{
    private static readonly CustomerId Person = new("c_jane_doe");

    private static async Task DropAsync(string path, string table)
    {
        await using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"DROP TABLE {table}";
        await cmd.ExecuteNonQueryAsync();
    }

    private static ServiceProvider Build(string path, Action<SqliteStorageOptions>? configure = null)
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}", configure);
        return services.BuildServiceProvider();
    }

    private static void AssertWrapped(StoreProviderException ex, string store, string operation, bool transient)
    {
        Assert.IsType<SqliteException>(ex.InnerException);
        Assert.IsAssignableFrom<MarketingStoreException>(ex);
        Assert.Equal("sqlite", ex.Provider);
        Assert.Equal(store, ex.Store);
        Assert.Equal(operation, ex.Operation);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal(((SqliteException)ex.InnerException!).SqliteErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.ErrorCode);
        Assert.Contains(store, ex.Message, StringComparison.Ordinal);
        Assert.Contains(operation, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Person.Value, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("jane", ex.ToString().Replace(ex.InnerException!.ToString(), "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_table_fails_every_kind_of_call_with_a_wrapped_provider_error()
    {
        var path = SqliteHarness.NewDatabasePath();
        await using var provider = Build(path);
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        await DropAsync(path, "events");
        await DropAsync(path, "profiles");
        var events = provider.GetRequiredService<IEventStore>();

        var append = await Assert.ThrowsAsync<StoreProviderException>(async () => await events.AppendAsync([Samples.Event("e-1", Person, DateTimeOffset.UnixEpoch)]));
        AssertWrapped(append, "event", "append", transient: false);
        Assert.Equal("1", append.ErrorCode); // SQLITE_ERROR: no such table

        var count = await Assert.ThrowsAsync<StoreProviderException>(async () => await events.CountAsync(new EventQuery { CustomerId = Person }));
        AssertWrapped(count, "event", "count", transient: false);

        var read = await Assert.ThrowsAsync<StoreProviderException>(async () => await events.ReadAsync(new EventQuery { CustomerId = Person }).ToListAsync());
        AssertWrapped(read, "event", "read", transient: false);

        var stream = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IProfileStore>().StreamAsync().ToListAsync());
        AssertWrapped(stream, "profile", "stream", transient: false);

        var erase = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<ICustomerDataEraser>().EraseAsync(Person));
        AssertWrapped(erase, "unit_of_work", "erase", transient: false);
    }

    [Fact]
    public async Task A_write_lock_held_past_the_busy_timeout_is_a_transient_failure()
    {
        var path = SqliteHarness.NewDatabasePath();
        await using var provider = Build(path, o => o.BusyTimeout = TimeSpan.FromMilliseconds(50));
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        await using var other = new SqliteConnection($"Data Source={path};Pooling=False");
        await other.OpenAsync();
        await using var lockTx = other.BeginTransaction(deferred: false);

        var ex = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IOutboxStore>().EnqueueAsync([Samples.Message("d", "k")]));
        AssertWrapped(ex, "outbox", "enqueue", transient: true);
        Assert.Equal("5", ex.ErrorCode); // SQLITE_BUSY

        await lockTx.RollbackAsync();
        Assert.Equal(1, (await provider.GetRequiredService<IOutboxStore>().EnqueueAsync([Samples.Message("d", "k")])).Enqueued);
    }

    [Fact]
    public async Task A_database_that_cannot_be_opened_fails_migration_with_a_wrapped_provider_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "marketing.db");
        await using var provider = Build(path);
        var migrate = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IStorageMigrator>().MigrateAsync());
        AssertWrapped(migrate, "schema", "migrate", transient: false);
        // Lazy migration on first use is wrapped as the store call that triggered it.
        var get = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IProfileStore>().GetAsync(Person));
        AssertWrapped(get, "profile", "get", transient: false);
    }

    [Fact]
    public async Task Validation_concurrency_and_cancellation_are_not_wrapped()
    {
        var path = SqliteHarness.NewDatabasePath();
        await using var provider = Build(path);
        var events = provider.GetRequiredService<IEventStore>();
        var profiles = provider.GetRequiredService<IProfileStore>();
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await events.AppendAsync([Samples.Event("", Person, DateTimeOffset.UnixEpoch)]));
        var profile = await profiles.SaveAsync(Samples.Profile(Person, DateTimeOffset.UnixEpoch));
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await profiles.SaveAsync(profile with { Version = 0 }));
        Assert.Null(conflict.InnerException);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await events.CountAsync(EventQuery.All, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await events.ReadAsync(EventQuery.All, cts.Token).ToListAsync());
    }
}
