using BenchmarkDotNet.Attributes;
using Marketing.Sdk;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Benchmarks.Attribution;

internal static class AttributionData
{
    public static PathSet PathData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Marketing.Sdk.sln")))
        {
            dir = dir.Parent;
        }
        var file = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Marketing.Sdk.sln not found above " + AppContext.BaseDirectory),
            "..", "shared", "data", "channelattribution", "PathData.csv");
        using var reader = new StreamReader(file);
        return PathSetReader.ReadAsync(reader).GetAwaiter().GetResult();
    }

    /// <summary>Synthetic journeys over 12 channels, mean length about 4, returned both as a path set and as strings.</summary>
    public static (PathSet Set, List<(string[] Path, double Conv, double Value)> Raw) Synthetic(int paths)
    {
        var random = new Random(42);
        var names = Enumerable.Range(0, 12).Select(i => "ch" + i).ToArray();
        var builder = new PathSetBuilder();
        var raw = new List<(string[], double, double)>(paths);
        var buffer = new Channel[8];
        var channels = names.Select(n => new Channel(n)).ToArray();
        for (var p = 0; p < paths; p++)
        {
            var len = 1 + random.Next(7);
            var path = new string[len];
            for (var i = 0; i < len; i++)
            {
                var c = random.Next(12);
                path[i] = names[c];
                buffer[i] = channels[c];
            }
            var conv = random.Next(2);
            var value = conv * 50.0;
            builder.Add(buffer.AsSpan(0, len), conv, value, 1 - conv);
            raw.Add((path, conv, value));
        }
        return (builder.Build(), raw);
    }
}

/// <summary>Exact Markov removal effects (absorbing-chain solution) against the simulation the reference package uses.</summary>
[MemoryDiagnoser]
public class MarkovAttributionBenchmarks
{
    private PathSet _paths = null!;

    [GlobalSetup]
    public void Setup() => _paths = AttributionData.PathData();

    [Benchmark(Baseline = true)]
    public AttributionResult Simulation1M() =>
        new MarkovChainModel(new MarkovOptions { Solver = MarkovSolver.Simulation, Simulations = 1_000_000 }).Attribute(_paths);

    [Benchmark]
    public AttributionResult ExactOrder1() => new MarkovChainModel().Attribute(_paths);

    [Benchmark]
    public AttributionResult ExactOrder2() => new MarkovChainModel(new MarkovOptions { Order = 2 }).Attribute(_paths);
}

/// <summary>Shapley values on PathData (12 channels): the zeta-transform exact method and the simplified formula against a naive coalition scan.</summary>
[MemoryDiagnoser]
public class ShapleyAttributionBenchmarks
{
    private PathSet _paths = null!;

    [GlobalSetup]
    public void Setup() => _paths = AttributionData.PathData();

    /// <summary>Naive: v(S) for every coalition by scanning every path, then the classic Shapley sum.</summary>
    [Benchmark(Baseline = true)]
    public double[] NaiveCoalitionScan()
    {
        var n = _paths.Channels.Count;
        var masks = new int[_paths.Count];
        for (var p = 0; p < _paths.Count; p++)
        {
            foreach (var s in _paths.GetSteps(p))
            {
                masks[p] |= 1 << s;
            }
        }
        var v = new double[1 << n];
        for (var s = 0; s < v.Length; s++)
        {
            for (var p = 0; p < masks.Length; p++)
            {
                if ((masks[p] & ~s) == 0)
                {
                    v[s] += _paths.GetConversions(p);
                }
            }
        }
        var phi = new double[n];
        var fact = new double[n + 1];
        fact[0] = 1;
        for (var i = 1; i <= n; i++)
        {
            fact[i] = fact[i - 1] * i;
        }
        for (var s = 0; s < v.Length; s++)
        {
            var k = System.Numerics.BitOperations.PopCount((uint)s);
            for (var j = 0; j < n; j++)
            {
                if ((s & (1 << j)) == 0)
                {
                    phi[j] += fact[k] * fact[n - k - 1] / fact[n] * (v[s | (1 << j)] - v[s]);
                }
            }
        }
        return phi;
    }

    [Benchmark]
    public AttributionResult Exact() => new ShapleyModel().Attribute(_paths);

    [Benchmark]
    public AttributionResult Simplified() => new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }).Attribute(_paths);
}

/// <summary>Heuristic models over 1 million synthetic journeys (12 channels) against a naive per-path implementation over strings.</summary>
[MemoryDiagnoser]
public class HeuristicAttributionBenchmarks
{
    private PathSet _set = null!;
    private List<(string[] Path, double Conv, double Value)> _raw = null!;

    [GlobalSetup]
    public void Setup() => (_set, _raw) = AttributionData.Synthetic(1_000_000);

    /// <summary>Naive linear model: per path, a dictionary keyed by channel name.</summary>
    [Benchmark(Baseline = true)]
    public Dictionary<string, double> NaiveLinear()
    {
        var credit = new Dictionary<string, double>();
        foreach (var (path, conv, _) in _raw)
        {
            if (conv == 0)
            {
                continue;
            }
            foreach (var c in path.ToList())
            {
                credit[c] = credit.GetValueOrDefault(c) + conv / path.Length;
            }
        }
        return credit;
    }

    [Benchmark]
    public AttributionResult Linear() => new LinearModel().Attribute(_set);

    [Benchmark]
    public AttributionResult PositionBased() => new PositionBasedModel().Attribute(_set);

    [Benchmark]
    public AttributionResult MarkovOrder1() => new MarkovChainModel().Attribute(_set);
}
