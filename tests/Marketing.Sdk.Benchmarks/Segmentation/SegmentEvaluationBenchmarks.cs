using BenchmarkDotNet.Attributes;
using Marketing.Sdk;
using Marketing.Sdk.Segmentation;

namespace Marketing.Sdk.Benchmarks.Segmentation;

/// <summary>
/// A 5-condition segment (three traits and two windowed event aggregates) over many profiles:
/// the compiled evaluator against a naive LINQ-over-objects evaluation of the same rule.
/// </summary>
[MemoryDiagnoser]
public class SegmentEvaluationBenchmarks
{
    private const string Rule =
        "age between 25 and 35 and gender = \"female\" and region in (\"sh\", \"bj\", \"gd\") " +
        "and count(product_view where category = \"maternity\") within 7d >= 1 " +
        "and sum(value of purchase) within 30d >= 50";

    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private (CustomerProfile Profile, MarketingEvent[] Events)[] _data = [];
    private CompiledSegment _compiled = null!;

    [Params(1_000_000)]
    public int Profiles { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        string[] genders = ["female", "male"];
        string[] regions = ["sh", "bj", "gd", "zj", "sc", "hb"];
        string[] categories = ["maternity", "beauty", "food", "toys"];
        // Shared property dictionaries keep memory in check; the evaluation still looks each one up.
        var propertySets = categories.Select(c => (IReadOnlyDictionary<string, PropertyValue>)new Dictionary<string, PropertyValue> { ["category"] = c }).ToArray();
        _data = new (CustomerProfile, MarketingEvent[])[Profiles];
        for (var i = 0; i < Profiles; i++)
        {
            var id = new CustomerId($"c{i:D8}");
            var profile = new CustomerProfile
            {
                Id = id,
                Traits = new Dictionary<string, PropertyValue>
                {
                    ["age"] = random.Next(18, 60),
                    ["gender"] = genders[random.Next(2)],
                    ["region"] = regions[random.Next(regions.Length)],
                },
            };
            var events = new MarketingEvent[random.Next(0, 7)];
            for (var e = 0; e < events.Length; e++)
            {
                var purchase = random.Next(4) == 0;
                events[e] = new MarketingEvent
                {
                    Id = $"{i}-{e}",
                    Type = purchase ? EventType.Purchase : EventType.ProductView,
                    OccurredAt = Now.AddHours(-random.Next(0, 24 * 40)),
                    CustomerId = id,
                    Value = purchase ? new Money(random.Next(5, 120), "CNY") : null,
                    Properties = purchase ? propertySets[2] : propertySets[random.Next(categories.Length)],
                };
            }
            _data[i] = (profile, events);
        }
        _compiled = SegmentCompiler.Compile(SegmentDefinition.Parse("bench", Rule));
        if (NaiveLinq() != Compiled())
        {
            throw new InvalidOperationException("The evaluations disagree.");
        }
    }

    // The baseline translates `count(...) >= 1` literally, as a hand-written query would.
#pragma warning disable CA1827
    [Benchmark(Baseline = true)]
    public int NaiveLinq()
    {
        var from7 = Now.AddDays(-7);
        var from30 = Now.AddDays(-30);
        return _data.Count(x =>
            x.Profile.Traits.TryGetValue("age", out var age) && age.AsNumber() is { } a && a >= 25 && a <= 35
            && x.Profile.Traits.TryGetValue("gender", out var g) && g.AsString() == "female"
            && x.Profile.Traits.TryGetValue("region", out var r) && new[] { "sh", "bj", "gd" }.Contains(r.AsString())
            && x.Events.Count(e => e.Type == EventType.ProductView && e.OccurredAt >= from7 && e.OccurredAt <= Now && e.Property("category").AsString() == "maternity") >= 1
            && x.Events.Where(e => e.Type == EventType.Purchase && e.OccurredAt >= from30 && e.OccurredAt <= Now).Sum(e => e.Value?.Amount ?? 0m) >= 50m);
    }

#pragma warning restore CA1827

    [Benchmark]
    public int Compiled()
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
}
