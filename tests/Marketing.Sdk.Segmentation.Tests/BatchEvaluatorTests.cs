using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>The columnar batch evaluator against the per-profile compiled evaluator.</summary>
public class BatchEvaluatorTests
{
    private static readonly Dictionary<string, SegmentCondition> Referenced = new(StringComparer.Ordinal)
    {
        ["base"] = SegmentDsl.Parse("age >= 30 or tag(\"vip\")"),
        ["x-1"] = SegmentDsl.Parse("count(purchase) within 30d >= 1"),
        ["a.b:c"] = SegmentDsl.Parse("region in (\"sh\", \"bj\") and not segment(\"base\")"),
    };

    private static SegmentDefinition? Resolve(string id) => Referenced.TryGetValue(id, out var c) ? new SegmentDefinition(id, c) : null;

    /// <summary>Profiles 0 … n−1 (distinct ids, shuffled row order) and, besides theirs, events of customers without a profile.</summary>
    private static Gen<(CustomerProfile Profile, MarketingEvent[] Events)[]> Customers() =>
        from n in Gen.Choose(0, 40)
        from customers in Gen.CollectToArray(Enumerable.Range(0, n), EvaluatorTests.Customer)
        from strays in Gen.Choose(1000, 1003).SelectMany(EvaluatorTests.Customer).ArrayOf(2)
        from order in Gen.Shuffle(Enumerable.Range(0, n).ToArray())
        select order.Select(i => customers[i]).Concat(strays.Select(s => (s.Profile with { Id = new CustomerId("no-profile") }, s.Events))).ToArray();

    private static (CustomerProfile[] Profiles, MarketingEvent[] Events) Split((CustomerProfile Profile, MarketingEvent[] Events)[] data) =>
        ([.. data.Where(d => d.Profile.Id.Value != "no-profile").Select(d => d.Profile)], [.. data.SelectMany(d => d.Events)]);

    [Property(MaxTest = 300)]
    public Property Batch_membership_equals_per_profile_membership() =>
        Prop.ForAll(Arb.From(
            from rule in EvaluatorTests.Rule()
            from data in Customers()
            from minutes in Gen.Choose(-600, 600)
            select (rule, data, minutes)), t =>
        {
            var now = TestData.Now.AddMinutes(t.minutes);
            var compiled = SegmentCompiler.Compile(new SegmentDefinition("s", t.rule), Resolve);
            var (profiles, events) = Split(t.data);
            var columns = ProfileColumns.Build([compiled], profiles, events.Reverse());
            var bitmap = SegmentBatchEvaluator.Create(compiled).Evaluate(columns, now, maxDegreeOfParallelism: 1);
            var expected = profiles
                .Select((p, row) => (row, member: compiled.Evaluate(p, events.Where(e => e.CustomerId == p.Id), now)))
                .Where(x => x.member)
                .Select(x => x.row)
                .ToArray();
            return bitmap.Rows().SequenceEqual(expected)
                && bitmap.Count == expected.Length
                && bitmap.Length == profiles.Length
                && profiles.All(p => bitmap.Contains(p.Id) == expected.Contains(columns.IndexOf(p.Id)));
        });

