using System.Globalization;
using System.Text;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Segmentation;

/// <summary>A segment rule compiled to one parameterised query for a <see cref="IRelationalQueryStore"/>.</summary>
/// <param name="Sql">The query: rows of (customer id, decided), where decided is null when the database could not decide the rule for that customer exactly.</param>
/// <param name="Parameters">The values of <c>@p0</c>, <c>@p1</c>, ….</param>
internal sealed record SegmentSqlQuery(string Sql, IReadOnlyList<object?> Parameters);

/// <summary>
/// Compiles a segment rule to SQL for SQLite or PostgreSQL, in three-valued logic: every condition is true, false or
/// NULL ("cannot tell exactly in SQL", e.g. a number compared with text such as <c>" 1,200"</c> that .NET parses as a
/// number, or a case-insensitive match on non-ASCII text). SQL's <c>AND</c>/<c>OR</c>/<c>NOT</c> propagate NULL
/// exactly where it can change the result, so the query returns the members (decided true) and the customers to decide
/// again with the snapshot evaluator (NULL). Values are always parameters; table names come from the store's
/// whitelist; JSON keys are parameters too. Rules with a literal SQL cannot compare exactly (see
/// <see cref="Compile"/>) are not compiled at all.
/// </summary>
internal sealed class SegmentSqlCompiler
{
    /// <summary>Numbers are compared on SQLite as integers scaled by 10⁶ (exact for up to 6 decimals and 12 characters).</summary>
    private const long Scale = 1_000_000;
    private const int MaxScaledLength = 12;
    private const int MaxDecimalLength = 28;

    private readonly SqlDialect _dialect;
    private readonly string _events;
    private readonly DateTimeOffset _now;
    private readonly List<object?> _parameters = [];
    private readonly List<string> _joins = [];
    private string? _ambiguousPattern;
    private string? _nonAsciiPattern;
    private string? _strictPattern;

    private SegmentSqlCompiler(SqlDialect dialect, string events, DateTimeOffset now)
    {
        _dialect = dialect;
        _events = events;
        _now = now;
    }

    private bool Pg => _dialect == SqlDialect.PostgreSql;

    /// <summary>
    /// Compiles <paramref name="segment"/> for <paramref name="store"/> at <paramref name="now"/>, or returns
    /// <see langword="null"/> when a literal cannot be compared exactly in SQL: a text literal with characters at or
    /// above U+D800 in an ordering, a non-ASCII <c>contains</c>/<c>starts with</c> needle, a number with more than 6
    /// decimals or 12 characters on SQLite (28 on PostgreSQL), or a trait or property name with <c>"</c> or <c>\</c>
    /// on SQLite.
    /// </summary>
    public static SegmentSqlQuery? Compile(CompiledSegment segment, IRelationalQueryStore store, DateTimeOffset now)
    {
        var c = new SegmentSqlCompiler(store.Dialect, store.TableName(SqlStoreTable.Events), now);
        var expr = c.Node(segment.Root);
        if (expr is null)
        {
            return null;
        }
        var profiles = store.TableName(SqlStoreTable.Profiles);
        var joins = string.Concat(c._joins.Select(j => " " + j));
        var sql = c.Pg
            ? $"SELECT id, m FROM (SELECT p.id AS id, {expr} AS m FROM (SELECT id, data::json AS j FROM {profiles}) p{joins}) q WHERE m IS NOT FALSE"
            : $"SELECT id, m FROM (SELECT p.id AS id, {expr} AS m FROM {profiles} p{joins}) WHERE m IS NOT 0";
        return new SegmentSqlQuery(sql, c._parameters);
    }

    private string P(object? value)
    {
        _parameters.Add(value);
        return "@p" + (_parameters.Count - 1).ToString(CultureInfo.InvariantCulture);
    }

