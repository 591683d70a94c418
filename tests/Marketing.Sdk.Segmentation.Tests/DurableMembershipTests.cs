using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>A listener that several hosts' evaluations may call at once.</summary>
internal sealed class SharedListener : ISegmentMembershipListener
{
    private readonly Lock _gate = new();
    private readonly List<SegmentMembershipChange> _changes = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public IReadOnlyList<SegmentMembershipChange> Changes
    {
        get
        {
            lock (_gate)
            {
                return [.. _changes];
            }
        }
    }

    public ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _changes.AddRange(changes);
            foreach (var w in _waiters.Where(w => _changes.Count >= w.Count))
            {
                w.Done.TrySetResult();
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Completes once <paramref name="count"/> changes arrived (a background duty's effect); the bound only limits a broken run.</summary>
    public Task WaitForAsync(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_changes.Count >= count)
            {
                return Task.CompletedTask;
            }
            _waiters.Add((count, done));
        }
        return done.Task.WaitAsync(TimeSpan.FromMinutes(1));
    }
}

/// <summary>One "host": its own service provider (its own singletons) on a store it may share with others.</summary>
internal sealed class SegmentHost(ServiceProvider provider, SharedListener listener) : IAsyncDisposable
{
    public ServiceProvider Provider { get; } = provider;
    public SharedListener Listener { get; } = listener;
    public ISegmentService Segments => Provider.GetRequiredService<ISegmentService>();
    public IEventCollector Collector => Provider.GetRequiredService<IEventCollector>();