    [Fact]
    public void Many_blocks_in_parallel_agree_with_the_per_profile_evaluator()
    {
        // 70 001 rows: two blocks of 65 536 rows and a partial last word.
        const int N = 70_001;
        var now = TestData.Now;
        var random = new Random(11);
        string[] regions = ["sh", "bj", "gd"];
        var profiles = new CustomerProfile[N];
        var events = new List<MarketingEvent>();
        for (var i = 0; i < N; i++)
        {
            var id = TestData.Id(i);
            var traits = new Dictionary<string, PropertyValue> { ["region"] = regions[random.Next(3)] };
            if (random.Next(5) > 0)
            {
                traits["age"] = random.Next(18, 60);
            }
            profiles[i] = new CustomerProfile { Id = id, Traits = traits, StaticTags = random.Next(10) == 0 ? new HashSet<string> { "vip" } : new HashSet<string>() };
            for (var e = random.Next(4); e > 0; e--)
            {
                events.Add(random.Next(3) == 0
                    ? TestData.Purchase(i, $"o{i}-{e}", now.AddHours(-random.Next(24 * 40)), random.Next(1, 90))
                    : TestData.Event(i, EventType.ProductView, now.AddHours(-random.Next(24 * 10)), ("category", random.Next(2) == 0 ? "maternity" : "food")));
            }
        }
        var rule = SegmentDsl.Parse(
            "(age between 25 and 40 or tag(\"vip\")) and not region = \"gd\" " +
            "and (count(product_view where category = \"maternity\") within 7d >= 1 or sum(value of purchase) within 30d > 60)");
        var compiled = SegmentCompiler.Compile(new SegmentDefinition("s", rule));
        var columns = ProfileColumns.Build([compiled], profiles, events);
        var byCustomer = events.ToLookup(e => e.CustomerId!.Value);
        var expected = profiles.Select(p => compiled.Evaluate(p, byCustomer[p.Id], now)).ToArray();

        var evaluator = SegmentBatchEvaluator.Create(compiled);
        var sequential = evaluator.Evaluate(columns, now, 1);
        var parallel = evaluator.Evaluate(columns, now);

        Assert.Equal(N, columns.Count);
        Assert.Equal(events.Count, columns.EventCount);
        Assert.Equal(expected.Count(m => m), sequential.Count);
        Assert.InRange(sequential.Count, 1000, N - 1000); // a selective rule, not all or nothing
        Assert.Equal(sequential.Words.ToArray(), parallel.Words.ToArray());
        Assert.All(Enumerable.Range(0, N), i => Assert.Equal(expected[i], sequential[i]));
        Assert.Equal(profiles.Where((_, i) => expected[i]).Select(p => p.Id), sequential.Members());
    }

    [Fact]
    public void A_snapshot_built_for_another_segment_is_rejected()
    {
        var traits = SegmentCompiler.Compile(SegmentDefinition.Parse("t", "age > 30"));
        var views = SegmentCompiler.Compile(SegmentDefinition.Parse("v", "count(product_view where category = \"x\") within 7d >= 1"));
        var columns = ProfileColumns.Build([traits], [new CustomerProfile { Id = TestData.Id(1) }], []);
        Assert.Throws<ArgumentException>(() => SegmentBatchEvaluator.Create(views).Evaluate(columns, TestData.Now));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentBatchEvaluator.Create(traits).Evaluate(columns, TestData.Now, 0));
        // A snapshot for both evaluates both.
        var both = ProfileColumns.Build([traits, views], [new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["age"] = 31 } }], []);
        Assert.Equal(1, SegmentBatchEvaluator.Create(traits).Evaluate(both, TestData.Now).Count);
        Assert.Equal(0, SegmentBatchEvaluator.Create(views).Evaluate(both, TestData.Now).Count);
    }

    [Fact]
    public void The_builder_rejects_duplicate_profiles_and_a_second_build()
    {
        var compiled = SegmentCompiler.Compile(SegmentDefinition.Parse("t", "age > 30"));
        var builder = new ProfileColumnsBuilder([compiled]);
        builder.AddProfile(new CustomerProfile { Id = TestData.Id(1) });
        Assert.False(builder.TryAddProfile(new CustomerProfile { Id = TestData.Id(1) }));
        Assert.Throws<ArgumentException>(() => builder.AddProfile(new CustomerProfile { Id = TestData.Id(1) }));
        var columns = builder.Build();
        Assert.Equal(1, columns.Count);
        Assert.Equal(0, columns.IndexOf(TestData.Id(1)));
        Assert.Equal(-1, columns.IndexOf(TestData.Id(2)));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Throws<InvalidOperationException>(() => builder.AddProfile(new CustomerProfile { Id = TestData.Id(3) }));
    }
}
