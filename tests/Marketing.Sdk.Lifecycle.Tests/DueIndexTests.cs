using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FsCheck.Xunit;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Counts the reads of a state store per scope.</summary>
internal sealed class CountingStore(IStateStore inner) : IStateStore
{
    public ConcurrentDictionary<string, int> Gets { get; } = new();
    public ConcurrentDictionary<string, int> Streamed { get; } = new();
    public ConcurrentDictionary<string, int> Streams { get; } = new();

    public void Reset()
    {
        Gets.Clear();
        Streamed.Clear();
        Streams.Clear();
    }

    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Gets.AddOrUpdate(scope, 1, (_, n) => n + 1);
        return inner.GetAsync(scope, key, cancellationToken);
    }
    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default) => inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(scope, key, cancellationToken);
    public async IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Streams.AddOrUpdate(scope, 1, (_, n) => n + 1);
        await foreach (var e in inner.StreamAsync(scope, keyPrefix, cancellationToken))
        {
            Streamed.AddOrUpdate(scope, 1, (_, n) => n + 1);
            yield return e;
        }
    }
}

public class DueIndexTests
{
    private static readonly EventType[] Types = [EventType.AddToCart, EventType.Purchase, EventType.ProductView, EventType.Login, EventType.Review];

    private static void Journeys(LifecycleOptions o)
    {
        o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).AddTag("cart"));
        o.Journeys.Add("browse", j => j.OnEvent(EventType.ProductView).Reentry(true)
            .Wait(TimeSpan.FromMinutes(30)).AddTag("b1").Wait(TimeSpan.FromHours(2)).AddTag("b2"));
        o.Journeys.Add("review", j => j.OnEvent(EventType.Purchase)
            .WaitForEvent(EventType.Review, TimeSpan.FromHours(3), onEventGoTo: "thanks")
            .AddTag("no_review").Exit()
            .Wait(TimeSpan.FromHours(1), label: "thanks").AddTag("reviewed"));
        o.Journeys.Add("recall", j => j.OnInactivity(TimeSpan.FromHours(5), EventType.Login).AddTag("recall"));
    }

    /// <summary>Every active enrollment whose due time has come, by reading them all.</summary>
    private static async Task<HashSet<(CustomerId, string)>> BruteForceDueAsync(IStateStore store, DateTimeOffset now)
    {
        var set = new HashSet<(CustomerId, string)>();
        await foreach (var entry in store.StreamAsync(JourneyEngine.EnrollmentScope))
        {
            var e = JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment)!;
            if (e is { Status: EnrollmentStatus.Active, DueAt: { } at } && at <= now)
            {
                set.Add((e.CustomerId, e.JourneyId));
            }
        }
        return set;
    }

    private static async Task<int> DueWatchesAsync(IStateStore store, DateTimeOffset now)
    {
        var n = 0;
        await foreach (var entry in store.StreamAsync(JourneyEngine.WatchScope))
        {
            n += JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch)!.DueAt <= now ? 1 : 0;
        }
        return n;
    }

    [Property(MaxTest = 40)]
    public bool The_enrollments_a_run_advances_are_exactly_those_a_full_scan_finds_due(int seed)
    {
        return Check().GetAwaiter().GetResult();

        async Task<bool> Check()
        {
            var random = new Random(seed);
            var store = new InMemoryStateStore();
            using var h = new Harness(Journeys, store);
            var customers = Enumerable.Range(0, 6).Select(i => new CustomerId("c_" + i)).ToArray();
            var fired = 0;
            for (var step = 0; step < 30; step++)
            {
                var batch = Enumerable.Range(0, random.Next(0, 3))
                    .Select(_ => h.Event(Types[random.Next(Types.Length)], customers[random.Next(customers.Length)], h.Time.GetUtcNow().AddMinutes(-random.Next(0, 240))))
                    .ToList();
                await h.TrackAllAsync(batch);
                h.Time.Advance(TimeSpan.FromMinutes(random.Next(0, 180)));

                var now = h.Time.GetUtcNow();
                var expected = await BruteForceDueAsync(store, now);
                var advanced = new List<(CustomerId, string)>();
                await h.Engine.RunDueCoreAsync(advanced, default);
                fired += advanced.Count;
                if (!expected.SetEquals(advanced) || advanced.Count != expected.Count)
                {
                    return false;
                }
                // Nothing due is left behind: no active enrollment and no inactivity deadline at or before now.
                if ((await BruteForceDueAsync(store, now)).Count != 0 || await DueWatchesAsync(store, now) != 0)
                {
                    return false;
                }
            }
            return fired > 0; // the run had due work to do, so the comparison was not vacuous
        }
    }

    [Fact]
    public async Task A_run_reads_only_the_enrollments_that_are_due()
    {
        var store = new CountingStore(new InMemoryStateStore());
        using var h = new Harness(o => o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).Wait(TimeSpan.FromHours(1)).AddTag("cart")), store);
        await h.Engine.RunDueAsync(); // indexes the (empty) store once
        for (var i = 0; i < 40; i++)
        {
            await h.TrackAllAsync([h.Event(EventType.AddToCart, new CustomerId("c_" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)))]);
            h.Time.Advance(TimeSpan.FromMinutes(1));
        }
        // 40 enrollments due at start+60 … start+99 minutes; now is start+40: advance to start+64.
        h.Time.Advance(TimeSpan.FromMinutes(24));
        store.Reset();

        Assert.Equal(5, await h.Engine.RunDueAsync());

        Assert.Equal(5, store.Gets.GetValueOrDefault(JourneyEngine.EnrollmentScope));
        Assert.Equal(0, store.Streams.GetValueOrDefault(JourneyEngine.EnrollmentScope));
        Assert.Equal(0, store.Streams.GetValueOrDefault(JourneyEngine.WatchScope));
        Assert.True(store.Streamed.GetValueOrDefault(JourneyEngine.DueScope) <= 6); // the due entries and the first one not due
        Assert.Equal(5, h.Handler.Calls.Count);
    }

    [Fact]
    public async Task Enrollments_stored_before_the_index_existed_are_indexed_on_the_first_run()
    {
        var store = new InMemoryStateStore();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Harness.Start);
        static void Cart(LifecycleOptions o) => o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).Wait(TimeSpan.FromHours(1)).AddTag("cart"));
        using (var first = new Harness(Cart, store, time))
        {
            await first.Track(EventType.AddToCart);
        }
        // Drop the index and its marker, as a store written by an earlier version would be.
        await foreach (var entry in store.StreamAsync(JourneyEngine.DueScope))
        {
            await store.DeleteAsync(JourneyEngine.DueScope, entry.Key);
        }
        await store.DeleteAsync(JourneyEngine.MetaScope, "due-index-v1");

        using var second = new Harness(Cart, store, time);
        Assert.Equal(1, await second.AdvanceAndRunAsync(TimeSpan.FromHours(1)));
        Assert.Single(second.Handler.Calls);
    }

    [Fact]
    public async Task Stale_index_entries_are_dropped_when_they_fall_due()
    {
        var store = new InMemoryStateStore();
        using var h = new Harness(o => o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).AddTag("cart")), store);
        await h.Track(EventType.AddToCart);
        await h.Track(EventType.Purchase); // exits: its entry goes with the save
        Assert.Empty(await store.StreamAsync(JourneyEngine.DueScope).ToListAsync());

        // A crash between writing an entry and the enrollment leaves a stale entry behind; the run drops it.
        await store.SaveAsync(JourneyEngine.DueScope, JourneyEngine.DueKey(new DueEntry(DueKind.Enrollment, Harness.Alice, "cart", Harness.Start.AddMinutes(5))),
            JsonSerializer.Serialize(new DueEntry(DueKind.Enrollment, Harness.Alice, "cart", Harness.Start.AddMinutes(5)), LifecycleJsonContext.Default.DueEntry), 0);
        Assert.Equal(0, await h.AdvanceAndRunAsync(TimeSpan.FromHours(2)));
        Assert.Empty(await store.StreamAsync(JourneyEngine.DueScope).ToListAsync());
        Assert.Empty(h.Handler.Calls);
    }
}