    public static async Task<SegmentHost> StartAsync(TimeProvider time, Action<IMarketingBuilder> storage, Action<IServiceCollection>? extra = null, Action<SegmentationOptions>? configure = null)
    {
        var listener = new SharedListener();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<ISegmentMembershipListener>(listener);
        extra?.Invoke(services);
        services.AddMarketingSdk(m =>
        {
            storage(m);
            m.AddSegmentation(configure ?? (_ => { }));
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        if (provider.GetService<IStorageMigrator>() is { } migrator)
        {
            await migrator.MigrateAsync();
        }
        return new SegmentHost(provider, listener);
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>
/// Definitions and memberships live in the store: a restarted host republishes nothing, hosts on one
/// database publish each enter and exit once between them, merges and erasures follow.
/// </summary>
public sealed class DurableMembershipTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("segments-").FullName;
    private readonly FakeTimeProvider _time = new(TestData.Now);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string SqliteFile => $"Data Source={Path.Combine(_dir, "marketing.db")}";

    private static MarketingEvent Tracked(string member, EventType type, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Type = type,
        OccurredAt = at,
        Identities = [Identity.Member(member)],
    };

    private static async Task TrackAsync(SegmentHost host, IEnumerable<MarketingEvent> events)
    {
        var batch = events.ToList();
        var result = await host.Collector.TrackBatchAsync(batch);
        Assert.Equal(batch.Count, result.Accepted);
    }

    private static async Task<CustomerId> CustomerOfAsync(SegmentHost host, string member)
    {
        var found = await host.Provider.GetRequiredService<IIdentityGraphStore>().FindAsync([Identity.Member(member)]);
        return found.Values.Single();
    }

    [Fact]
    public async Task A_host_restarted_on_the_same_sqlite_file_republishes_no_entry_and_sees_the_same_members()
    {
        Dictionary<string, List<CustomerId>> before;
        await using (var first = await SegmentHost.StartAsync(_time, m => m.UseSqlite(SqliteFile)))
        {
            await first.Segments.DefineAsync(SegmentDefinition.Parse("viewers", "count(page_view) >= 2"));
            await first.Segments.DefineAsync(SegmentDefinition.Parse("carters", "exists(add_to_cart)"));
            var events = new List<MarketingEvent>();
            for (var i = 0; i < 10; i++)
            {
                events.Add(Tracked($"m{i}", EventType.PageView, TestData.Now.AddMinutes(-30)));
                events.Add(Tracked($"m{i}", EventType.PageView, TestData.Now.AddMinutes(-20)));
                if (i < 5)
                {
                    events.Add(Tracked($"m{i}", EventType.AddToCart, TestData.Now.AddMinutes(-10)));
                }
            }
            await TrackAsync(first, events);
            Assert.Equal(15, first.Listener.Changes.Count(c => c.Entered));
            before = new()
            {
                ["viewers"] = await first.Segments.GetMembersAsync("viewers").ToListAsync(),
                ["carters"] = await first.Segments.GetMembersAsync("carters").ToListAsync(),
            };
            Assert.Equal(10, before["viewers"].Count);
            Assert.Equal(5, before["carters"].Count);
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        await using var second = await SegmentHost.StartAsync(_time, m => m.UseSqlite(SqliteFile));
        // The definitions came from the file: nothing is defined again.
        Assert.Equal(["carters", "viewers"], await second.Segments.ListAsync().Select(d => d.Id).ToListAsync());
        var more = new List<MarketingEvent>();
        for (var i = 0; i < 10; i++)
        {
            more.Add(Tracked($"m{i}", EventType.PageView, TestData.Now.AddMinutes(1)));
        }
        more.Add(Tracked("m5", EventType.AddToCart, TestData.Now.AddMinutes(2)));
        more.Add(Tracked("m10", EventType.PageView, TestData.Now.AddMinutes(1)));
        more.Add(Tracked("m10", EventType.PageView, TestData.Now.AddMinutes(3)));
        await TrackAsync(second, more);

        // Only the two new memberships were published; none of the first host's members entered again.
        var m5 = await CustomerOfAsync(second, "m5");
        var m10 = await CustomerOfAsync(second, "m10");
        Assert.Equal(
            [("carters", m5, true), ("viewers", m10, true)],
            second.Listener.Changes.Select(c => (c.SegmentId, c.CustomerId, c.Entered)).OrderBy(c => c.SegmentId, StringComparer.Ordinal));
        Assert.Equal(before["viewers"].Append(m10).Order(), await second.Segments.GetMembersAsync("viewers").ToListAsync());
        Assert.Equal(before["carters"].Append(m5).Order(), await second.Segments.GetMembersAsync("carters").ToListAsync());
        Assert.True(await second.Segments.IsMemberAsync("carters", m5));

        // A full evaluation on the restarted host agrees with what is stored.
        var check = await second.Segments.EvaluateAsync("viewers");
        Assert.Equal((11, 0, 0), (check.Members, check.Entered, check.Exited));
    }

    public static TheoryData<string> Stores => ["sqlite", "postgresql"];

    private Action<IMarketingBuilder> Storage(string kind, string schema) => kind == "sqlite"
        ? m => m.UseSqlite(SqliteFile)
        : m => m.UsePostgreSql(Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")!, o => o.Schema = schema);

    [SkippableTheory]
    [MemberData(nameof(Stores))]
    public async Task Two_hosts_on_one_database_evaluating_the_same_customers_at_once_publish_every_change_once(string kind)
    {
        Skip.If(kind == "postgresql" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")), "MARKETING_SDK_TEST_POSTGRES is not set.");
        var schema = "seg_" + Guid.NewGuid().ToString("N")[..12];
        await using var a = await SegmentHost.StartAsync(_time, Storage(kind, schema));
        await using var b = await SegmentHost.StartAsync(_time, Storage(kind, schema));

        await a.Segments.DefineAsync(SegmentDefinition.Parse("active", "count(page_view) within 7d >= 2"));
        await a.Segments.DefineAsync(SegmentDefinition.Parse("ever", "exists(page_view)"));
        // Defined on one host, seen by the other.
        Assert.NotNull(await b.Segments.GetAsync("active"));

        // Profiles and events written straight to the shared stores: the hosts' evaluations race, not their ingestion.
        const int customers = 40;
        var ids = Enumerable.Range(0, customers).Select(i => new CustomerId($"c{i:D3}")).ToList();
        var profiles = a.Provider.GetRequiredService<IProfileStore>();
        var store = a.Provider.GetRequiredService<IEventStore>();
        foreach (var id in ids)
        {
            await profiles.SaveAsync(new CustomerProfile { Id = id, FirstSeen = TestData.Now.AddDays(-6), LastSeen = TestData.Now.AddDays(-6) });
            await store.AppendAsync([
                new MarketingEvent { Id = id.Value + "-1", Type = EventType.PageView, OccurredAt = TestData.Now.AddDays(-6), CustomerId = id },
                new MarketingEvent { Id = id.Value + "-2", Type = EventType.PageView, OccurredAt = TestData.Now.AddDays(-6).AddMinutes(1), CustomerId = id },
            ]);
        }

        // Round 1: both hosts evaluate every customer at once, in opposite orders, three times over.
        await Task.WhenAll(
            Task.Run(async () => { for (var r = 0; r < 3; r++) { foreach (var id in ids) { await a.Segments.EvaluateCustomerAsync(id); } } }),
            Task.Run(async () => { for (var r = 0; r < 3; r++) { foreach (var id in Enumerable.Reverse(ids)) { await b.Segments.EvaluateCustomerAsync(id); } } }));

        // Round 2: the window rolls past; one host refreshes in bulk while the other evaluates one by one.
        _time.Advance(TimeSpan.FromDays(1.5));
        await Task.WhenAll(
            Task.Run(async () => await a.Segments.EvaluateAsync("active")),
            Task.Run(async () => { foreach (var id in ids) { await b.Segments.EvaluateCustomerAsync(id); } }),
            Task.Run(async () => await b.Segments.EvaluateAsync("active")));

        var all = a.Listener.Changes.Concat(b.Listener.Changes).ToList();
        var counted = all.GroupBy(c => (c.SegmentId, c.CustomerId, c.Entered)).ToDictionary(g => g.Key, g => g.Count());
        var expected = ids.SelectMany(id => new[] { ("active", id, true), ("active", id, false), ("ever", id, true) }).ToHashSet();
        Assert.Equal(expected.Order(), counted.Keys.Order());
        Assert.All(counted, kv => Assert.Equal(1, kv.Value));
        // Both hosts read the same stored members.
        Assert.Empty(await a.Segments.GetMembersAsync("active").ToListAsync());
        Assert.Equal(ids, await b.Segments.GetMembersAsync("ever").ToListAsync());
    }

    [Fact]
    public async Task Definitions_changed_on_one_host_reach_the_other_after_the_reload_interval_or_at_once_through_a_newer_membership()
    {
        var state = new InMemoryStateStore();
        var profilesStore = new MemoryProfileStore();
        var eventsStore = new MemoryEventStore();
        void Shared(IServiceCollection s)
        {
            s.AddSingleton<IStateStore>(state);
            s.AddSingleton<IProfileStore>(profilesStore);
            s.AddSingleton<IEventStore>(eventsStore);
        }
        profilesStore.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female", ["age"] = 25 } });
        profilesStore.Put(new CustomerProfile { Id = TestData.Id(2), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "male", ["age"] = 22 } });
        await using var a = await SegmentHost.StartAsync(_time, _ => { }, Shared);
        await using var b = await SegmentHost.StartAsync(_time, _ => { }, Shared);
        Assert.Empty(await b.Segments.EvaluateCustomerAsync(TestData.Id(1))); // b has loaded the (empty) catalog

        await a.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        // Within the reload interval b still evaluates with what it loaded; after it, b checks and reloads.
        Assert.Empty(await b.Segments.EvaluateCustomerAsync(TestData.Id(1)));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([new SegmentMembershipChange("women", TestData.Id(1), true, _time.GetUtcNow())], TestData.WithoutIds(await b.Segments.EvaluateCustomerAsync(TestData.Id(1))));
        Assert.Empty(await a.Segments.EvaluateCustomerAsync(TestData.Id(1))); // recorded: a publishes nothing again

        // A membership written with newer definitions makes b reload at once, with no time passing.
        await a.Segments.DefineAsync(SegmentDefinition.Parse("young", "age < 30"));
        Assert.Equal([new SegmentMembershipChange("young", TestData.Id(2), true, _time.GetUtcNow())], TestData.WithoutIds(await a.Segments.EvaluateCustomerAsync(TestData.Id(2))));
        Assert.Empty(await b.Segments.EvaluateCustomerAsync(TestData.Id(2)));
        Assert.Equal([new SegmentMembershipChange("young", TestData.Id(1), true, _time.GetUtcNow())], TestData.WithoutIds(await b.Segments.EvaluateCustomerAsync(TestData.Id(1))));

        // Removing a segment and defining it again starts it afresh: old memberships no longer count.
        Assert.True(await a.Segments.RemoveAsync("women"));
        Assert.Null(await b.Segments.GetAsync("women"));
        await a.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        Assert.False(await b.Segments.IsMemberAsync("women", TestData.Id(1)));
        Assert.Equal([new SegmentMembershipChange("women", TestData.Id(1), true, _time.GetUtcNow())], TestData.WithoutIds(await b.Segments.EvaluateCustomerAsync(TestData.Id(1))));
        Assert.Equal(4, a.Listener.Changes.Count + b.Listener.Changes.Count);
    }

    [Fact]
    public async Task A_merge_moves_membership_to_the_survivor_and_publishes_the_merged_away_exit_once()
    {
        var profiles = new MemoryProfileStore();
        profiles.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
        profiles.Put(new CustomerProfile { Id = TestData.Id(2), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "male" } });
        await using var host = await SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton<IProfileStore>(profiles);
            s.AddSingleton<IEventStore>(new MemoryEventStore());
        });
        await host.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(1));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(2));

        // Customer 1 merges into 2; the survivor takes over the trait.
        await profiles.DeleteAsync(TestData.Id(1));
        profiles.Put(new CustomerProfile { Id = TestData.Id(2), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
        var listener = Assert.Single(host.Provider.GetServices<IProfileMergeListener>());
        await listener.OnMergedAsync(TestData.Id(2), [TestData.Id(1)]);
        await listener.OnMergedAsync(TestData.Id(2), [TestData.Id(1)]); // reported again after a retry: nothing new

        Assert.Equal(
            [("women", TestData.Id(1), true), ("women", TestData.Id(1), false), ("women", TestData.Id(2), true)],
            host.Listener.Changes.Select(c => (c.SegmentId, c.CustomerId, c.Entered)));
        Assert.Equal([TestData.Id(2)], await host.Segments.GetMembersAsync("women").ToListAsync());
        var state = host.Provider.GetRequiredService<IStateStore>();
        Assert.Null(await state.GetAsync("segmentation.membership", TestData.Id(1).Value + "|segments"));
    }

    [Fact]
    public async Task Erasure_removes_the_membership_document_without_publishing_on_the_in_memory_store()
    {
        var profiles = new MemoryProfileStore();
        profiles.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
        await using var host = await SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton<IProfileStore>(profiles);
            s.AddSingleton<IEventStore>(new MemoryEventStore());
        });
        await host.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(1));

