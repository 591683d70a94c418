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
            MustStoreUnchanged(rule);
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

    /// <summary>Stores the rule as JSON (UTF-8, as every store does) and reads it back.</summary>
    private static void MustStoreUnchanged(SegmentCondition rule)
    {
        var definition = new SegmentDefinition("s1", rule);
        var utf8 = JsonSerializer.SerializeToUtf8Bytes(definition, SegmentationJsonContext.Default.SegmentDefinition);
        var back = JsonSerializer.Deserialize(utf8, SegmentationJsonContext.Default.SegmentDefinition);
        Assert.Equal(rule, back!.Rule);
        Assert.Equal(SegmentDsl.Format(rule), SegmentDsl.Format(back.Rule));
    }

    [Theory]
    [InlineData("name = \"a\\uD800b\"", 9)]
    [InlineData("name = \"ab\\uDC00\"", 10)]
    [InlineData("name = \"\\uD83D\\u0041\"", 8)]
    [InlineData("name in (\"x\", \"\\uD83D\")", 15)]
    [InlineData("count(purchase where sku = \"\\uDE00\") > 1", 28)]
    public void An_unpaired_surrogate_escape_in_a_literal_is_refused_at_its_position(string text, int position)
    {
        var error = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse(text));
        Assert.Equal(position, error.Position);
        Assert.Equal(position + 1, error.Column);
    }

    [Fact]
    public void A_raw_unpaired_surrogate_in_a_literal_or_quoted_name_is_refused()
    {
        var literal = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse("name = \"a\uD800\""));
        Assert.Equal(9, literal.Position);
        var name = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse("`a\uDC00` = 1"));
        Assert.Equal(2, name.Position);
    }

    [Fact]
    public void Surrogate_pairs_raw_or_escaped_parse_and_store_unchanged()
    {
        var escaped = SegmentDsl.Parse("name = \"\\uD83D\\uDE00\" and `\U0001F600` = \"\U0001F600\"");
        Assert.Equal(new AndCondition([new FieldCondition("name", FieldOperator.Equal, ["\U0001F600"]), new FieldCondition("\U0001F600", FieldOperator.Equal, ["\U0001F600"])]), escaped);
        MustStoreUnchanged(escaped);
    }

    [Fact]
    public void Conditions_built_in_code_with_an_unpaired_surrogate_do_not_validate_or_store()
    {
        var rule = new FieldCondition("name", FieldOperator.Equal, ["a\uD800"]);
        var error = Assert.Throws<MarketingValidationException>(() => SegmentDsl.Validate(rule));
        Assert.Equal(ValidationReason.InvalidCharacters, error.Reason);
        Assert.Equal("rule.values[0]", error.Field);
        Assert.Throws<MarketingValidationException>(() => SegmentDsl.Validate(new TagCondition("\uDC00")));
        Assert.Throws<MarketingValidationException>(() => SegmentDsl.Validate(new FieldCondition("\uD800", FieldOperator.IsSet, [])));
        Assert.ThrowsAny<Exception>(() => JsonSerializer.Serialize(new SegmentDefinition("s1", rule), SegmentationJsonContext.Default.SegmentDefinition));
    }

    /// <summary>x0 = 1 or (x1 = 1 and (x2 = 1 or ( … (leaf) … ))) with <paramref name="parens"/> parentheses.</summary>
    private static string Chain(int parens, string leaf)
    {
        var sb = new System.Text.StringBuilder();
        for (var k = 0; k < parens; k++)
        {
            sb.Append('x').Append(k).Append(k % 2 == 0 ? " = 1 or (" : " = 1 and (");
        }
        sb.Append("y = 2 ").Append(parens % 2 == 0 ? "or " : "and ").Append(leaf);
        return sb.Append(')', parens).ToString();
    }

    [Fact]
    public void Sixty_four_levels_ending_in_not_in_are_refused_at_parse_time_with_a_position()
    {
        // 63 parentheses: the innermost operands sit at tree depth 64, and the implicit 'not' of
        // 'not in' puts the field condition at 65 — beyond the limit Validate applies.
        var text = Chain(63, "z not in (1, 2)");
        var error = Assert.Throws<SegmentParseException>(() => SegmentDsl.Parse(text));
        Assert.Equal(text.LastIndexOf("not in", StringComparison.Ordinal), error.Position);
        Assert.Contains("at most 64 levels of nesting", error.Expected);

        // One level less parses, validates, stores and reads back unchanged.
        var fits = SegmentDsl.Parse(Chain(62, "z not in (1, 2)"));
        SegmentDsl.Validate(fits);
        MustStoreUnchanged(fits);
    }

    [Property(MaxTest = 300)]
    public Property Deep_rules_near_the_limit_parse_validate_and_store_or_fail_typed() =>
        Prop.ForAll(Arb.From(
            from parens in Gen.Choose(58, 66)
            from leaf in Gen.Elements("z not in (1, 2)", "not z = 1", "not not z = 1", "z not between 1 and 2", "z not contains \"a\"",
                "count(purchase where not a = 1) > 1", "exists(purchase where a = 1 and not b in (1)) within 7d", "(a = 1 and b = 2)",
                "not (a = 1 or b not starts with \"q\")", "z = \"\\uD800\"", "z = \"\U0001F600\"")
            select Chain(parens, leaf)), text =>
        {
            MustParseOrFailTyped(text);
            return true;
        });

    [Property(MaxTest = 500)]
    public Property Parse_store_parse_is_identity_for_generated_rules() =>
        Prop.ForAll(Arb.From(Generators.AnyRule()), rule =>
        {
            var text = SegmentDsl.Format(rule);
            var parsed = SegmentDsl.Parse(text);
            MustStoreUnchanged(parsed);
            return parsed.Equals(rule) && SegmentDsl.Format(SegmentDsl.Parse(SegmentDsl.Format(parsed))) == text;
        });
}
