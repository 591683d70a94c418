using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>The compiled evaluator against a straightforward LINQ interpreter of the documented semantics.</summary>
public class EvaluatorTests
{
    private static readonly string[] Traits = ["age", "gender", "region", "income", "vip", "member_level"];
    private static readonly string[] Texts = ["female", "male", "sh", "bj", "gold", "25", "Winter Moisturiser", "winter", "maternity", "a"];
    private static readonly string[] Types = ["product_view", "purchase", "search", "add_to_cart"];
    private static readonly string[] Props = ["category", "price", "query", "channel", "value"];

    private static readonly Dictionary<string, SegmentCondition> Referenced = new(StringComparer.Ordinal)
    {
        ["base"] = SegmentDsl.Parse("age >= 30 or tag(\"vip\")"),
        ["x-1"] = SegmentDsl.Parse("count(purchase) within 30d >= 1"),
        ["a.b:c"] = SegmentDsl.Parse("region in (\"sh\", \"bj\") and not segment(\"base\")"),
    };

    private static SegmentDefinition? Resolve(string id) => Referenced.TryGetValue(id, out var c) ? new SegmentDefinition(id, c) : null;

    // ------------------------------------------------------------ reference interpreter

    private static bool Ref(SegmentCondition c, CustomerProfile p, IReadOnlyList<MarketingEvent> events, DateTimeOffset now) => c switch
    {
        AndCondition a => a.Operands.All(o => Ref(o, p, events, now)),
        OrCondition o => o.Operands.Any(x => Ref(x, p, events, now)),
        NotCondition n => !Ref(n.Operand, p, events, now),
        FieldCondition f => RefField(p.Traits.TryGetValue(f.Field, out var v) ? v : PropertyValue.Null, f),
        TagCondition t => p.StaticTags.Contains(t.Tag) || p.DynamicTags.Contains(t.Tag),
        SegmentReferenceCondition s => Ref(Referenced[s.SegmentId], p, events, now),
        EventExistsCondition e => events.Any(x => Matches(x, e.EventType, e.Filter, e.Window, now)),
        EventAggregateCondition g => RefAggregate(g, events, now),
        _ => throw new InvalidOperationException(),
    };

    private static bool Matches(MarketingEvent e, EventType type, SegmentCondition? filter, TimeWindow? w, DateTimeOffset now) =>
        e.Type == type
        && (w is null || (w.Last is { } last ? e.OccurredAt >= now - last && e.OccurredAt <= now : e.OccurredAt >= w.From && e.OccurredAt < w.To))
        && (filter is null || RefFilter(filter, e));

    private static bool RefFilter(SegmentCondition c, MarketingEvent e) => c switch
    {
        AndCondition a => a.Operands.All(o => RefFilter(o, e)),
        OrCondition o => o.Operands.Any(x => RefFilter(x, e)),
        NotCondition n => !RefFilter(n.Operand, e),
        FieldCondition f => RefField(EventValue(e, f.Field), f),
        _ => throw new InvalidOperationException(),
    };

    private static PropertyValue EventValue(MarketingEvent e, string name)
    {
        if (name == "channel" && e.Channel is not null)
        {
            return e.Channel.Value.Value;
        }

        if (name == "value" && e.Value is not null)
        {
            return e.Value.Value.Amount;
        }

        return e.Properties.TryGetValue(name, out var v) ? v : PropertyValue.Null;
    }

    private static bool RefAggregate(EventAggregateCondition g, IReadOnlyList<MarketingEvent> events, DateTimeOffset now)
    {
        var matching = events.Where(x => Matches(x, g.EventType, g.Filter, g.Window, now)).ToList();
        var values = matching.Select(x => g.Field is null ? null : EventValue(x, g.Field).AsNumber()).Where(v => v is not null).Select(v => v!.Value).ToList();
        decimal? result = g.Function switch
        {
            AggregateFunction.Count => matching.Count,
            AggregateFunction.Sum => values.Sum(),
            AggregateFunction.Min => values.Count == 0 ? null : values.Min(),
            AggregateFunction.Max => values.Count == 0 ? null : values.Max(),
            _ => values.Count == 0 ? null : values.Sum() / values.Count,
        };
        if (result is null)
        {
            return false;
        }

        var r = result.Value;
        return g.Operator switch
        {
            ComparisonOperator.Equal => r == g.Threshold,
            ComparisonOperator.NotEqual => r != g.Threshold,
            ComparisonOperator.LessThan => r < g.Threshold,
            ComparisonOperator.LessThanOrEqual => r <= g.Threshold,
            ComparisonOperator.GreaterThan => r > g.Threshold,
            _ => r >= g.Threshold,
        };
    }

