using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketing.Sdk.Tests;

/// <summary>
/// A batch's identities are resolved together (one guard call, one lookup, one claim per run of events): the
/// outcome equals resolving the events one by one, and a writer that claims an identity between the batch's
/// lookup and its claim changes nothing but who owns that identity.
/// </summary>
public sealed class BatchResolutionTests
{
    private static MarketingEvent[] Stream(int count) =>
        new SyntheticShop(new SyntheticShopOptions { Customers = count / 30, InvalidRate = 0, Start = TestHost.Now.AddDays(-60), Days = 59 })
            .Events().Take(count).ToArray();

    /// <summary>Per event: status, flags, and the events stored with it under one customer (ids, not customer ids: those are random).</summary>
    private static async Task<(Dictionary<string, (TrackStatus Status, EventFlags Flags)> Results, HashSet<string> Groups)> OutcomeAsync(TestHost host, IReadOnlyList<TrackResult> results, MarketingEvent[] stream)
    {
        var byId = new Dictionary<string, (TrackStatus, EventFlags)>(StringComparer.Ordinal);
        for (var i = 0; i < stream.Length; i++)
        {
            // Identity resolution sets only IdentityGuarded (bot flags come from the session detector, not compared here).
            byId[stream[i].Id] = (results[i].Status, results[i].Flags & EventFlags.IdentityGuarded);
        }
        var groups = new Dictionary<CustomerId, List<string>>();
        await foreach (var e in host.Events.ReadAsync(EventQuery.All))
        {
            if (!OnlyShared(e.Identities))
            {
                (groups.TryGetValue(e.CustomerId!.Value, out var g) ? g : groups[e.CustomerId!.Value] = []).Add(e.Id);
            }
        }
        return (byId, groups.Values.Select(g => string.Join(",", g.Order(StringComparer.Ordinal))).ToHashSet(StringComparer.Ordinal));
    }

    // An event with shared identities only belongs to the smallest (random) owner id: left out of the comparison.
    private static bool OnlyShared(IReadOnlyList<Identity> identities) => identities.All(i => i.Kind is IdentityKind.DeviceId or IdentityKind.CookieId);

    private static async Task AssertConsistentAsync(TestHost host)
    {
        // Counters equal the stored events, and every linked identity's customer has a profile that lists it.
        var stored = new Dictionary<CustomerId, long>();
        await foreach (var e in host.Events.ReadAsync(EventQuery.All))
        {
            stored[e.CustomerId!.Value] = stored.GetValueOrDefault(e.CustomerId!.Value) + 1;
        }
        var profiles = new Dictionary<CustomerId, CustomerProfile>();
        await foreach (var p in host.ProfileStore.StreamAsync())
        {
            profiles[p.Id] = p;
            Assert.Equal(stored.GetValueOrDefault(p.Id), p.EventCount);
        }
        Assert.All(stored.Keys, c => Assert.True(profiles.ContainsKey(c)));
        foreach (var p in profiles.Values)
        {
            foreach (var i in await host.Graph.GetIdentitiesAsync(p.Id))
            {
                Assert.Contains(i, p.Identities);
            }
        }
    }

    [Fact]
    public async Task A_batch_resolves_as_its_events_one_by_one()
    {
        var stream = Stream(3_000);
        await using var batched = new TestHost();
        var batchResults = new List<TrackResult>();
        foreach (var chunk in stream.Chunk(500))
        {
            batchResults.AddRange((await batched.Collector.TrackBatchAsync(chunk)).Results);
        }
        await using var single = new TestHost();
        var singleResults = new List<TrackResult>();
        foreach (var e in stream)
        {
            singleResults.AddRange((await single.Collector.TrackBatchAsync([e])).Results);
        }

        var (batchById, batchGroups) = await OutcomeAsync(batched, batchResults, stream);
        var (singleById, singleGroups) = await OutcomeAsync(single, singleResults, stream);
        Assert.True(batchResults.Count(r => r.Status == TrackStatus.Accepted) > 2_500);
        Assert.Contains(batchResults, r => r.Flags.HasFlag(EventFlags.IdentityGuarded));
        Assert.Equal(singleById, batchById);
        Assert.Equal(singleGroups.Count, batchGroups.Count);
        Assert.True(singleGroups.SetEquals(batchGroups));
        var merges = await batched.Graph.ReadMergesAsync().CountAsync();
        Assert.Equal(await single.Graph.ReadMergesAsync().CountAsync(), merges);
        await AssertConsistentAsync(batched);
    }

