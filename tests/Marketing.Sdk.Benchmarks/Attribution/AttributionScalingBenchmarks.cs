using System.Globalization;
using BenchmarkDotNet.Attributes;
using DuckDB.NET.Data;
using Marketing.Sdk;
using Marketing.Sdk.Attribution;

namespace Marketing.Sdk.Benchmarks.Attribution;

/// <summary>
/// Raw (not aggregated) journeys stored compactly: one byte per touch (channel id) in one flat
/// array, path offsets, and per journey 0/1 conversions and the conversion value. 10 million
/// journeys of mean length 4 take about 40 MB of steps plus 130 MB of columns.
/// </summary>
internal sealed class RawJourneys
{
    public static readonly string[] ChannelNames =
        ["search", "social", "display", "email", "direct", "affiliate", "video", "referral", "organic", "retargeting", "sms", "push"];

    public const int MaxLength = 32;

    public required byte[] Steps { get; init; }
    public required int[] Offsets { get; init; }
    public required byte[] Conversions { get; init; }
    public required double[] Values { get; init; }

    public int Count => Conversions.Length;

    private static RawJourneys? _cached;

    /// <summary>
    /// Seeded synthetic journeys over 12 channels with a realistic skew: channel popularity is Zipf-like
    /// (search and social dominate, sms and push are rare), a journey often repeats its previous
    /// channel, length is 1 + geometric (mean 4, capped at 32), and the conversion rate grows with
    /// length and with an email or retargeting touch (about 10 % overall). Value: 20 + exponential(60).
    /// </summary>
    public static RawJourneys Generate(int count, int seed = 2025)
    {
        if (_cached is { } c && c.Count == count)
        {
            return c;
        }
        _cached = null;
        var random = new Random(seed);
        var n = ChannelNames.Length;
        var cumulative = new double[n];
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            total += 1.0 / (i + 1);
            cumulative[i] = total;
        }
        for (var i = 0; i < n; i++)
        {
            cumulative[i] /= total;
        }
        var offsets = new int[count + 1];
        var steps = new List<byte>(count * 4 + 1024);
        var conversions = new byte[count];
        var values = new double[count];
        for (var p = 0; p < count; p++)
        {
            var length = 1;
            while (length < MaxLength && random.NextDouble() < 0.75)
            {
                length++;
            }
            var previous = -1;
            var boost = false;
            for (var i = 0; i < length; i++)
            {
                int channel;
                if (previous >= 0 && random.NextDouble() < 0.3)
                {
                    channel = previous;
                }
                else
                {
                    var u = random.NextDouble();
                    channel = 0;
                    while (channel < n - 1 && u > cumulative[channel])
                    {
                        channel++;
                    }
                }
                boost |= channel is 3 or 9;
                steps.Add((byte)channel);
                previous = channel;
            }
            offsets[p + 1] = steps.Count;
            var rate = Math.Min(0.6, 0.02 + 0.015 * length + (boost ? 0.04 : 0));
            if (random.NextDouble() < rate)
            {
                conversions[p] = 1;
                values[p] = Math.Round(20 - 60 * Math.Log(1 - random.NextDouble()), 2);
            }
        }
        return _cached = new RawJourneys { Steps = [.. steps], Offsets = offsets, Conversions = conversions, Values = values };
    }

    /// <summary>Ingests the journeys into a path set (identical paths merged), by channel index.</summary>
    public PathSet ToPathSet()
    {
        var builder = new PathSetBuilder();
        foreach (var name in ChannelNames)
        {
            builder.AddChannel(new Channel(name));
        }
        Span<int> buffer = stackalloc int[MaxLength];
        for (var p = 0; p < Count; p++)
        {
            var start = Offsets[p];
            var length = Offsets[p + 1] - start;
            var path = buffer[..length];
            for (var i = 0; i < length; i++)
            {
                path[i] = Steps[start + i];
            }
            var conv = Conversions[p];
            builder.Add(path, conv, Values[p], 1 - conv);
        }
        return builder.Build();
    }
}