        var eraser = Assert.Single(host.Provider.GetServices<IPersonalDataEraser>(), e => e.Name == "segmentation.memberships");
        Assert.Equal(1, await eraser.EraseAsync(TestData.Id(1), []));
        Assert.Equal(0, await eraser.EraseAsync(TestData.Id(1), []));

        Assert.Empty(await host.Segments.GetMembersAsync("women").ToListAsync());
        Assert.Single(host.Listener.Changes); // the entry only: an erasure publishes nothing
    }

    [Fact]
    public async Task The_sqlite_stores_own_erasure_removes_the_membership_document_by_its_customer_key()
    {
        await using var host = await SegmentHost.StartAsync(_time, m => m.UseSqlite(SqliteFile));
        await host.Segments.DefineAsync(SegmentDefinition.Parse("viewers", "exists(page_view)"));
        await TrackAsync(host, [Tracked("gone", EventType.PageView, TestData.Now.AddMinutes(-5)), Tracked("kept", EventType.PageView, TestData.Now.AddMinutes(-4))]);
        var gone = await CustomerOfAsync(host, "gone");
        var kept = await CustomerOfAsync(host, "kept");
        Assert.Equal(new[] { gone, kept }.Order(), await host.Segments.GetMembersAsync("viewers").ToListAsync());

        await host.Provider.GetRequiredService<ICustomerDataEraser>().EraseAsync(gone);

        Assert.Equal([kept], await host.Segments.GetMembersAsync("viewers").ToListAsync());
        Assert.False(await host.Segments.IsMemberAsync("viewers", gone));
    }

    [Fact]
    public async Task Real_time_evaluation_reads_the_membership_once_and_writes_only_on_a_change()
    {
        var state = new CountingStateStore(new InMemoryStateStore());
        var profiles = new MemoryProfileStore();
        profiles.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
        await using var host = await SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton<IStateStore>(state);
            s.AddSingleton<IProfileStore>(profiles);
            s.AddSingleton<IEventStore>(new MemoryEventStore());
        });
        await host.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await host.Segments.DefineAsync(SegmentDefinition.Parse("viewers", "exists(page_view)"));
        var listener = host.Provider.GetServices<IMarketingEventListener>().Single(l => l.GetType().Name == "SegmentEventListener");
        state.Reset();

        var events = Enumerable.Range(0, 5).Select(i => TestData.Event(1, EventType.Search, TestData.Now.AddMinutes(-i))).ToList();
        await listener.OnEventsAcceptedAsync(events);
        // One customer: one read, one write (entered "women": the membership and the change's record in one batch),
        // one delete (the change's record, once every listener had it).
        Assert.Equal((1, 1, 1), (state.Reads, state.Writes, state.Deletes));
        state.Reset();
        await listener.OnEventsAcceptedAsync(events);
        Assert.Equal((1, 0, 0), (state.Reads, state.Writes, state.Deletes)); // nothing changed: no write
    }
}

/// <summary>Counts the state store's membership reads and writes.</summary>
internal sealed class CountingStateStore(IStateStore inner) : IStateStore
{
    public int Reads;
    public int Writes;

    public void Reset() => (Reads, Writes, Deletes) = (0, 0, 0);

    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        if (scope.StartsWith("segmentation.", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref Reads);
        }
        return inner.GetAsync(scope, key, cancellationToken);
    }

    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        if (scope.StartsWith("segmentation.", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref Writes);
        }
        return inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
    }

    /// <summary>One atomic batch (the membership and the changes it records) is one write.</summary>
    public ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        if (writes.Any(w => w.Scope.StartsWith("segmentation.", StringComparison.Ordinal)))
        {
            Interlocked.Increment(ref Writes);
        }
        return inner.SaveManyAsync(writes, cancellationToken);
    }

    public int Deletes;

    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        if (scope.StartsWith("segmentation.", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref Deletes);
        }
        return inner.DeleteAsync(scope, key, cancellationToken);
    }

    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) => inner.StreamAsync(scope, keyPrefix, cancellationToken);
}
