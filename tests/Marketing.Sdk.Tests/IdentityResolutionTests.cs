using Microsoft.Extensions.DependencyInjection;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Tests;

public class IdentityResolutionTests
{
    [Fact]
    public async Task Linking_event_merges_two_profiles_into_the_older_one()
    {
        await using var host = new TestHost();
        var byPhone = await host.Track(Identity.Phone("+8613800138000"));
        var byDevice = await host.Track(Identity.Device("idfa-1"));
        Assert.NotEqual(byPhone, byDevice);

        var merged = await host.Track(Identity.Phone("+8613800138000"), Identity.Device("idfa-1"));
        Assert.Equal(byPhone, merged); // the older profile survives
        Assert.Equal(1, await host.ProfileStore.CountAsync());
        var profile = await host.Profiles.FindByIdentityAsync(Identity.Device("idfa-1"));
        Assert.Equal(merged, profile!.Id);
        Assert.Equal(3, profile.EventCount);
        Assert.Equal(2, profile.Identities.Count);
        var record = Assert.Single(await host.Graph.ReadMergesAsync().ToListAsync());
        Assert.Equal(merged, record.Survivor);
        Assert.Equal(byDevice, record.Merged);
        Assert.Equal(IdentityKind.DeviceId, record.LinkKind); // the identity that led to the merged profile
        Assert.Equal(3, await host.Events.CountAsync(new EventQuery { CustomerId = merged }));
        // The merged-away id still finds the survivor.
        var loser = record.Merged;
        Assert.Equal(merged, (await host.Profiles.GetAsync(loser))!.Id);
    }

    [Fact]
    public async Task Transitive_links_end_on_one_profile()
    {
        await using var host = new TestHost();
        await host.Track(Identity.Phone("+8613800138000"), Identity.Device("d1"));
        await host.Track(Identity.WeChatOpenId("o1"), Identity.WeChatUnionId("u1"));
        await host.Track(Identity.Email("a@example.com"), Identity.Member("m1"));
        await host.Track(Identity.Device("d1"), Identity.WeChatUnionId("u1"));
        var last = await host.Track(Identity.WeChatOpenId("o1"), Identity.Email("a@example.com"));

        Assert.Equal(1, await host.ProfileStore.CountAsync());
        foreach (var id in new[] { Identity.Phone("+8613800138000"), Identity.Device("d1"), Identity.WeChatOpenId("o1"), Identity.WeChatUnionId("u1"), Identity.Email("a@example.com"), Identity.Member("m1") })
        {
            Assert.Equal(last, (await host.Profiles.FindByIdentityAsync(id))!.Id);
        }
        Assert.Equal(2, (await host.Graph.ReadMergesAsync().ToListAsync()).Count);
    }

    [Fact]
    public async Task Two_member_ids_never_merge()
    {
        await using var host = new TestHost();
        var a = await host.Track(Identity.Member("m1"), Identity.Device("d1"));
        var b = await host.Track(Identity.Member("m2"), Identity.Device("d1"));
        Assert.NotEqual(a, b);
        Assert.Equal(2, await host.ProfileStore.CountAsync());
        Assert.Empty(await host.Graph.ReadMergesAsync().ToListAsync());
        Assert.Contains(host.Logs.Collector.GetSnapshot(), r => r.Id.Id == 1102);
    }

    [Fact]
    public async Task Shared_device_stops_linking_after_the_limit()
    {
        await using var host = new TestHost(m => m.ConfigureIdentityResolution(o => o.MaxPeoplePerSharedIdentity = 2));
        var tablet = Identity.Device("family-tablet");
        var alice = await host.Track(Identity.Phone("+8613800000001"), tablet);
        var bob = await host.Track(Identity.Phone("+8613800000002"), tablet);
        Assert.Equal(alice, bob); // below the limit the device links, as for any identity
        var carol = await host.Track(Identity.Phone("+8613800000003"), tablet);
        var dave = await host.Track(Identity.Phone("+8613800000004"), tablet);
        Assert.NotEqual(alice, carol);
        Assert.NotEqual(carol, dave);
        Assert.NotEqual(alice, dave);
        var r = await host.Collector.TrackAsync(host.Event(EventType.PageView, Identity.Phone("+8613800000005"), tablet));
        Assert.True(r.Flags.HasFlag(EventFlags.IdentityGuarded));
        Assert.Contains(host.Logs.Collector.GetSnapshot(), l => l.Id.Id == 1103);
    }

