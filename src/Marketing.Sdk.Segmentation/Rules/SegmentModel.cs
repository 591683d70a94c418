using System.Text.Json.Serialization;

namespace Marketing.Sdk.Segmentation;

/// <summary>A named audience: an id, a rule and optional descriptive text.</summary>
/// <param name="Id">The segment id (1–64 characters of ASCII letters, digits, '_', '-', '.' or ':').</param>
/// <param name="Rule">The rule a profile must satisfy to be a member.</param>
public sealed record SegmentDefinition(string Id, SegmentCondition Rule)
{
    /// <summary>A display name.</summary>
    public string? Name { get; init; }

    /// <summary>A description for people.</summary>
    public string? Description { get; init; }

    /// <summary>Parses <paramref name="ruleText"/> with <see cref="SegmentDsl.Parse"/> and creates a definition.</summary>
    /// <param name="id">The segment id.</param>
    /// <param name="ruleText">The rule in the segment rule language.</param>
    /// <exception cref="SegmentParseException">The text is not a valid rule.</exception>
    public static SegmentDefinition Parse(string id, string ruleText) => new(id, SegmentDsl.Parse(ruleText));

    /// <summary>The rule in the segment rule language.</summary>
    [JsonIgnore]
    public string RuleText => SegmentDsl.Format(Rule);

    /// <summary>Describes the segment by id and rule shape, with literal values elided.</summary>
    public override string ToString() => $"SegmentDefinition {{ Id = {Id}, Rule = {Rule} }}";
}

/// <summary>
/// A condition of a segment rule. Conditions are immutable, compare by value and serialise to JSON
/// as their rule text (which parses back to an equal condition). <see cref="object.ToString"/> gives the rule text with literal
/// values elided (they may be personal data); use <see cref="SegmentDsl.Format"/> for the full text.
/// </summary>
[JsonConverter(typeof(SegmentConditionJsonConverter))]
public abstract record SegmentCondition
{
    private protected SegmentCondition() { }

    /// <summary>The rule text with literal values replaced by their kind.</summary>
    public override string ToString() => SegmentDsl.Format(this, redactLiterals: true);
}

/// <summary>Every operand holds (two or more operands).</summary>
/// <param name="Operands">The operands.</param>
public sealed record AndCondition(IReadOnlyList<SegmentCondition> Operands) : SegmentCondition
{
    /// <inheritdoc />
    public bool Equals(AndCondition? other) => other is not null && Operands.SequenceEqual(other.Operands);

    /// <inheritdoc />
    public override int GetHashCode() => ModelHash.Of(1, Operands);

    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>At least one operand holds (two or more operands).</summary>
/// <param name="Operands">The operands.</param>
public sealed record OrCondition(IReadOnlyList<SegmentCondition> Operands) : SegmentCondition
{
    /// <inheritdoc />
    public bool Equals(OrCondition? other) => other is not null && Operands.SequenceEqual(other.Operands);

    /// <inheritdoc />
    public override int GetHashCode() => ModelHash.Of(2, Operands);

    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>The operand does not hold.</summary>
/// <param name="Operand">The negated condition.</param>
public sealed record NotCondition(SegmentCondition Operand) : SegmentCondition
{
    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>How a field is compared with literal values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FieldOperator>))]
public enum FieldOperator
{
    /// <summary><c>=</c>: equal (numbers numerically, text ordinally, booleans).</summary>
    Equal,
    /// <summary><c>!=</c>: not equal (true for a missing value).</summary>
    NotEqual,
    /// <summary><c>&lt;</c>.</summary>
    LessThan,
    /// <summary><c>&lt;=</c>.</summary>
    LessThanOrEqual,
    /// <summary><c>&gt;</c>.</summary>
    GreaterThan,
    /// <summary><c>&gt;=</c>.</summary>
    GreaterThanOrEqual,
    /// <summary><c>between a and b</c>: inclusive range (two values).</summary>
    Between,
    /// <summary><c>in (a, b, …)</c>: equal to any of one or more values.</summary>
    In,
    /// <summary><c>contains "x"</c>: text contains the value, ignoring case.</summary>
    Contains,
    /// <summary><c>starts with "x"</c>: text starts with the value, ignoring case.</summary>
    StartsWith,
    /// <summary><c>is set</c>: the field has a value (no operands).</summary>
    IsSet,
    /// <summary><c>is not set</c>: the field has no value (no operands).</summary>
    IsNotSet,
}

/// <summary>
/// A comparison of one field with literal values. At the top level the field is a profile trait;
/// inside an event filter (<c>where</c>) it is an event property or one of the event fields
/// <c>channel</c>, <c>region</c>, <c>campaign_id</c>, <c>session_id</c>, <c>value</c>.
/// </summary>
/// <param name="Field">The trait or property name.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Values">The literal operands (text, number or boolean; count depends on the operator).</param>
public sealed record FieldCondition(string Field, FieldOperator Operator, IReadOnlyList<PropertyValue> Values) : SegmentCondition
{
    /// <inheritdoc />
    public bool Equals(FieldCondition? other) =>
        other is not null && string.Equals(Field, other.Field, StringComparison.Ordinal) && Operator == other.Operator && Values.SequenceEqual(other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Field), Operator, ModelHash.Of(3, Values));

    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>The profile carries a tag (static or dynamic), compared ordinally.</summary>