    private static bool Eq(PropertyValue v, PropertyValue lit) => lit.Kind switch
    {
        PropertyValueKind.Number => v.AsNumber() == lit.AsNumber(),
        PropertyValueKind.Text => v.Kind == PropertyValueKind.Text && v.AsString() == lit.AsString(),
        _ => v.AsBoolean() is bool b && b == lit.AsBoolean(),
    };

    private static int? Cmp(PropertyValue v, PropertyValue lit) => lit.Kind switch
    {
        PropertyValueKind.Number => v.AsNumber() is decimal n ? n.CompareTo(lit.AsNumber()!.Value) : null,
        PropertyValueKind.Text => v.Kind == PropertyValueKind.Text ? string.CompareOrdinal(v.AsString(), lit.AsString()) : null,
        _ => null,
    };

    private static bool RefField(PropertyValue v, FieldCondition f) => f.Operator switch
    {
        FieldOperator.IsSet => !v.IsNull,
        FieldOperator.IsNotSet => v.IsNull,
        FieldOperator.Equal => Eq(v, f.Values[0]),
        FieldOperator.NotEqual => !Eq(v, f.Values[0]),
        FieldOperator.In => f.Values.Any(l => Eq(v, l)),
        FieldOperator.Contains => v.Kind == PropertyValueKind.Text && v.AsString()!.ToUpperInvariant().Contains(f.Values[0].AsString()!.ToUpperInvariant()),
        FieldOperator.StartsWith => v.Kind == PropertyValueKind.Text && v.AsString()!.ToUpperInvariant().StartsWith(f.Values[0].AsString()!.ToUpperInvariant()),
        FieldOperator.LessThan => Cmp(v, f.Values[0]) < 0,
        FieldOperator.LessThanOrEqual => Cmp(v, f.Values[0]) <= 0,
        FieldOperator.GreaterThan => Cmp(v, f.Values[0]) > 0,
        FieldOperator.GreaterThanOrEqual => Cmp(v, f.Values[0]) >= 0,
        _ => Cmp(v, f.Values[0]) >= 0 && Cmp(v, f.Values[1]) <= 0,
    };

    // ------------------------------------------------------------ random data

    internal static Gen<(CustomerProfile Profile, MarketingEvent[] Events)> Customer(int index) =>
        from age in Gen.OneOf(Gen.Constant(PropertyValue.Null), Gen.Choose(18, 60).Select(a => PropertyValue.From(a)), Gen.Choose(18, 60).Select(a => PropertyValue.From(a.ToString())))
        from gender in Gen.Elements(PropertyValue.Null, "female", "male")
        from region in Gen.Elements(PropertyValue.Null, "sh", "bj", "gd")
        from income in Gen.Choose(0, 50).Select(i => PropertyValue.From(i * 1000m + 0.5m))
        from vip in Gen.Elements(PropertyValue.Null, true, false)
        from level in Gen.Elements(PropertyValue.Null, "gold", "silver", "a")
        from tagVip in Gen.Elements(true, false)
        from eventCount in Gen.Choose(0, 8)
        from events in Event(index).ArrayOf(eventCount)
        select (new CustomerProfile
        {
            Id = TestData.Id(index),
            Traits = new Dictionary<string, PropertyValue>
            {
                ["age"] = age, ["gender"] = gender, ["region"] = region, ["income"] = income, ["vip"] = vip, ["member_level"] = level,
            }.Where(kv => !kv.Value.IsNull).ToDictionary(kv => kv.Key, kv => kv.Value),
            StaticTags = tagVip ? new HashSet<string> { "vip" } : new HashSet<string>(),
            DynamicTags = new HashSet<string> { "new" },
        }, events);

    private static Gen<MarketingEvent> Event(int customer) =>
        from type in Gen.Elements(Types)
        from minutesAgo in Gen.Choose(-600, 60 * 24 * 60)
        from category in Gen.Elements(PropertyValue.Null, "maternity", "beauty", "a")
        from price in Gen.Choose(1, 40)
        from query in Gen.Elements(PropertyValue.Null, "Winter Moisturiser", "winter boots")
        from channel in Gen.Elements<Channel?>(null, Channel.Search, Channel.Douyin)
        from value in Gen.Choose(1, 30)
        select new MarketingEvent
        {
            Id = $"e{customer}-{minutesAgo}-{type}-{price}",
            Type = new EventType(type),
            OccurredAt = TestData.Now.AddMinutes(-minutesAgo),
            CustomerId = TestData.Id(customer),
            Channel = channel,
            Value = type == "purchase" ? new Money(value, "CNY") : null,
            Properties = new Dictionary<string, PropertyValue> { ["category"] = category, ["price"] = price, ["query"] = query }
                .Where(kv => !kv.Value.IsNull).ToDictionary(kv => kv.Key, kv => kv.Value),
        };