/// <summary>
/// Scaling of the whole attribution pipeline on 1M / 3M / 10M synthetic journeys (12 channels,
/// mean length 4): ingestion into a <see cref="PathSet"/> (identical paths merged), the five
/// heuristic models, Markov order 1 and 2 (exact) and simplified Shapley — against a naive
/// per-journey implementation (baseline) and the heuristic models as SQL in in-process DuckDB over
/// the same journeys, loaded in setup as one row per touch.
/// </summary>
[MemoryDiagnoser]
public class AttributionScalingBenchmarks
{
    private static readonly HeuristicModel[] Heuristics =
        [new FirstTouchModel(), new LastTouchModel(), new LinearModel(), new TimeDecayModel(halfLifeTouches: 1), new PositionBasedModel(0.4, 0.4)];

    // Same weights as the models above: time decay halves per touch back from the last; position-based 40/20/40, 50/50 for two touches.
    private const string HeuristicsSql = """
        WITH lengths AS (
            SELECT path_id, max(position) + 1 AS n FROM touches WHERE conversions > 0 OR value > 0 GROUP BY path_id
        ), w AS (
            SELECT t.channel, t.conversions AS c, t.value AS v,
                   CASE WHEN t.position = 0 THEN 1.0 ELSE 0.0 END AS w_first,
                   CASE WHEN t.position = l.n - 1 THEN 1.0 ELSE 0.0 END AS w_last,
                   1.0 / l.n AS w_linear,
                   pow(2.0, -(l.n - 1 - t.position)) * 0.5 / (1 - pow(2.0, -l.n)) AS w_decay,
                   CASE WHEN l.n = 1 THEN 1.0 WHEN l.n = 2 THEN 0.5
                        WHEN t.position = 0 OR t.position = l.n - 1 THEN 0.4 ELSE 0.2 / (l.n - 2) END AS w_position
            FROM touches t JOIN lengths l USING (path_id)
            WHERE t.conversions > 0 OR t.value > 0
        )
        SELECT channel,
               sum(w_first * c), sum(w_first * v), sum(w_last * c), sum(w_last * v),
               sum(w_linear * c), sum(w_linear * v), sum(w_decay * c), sum(w_decay * v),
               sum(w_position * c), sum(w_position * v)
        FROM w GROUP BY channel ORDER BY channel
        """;

    private RawJourneys _raw = null!;
    private PathSet _set = null!;
    private DuckDBConnection? _duck;

    /// <summary>Number of raw journeys.</summary>
    [Params(1_000_000, 3_000_000, 10_000_000)]
    public int Paths { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _raw = RawJourneys.Generate(Paths);
        _set = _raw.ToPathSet();
    }

    [GlobalSetup(Target = nameof(DuckDbHeuristics))]
    public void SetupDuckDb()
    {
        Setup();
        _duck = new DuckDBConnection("Data Source=:memory:");
        _duck.Open();
        using (var create = _duck.CreateCommand())
        {
            create.CommandText = "CREATE TABLE touches (path_id INTEGER, position SMALLINT, channel UTINYINT, conversions DOUBLE, value DOUBLE)";
            create.ExecuteNonQuery();
        }
        using (var appender = _duck.CreateAppender("touches"))
        {
            for (var p = 0; p < _raw.Count; p++)
            {
                var start = _raw.Offsets[p];
                var end = _raw.Offsets[p + 1];
                double conv = _raw.Conversions[p];
                var value = _raw.Values[p];
                for (var i = start; i < end; i++)
                {
                    appender.CreateRow().AppendValue(p).AppendValue((short)(i - start)).AppendValue(_raw.Steps[i])
                        .AppendValue(conv).AppendValue(value).EndRow();
                }
            }
        }
        // The SQL must give the models' numbers, or the comparison is meaningless.
        var sql = DuckDbHeuristics();
        var ours = ModelHeuristics();
        for (var m = 0; m < ours.Length; m++)
        {
            for (var c = 0; c < RawJourneys.ChannelNames.Length; c++)
            {
                var credit = ours[m].Channels[c];
                Check(sql[c, 1 + 2 * m], credit.Conversions, ours[m].Model);
                Check(sql[c, 2 + 2 * m], credit.Value, ours[m].Model);
            }
        }
    }