    private string? Node(Node node)
    {
        switch (node.Source)
        {
            case AndCondition:
            case OrCondition:
                {
                    var parts = new List<string>();
                    foreach (var child in node.Children)
                    {
                        if (Node(child) is not { } part)
                        {
                            return null;
                        }
                        parts.Add(part);
                    }
                    return "(" + string.Join(node.Source is AndCondition ? " AND " : " OR ", parts) + ")";
                }
            case NotCondition:
                return Node(node.Children[0]) is { } inner ? $"(NOT {inner})" : null;
            case SegmentReferenceCondition:
                return Node(node.Children[0]);
            case FieldCondition f:
                return TraitRef(f.Field) is { } trait ? Field(trait, f) : null;
            case TagCondition t:
                {
                    var tag = P(t.Tag);
                    return Pg
                        ? $"(COALESCE(jsonb_exists((p.j -> 'staticTags')::jsonb, {tag}), FALSE) OR COALESCE(jsonb_exists((p.j -> 'dynamicTags')::jsonb, {tag}), FALSE))"
                        : $"(EXISTS (SELECT 1 FROM json_each(p.data, '$.staticTags') WHERE value = {tag}) OR EXISTS (SELECT 1 FROM json_each(p.data, '$.dynamicTags') WHERE value = {tag}))";
                }
            case EventExistsCondition e:
                return Aggregate(e.EventType, e.Filter, e.Window, null, null, ComparisonOperator.GreaterThan, 0m);
            case EventAggregateCondition g:
                return Aggregate(g.EventType, g.Filter, g.Window, g.Function, g.Field, g.Operator, g.Threshold);
            default:
                return null;
        }
    }

    // ------------------------------------------------------------------ values

    /// <summary>A JSON value in SQL: its kind (never null), its text (when a string) and its number text.</summary>
    private sealed record ValueRef(string Kind, string Text, string Raw);

    private ValueRef? TraitRef(string name)
    {
        if (Pg)
        {
            return PgRef($"(p.j -> 'traits' -> {P(name)})");
        }
        return SqlitePath(name) is { } path ? SqliteRef("p.data", P("$.traits." + path)) : null;
    }

    private ValueRef? EventRef(string field)
    {
        string? special = field switch
        {
            "channel" => "channel",
            "region" => "region",
            "campaign_id" => "campaignId",
            "session_id" => "sessionId",
            _ => null,
        };
        if (Pg)
        {
            var property = $"(e.data::json -> 'properties' -> {P(field)})";
            var json = special is not null
                ? $"COALESCE(e.data::json -> '{special}', {property})"
                : field == "value"
                    ? $"COALESCE(e.data::json -> 'value' -> 'amount', e.data::json -> 'order' -> 'revenue' -> 'amount', {property})"
                    : property;
            return PgRef($"({json})");
        }
        if (SqlitePath(field) is not { } name)
        {
            return null;
        }
        var prop = P("$.properties." + name);
        var path = special is not null
            ? $"(CASE WHEN json_type(e.data, '$.{special}') IS NOT NULL THEN '$.{special}' ELSE {prop} END)"
            : field == "value"
                ? $"(CASE WHEN json_type(e.data, '$.value') IS NOT NULL THEN '$.value.amount' WHEN json_type(e.data, '$.order') IS NOT NULL THEN '$.order.revenue.amount' ELSE {prop} END)"
                : prop;
        return SqliteRef("e.data", path);
    }

    /// <summary>A quoted JSON path label for SQLite, or null when the name holds a character the label cannot carry.</summary>
    private static string? SqlitePath(string name) =>
        name.Contains('"', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) ? null : "\"" + name + "\"";

    private static ValueRef SqliteRef(string doc, string path) => new(
        $"COALESCE(json_type({doc}, {path}), 'missing')",
        $"json_extract({doc}, {path})",
        $"({doc} -> {path})");

    private static ValueRef PgRef(string json) => new(
        $"COALESCE(json_typeof({json}), 'missing')",
        $"({json} #>> '{{}}')",
        $"({json} #>> '{{}}')");

    private string NumberKind => Pg ? "'number'" : "'integer', 'real'";

    private string TextKind => Pg ? "'string'" : "'text'";

    // ------------------------------------------------------------------ field conditions

