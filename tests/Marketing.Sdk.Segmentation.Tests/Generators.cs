using FsCheck;
using FsCheck.Fluent;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>FsCheck generators of valid segment rules.</summary>
internal static class Generators
{
    public static readonly string[] TraitNames = ["age", "gender", "region", "income", "member_level", "count", "and", "my field", "会员等级", "_x.y", "vip"];
    public static readonly string[] Texts = ["female", "male", "sh", "bj", "", "say \"hi\"", "back\\slash", "line\nbreak", "tab\t", "冬季保湿", "A", "gold", "\u0001ctl", "\U0001F600 smile", "\uD83D\uDE00"];
    public static readonly string[] EventTypes = ["product_view", "purchase", "search", "add_to_cart", "login", "where"];
    public static readonly string[] PropertyNames = ["category", "query", "price", "channel", "value", "region", "brand"];

    public static Gen<PropertyValue> Literal(string[] texts) => Gen.OneOf(
        Gen.Elements(texts).Select(PropertyValue.From),
        Gen.Choose(-5000, 5000).Select(i => PropertyValue.From(i / 10m)),
        Gen.Choose(0, 100).Select(i => PropertyValue.From((decimal)i)),
        Gen.Elements(true, false).Select(PropertyValue.From));

    public static Gen<SegmentCondition> Field(string[] names, string[] texts) =>
        from name in Gen.Elements(names)
        from op in Gen.Elements(Enum.GetValues<FieldOperator>())
        from values in Values(op, texts)
        select (SegmentCondition)new FieldCondition(name, op, values);

    private static Gen<PropertyValue[]> Values(FieldOperator op, string[] texts) => op switch
    {
        FieldOperator.IsSet or FieldOperator.IsNotSet => Gen.Constant(Array.Empty<PropertyValue>()),
        FieldOperator.Between => from a in Literal(texts) from b in Literal(texts) select new[] { a, b },
        FieldOperator.In => from n in Gen.Choose(1, 4) from list in Literal(texts).ArrayOf(n) select list,
        FieldOperator.Contains or FieldOperator.StartsWith => Gen.Elements(texts).Select(t => new[] { PropertyValue.From(t) }),
        _ => Literal(texts).Select(v => new[] { v }),
    };

    public static Gen<TimeWindow?> Window() => Gen.OneOf(
        Gen.Constant<TimeWindow?>(null),
        from n in Gen.Choose(1, 400)
        from unit in Gen.Elements(1L, 60L, 3600L, 86400L, 604800L)
        select (TimeWindow?)TimeWindow.Within(TimeSpan.FromSeconds(n * unit)),
        from day in Gen.Choose(0, 3000)
        from len in Gen.Choose(1, 400)
        from offset in Gen.Elements(0, 8, -5)
        let start = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(offset)).AddDays(day).AddMinutes(day % 97)
        select (TimeWindow?)TimeWindow.Between(start, start.AddHours(len)));

    public static Gen<SegmentCondition> EventFilter(int depth, string[] props, string[] texts) => depth <= 0
        ? Field(props, texts)
        : Gen.Frequency(
            (3, Field(props, texts)),
            (1, from n in Gen.Choose(2, 3) from ops in EventFilter(depth - 1, props, texts).ArrayOf(n) select (SegmentCondition)new AndCondition(ops)),
            (1, from n in Gen.Choose(2, 3) from ops in EventFilter(depth - 1, props, texts).ArrayOf(n) select (SegmentCondition)new OrCondition(ops)),
            (1, EventFilter(depth - 1, props, texts).Select(c => (SegmentCondition)new NotCondition(c))));

    public static Gen<SegmentCondition> Aggregate(string[] eventTypes, string[] props, string[] texts, bool withFilters = true) =>
        from fn in Gen.Elements(Enum.GetValues<AggregateFunction>())
        from type in Gen.Elements(eventTypes)
        from field in Gen.Elements(props)
        from hasFilter in Gen.Elements(withFilters, false)
        from filter in EventFilter(1, props, texts)
        from window in Window()
        from op in Gen.Elements(Enum.GetValues<ComparisonOperator>())
        from threshold in Gen.Choose(-2, 40)
        from exists in Gen.Choose(0, 4)
        select exists == 0
            ? (SegmentCondition)new EventExistsCondition(new EventType(type), hasFilter ? filter : null, window)
            : new EventAggregateCondition(fn, new EventType(type), fn == AggregateFunction.Count ? null : field, hasFilter ? filter : null, window, op, threshold);

    public static Gen<SegmentCondition> Condition(int depth, string[] traits, string[] eventTypes, string[] props, string[] texts, bool references = true)
    {
        var options = new List<(int, Gen<SegmentCondition>)>
        {
            (4, Field(traits, texts)),
            (1, Gen.Elements("vip", "new", "a b").Select(t => (SegmentCondition)new TagCondition(t))),
            (3, Aggregate(eventTypes, props, texts)),
        };
        if (references)
        {
            options.Add((1, Gen.Elements("base", "x-1", "a.b:c").Select(s => (SegmentCondition)new SegmentReferenceCondition(s))));
        }
        var leaf = Gen.Frequency(options);
        if (depth <= 0)
        {
            return leaf;
        }
        var sub = Condition(depth - 1, traits, eventTypes, props, texts, references);
        return Gen.Frequency(
            (3, leaf),
            (2, from n in Gen.Choose(2, 3) from ops in sub.ArrayOf(n) select (SegmentCondition)new AndCondition(ops)),
            (2, from n in Gen.Choose(2, 3) from ops in sub.ArrayOf(n) select (SegmentCondition)new OrCondition(ops)),
            (1, sub.Select(c => (SegmentCondition)new NotCondition(c))));
    }

    public static Gen<SegmentCondition> AnyRule() => Gen.Sized(size => Condition(Math.Min(3, size / 10), TraitNames, EventTypes, PropertyNames, Texts));
}
