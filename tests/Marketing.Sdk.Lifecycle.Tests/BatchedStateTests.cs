using System.Collections.Concurrent;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Counts every call of a state store per scope (batch calls by the scopes they touch), and can interfere before a batch write.</summary>
internal sealed class BatchCountingStore(IStateStore inner) : IStateStore
{
    public ConcurrentDictionary<string, int> Gets { get; } = new();
    public ConcurrentDictionary<string, int> GetManys { get; } = new();
    public ConcurrentDictionary<string, int> Saves { get; } = new();
    public ConcurrentDictionary<string, int> SaveManys { get; } = new();
    public ConcurrentDictionary<string, int> Deletes { get; } = new();

    /// <summary>Runs before a batch write (the write's number, from 1); may write to the store like another instance, or throw.</summary>
    public Func<int, IStateStore, ValueTask>? BeforeSaveMany { get; set; }

    public IStateStore Inner => inner;

    public void Reset()
    {
        Gets.Clear();
        GetManys.Clear();
        Saves.Clear();
        SaveManys.Clear();
        Deletes.Clear();
    }

    public int Count(ConcurrentDictionary<string, int> calls, string scope) => calls.GetValueOrDefault(scope);

    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Gets.AddOrUpdate(scope, 1, (_, n) => n + 1);
        return inner.GetAsync(scope, key, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<string, StateEntry>> GetManyAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        GetManys.AddOrUpdate(scope, 1, (_, n) => n + 1);
        return inner.GetManyAsync(scope, keys, cancellationToken);
    }

    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Saves.AddOrUpdate(scope, 1, (_, n) => n + 1);
        return inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
    }

    private int _saveManys;

    public async ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        foreach (var scope in writes.Select(w => w.Scope).Distinct())
        {
            SaveManys.AddOrUpdate(scope, 1, (_, n) => n + 1);
        }
        var n = Interlocked.Increment(ref _saveManys);
        if (BeforeSaveMany is { } hook)
        {
            await hook(n, inner);
        }
        return await inner.SaveManyAsync(writes, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Deletes.AddOrUpdate(scope, 1, (_, n) => n + 1);
        return inner.DeleteAsync(scope, key, cancellationToken);
    }

    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) => inner.StreamAsync(scope, keyPrefix, cancellationToken);
}

public class BatchedStateTests
{
    private static readonly EventType[] Funnel = [EventType.PageView, EventType.ProductView, EventType.Purchase, EventType.PageView, EventType.Purchase, EventType.Review];

    private static CustomerId Customer(int i) => new($"c_{i:D3}");

    /// <summary>Each customer walks part of the funnel, one event a minute, all in one batch.</summary>
    private static List<MarketingEvent> FunnelBatch(Harness h, int customers)
    {
        var events = new List<MarketingEvent>();
        for (var c = 0; c < customers; c++)
        {
            for (var s = 0; s < 1 + c % Funnel.Length; s++)
            {
                events.Add(h.Event(Funnel[s], Customer(c), Harness.Start.AddMinutes(s - 60)));
            }
        }
        // Shuffled: the tracker orders each customer's events by time itself.
        return [.. events.OrderBy(e => e.Id.GetHashCode(StringComparison.Ordinal))];
    }

    private static async Task<Dictionary<CustomerId, CustomerStage>> StagesAsync(Harness h)
    {
        var stages = new Dictionary<CustomerId, CustomerStage>();
        await foreach (var s in h.Provider.GetRequiredService<LifecycleStageTracker>().StreamAsync())
        {
            stages[s.CustomerId] = s;
        }
        return stages;
    }

    [Fact]
    public async Task A_batch_reads_every_customers_stage_at_once_and_writes_them_in_one_atomic_batch()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        using var batched = new Harness(_ => { }, store);
        using var oneByOne = new Harness(_ => { });
        var events = FunnelBatch(batched, 60);

        await batched.TrackAllAsync(events);
        foreach (var e in events.OrderBy(e => e.OccurredAt))
        {
            await oneByOne.TrackAllAsync([e]);
        }

        Assert.Equal(1, store.Count(store.GetManys, LifecycleStageTracker.Scope));
        Assert.Equal(1, store.Count(store.SaveManys, LifecycleStageTracker.Scope));
        Assert.Equal(0, store.Count(store.Gets, LifecycleStageTracker.Scope));
        Assert.Equal(0, store.Count(store.Saves, LifecycleStageTracker.Scope));
        var expected = await StagesAsync(oneByOne);
        var actual = await StagesAsync(batched);
        Assert.Equal(60, actual.Count);
        foreach (var (customer, stage) in expected)
        {
            Assert.Equal(stage.Stage, actual[customer].Stage);
            Assert.Equal(stage.Purchases, actual[customer].Purchases);
            Assert.Equal(stage.History.Select(t => (t.From, t.To, t.At)), actual[customer].History.Select(t => (t.From, t.To, t.At)));
        }

