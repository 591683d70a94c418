using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Marketing.Sdk.Segmentation.Tests;

public class DslTests
{
    private const string IssueExample =
        "age between 25 and 30 and gender = \"female\" and count(product_view where category = \"maternity\") within 7d >= 1 and not segment(\"purchased_last_30d\")";

    [Fact]
    public void Parses_the_issue_example_into_the_expected_model()
    {
        var rule = SegmentDsl.Parse(IssueExample);

        var expected = new AndCondition(
        [
            new FieldCondition("age", FieldOperator.Between, [25, 30]),
            new FieldCondition("gender", FieldOperator.Equal, ["female"]),
            new EventAggregateCondition(AggregateFunction.Count, EventType.ProductView, null,
                new FieldCondition("category", FieldOperator.Equal, ["maternity"]),
                TimeWindow.Within(TimeSpan.FromDays(7)), ComparisonOperator.GreaterThanOrEqual, 1),
            new NotCondition(new SegmentReferenceCondition("purchased_last_30d")),
        ]);
        Assert.Equal(expected, rule);
        Assert.Equal(IssueExample, SegmentDsl.Format(rule));
    }

    [Fact]
    public void Parses_every_construct()
    {
        var text = """
            (region in ("sh", "bj") or region starts with "gd") and not income < 1000.5
            and member_level is set and nickname is not set and bio contains "yoga"
            and tag("vip") and exists(search where query contains "winter moisturiser") within 7d
            and sum(value of purchase) between "2025-01-01" and "2025-04-01T00:00:00+08:00" > 100
            and avg(price of add_to_cart where brand != "x" and not category in ("a")) >= 10
            and `my field` not between 1 and 2 and max(value of purchase) within 12h < 3
            """;
        var rule = SegmentDsl.Parse(text);
        var and = Assert.IsType<AndCondition>(rule);
        Assert.Equal(11, and.Operands.Count);
        Assert.IsType<OrCondition>(and.Operands[0]);
        var sum = Assert.IsType<EventAggregateCondition>(and.Operands[7]);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), sum.Window!.From);
        Assert.Equal(new DateTimeOffset(2025, 3, 31, 16, 0, 0, TimeSpan.Zero), sum.Window.To!.Value.UtcDateTime);
        Assert.Equal(rule, SegmentDsl.Parse(SegmentDsl.Format(rule)));
    }

    [Theory]
    [InlineData("age >", 1, 6, "a string literal")]
    [InlineData("age between 1 or 2", 1, 15, "'and'")]
    [InlineData("gender = \"f\" and", 1, 17, "a trait name")]
    [InlineData("(age > 1", 1, 9, "')'")]
    [InlineData("age > 1\n  and count(product_view) within 7 >= 1", 2, 34, "a duration such as 7d, 12h, 30m, 45s or 2w")]
    [InlineData("count(product_view) >= x", 1, 24, "a number")]
    [InlineData("sum(purchase) > 1", 1, 13, "'of'")]
    [InlineData("age = \"open", 1, 7, "a closing '\"'")]
    [InlineData("age > 1 age < 2", 1, 9, "'and'")]
    [InlineData("exists(search where tag(\"x\"))", 1, 21, "a field name")]
    [InlineData("segment(\"bad id!\")", 1, 9, "a segment id of ASCII letters, digits, '_', '-', '.' or ':'")]
    [InlineData("age # 3", 1, 5, "an operator")]
    [InlineData("age is maybe", 1, 8, "'set'")]
    [InlineData("count(purchase) between \"2025-02-01\" and \"2025-01-01\" > 1", 1, 25, "a start date before the end date")]
    [InlineData("", 1, 1, "a trait name")]
    public void Errors_name_line_column_and_expected_tokens(string text, int line, int column, string expected)
    {
        var error = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse(text));
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains(expected, error.Expected);
        Assert.Contains($"Line {line}, column {column}", error.Message);
    }

    [Fact]
    public void Error_messages_do_not_repeat_string_literals()
    {
        var error = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse("email = \"someone@example.com\" \"13800138000\""));
        Assert.DoesNotContain("example.com", error.Message);
        Assert.DoesNotContain("13800138000", error.Message);
        Assert.Equal("a string literal", error.Found);
    }

    [Fact]
    public void Deep_nesting_is_a_parse_error_not_a_stack_overflow()
    {
        var text = new string('(', 10_000) + "age > 1" + new string(')', 10_000);
        var error = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse(text));
        Assert.Equal(SegmentDsl.MaxNesting + 1, error.Column);
        var nots = string.Concat(Enumerable.Repeat("not ", 5000)) + "age > 1";
        Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse(nots));
    }

    [Fact]
    public void ToString_elides_literals()
    {
        var rule = SegmentDsl.Parse("email = \"someone@example.com\" and age > 30");
        Assert.Equal("email = <text> and age > <number>", rule.ToString());
    }

    [Property(MaxTest = 500)]
    public Property Model_to_text_to_model_is_identity() =>
        Prop.ForAll(Arb.From(Generators.AnyRule()), rule =>
        {
            SegmentDsl.Validate(rule);
            var text = SegmentDsl.Format(rule);
            var parsed = SegmentDsl.Parse(text);
            return parsed.Equals(rule) && SegmentDsl.Format(parsed) == text;
        });

    [Property(MaxTest = 200)]
    public Property Json_round_trip_is_identity() =>
        Prop.ForAll(Arb.From(Generators.AnyRule()), rule =>
        {
            var definition = new SegmentDefinition("s1", rule) { Name = "Test", Description = "d" };
            var json = JsonSerializer.Serialize(definition, SegmentationJsonContext.Default.SegmentDefinition);
            var back = JsonSerializer.Deserialize(json, SegmentationJsonContext.Default.SegmentDefinition);
            return back == definition;
        });

    private static readonly string[] Fragments =
    [
        "age", " ", "and", "or", "not", "(", ")", "\"", "\"x\"", "=", "!=", "<", ">=", "between", "in", ",", "7d", "12", "-3.5",
        "count(", "sum(", "of", "where", "within", "segment(", "tag(", "exists(", "is", "set", "starts", "with", "contains",
        "`", "\\", "\n", "\u00e9", "\uD800", "#", "99999999999999999999999999999999", "99999999999d", "product_view", "true",
    ];

    private static void MustParseOrFailTyped(string text)
    {
        try
        {
            var rule = SegmentDsl.Parse(text);
            SegmentDsl.Validate(rule);
            Assert.Equal(rule, SegmentDsl.Parse(SegmentDsl.Format(rule)));
        }
        catch (SegmentParseException e)
        {
            Assert.InRange(e.Position, 0, text.Length);
            Assert.InRange(e.Line, 1, text.Count(c => c == '\n') + 1);
            Assert.True(e.Column >= 1);
            Assert.NotEmpty(e.Expected);
        }
    }

    [Property(MaxTest = 2000)]
    public Property Random_strings_parse_or_fail_with_a_typed_error() =>
        Prop.ForAll(Arb.From(Gen.OneOf(
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
            Gen.Elements(Fragments).ListOf().Select(parts => string.Join("", parts)),
            Gen.Elements(Fragments).ListOf().Select(parts => string.Join(" ", parts)))), text =>
        {
            MustParseOrFailTyped(text);
            return true;
        });

    [Property(MaxTest = 1000)]
    public Property Mutated_valid_rules_parse_or_fail_with_a_typed_error() =>
        Prop.ForAll(Arb.From(
            from rule in Generators.AnyRule()
            from kind in Gen.Choose(0, 3)
            from pos in Gen.Choose(0, 10_000)
            from fragment in Gen.Elements(Fragments)
            select (SegmentDsl.Format(rule), kind, pos, fragment)), t =>
        {
            var (text, kind, pos, fragment) = t;
            var at = text.Length == 0 ? 0 : pos % text.Length;
            var mutated = kind switch
            {
                0 => text.Length == 0 ? text : text.Remove(at, 1),
                1 => text.Insert(at, fragment),
                2 => text[..at],
                _ => text.Length == 0 ? fragment : text.Remove(at, 1).Insert(at, fragment),
            };
            MustParseOrFailTyped(mutated);
            return true;
        });
}
