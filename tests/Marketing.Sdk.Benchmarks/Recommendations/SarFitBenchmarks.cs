using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Marketing.Sdk.Recommendations;

namespace Marketing.Sdk.Benchmarks.Recommendations;

/// <summary>
/// Fit SAR (Jaccard, 200 neighbours per item, no decay) on 10 million interactions (200 000 users,
/// 50 000 items, Zipf-distributed item popularity, about 17 distinct items per user) and compute
/// top-10 for every user. Baseline: the same algorithm written the textbook way with hash maps
/// (pair-count dictionary, neighbour lists sorted with LINQ, per-user score dictionary and a bounded
/// heap for the top 10). Both run on one thread.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class SarFitBenchmarks
{
    private const int Users = 200_000;
    private const int Items = 50_000;
    private const int Neighbours = 200;
    private List<Interaction> _data = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var cdf = new double[Items];
        var sum = 0.0;
        for (var i = 0; i < Items; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, 0.8);
            cdf[i] = sum;
        }
        var itemIds = Enumerable.Range(0, Items).Select(i => "sku" + i.ToString("D5")).ToArray();
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _data = new List<Interaction>(10_100_000);
        var distinct = new HashSet<int>();
        for (var u = 0; u < Users; u++)
        {
            var user = "c" + u.ToString("D6");
            distinct.Clear();
            var want = random.Next(10, 25);
            while (distinct.Count < want)
            {
                var x = random.NextDouble() * sum;
                var i = Array.BinarySearch(cdf, x);
                distinct.Add(i < 0 ? ~i : i);
            }
            foreach (var i in distinct)
            {
                var events = random.Next(1, 6);
                for (var e = 0; e < events; e++)
                {
                    var kind = e == 0 ? InteractionKind.View : e < 3 ? InteractionKind.Cart : InteractionKind.Purchase;
                    _data.Add(new Interaction(user, itemIds[i], t0.AddMinutes(random.Next(0, 500_000)), kind == InteractionKind.View ? 1 : kind == InteractionKind.Cart ? 3 : 5, kind));
                }
            }
        }
    }

    [Benchmark(Baseline = true)]
    public long NaiveHashMaps() => Naive(_data, 10, Neighbours);

    [Benchmark]
    public long SparseSar()
    {
        var model = SarModel.Fit(_data, new SarOptions { Similarity = ItemSimilarity.Jaccard, MaxNeighbours = Neighbours, MaxDegreeOfParallelism = 1 });
        long checksum = 0;
        foreach (var r in model.RecommendAll(10))
        {
            checksum += r.Items.Count;
        }
        return checksum;
    }

    private static long Naive(List<Interaction> data, int k, int maxNeighbours)
    {
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new Dictionary<string, int>(StringComparer.Ordinal);
        var affinity = new List<Dictionary<int, double>>();
        foreach (var x in data)
        {
            if (!users.TryGetValue(x.UserId, out var u))
            {
                users[x.UserId] = u = users.Count;
                affinity.Add([]);
            }
            if (!items.TryGetValue(x.ItemId, out var i))
            {
                items[x.ItemId] = i = items.Count;
            }
            CollectionsMarshal.GetValueRefOrAddDefault(affinity[u], i, out _) += x.Weight;
        }
        var counts = new int[items.Count];
        var pairs = new Dictionary<(int A, int B), int>();
        foreach (var row in affinity)
        {
            var list = row.Keys.ToArray();
            foreach (var a in list)
            {
                counts[a]++;
                foreach (var b in list)
                {
                    if (a != b)
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(pairs, (a, b), out _)++;
                    }
                }
            }
        }
        var neighbours = new List<(int Item, double Sim)>[items.Count];
        for (var i = 0; i < neighbours.Length; i++)
        {
            neighbours[i] = [];
        }
        foreach (var ((a, b), c) in pairs)
        {
            neighbours[a].Add((b, c / (double)(counts[a] + counts[b] - c)));
        }
        for (var i = 0; i < neighbours.Length; i++)
        {
            neighbours[i] = neighbours[i].OrderByDescending(n => n.Sim).ThenBy(n => n.Item).Take(maxNeighbours).ToList();
        }
        long checksum = 0;
        foreach (var row in affinity)
        {
            var scores = new Dictionary<int, double>();
            foreach (var (i, a) in row)
            {
                foreach (var (j, s) in neighbours[i])
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(scores, j, out _) += a * s;
                }
            }
            // Top-k with a bounded min-heap (ties by smaller item index).
            var heap = new PriorityQueue<int, (double Score, int NegItem)>();
            foreach (var (j, score) in scores)
            {
                if (row.ContainsKey(j))
                {
                    continue;
                }
                if (heap.Count < k)
                {
                    heap.Enqueue(j, (score, -j));
                }
                else if (heap.TryPeek(out _, out var min) && (score > min.Score || (score == min.Score && -j > min.NegItem)))
                {
                    heap.EnqueueDequeue(j, (score, -j));
                }
            }
            checksum += heap.Count;
        }
        return checksum;
    }
}