        // The same batch again changes nothing (event ids already applied).
        await batched.TrackAllAsync(events);
        Assert.Equal(expected[Customer(5)].Purchases, (await StagesAsync(batched))[Customer(5)].Purchases);
    }

    [Fact]
    public async Task A_stage_batch_that_races_another_instance_is_read_and_applied_again_over_its_write()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        using var h = new Harness(_ => { }, store);
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        await h.TrackAllAsync([h.Event(EventType.Purchase, Customer(1), Harness.Start.AddHours(-2))]);
        store.BeforeSaveMany = async (n, inner) =>
        {
            if (n == 2)
            {
                // Another instance records a purchase of customer 1 between this batch's read and write.
                var entry = (await inner.GetAsync(LifecycleStageTracker.Scope, Customer(1).Value + "|"))!;
                var stage = System.Text.Json.JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.CustomerStage)!;
                await inner.SaveAsync(LifecycleStageTracker.Scope, entry.Key, System.Text.Json.JsonSerializer.Serialize(stage with { Purchases = stage.Purchases + 1 }, LifecycleJsonContext.Default.CustomerStage), entry.Version);
            }
        };

        await h.TrackAllAsync([h.Event(EventType.Purchase, Customer(1), Harness.Start.AddHours(-1)), h.Event(EventType.PageView, Customer(2))]);

        Assert.Equal(3, (await tracker.GetAsync(Customer(1)))!.Purchases);
        Assert.NotNull(await tracker.GetAsync(Customer(2)));
        Assert.Equal(3, store.Count(store.SaveManys, LifecycleStageTracker.Scope)); // first batch, the conflicting write, the retry
    }

    private static void CartJourney(LifecycleOptions o) =>
        o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).AddTag("cart"));

    [Fact]
    public async Task A_journey_batch_reads_enrollments_at_once_and_writes_them_in_one_batch()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        using var h = new Harness(CartJourney, store);
        var events = Enumerable.Range(0, 40).Select(c => h.Event(c % 4 == 0 ? EventType.Purchase : EventType.AddToCart, Customer(c))).ToList();
        store.Reset();

        await h.TrackAllAsync(events);

        Assert.Equal(0, store.Count(store.Gets, JourneyEngine.EnrollmentScope));
        Assert.Equal(0, store.Count(store.Saves, JourneyEngine.EnrollmentScope));
        Assert.Equal(1, store.Count(store.GetManys, JourneyEngine.EnrollmentScope));
        Assert.Equal(1, store.Count(store.SaveManys, JourneyEngine.EnrollmentScope));
        Assert.Equal(0, store.Count(store.Saves, JourneyEngine.DueScope));

        // Three of them buy: their enrollments exit and their due-index entries are deleted with the batch
        // write, without reading them first.
        store.Reset();
        await h.TrackAllAsync([.. new[] { 1, 2, 3 }.Select(c => h.Event(EventType.Purchase, Customer(c)))]);
        Assert.Equal(0, store.Count(store.Deletes, JourneyEngine.DueScope));
        Assert.Equal(0, store.Count(store.Gets, JourneyEngine.DueScope));
        Assert.Equal(1, store.Count(store.SaveManys, JourneyEngine.DueScope));

        // The held due-index entries were written with the enrollments: the scheduler finds every wait.
        Assert.Equal(27, await h.AdvanceAndRunAsync(TimeSpan.FromHours(1)));
        Assert.Equal(27, h.Handler.Effects.Count);
        Assert.Equal(27, (await h.LogAsync()).Count);
    }

    private static void Welcome(LifecycleOptions o) =>
        o.Journeys.Add("welcome", j => j.OnEvent(EventType.SignUp).AddTag("welcomed").Wait(TimeSpan.FromHours(1)).AddTag("followed_up"));

    [Fact]
    public async Task Actions_in_a_batch_that_loses_a_race_are_performed_exactly_once()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        using var h = new Harness(Welcome, store);
        var events = Enumerable.Range(0, 12).Select(c => h.Event(EventType.SignUp, Customer(c))).ToList();
        store.BeforeSaveMany = (n, _) => n == 5
            ? throw new ConcurrencyConflictException(JourneyEngine.EnrollmentScope, "someone", 0, 1)
            : ValueTask.CompletedTask;

        await h.TrackAllAsync(events);
        store.BeforeSaveMany = null;
        await h.TrackAllAsync(events); // a client retry of the whole batch
        Assert.Equal(12, await h.AdvanceAndRunAsync(TimeSpan.FromHours(1)));

        Assert.Equal(24, h.Handler.Calls.Count);
        Assert.Equal(24, h.Handler.Calls.Select(c => c.IdempotencyKey).Distinct().Count());
        var log = await h.LogAsync();
        Assert.Equal(24, log.Count);
        Assert.All(log, r => Assert.Equal(JourneyActionStatus.Executed, r.Status));
        for (var c = 0; c < 12; c++)
        {
            Assert.Equal(EnrollmentStatus.Completed, (await h.Engine.GetEnrollmentAsync("welcome", Customer(c)))!.Status);
        }
    }

    [Fact]
    public async Task The_write_buffer_checks_versions_like_the_store_and_writes_each_key_once()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        await store.Inner.SaveAsync("s", "a", "a1", 0);
        await store.Inner.SaveAsync("d", "idx", "same", 0);
        var buffer = new StateWriteBuffer(store);
        await buffer.PrefetchAsync("s", ["a", "b"], CancellationToken.None);

        Assert.Equal(2, await buffer.SaveAsync("s", "a", "a2", 1));
        Assert.Equal(2, await buffer.SaveAsync("s", "a", "a3", 2));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await buffer.SaveAsync("s", "a", "stale", 1));
        Assert.Equal(1, await buffer.SaveAsync("s", "b", "b1", 0));
        Assert.Equal(new StateEntry("a", "a3", 2), await buffer.GetAsync("s", "a"));
        buffer.AddIfAbsent("d", "idx", "same");
        buffer.AddIfAbsent("d", "new", "n");
        Assert.True(await buffer.DeleteAsync("s", "b"));
        Assert.Null(await buffer.GetAsync("s", "b"));
        Assert.Null(await store.Inner.GetAsync("s", "b"));
        Assert.Equal(0, store.Count(store.Gets, "s"));

        await buffer.FlushAsync(CancellationToken.None);

        Assert.Equal(new StateEntry("a", "a3", 2), await store.Inner.GetAsync("s", "a"));
        Assert.Null(await store.Inner.GetAsync("s", "b"));
        Assert.Equal(new StateEntry("idx", "same", 1), await store.Inner.GetAsync("d", "idx"));
        Assert.Equal(new StateEntry("new", "n", 1), await store.Inner.GetAsync("d", "new"));
        Assert.Equal(1, store.Count(store.SaveManys, "s"));
        Assert.Equal(0, store.Count(store.Saves, "s"));
        Assert.False(buffer.HasPending);
        Assert.Equal(3, await buffer.SaveAsync("s", "a", "a4", 2));
    }

    [Fact]
    public async Task The_write_buffer_deletes_without_reading_and_with_the_batch_write()
    {
        var store = new BatchCountingStore(new InMemoryStateStore());
        await store.Inner.SaveAsync("d", "old", "o", 0);
        await store.Inner.SaveAsync("d", "again", "a1", 0);
        await store.Inner.SaveAsync("s", "kept", "k", 0);
        var buffer = new StateWriteBuffer(store);

        buffer.Delete("d", "old");
        buffer.Delete("d", "never");
        buffer.Delete("d", "again");
        Assert.Equal(0, store.Count(store.Gets, "d"));
        Assert.Null(await buffer.GetAsync("d", "again"));
        Assert.Equal(2, await buffer.SaveAsync("d", "again", "a2", 0)); // deleted then written again: a replacement of the stored version
        Assert.Equal(1, await buffer.SaveAsync("s", "new", "n", 0));
        Assert.Equal(new StateEntry("old", "o", 1), await store.Inner.GetAsync("d", "old"));

        await buffer.FlushAsync(CancellationToken.None);

        Assert.Null(await store.Inner.GetAsync("d", "old"));
        Assert.Null(await store.Inner.GetAsync("d", "never"));
        Assert.Equal(new StateEntry("again", "a2", 2), await store.Inner.GetAsync("d", "again"));
        Assert.Equal(new StateEntry("new", "n", 1), await store.Inner.GetAsync("s", "new"));
        Assert.Equal(1, store.Count(store.SaveManys, "d"));
        Assert.Equal(0, store.Count(store.Deletes, "d"));
        Assert.False(buffer.HasPending);

        // A write that lost a race undoes the batch's deletions too.
        buffer.Delete("s", "kept");
        await buffer.SaveAsync("s", "new", "n2", 1);
        await store.Inner.SaveAsync("s", "new", "theirs", 1);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await buffer.FlushAsync(CancellationToken.None));
        Assert.Equal(new StateEntry("kept", "k", 1), await store.Inner.GetAsync("s", "kept"));
    }
}
