using System.Globalization;
using BenchmarkDotNet.Attributes;
using DuckDB.NET.Data;
using Marketing.Sdk;
using Marketing.Sdk.Segmentation;

namespace Marketing.Sdk.Benchmarks.Segmentation;

/// <summary>
/// The segmentation goal: a 5-condition segment (three traits and two windowed event
/// aggregates) over 1 000 000 profiles with 0–8 events each. Baseline: a naive LINQ-over-objects
/// evaluation. Compared in the same run: the compiled per-profile evaluator, the same query in
/// in-process DuckDB over the same data loaded into tables, and the columnar
/// <see cref="SegmentBatchEvaluator"/> on one thread and on all cores. Building the columnar
/// snapshot from the objects is measured on its own (<see cref="BuildColumns"/>). Every setup checks
/// that its method returns the baseline's member count.
/// </summary>
[MemoryDiagnoser]
public class SegmentEvaluationBenchmarks
{
    private const string Rule =
        "age between 25 and 40 and gender = \"female\" and region in (\"CN-SH\", \"CN-BJ\") " +
        "and count(product_view where category = \"maternity\") within 7d >= 2 " +
        "and sum(value of purchase) within 30d > 100";

    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Genders = ["female", "male"];
    private static readonly string[] Regions = ["CN-SH", "CN-BJ", "CN-GD", "CN-ZJ", "CN-JS", "CN-SC", "CN-HB", "CN-FJ"];
    private static readonly string[] Categories = ["maternity", "beauty", "food", "toys"];

    private (CustomerProfile Profile, MarketingEvent[] Events)[] _data = [];
    private CompiledSegment _compiled = null!;
    private SegmentBatchEvaluator _batch = null!;
    private ProfileColumns _columns = null!;
    private DuckDBConnection? _duck;
    private DuckDBCommand? _query;
    private int _expected;

    [Params(1_000_000)]
    public int Profiles { get; set; }

    private void Generate()
    {
        var random = new Random(7);
        // Shared property dictionaries keep memory in check; every evaluation still looks each one up.
        var propertySets = Categories.Select(c => (IReadOnlyDictionary<string, PropertyValue>)new Dictionary<string, PropertyValue> { ["category"] = c }).ToArray();
        _data = new (CustomerProfile, MarketingEvent[])[Profiles];
        for (var i = 0; i < Profiles; i++)
        {
            var id = new CustomerId($"c{i:D8}");
            var profile = new CustomerProfile
            {
                Id = id,
                Traits = new Dictionary<string, PropertyValue>
                {
                    ["age"] = random.Next(18, 66),
                    ["gender"] = Genders[random.Next(2)],
                    ["region"] = Regions[random.Next(Regions.Length)],
                },
            };
            var events = new MarketingEvent[random.Next(0, 9)];
            for (var e = 0; e < events.Length; e++)
            {
                var purchase = random.Next(3) == 0;
                events[e] = new MarketingEvent
                {
                    Id = $"{i}-{e}",
                    Type = purchase ? EventType.Purchase : EventType.ProductView,
                    OccurredAt = Now.AddMinutes(-random.Next(0, 60 * 24 * 40)),
                    CustomerId = id,
                    Value = purchase ? new Money(random.Next(500, 20000) / 100m, "CNY") : null,
                    Properties = purchase ? propertySets[2] : propertySets[random.Next(2) == 0 ? 0 : random.Next(Categories.Length)],
                };
            }
            _data[i] = (profile, events);
        }
        _compiled = SegmentCompiler.Compile(SegmentDefinition.Parse("bench", Rule));
        _batch = SegmentBatchEvaluator.Create(_compiled);
        _expected = NaiveLinq();
    }