    private string? Field(ValueRef v, FieldCondition f)
    {
        switch (f.Operator)
        {
            case FieldOperator.IsSet:
                return $"({v.Kind} NOT IN ('missing', 'null'))";
            case FieldOperator.IsNotSet:
                return $"({v.Kind} IN ('missing', 'null'))";
            case FieldOperator.Equal:
                return Equality(v, f.Values[0]);
            case FieldOperator.NotEqual:
                return Equality(v, f.Values[0]) is { } eq ? $"(NOT {eq})" : null;
            case FieldOperator.In:
                {
                    var parts = new List<string>();
                    foreach (var value in f.Values)
                    {
                        if (Equality(v, value) is not { } part)
                        {
                            return null;
                        }
                        parts.Add(part);
                    }
                    return "(" + string.Join(" OR ", parts) + ")";
                }
            case FieldOperator.Contains:
            case FieldOperator.StartsWith:
                return TextMatch(v, f.Values[0].AsString()!, f.Operator == FieldOperator.StartsWith);
            case FieldOperator.Between:
                return Ordering(v, f.Values[0], ">=") is { } low && Ordering(v, f.Values[1], "<=") is { } high ? $"({low} AND {high})" : null;
            case FieldOperator.LessThan:
                return Ordering(v, f.Values[0], "<");
            case FieldOperator.LessThanOrEqual:
                return Ordering(v, f.Values[0], "<=");
            case FieldOperator.GreaterThan:
                return Ordering(v, f.Values[0], ">");
            default:
                return Ordering(v, f.Values[0], ">=");
        }
    }

    private string? Equality(ValueRef v, PropertyValue literal) => literal.Kind switch
    {
        PropertyValueKind.Number => NumberCompare(v, literal.AsNumber()!.Value, "="),
        PropertyValueKind.Text => $"(CASE WHEN {v.Kind} = {TextKind} THEN {v.Text} = {P(literal.AsString())} ELSE FALSE END)",
        PropertyValueKind.Boolean => Pg
            ? $"(CASE WHEN {v.Kind} = 'boolean' THEN {v.Text} = {P(literal.AsBoolean()!.Value ? "true" : "false")} ELSE FALSE END)"
            : $"({v.Kind} = {P(literal.AsBoolean()!.Value ? "true" : "false")})",
        _ => null,
    };

    private string? Ordering(ValueRef v, PropertyValue literal, string op)
    {
        switch (literal.Kind)
        {
            case PropertyValueKind.Number:
                return NumberCompare(v, literal.AsNumber()!.Value, op);
            case PropertyValueKind.Text:
                {
                    var text = literal.AsString()!;
                    // Byte (code point) order equals UTF-16 ordinal order unless the literal holds a character at or above U+D800.
                    if (text.Any(ch => ch >= '\uD800'))
                    {
                        return null;
                    }
                    var collate = Pg ? " COLLATE \"C\"" : string.Empty;
                    return $"(CASE WHEN {v.Kind} = {TextKind} THEN ({v.Text}{collate}) {op} {P(text)} ELSE FALSE END)";
                }
            default:
                return "FALSE";
        }
    }

    private string? TextMatch(ValueRef v, string needle, bool prefix)
    {
        if (!Ascii(needle))
        {
            return null;
        }
        var lowered = P(needle.ToLowerInvariant());
        var nonAscii = _nonAsciiPattern ??= P(Pg ? "[^\u0001-\u007f]" : "*[^\u0001-\u007f]*");
        string test;
        if (Pg)
        {
            var text = $"lower({v.Text} COLLATE \"C\")";
            test = prefix ? $"left({text}, {P(needle.Length)}) = {lowered}" : $"strpos({text}, {lowered}) > 0";
            return $"(CASE WHEN {v.Kind} = {TextKind} THEN (CASE WHEN {v.Text} ~ {nonAscii} THEN NULL ELSE {test} END) ELSE FALSE END)";
        }
        test = prefix ? $"substr(lower({v.Text}), 1, {P((long)needle.Length)}) = {lowered}" : $"instr(lower({v.Text}), {lowered}) > 0";
        return $"(CASE WHEN {v.Kind} = {TextKind} THEN (CASE WHEN {v.Text} GLOB {nonAscii} THEN NULL ELSE {test} END) ELSE FALSE END)";
    }

    private static bool Ascii(string text) => text.All(ch => ch is > '\0' and <= '\u007f');

    // ------------------------------------------------------------------ numbers

    /// <summary>The literal in the form the dialect compares (a 10⁶-scaled integer on SQLite), or null when it has no exact form.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "A decimal on PostgreSQL, a scaled long on SQLite.")]
    private object? NumberLiteral(decimal value)
    {
        if (Pg)
        {
            return (object)value;
        }
        var scaled = value * Scale;
        return scaled == decimal.Truncate(scaled) && Math.Abs(scaled) <= long.MaxValue / 16 ? (object)(long)scaled : null;
    }