    internal static Gen<SegmentCondition> Rule() =>
        Gen.Sized(size => Generators.Condition(Math.Min(3, 1 + size / 25), Traits, Types, Props, Texts));

    [Property(MaxTest = 300)]
    public Property Compiled_evaluation_matches_the_LINQ_reference() =>
        Prop.ForAll(Arb.From(
            from rule in Rule()
            from customers in Gen.Choose(0, 19).SelectMany(i => Customer(i)).ArrayOf(20)
            select (rule, customers)), t =>
        {
            var compiled = SegmentCompiler.Compile(new SegmentDefinition("s", t.rule), Resolve);
            foreach (var (profile, events) in t.customers)
            {
                var expected = Ref(t.rule, profile, events, TestData.Now);
                if (compiled.Evaluate(profile, events, TestData.Now) != expected)
                {
                    return false;
                }
                if (compiled.Explain(profile, events, TestData.Now).IsMember != expected)
                {
                    return false;
                }
            }
            return true;
        });

    [Fact]
    public void The_issue_example_evaluates_as_written()
    {
        var rule = SegmentDsl.Parse("age between 25 and 30 and gender = \"female\" and count(product_view where category = \"maternity\") within 7d >= 1 and not segment(\"x-1\")");
        var compiled = SegmentCompiler.Compile(new SegmentDefinition("s", rule), Resolve);
        var profile = new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["age"] = 27, ["gender"] = "female" } };
        MarketingEvent[] events =
        [
            TestData.Event(1, EventType.ProductView, TestData.Now.AddDays(-3), ("category", "maternity")),
        ];
        Assert.True(compiled.Evaluate(profile, events, TestData.Now));
        // Outside the window.
        Assert.False(compiled.Evaluate(profile, [TestData.Event(1, EventType.ProductView, TestData.Now.AddDays(-8), ("category", "maternity"))], TestData.Now));
        // A purchase in the last 30 days puts them in x-1, so out of this segment.
        var withPurchase = events.Append(TestData.Purchase(1, "o1", TestData.Now.AddDays(-1), 10m));
        Assert.False(compiled.Evaluate(profile, withPurchase, TestData.Now));
        var explanation = compiled.Explain(profile, withPurchase, TestData.Now);
        var failed = Assert.Single(explanation.FailedConditions);
        Assert.Equal("not segment(\"x-1\")", failed.Condition);
        Assert.Equal(["count(purchase) within 30d >= 1"], explanation.Root.Children[3].Children[0].Children.Select(c => c.Condition));
        Assert.Equal("count = 1", explanation.Root.Children[3].Children[0].Children[0].Observed);
    }

    [Fact]
    public void Cycles_and_unknown_references_are_rejected()
    {
        var defs = new Dictionary<string, SegmentDefinition>
        {
            ["a"] = SegmentDefinition.Parse("a", "segment(\"b\")"),
            ["b"] = SegmentDefinition.Parse("b", "age > 1 and segment(\"a\")"),
        };
        var cycle = Assert.Throws<SegmentReferenceException>(() => SegmentCompiler.Compile(defs["a"], id => defs.GetValueOrDefault(id)));
        Assert.Contains("a -> b -> a", cycle.Message);
        Assert.Throws<SegmentReferenceException>(() => SegmentCompiler.Compile(SegmentDefinition.Parse("c", "segment(\"zzz\")"), _ => null));
    }

    [Fact]
    public void Invalid_models_built_in_code_are_rejected_with_a_path()
    {
        var bad = new AndCondition([new FieldCondition("age", FieldOperator.Between, [1]), new TagCondition("x")]);
        var error = Assert.Throws<MarketingValidationException>(() => SegmentCompiler.Compile(new SegmentDefinition("s", bad)));
        Assert.Equal("rule.operands[0].values", error.Field);
        var tagInFilter = new EventExistsCondition(EventType.Search, new TagCondition("x"), null);
        Assert.Equal("rule.filter", Assert.Throws<MarketingValidationException>(() => SegmentDsl.Validate(tagInFilter)).Field);
    }
}