    private static void Check(int actual, int expected, string method)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"{method} found {actual} members, the baseline {expected}.");
        }
    }

    [GlobalSetup(Targets = [nameof(NaiveLinq)])]
    public void SetupNaive() => Generate();

    [GlobalSetup(Targets = [nameof(CompiledPerProfile)])]
    public void SetupCompiled()
    {
        Generate();
        Check(CompiledPerProfile(), _expected, nameof(CompiledPerProfile));
    }

    [GlobalSetup(Targets = [nameof(BuildColumns)])]
    public void SetupBuild() => Generate();

    [GlobalSetup(Targets = [nameof(Columnar), nameof(ColumnarParallel)])]
    public void SetupColumnar()
    {
        Generate();
        _columns = BuildColumns();
        Check(Columnar(), _expected, nameof(Columnar));
        Check(ColumnarParallel(), _expected, nameof(ColumnarParallel));
    }

    [GlobalSetup(Targets = [nameof(DuckDb)])]
    public void SetupDuckDb()
    {
        Generate();
        _duck = new DuckDBConnection("DataSource=:memory:");
        _duck.Open();
        using (var create = _duck.CreateCommand())
        {
            create.CommandText =
                "CREATE TABLE profiles (cust INTEGER, age INTEGER, gender VARCHAR, region VARCHAR);" +
                "CREATE TABLE events (cust INTEGER, type VARCHAR, ts BIGINT, category VARCHAR, value DECIMAL(18, 2));";
            create.ExecuteNonQuery();
        }
        using (var profiles = _duck.CreateAppender("profiles"))
        using (var events = _duck.CreateAppender("events"))
        {
            for (var i = 0; i < _data.Length; i++)
            {
                var (p, es) = _data[i];
                profiles.CreateRow()
                    .AppendValue(i)
                    .AppendValue((int)p.Trait("age").AsNumber()!.Value)
                    .AppendValue(p.Trait("gender").AsString())
                    .AppendValue(p.Trait("region").AsString())
                    .EndRow();
                foreach (var e in es)
                {
                    events.CreateRow()
                        .AppendValue(i)
                        .AppendValue(e.Type.Value)
                        .AppendValue(e.OccurredAt.UtcTicks)
                        .AppendValue(e.Property("category").AsString())
                        .AppendValue(e.Value?.Amount)
                        .EndRow();
                }
            }
        }
        var now = Now.UtcTicks.ToString(CultureInfo.InvariantCulture);
        var from7 = Now.AddDays(-7).UtcTicks.ToString(CultureInfo.InvariantCulture);
        var from30 = Now.AddDays(-30).UtcTicks.ToString(CultureInfo.InvariantCulture);
        _query = _duck.CreateCommand();
        _query.CommandText = $"""
            WITH views AS (
                SELECT cust FROM events
                WHERE type = 'product_view' AND category = 'maternity' AND ts BETWEEN {from7} AND {now}
                GROUP BY cust HAVING count(*) >= 2),
            purchases AS (
                SELECT cust FROM events
                WHERE type = 'purchase' AND ts BETWEEN {from30} AND {now}
                GROUP BY cust HAVING sum(value) > 100)
            SELECT count(*) FROM profiles p
            JOIN views USING (cust) JOIN purchases USING (cust)
            WHERE p.age BETWEEN 25 AND 40 AND p.gender = 'female' AND p.region IN ('CN-SH', 'CN-BJ')
            """;
        Check((int)DuckDb(), _expected, nameof(DuckDb));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _query?.Dispose();
        _duck?.Dispose();
    }

    // The baseline translates `count(...) >= 2` literally, as a hand-written query would.
    [Benchmark(Baseline = true)]
    public int NaiveLinq()
    {
        var from7 = Now.AddDays(-7);
        var from30 = Now.AddDays(-30);
        return _data.Count(x =>
            x.Profile.Traits.TryGetValue("age", out var age) && age.AsNumber() is { } a && a >= 25 && a <= 40
            && x.Profile.Traits.TryGetValue("gender", out var g) && g.AsString() == "female"
            && x.Profile.Traits.TryGetValue("region", out var r) && new[] { "CN-SH", "CN-BJ" }.Contains(r.AsString())
            && x.Events.Count(e => e.Type == EventType.ProductView && e.OccurredAt >= from7 && e.OccurredAt <= Now && e.Property("category").AsString() == "maternity") >= 2
            && x.Events.Where(e => e.Type == EventType.Purchase && e.OccurredAt >= from30 && e.OccurredAt <= Now).Sum(e => e.Value?.Amount ?? 0m) > 100m);
    }

    [Benchmark]
    public int CompiledPerProfile()
    {
        var count = 0;
        foreach (var (profile, events) in _data)
        {
            if (_compiled.Evaluate(profile, events, Now))
            {
                count++;
            }
        }
        return count;
    }

    [Benchmark]
    public long DuckDb() => Convert.ToInt64(_query!.ExecuteScalar(), CultureInfo.InvariantCulture);

    [Benchmark]
    public int Columnar() => _batch.Evaluate(_columns, Now, maxDegreeOfParallelism: 1).Count;

    [Benchmark]
    public int ColumnarParallel() => _batch.Evaluate(_columns, Now).Count;

    /// <summary>The one-off cost of the snapshot the columnar evaluations read (not part of their time).</summary>
    [Benchmark]
    public ProfileColumns BuildColumns() => ProfileColumns.Build([_compiled], _data.Select(d => d.Profile), _data.SelectMany(d => d.Events));
}