    /// <summary>Whether the text expression is a plain decimal (<c>-?digits(.digits)?</c>) the dialect converts exactly.</summary>
    private string Strict(string text)
    {
        if (Pg)
        {
            var pattern = _strictPattern ??= P("^-?[0-9]+(\\.[0-9]+)?$");
            return $"(length({text}) <= {MaxDecimalLength} AND {text} ~ {pattern})";
        }
        return $"(({text} GLOB '[0-9]*' OR {text} GLOB '-[0-9]*') AND substr({text}, 2) NOT GLOB '*[^0-9.]*' AND {text} NOT GLOB '*.*.*' AND {text} NOT GLOB '*.' "
            + $"AND length({text}) <= {MaxScaledLength} AND (instr({text}, '.') = 0 OR length({text}) - instr({text}, '.') <= 6))";
    }

    /// <summary>The number of a strict decimal text: numeric on PostgreSQL, a 10⁶-scaled integer on SQLite.</summary>
    private string Number(string text) => Pg
        ? $"({text})::numeric"
        : $"(CAST(replace({text}, '.', '') AS INTEGER) * (CASE WHEN instr({text}, '.') = 0 THEN {Scale} ELSE (CASE length({text}) - instr({text}, '.') WHEN 1 THEN 100000 WHEN 2 THEN 10000 WHEN 3 THEN 1000 WHEN 4 THEN 100 WHEN 5 THEN 10 ELSE 1 END) END))";

    /// <summary>Text that .NET may parse as a number but that is not a plain decimal: only digits, signs, separators and white space.</summary>
    private string Ambiguous(string text)
    {
        if (Pg)
        {
            var pattern = _ambiguousPattern ??= P("^[-0-9,.+ \t\n\u000b\f\r]*$");
            return $"({text} ~ '[0-9]' AND {text} ~ {pattern})";
        }
        var glob = _ambiguousPattern ??= P("*[^-0-9,.+ \t\n\u000b\f\r]*");
        return $"({text} GLOB '*[0-9]*' AND {text} NOT GLOB {glob})";
    }

    /// <summary>
    /// The value's state as a number: <c>'n'</c> exact, <c>'u'</c> possibly a number SQL cannot convert exactly,
    /// <c>'x'</c> no number (as <see cref="PropertyValue.AsNumber"/> decides).
    /// </summary>
    private string NumberState(ValueRef v) =>
        $"(CASE WHEN {v.Kind} IN ({NumberKind}) THEN (CASE WHEN {Strict(v.Raw)} THEN 'n' ELSE 'u' END) "
        + $"WHEN {v.Kind} = {TextKind} THEN (CASE WHEN {Strict(v.Text)} THEN 'n' WHEN {Ambiguous(v.Text)} THEN 'u' ELSE 'x' END) ELSE 'x' END)";

    /// <summary>The exact number of a value whose state is <c>'n'</c>.</summary>
    private string NumberOf(ValueRef v) =>
        $"(CASE WHEN {v.Kind} IN ({NumberKind}) THEN {Number(v.Raw)} ELSE {Number(v.Text)} END)";

    private string? NumberCompare(ValueRef v, decimal literal, string op)
    {
        if (NumberLiteral(literal) is not { } value)
        {
            return null;
        }
        var state = NumberState(v);
        return $"(CASE {state} WHEN 'n' THEN {NumberOf(v)} {op} {P(value)} WHEN 'u' THEN NULL ELSE FALSE END)";
    }

    // ------------------------------------------------------------------ event aggregates

