using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>
/// A host on a SQLite file that dies right after one of its writes (modelled by profile-store writes that fail
/// from then on), then a host restarted on the same file: counters still equal the stored events and no
/// identity is left without a profile. Decided by the rows in the file.
/// </summary>
public sealed class SqliteIngestionCrashTests : IAsyncLifetime
{
    private readonly string _path = SqliteHarness.NewDatabasePath();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
        return Task.CompletedTask;
    }

    private sealed class DyingProfileStore(IProfileStore inner) : IProfileStore
    {
        public bool Dead { get; set; }

        public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) =>
            Dead ? throw new MarketingStoreException("The process died here.") : inner.SaveAsync(profile, cancellationToken);

        public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) =>
            Dead ? throw new MarketingStoreException("The process died here.") : inner.DeleteAsync(id, cancellationToken);

        public IAsyncEnumerable<CustomerProfile> StreamAsync(CancellationToken cancellationToken = default) => inner.StreamAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }

    private ServiceProvider Host(DyingProfileStore? dying = null)
    {
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.UseSqlite($"Data Source={_path}"));
        if (dying is not null)
        {
            services.Replace(ServiceDescriptor.Singleton<IProfileStore>(dying));
        }
        return services.BuildServiceProvider();
    }

    private static MarketingEvent Login(string id, DateTimeOffset at, params Identity[] identities) =>
        new() { Id = id, Type = EventType.Login, OccurredAt = at, Identities = identities };

    private async Task AssertConsistentAsync()
    {
        await using var conn = new SqliteConnection($"Data Source={_path}");
        await conn.OpenAsync();
        async Task<long> Scalar(string sql)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
        Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM identities i WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = i.customer_id)"));
        Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = e.customer_id)"));
        Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM profiles p WHERE json_extract(p.data, '$.eventCount') <> (SELECT COUNT(*) FROM events e WHERE e.customer_id = p.id)"));
        Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM events e WHERE e.customer_id IN (SELECT merged FROM identity_merges)"));
    }

    [Fact]
    public async Task A_host_dying_after_its_append_leaves_counters_equal_to_the_stored_events()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var email = Identity.Email("crash@example.com");
        await using (var first = Host())
        {
            await first.GetRequiredService<IEventCollector>().TrackAsync(Login("e1", at, email));
        }
        var dying = new DyingProfileStore(null!);
        await using (var second = Host())
        {
            var profiles = second.GetRequiredService<RelationalStoreSet>().Profiles;
            dying = new DyingProfileStore(profiles) { Dead = true };
        }
        await using (var doomed = Host(dying))
        {
            // The append of e2 is the last thing this host does; whatever it committed is all there is.
            try
            {
                await doomed.GetRequiredService<IEventCollector>().TrackAsync(Login("e2", at.AddHours(1), email));
            }
            catch (MarketingStoreException)
            {
            }
        }
        await AssertConsistentAsync();
        await using (var restarted = Host())
        {
            var collector = restarted.GetRequiredService<IEventCollector>();
            await collector.TrackAsync(Login("e2", at.AddHours(1), email));
            await collector.TrackAsync(Login("e3", at.AddHours(2), email));
            var profile = await restarted.GetRequiredService<IProfileService>().FindByIdentityAsync(email);
            Assert.Equal(3, profile!.EventCount);
            Assert.Equal(at.AddHours(2), profile.LastSeen);
        }
        await AssertConsistentAsync();
    }

    [Fact]
    public async Task A_host_dying_after_claiming_an_identity_leaves_no_identity_without_a_profile()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var phone = Identity.Phone("+8613800138000");
        DyingProfileStore dying;
        await using (var setup = Host())
        {
            dying = new DyingProfileStore(setup.GetRequiredService<RelationalStoreSet>().Profiles) { Dead = true };
            await setup.GetRequiredService<IStorageMigrator>().MigrateAsync();
        }
        await using (var doomed = Host(dying))
        {
            try
            {
                await doomed.GetRequiredService<IEventCollector>().TrackAsync(Login("c1", at, phone));
            }
            catch (MarketingStoreException)
            {
            }
        }
        await AssertConsistentAsync();
        await using (var restarted = Host())
        {
            // Whatever the dead host left, the identity is found, and its erasure leaves nothing of it.
            await restarted.GetRequiredService<IEventCollector>().TrackAsync(Login("c2", at.AddHours(1), phone));
            var profile = await restarted.GetRequiredService<IProfileService>().FindByIdentityAsync(phone);
            Assert.NotNull(profile);
            await AssertConsistentAsync();
            await restarted.GetRequiredService<ICustomerDataEraser>().EraseAsync(profile.Id);
            Assert.Empty(await restarted.GetRequiredService<IIdentityGraphStore>().FindAsync([phone]));
            Assert.Equal(0, await restarted.GetRequiredService<IEventStore>().CountAsync(EventQuery.All));
        }
    }
}