/// <param name="Tag">The tag.</param>
public sealed record TagCondition(string Tag) : SegmentCondition
{
    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>The profile is a member of another segment (evaluated with it; cycles are rejected).</summary>
/// <param name="SegmentId">The referenced segment's id.</param>
public sealed record SegmentReferenceCondition(string SegmentId) : SegmentCondition
{
    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary>An aggregate over a customer's events.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AggregateFunction>))]
public enum AggregateFunction
{
    /// <summary>Number of matching events.</summary>
    Count,
    /// <summary>Sum of a numeric field (0 when no event has it).</summary>
    Sum,
    /// <summary>Smallest value of a numeric field (no value, so false, when no event has it).</summary>
    Min,
    /// <summary>Largest value of a numeric field (no value, so false, when no event has it).</summary>
    Max,
    /// <summary>Mean of a numeric field (no value, so false, when no event has it).</summary>
    Avg,
}

/// <summary>A comparison of an aggregate with a number.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ComparisonOperator>))]
public enum ComparisonOperator
{
    /// <summary><c>=</c>.</summary>
    Equal,
    /// <summary><c>!=</c>.</summary>
    NotEqual,
    /// <summary><c>&lt;</c>.</summary>
    LessThan,
    /// <summary><c>&lt;=</c>.</summary>
    LessThanOrEqual,
    /// <summary><c>&gt;</c>.</summary>
    GreaterThan,
    /// <summary><c>&gt;=</c>.</summary>
    GreaterThanOrEqual,
}

/// <summary>
/// A time window for event aggregates: the last <see cref="Last"/> before the evaluation instant
/// (inclusive on both ends), or the half-open range [<see cref="From"/>, <see cref="To"/>).
/// Exactly one form is set.
/// </summary>
public sealed record TimeWindow
{
    /// <summary>The length of a rolling window ending at the evaluation instant (whole seconds, positive).</summary>
    public TimeSpan? Last { get; init; }

    /// <summary>Start of a fixed range (inclusive).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>End of a fixed range (exclusive).</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>A rolling window: <c>within 7d</c>.</summary>
    /// <param name="length">The window length.</param>
    public static TimeWindow Within(TimeSpan length) => new() { Last = length };

    /// <summary>A fixed range: <c>between "2025-01-01" and "2025-02-01"</c>.</summary>
    /// <param name="from">Start (inclusive).</param>
    /// <param name="to">End (exclusive).</param>
    public static TimeWindow Between(DateTimeOffset from, DateTimeOffset to) => new() { From = from, To = to };

    /// <summary>Whether <paramref name="occurredAt"/> lies in the window evaluated at <paramref name="now"/>.</summary>
    /// <param name="occurredAt">The event instant.</param>
    /// <param name="now">The evaluation instant.</param>
    public bool Contains(DateTimeOffset occurredAt, DateTimeOffset now) => Last is { } last
        ? occurredAt >= now - last && occurredAt <= now
        : occurredAt >= From!.Value && occurredAt < To!.Value;

    /// <summary>The earliest instant the window can contain when evaluated at <paramref name="now"/>.</summary>
    /// <param name="now">The evaluation instant.</param>
    public DateTimeOffset Start(DateTimeOffset now) => Last is { } last ? now - last : From!.Value;
}

/// <summary>
/// <c>count(type where filter) within 7d &gt;= 1</c>, <c>sum(value of purchase) within 30d &gt; 100</c>:
/// an aggregate of the customer's events of one type that satisfy an optional filter in an optional
/// window, compared with a number.
/// </summary>
/// <param name="Function">The aggregate.</param>
/// <param name="EventType">The event type.</param>
/// <param name="Field">The numeric field aggregated (required except for <see cref="AggregateFunction.Count"/>, where it must be null).</param>
/// <param name="Filter">A condition over event fields (field conditions, and, or, not), or <see langword="null"/>.</param>
/// <param name="Window">The time window, or <see langword="null"/> for all time.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Threshold">The number compared with.</param>
public sealed record EventAggregateCondition(
    AggregateFunction Function,
    EventType EventType,
    string? Field,
    SegmentCondition? Filter,
    TimeWindow? Window,
    ComparisonOperator Operator,
    decimal Threshold) : SegmentCondition
{
    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

/// <summary><c>exists(search where query contains "moisturiser") within 7d</c>: at least one matching event.</summary>
/// <param name="EventType">The event type.</param>
/// <param name="Filter">A condition over event fields, or <see langword="null"/>.</param>
/// <param name="Window">The time window, or <see langword="null"/> for all time.</param>
public sealed record EventExistsCondition(EventType EventType, SegmentCondition? Filter, TimeWindow? Window) : SegmentCondition
{
    /// <inheritdoc />
    public override string ToString() => base.ToString();
}

internal static class ModelHash
{
    public static int Of<T>(int seed, IReadOnlyList<T> items)
    {
        var hash = new HashCode();
        hash.Add(seed);
        foreach (var item in items)
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }
}

/// <summary>Source-generated JSON metadata for segment definitions (trim and AOT safe), in camelCase.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SegmentDefinition))]
[JsonSerializable(typeof(IReadOnlyList<SegmentDefinition>))]
public sealed partial class SegmentationJsonContext : JsonSerializerContext;
