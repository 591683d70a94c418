using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

/// <summary>Real PostgreSQL failures surface as <see cref="StoreProviderException"/>, never as raw provider exceptions.</summary>
public sealed class PostgreSqlProviderErrorTests
{
    private static readonly CustomerId Person = new("c_jane_doe");

    private static void AssertWrapped(StoreProviderException ex, string store, string operation, bool transient)
    {
        Assert.IsAssignableFrom<NpgsqlException>(ex.InnerException);
        Assert.IsAssignableFrom<MarketingStoreException>(ex);
        Assert.Equal("postgresql", ex.Provider);
        Assert.Equal(store, ex.Store);
        Assert.Equal(operation, ex.Operation);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Contains(store, ex.Message, StringComparison.Ordinal);
        Assert.Contains(operation, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Person.Value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_wrapped_transient_failure()
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql("Host=127.0.0.1;Port=1;Username=u;Database=d;Timeout=5");
        await using var provider = services.BuildServiceProvider();
        var count = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IEventStore>().CountAsync(new EventQuery { CustomerId = Person }));
        AssertWrapped(count, "event", "count", transient: true);
        var save = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IProfileStore>().SaveAsync(Samples.Profile(Person, DateTimeOffset.UnixEpoch)));
        AssertWrapped(save, "profile", "save", transient: true);
        var migrate = await Assert.ThrowsAsync<StoreProviderException>(async () => await provider.GetRequiredService<IStorageMigrator>().MigrateAsync());
        AssertWrapped(migrate, "schema", "migrate", transient: true);
    }

    [SkippableFact]
    public async Task A_dropped_table_is_a_wrapped_permanent_failure_with_its_sqlstate()
    {
        var cs = PostgreSqlHarness.ConnectionString();
        await using var harness = await PostgreSqlHarness.CreateAsync(TimeProvider.System);
        var schema = ((ServiceProviderHarness)harness).Provider.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value.Schema;
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TABLE \"{schema}\".events; DROP TABLE \"{schema}\".outbox_messages", conn);
            await drop.ExecuteNonQueryAsync();
        }
        var append = await Assert.ThrowsAsync<StoreProviderException>(async () => await harness.Events.AppendAsync([Samples.Event("e-1", Person, DateTimeOffset.UnixEpoch)]));
        AssertWrapped(append, "event", "append", transient: false);
        Assert.IsType<PostgresException>(append.InnerException);
        Assert.Equal(PostgresErrorCodes.UndefinedTable, append.ErrorCode);

        var read = await Assert.ThrowsAsync<StoreProviderException>(async () => await harness.Events.ReadAsync(new EventQuery { CustomerId = Person }).ToListAsync());
        AssertWrapped(read, "event", "read", transient: false);

        var claim = await Assert.ThrowsAsync<StoreProviderException>(async () => await harness.Outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1)));
        AssertWrapped(claim, "outbox", "claim", transient: false);

        await Assert.ThrowsAsync<MarketingValidationException>(async () => await harness.Events.AppendAsync([Samples.Event("", Person, DateTimeOffset.UnixEpoch)]));
    }
}