    [Fact]
    public async Task Lookup_by_any_identity_returns_the_unified_profile()
    {
        await using var host = new TestHost();
        var id = await host.Track(Identity.Phone("13800138000"), Identity.Email("Bob@Example.com"), Identity.Member("m9"));
        Assert.Equal(id, (await host.Profiles.FindByIdentityAsync(Identity.Phone("+86 138-0013-8000")))!.Id);
        Assert.Equal(id, (await host.Profiles.FindByIdentityAsync(Identity.Email("bob@example.com")))!.Id);
        Assert.Null(await host.Profiles.FindByIdentityAsync(Identity.Member("nobody")));
    }

    [Fact]
    public async Task Merges_combine_traits_tags_and_consents()
    {
        await using var host = new TestHost();
        var a = await host.Track(Identity.Phone("+8613800138000"));
        var b = await host.Track(Identity.Device("d1"));
        await host.Profiles.SetTraitsAsync(a, new Dictionary<string, PropertyValue> { ["gender"] = "female" });
        await host.Profiles.SetTraitsAsync(b, new Dictionary<string, PropertyValue> { ["gender"] = "unknown", ["age"] = 30 });
        await host.Profiles.TagAsync(b, ["vip"]);
        var survivor = await host.Track(Identity.Phone("+8613800138000"), Identity.Device("d1"));
        var p = (await host.ProfileStore.GetAsync(survivor))!;
        Assert.Equal(survivor == a ? "female" : "unknown", p.Trait("gender").AsString());
        Assert.Equal(30m, p.Trait("age").AsNumber());
        Assert.Contains("vip", p.StaticTags);
        Assert.Single(p.MergedFrom);
    }

    [Fact]
    public async Task Concurrent_tracking_of_one_new_person_yields_one_profile()
    {
        await using var host = new TestHost();
        var tasks = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
            (await host.Collector.TrackAsync(host.Event(EventType.PageView, Identity.Phone("+8613800138000"), Identity.Device($"d{i % 4}")))).CustomerId!.Value));
        var ids = await Task.WhenAll(tasks);
        Assert.Equal(1, await host.ProfileStore.CountAsync());
        var owner = (await host.Profiles.FindByIdentityAsync(Identity.Phone("+8613800138000")))!;
        Assert.Equal(32, owner.EventCount);
        Assert.Equal(32, await host.Events.CountAsync(new EventQuery { CustomerId = owner.Id }));
        Assert.All(ids, id => Assert.Equal(owner.Id, host.Profiles.GetAsync(id).AsTask().Result!.Id));
    }
}

public class IdentityGraphTests
{
    [Fact]
    public void Union_find_joins_transitively()
    {
        var g = new IdentityGraph();
        g.Union(Identity.Phone("p"), Identity.Device("d"));
        g.Union(Identity.Device("d"), Identity.Member("m"));
        g.Add(Identity.Email("e"));
        Assert.True(g.AreLinked(Identity.Phone("p"), Identity.Member("m")));
        Assert.False(g.AreLinked(Identity.Phone("p"), Identity.Email("e")));
        Assert.Equal(2, g.ComponentCount);
        Assert.Equal(Identity.Phone("p"), g.Representative(Identity.Member("m")));
    }

    [Fact]
    public void Build_sets_aside_identities_seen_with_too_many_people()
    {
        var options = new IdentityResolutionOptions { MaxPeoplePerSharedIdentity = 2 };
        var tablet = Identity.Device("tablet");
        var shared = new HashSet<Identity>();
        var g = IdentityGraph.Build(
            [[Identity.Phone("1"), tablet], [Identity.Phone("2"), tablet], [Identity.Phone("3"), tablet], [Identity.Phone("1"), Identity.Device("own")]],
            options, shared);
        Assert.Equal([tablet], shared);
        Assert.False(g.AreLinked(Identity.Phone("1"), Identity.Phone("2")));
        Assert.True(g.AreLinked(Identity.Phone("1"), Identity.Device("own")));
    }