    private static void Check(double sql, double model, string name)
    {
        if (Math.Abs(sql - model) > 1e-6 * Math.Max(1, Math.Abs(model)))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{name}: DuckDB {sql} vs model {model}"));
        }
    }

    [GlobalCleanup(Target = nameof(DuckDbHeuristics))]
    public void CleanupDuckDb() => _duck?.Dispose();

    /// <summary>Naive: per journey, the channel names as strings, a weight array per model and dictionaries keyed by name.</summary>
    [Benchmark(Baseline = true)]
    public Dictionary<string, double>[] NaiveHeuristics()
    {
        var credit = new Dictionary<string, double>[10];
        for (var m = 0; m < credit.Length; m++)
        {
            credit[m] = [];
        }
        for (var p = 0; p < _raw.Count; p++)
        {
            var start = _raw.Offsets[p];
            var path = new string[_raw.Offsets[p + 1] - start];
            for (var i = 0; i < path.Length; i++)
            {
                path[i] = RawJourneys.ChannelNames[_raw.Steps[start + i]];
            }
            double conv = _raw.Conversions[p];
            var value = _raw.Values[p];
            if (conv == 0 && value == 0)
            {
                continue;
            }
            for (var m = 0; m < 5; m++)
            {
                var weights = NaiveWeights(m, path.Length);
                for (var i = 0; i < path.Length; i++)
                {
                    credit[2 * m][path[i]] = credit[2 * m].GetValueOrDefault(path[i]) + weights[i] * conv;
                    credit[2 * m + 1][path[i]] = credit[2 * m + 1].GetValueOrDefault(path[i]) + weights[i] * value;
                }
            }
        }
        return credit;
    }

    private static double[] NaiveWeights(int model, int n)
    {
        var w = new double[n];
        switch (model)
        {
            case 0:
                w[0] = 1;
                break;
            case 1:
                w[^1] = 1;
                break;
            case 2:
                Array.Fill(w, 1.0 / n);
                break;
            case 3:
                var sum = 0.0;
                for (var i = 0; i < n; i++)
                {
                    sum += w[i] = Math.Pow(2, -(n - 1 - i));
                }
                for (var i = 0; i < n; i++)
                {
                    w[i] /= sum;
                }
                break;
            default:
                if (n == 1)
                {
                    w[0] = 1;
                }
                else if (n == 2)
                {
                    w[0] = w[1] = 0.5;
                }
                else
                {
                    Array.Fill(w, 0.2 / (n - 2));
                    w[0] = w[^1] = 0.4;
                }
                break;
        }
        return w;
    }

    /// <summary>The five heuristic models as one SQL query in DuckDB over the touches table.</summary>
    [Benchmark]
    public double[,] DuckDbHeuristics()
    {
        using var command = _duck!.CreateCommand();
        command.CommandText = HeuristicsSql;
        using var reader = command.ExecuteReader();
        var result = new double[RawJourneys.ChannelNames.Length, 11];
        while (reader.Read())
        {
            var channel = Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
            result[channel, 0] = channel;
            for (var k = 1; k < 11; k++)
            {
                result[channel, k] = reader.GetDouble(k);
            }
        }
        return result;
    }

    /// <summary>Raw journeys into a path set: identical paths merged (hashed as spans of channel indexes).</summary>
    [Benchmark]
    public PathSet Ingest() => _raw.ToPathSet();

    /// <summary>The five heuristic models over the (prebuilt) path set.</summary>
    [Benchmark]
    public AttributionResult[] ModelHeuristics()
    {
        var results = new AttributionResult[Heuristics.Length];
        for (var m = 0; m < Heuristics.Length; m++)
        {
            results[m] = Heuristics[m].Attribute(_set);
        }
        return results;
    }

    /// <summary>The whole pipeline from raw journeys: ingestion, then the five heuristic models.</summary>
    [Benchmark]
    public AttributionResult[] IngestAndHeuristics()
    {
        var set = _raw.ToPathSet();
        var results = new AttributionResult[Heuristics.Length];
        for (var m = 0; m < Heuristics.Length; m++)
        {
            results[m] = Heuristics[m].Attribute(set);
        }
        return results;
    }

    [Benchmark]
    public AttributionResult MarkovOrder1() => new MarkovChainModel().Attribute(_set);

    [Benchmark]
    public AttributionResult MarkovOrder2() => new MarkovChainModel(new MarkovOptions { Order = 2 }).Attribute(_set);

    [Benchmark]
    public AttributionResult ShapleySimplified() => new ShapleyModel(new ShapleyOptions { Method = ShapleyMethod.Simplified }).Attribute(_set);
}
