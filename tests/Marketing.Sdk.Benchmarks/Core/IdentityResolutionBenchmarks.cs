using BenchmarkDotNet.Attributes;
using Marketing.Sdk;
using Marketing.Sdk.Profiles;

namespace Marketing.Sdk.Benchmarks.Core;

/// <summary>
/// Resolving 1 million identity links into people: the union-find <see cref="IdentityGraph"/>
/// against the naive dictionary-of-sets merge (every identity points at its group's set; a link
/// moves the second group's members into the first).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class IdentityResolutionBenchmarks
{
    [Params(1_000_000)]
    public int Links { get; set; }

    private (Identity A, Identity B)[] _links = [];

    [GlobalSetup]
    public void Setup()
    {
        // People with 2–6 identities each (phone, email, devices, openid, member id); links join
        // identities of one person, and 2 % of links go through shared devices that join households.
        var random = new Random(42);
        var links = new List<(Identity, Identity)>(Links);
        var person = 0;
        var shared = Enumerable.Range(0, 5_000).Select(i => Identity.Device($"shared-{i}")).ToArray();
        while (links.Count < Links)
        {
            var ids = new List<Identity>
            {
                Identity.Phone($"+86138{person:D8}"),
                Identity.Email($"p{person}@example.com"),
            };
            var extra = random.Next(4);
            for (var k = 0; k < extra; k++)
            {
                ids.Add(new Identity((IdentityKind)(3 + random.Next(6)), $"x{person}-{k}"));
            }
            for (var k = 1; k < ids.Count && links.Count < Links; k++)
            {
                links.Add((ids[random.Next(k)], ids[k]));
            }
            if (random.NextDouble() < 0.02 * ids.Count && links.Count < Links)
            {
                links.Add((ids[0], shared[random.Next(shared.Length)]));
            }
            person++;
        }
        _links = [.. links];
    }

    [Benchmark(Baseline = true, Description = "naive dictionary-of-sets")]
    public int DictionaryOfSets()
    {
        var groups = new Dictionary<Identity, HashSet<Identity>>();
        foreach (var (a, b) in _links)
        {
            if (!groups.TryGetValue(a, out var ga))
            {
                groups[a] = ga = [a];
            }
            if (!groups.TryGetValue(b, out var gb))
            {
                groups[b] = gb = [b];
            }
            if (ReferenceEquals(ga, gb))
            {
                continue;
            }
            foreach (var member in gb)
            {
                ga.Add(member);
                groups[member] = ga;
            }
        }
        return groups.Values.Distinct().Count();
    }

    [Benchmark(Description = "union-find IdentityGraph")]
    public int UnionFind()
    {
        var graph = new IdentityGraph(_links.Length * 5 / 4);
        foreach (var (a, b) in _links)
        {
            graph.Union(a, b);
        }
        return graph.ComponentCount;
    }

    [Benchmark(Description = "union-find IdentityGraph.UnionAll (batch)")]
    public int UnionFindBatch()
    {
        var graph = new IdentityGraph(_links.Length * 5 / 4);
        graph.UnionAll(_links);
        return graph.ComponentCount;
    }
}