    private static readonly Identity[] Universe =
        Enumerable.Range(0, 12).Select(i => new Identity((IdentityKind)(1 + (i % 8)), $"v{i % 5}")).Distinct().ToArray();

    public static Arbitrary<(int, int)[]> Links() =>
        Gen.ArrayOf(Gen.Zip(Gen.Choose(0, Universe.Length - 1), Gen.Choose(0, Universe.Length - 1))).ToArbitrary();

    [Property(Arbitrary = [typeof(IdentityGraphTests)], MaxTest = 300)]
    public bool Any_order_of_the_same_links_yields_the_same_partition((int, int)[] links, int seed)
    {
        var shuffled = links.OrderBy(_ => new Random(seed).Next()).Select(l => (l.Item2, l.Item1)).ToArray();
        new Random(seed).Shuffle(shuffled);
        return Partition(links).SequenceEqual(Partition(shuffled));
    }

    [Property(Arbitrary = [typeof(IdentityGraphTests)], MaxTest = 200)]
    public bool Build_with_the_guard_is_order_independent((int, int)[] links, int seed)
    {
        var options = new IdentityResolutionOptions { MaxPeoplePerSharedIdentity = 1 };
        var observations = links.Select(l => (IReadOnlyList<Identity>)[Universe[l.Item1], Universe[l.Item2]]).ToArray();
        var shuffled = observations.ToArray();
        new Random(seed).Shuffle(shuffled);
        return Canon(IdentityGraph.Build(observations, options)).SequenceEqual(Canon(IdentityGraph.Build(shuffled, options)));
    }

    [Property(Arbitrary = [typeof(IdentityGraphTests)], MaxTest = 200)]
    public bool Components_partition_the_identities((int, int)[] links)
    {
        var g = new IdentityGraph();
        foreach (var (a, b) in links)
        {
            g.Union(Universe[a], Universe[b]);
        }
        var components = g.GetComponents();
        return components.Count == g.ComponentCount
            && components.Sum(c => c.Count) == g.Count
            && components.SelectMany(c => c).Distinct().Count() == g.Count
            && components.All(c => c.All(i => g.AreLinked(i, c[0])));
    }

    private static IEnumerable<string> Partition((int, int)[] links)
    {
        var g = new IdentityGraph();
        foreach (var (a, b) in links)
        {
            g.Union(Universe[a], Universe[b]);
        }
        return Canon(g);
    }

    private static IEnumerable<string> Canon(IdentityGraph g) =>
        g.GetComponents().Select(c => string.Join(",", c.Select(i => i.Key)));
}

public class ResolverOrderIndependenceTests
{
    [Property(MaxTest = 40)]
    public bool Store_backed_resolution_partition_does_not_depend_on_event_order(PositiveInt seed)
    {
        // Person-level links without unique kinds or shared devices: every order must give the same grouping.
        var random = new Random(seed.Get);
        var identities = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? Identity.Phone($"+86138000000{i:D2}") : Identity.Email($"p{i}@example.com")).ToArray();
        var links = Enumerable.Range(0, 8).Select(_ => new[] { identities[random.Next(10)], identities[random.Next(10)] }).ToList();
        return Group(links).Result.SequenceEqual(Group(links.OrderBy(_ => random.Next()).ToList()).Result);
    }

    private static async Task<List<string>> Group(List<Identity[]> links)
    {
        await using var host = new TestHost();
        foreach (var link in links)
        {
            await host.Track(link.Distinct().ToArray());
        }
        var groups = new List<string>();
        await foreach (var p in host.ProfileStore.StreamAsync())
        {
            groups.Add(string.Join(",", (await host.Graph.GetIdentitiesAsync(p.Id)).Select(i => i.Key).Order(StringComparer.Ordinal)));
        }
        groups.Sort(StringComparer.Ordinal);
        return groups;
    }
}