    [Fact]
    public async Task An_event_that_links_two_customers_merges_before_later_events_of_the_batch_resolve()
    {
        await using var host = new TestHost();
        var (email, phone, member) = (Identity.Email("a@example.com"), Identity.Phone("+8613800138000"), Identity.Member("m-1"));
        var batch = new[]
        {
            host.Event(EventType.PageView, email),
            host.Event(EventType.PageView, phone),
            host.Event(EventType.Login, email, phone),
            host.Event(EventType.Login, phone, member),
            host.Event(EventType.PageView, member),
        };
        var results = (await host.Collector.TrackBatchAsync(batch)).Results;
        Assert.All(results, r => Assert.Equal(TrackStatus.Accepted, r.Status));
        var survivor = results[0].CustomerId!.Value;
        Assert.All(results, r => Assert.Equal(survivor, r.CustomerId));
        Assert.Single(await host.Graph.ReadMergesAsync().ToListAsync());
        var profile = (await host.ProfileStore.GetAsync(survivor))!;
        Assert.Equal(5, profile.EventCount);
        Assert.Equal(3, profile.Identities.Count);
        await AssertConsistentAsync(host);
    }

    /// <summary>Claims one identity for another customer just before the batch's claim (another host got there first).</summary>
    private sealed class RacingIngestion(IIngestionStore inner, Identity contested, CustomerId other) : IIngestionStore
    {
        public bool Raced { get; private set; }

        public ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default) => inner.AppendAsync(events, cancellationToken);

        public ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
            inner.ClaimAsync(identities, candidate, seenAt, cancellationToken);

        public async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimManyAsync(IReadOnlyList<IdentityClaim> claims, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
        {
            if (!Raced && claims.Any(c => c.Identity == contested))
            {
                Raced = true;
                await inner.ClaimAsync([contested], other, seenAt, cancellationToken);
            }
            return await inner.ClaimManyAsync(claims, seenAt, cancellationToken);
        }

        public ValueTask<bool> MergeAsync(MergeRecord merge, Func<CustomerProfile?, CustomerProfile, CustomerProfile> combine, CancellationToken cancellationToken = default) =>
            inner.MergeAsync(merge, combine, cancellationToken);
    }

    [Fact]
    public async Task A_writer_claiming_an_identity_first_makes_the_run_resolve_again_without_orphans()
    {
        var contested = Identity.Email("contested@example.com");
        var other = new CustomerId("c_0000000000other");
        RacingIngestion? racing = null;
        await using var host = new TestHost(m => m.Services.Replace(ServiceDescriptor.Singleton<IIngestionStore>(sp =>
            racing = new RacingIngestion(ActivatorUtilities.CreateInstance<InMemoryIngestionStore>(sp), contested, other))));
        var phone = Identity.Phone("+8613800138001");
        var batch = new[]
        {
            host.Event(EventType.PageView, Identity.Email("first@example.com")),
            host.Event(EventType.PageView, contested, phone),
            host.Event(EventType.PageView, phone),
            host.Event(EventType.PageView, contested),
        };
        var results = (await host.Collector.TrackBatchAsync(batch)).Results;
        Assert.True(racing!.Raced);
        Assert.All(results, r => Assert.Equal(TrackStatus.Accepted, r.Status));
        // The other writer owns the contested identity; the events that carry it, and the phone linked with it, are its.
        Assert.Equal(other, results[1].CustomerId);
        Assert.Equal(other, results[2].CustomerId);
        Assert.Equal(other, results[3].CustomerId);
        Assert.NotEqual(other, results[0].CustomerId);
        Assert.Equal(other, (await host.Graph.FindAsync([phone]))[phone]);
        await AssertConsistentAsync(host);
    }
}