    private string? Aggregate(EventType type, SegmentCondition? filter, TimeWindow? window, AggregateFunction? function, string? field, ComparisonOperator op, decimal threshold)
    {
        // One derived table per aggregate, grouped by customer and joined to the profiles: the database reads the
        // type's events in the window once (type/time index), computes each event's filter and value once, and the
        // condition is a column of the join (no row: the aggregate over no events).
        var where = new StringBuilder($"e.type = {P(type.Value)}");
        if (window is not null)
        {
            if (window.Last is not null)
            {
                where.Append($" AND e.occurred_at >= {P(window.Start(_now).UtcTicks)} AND e.occurred_at <= {P(_now.UtcTicks)}");
            }
            else
            {
                where.Append($" AND e.occurred_at >= {P(window.From!.Value.UtcTicks)} AND e.occurred_at < {P(window.To!.Value.UtcTicks)}");
            }
        }
        string? f = null;
        if (filter is not null && (f = Filter(filter)) is null)
        {
            return null;
        }
        if (NumberLiteral(threshold) is not { } thr)
        {
            return null;
        }
        var cmp = Comparison(op);
        var t0 = P(thr);
        var alias = "a" + _joins.Count.ToString(CultureInfo.InvariantCulture);
        var inner = new StringBuilder($"SELECT e.customer_id AS c, {(f ?? "TRUE")} AS f");
        string result, empty;
        if (function is null or AggregateFunction.Count)
        {
            var count = f is null ? "COUNT(*)" : "COALESCE(SUM(CASE WHEN x.f THEN 1 ELSE 0 END), 0)";
            var decided = $"{(Pg ? count : $"{count} * {Scale}")} {cmp} {t0}";
            result = f is null ? decided : $"CASE WHEN COALESCE(SUM(CASE WHEN x.f IS NULL THEN 1 ELSE 0 END), 0) > 0 THEN NULL ELSE {decided} END";
            empty = $"(0 {cmp} {t0})";
        }
        else
        {
            if (field is null || EventRef(field) is not { } v)
            {
                return null;
            }
            inner.Append($", {v.Kind} AS k, {v.Text} AS t, {v.Raw} AS w");
            var x = new ValueRef("x.k", "x.t", "x.w");
            var state = NumberState(x);
            var numbered = $"(x.f AND {state} = 'n')";
            var n = $"CASE WHEN {numbered} THEN {NumberOf(x)} END";
            var valueCount = $"COUNT(CASE WHEN {numbered} THEN 1 END)";
            var unknownRows = $"COALESCE(SUM(CASE WHEN x.f IS NULL OR (x.f AND {state} = 'u') THEN 1 ELSE 0 END), 0) > 0";
            var decided = function switch
            {
                AggregateFunction.Sum => $"COALESCE(SUM({n}), 0) {cmp} {t0}",
                AggregateFunction.Min => $"(CASE WHEN {valueCount} = 0 THEN FALSE ELSE MIN({n}) {cmp} {t0} END)",
                AggregateFunction.Max => $"(CASE WHEN {valueCount} = 0 THEN FALSE ELSE MAX({n}) {cmp} {t0} END)",
                // avg op t  ⇔  sum op t · count (count > 0): exact, no division.
                _ => $"(CASE WHEN {valueCount} = 0 THEN FALSE ELSE SUM({n}) {cmp} {t0} * {valueCount} END)",
            };
            result = $"CASE WHEN {unknownRows} THEN NULL ELSE {decided} END";
            empty = function == AggregateFunction.Sum ? $"(0 {cmp} {t0})" : "FALSE";
        }
        inner.Append($" FROM {_events} e WHERE {where}");
        _joins.Add($"LEFT JOIN (SELECT x.c AS c, {result} AS r FROM ({inner}) x GROUP BY x.c) {alias} ON {alias}.c = p.id");
        // No row: no event of the type in the window. A row: the aggregate, possibly NULL (unknown).
        return $"(CASE WHEN {alias}.c IS NULL THEN {empty} ELSE {alias}.r END)";
    }

    private string? Filter(SegmentCondition c)
    {
        switch (c)
        {
            case AndCondition a:
            case OrCondition:
                {
                    var operands = c is AndCondition and ? and.Operands : ((OrCondition)c).Operands;
                    var parts = new List<string>();
                    foreach (var o in operands)
                    {
                        if (Filter(o) is not { } part)
                        {
                            return null;
                        }
                        parts.Add(part);
                    }
                    return "(" + string.Join(c is AndCondition ? " AND " : " OR ", parts) + ")";
                }
            case NotCondition n:
                return Filter(n.Operand) is { } inner ? $"(NOT {inner})" : null;
            case FieldCondition f:
                return EventRef(f.Field) is { } v ? Field(v, f) : null;
            default:
                return null;
        }
    }

    private static string Comparison(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.NotEqual => "<>",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        ComparisonOperator.GreaterThan => ">",
        _ => ">=",
    };
}
