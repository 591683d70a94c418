namespace Marketing.Sdk.Segmentation;

/// <summary>
/// The comparison rules every evaluator shares (documented in <c>docs/segmentation.md</c>):
/// a number literal compares numerically with numbers and numeric text; a text literal compares
/// ordinally with text; a boolean literal only equals a boolean; ordering with a boolean literal is
/// false; a missing value satisfies only <c>!=</c> and <c>is not set</c>; <c>contains</c> and
/// <c>starts with</c> ignore case.
/// </summary>
internal static class ValueSemantics
{
    public static Func<PropertyValue, bool> Compile(FieldOperator op, IReadOnlyList<PropertyValue> values)
    {
        switch (op)
        {
            case FieldOperator.IsSet: return v => !v.IsNull;
            case FieldOperator.IsNotSet: return v => v.IsNull;
            case FieldOperator.Equal: return Equality(values[0]);
            case FieldOperator.NotEqual:
                {
                    var eq = Equality(values[0]);
                    return v => !eq(v);
                }
            case FieldOperator.In:
                {
                    var numbers = values.Where(x => x.Kind == PropertyValueKind.Number).Select(x => x.AsNumber()!.Value).ToHashSet();
                    var texts = values.Where(x => x.Kind == PropertyValueKind.Text).Select(x => x.AsString()!).ToHashSet(StringComparer.Ordinal);
                    var bools = values.Where(x => x.Kind == PropertyValueKind.Boolean).Select(x => x.AsBoolean()!.Value).ToHashSet();
                    return v => v.Kind switch
                    {
                        PropertyValueKind.Null => false,
                        PropertyValueKind.Boolean => bools.Contains(v.AsBoolean()!.Value),
                        PropertyValueKind.Text => texts.Contains(v.AsString()!) || (numbers.Count > 0 && v.AsNumber() is { } n && numbers.Contains(n)),
                        _ => numbers.Contains(v.AsNumber()!.Value),
                    };
                }
            case FieldOperator.Contains:
                {
                    var needle = values[0].AsString()!;
                    return v => v.AsString() is { } s && s.Contains(needle, StringComparison.OrdinalIgnoreCase);
                }
            case FieldOperator.StartsWith:
                {
                    var prefix = values[0].AsString()!;
                    return v => v.AsString() is { } s && s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
                }
            case FieldOperator.Between:
                {
                    var low = Ordering(values[0], c => c >= 0);
                    var high = Ordering(values[1], c => c <= 0);
                    return v => low(v) && high(v);
                }
            case FieldOperator.LessThan: return Ordering(values[0], c => c < 0);
            case FieldOperator.LessThanOrEqual: return Ordering(values[0], c => c <= 0);
            case FieldOperator.GreaterThan: return Ordering(values[0], c => c > 0);
            default: return Ordering(values[0], c => c >= 0);
        }
    }

    private static Func<PropertyValue, bool> Equality(PropertyValue literal)
    {
        switch (literal.Kind)
        {
            case PropertyValueKind.Number:
                {
                    var n = literal.AsNumber()!.Value;
                    return v => v.AsNumber() is { } x && x == n;
                }
            case PropertyValueKind.Text:
                {
                    var t = literal.AsString()!;
                    return v => v.Kind == PropertyValueKind.Text && string.Equals(v.AsString(), t, StringComparison.Ordinal);
                }
            default:
                {
                    var b = literal.AsBoolean();
                    return v => v.AsBoolean() is { } x && x == b;
                }
        }
    }

    /// <summary>A predicate on <c>compare(actual, literal)</c>; false when the kinds do not compare.</summary>
    private static Func<PropertyValue, bool> Ordering(PropertyValue literal, Func<int, bool> accept)
    {
        switch (literal.Kind)
        {
            case PropertyValueKind.Number:
                {
                    var n = literal.AsNumber()!.Value;
                    return v => v.AsNumber() is { } x && accept(x.CompareTo(n));
                }
            case PropertyValueKind.Text:
                {
                    var t = literal.AsString()!;
                    return v => v.Kind == PropertyValueKind.Text && accept(string.CompareOrdinal(v.AsString(), t));
                }
            default:
                return static _ => false;
        }
    }

    public static bool Compare(decimal actual, ComparisonOperator op, decimal threshold) => op switch
    {
        ComparisonOperator.Equal => actual == threshold,
        ComparisonOperator.NotEqual => actual != threshold,
        ComparisonOperator.LessThan => actual < threshold,
        ComparisonOperator.LessThanOrEqual => actual <= threshold,
        ComparisonOperator.GreaterThan => actual > threshold,
        _ => actual >= threshold,
    };

    /// <summary>
    /// A field of an event: the event fields <c>channel</c>, <c>region</c>, <c>campaign_id</c>,
    /// <c>session_id</c> and <c>value</c> (the event value, or the order revenue) when set, otherwise
    /// the property of that name.
    /// </summary>
    public static PropertyValue EventField(MarketingEvent e, string field)
    {
        switch (field)
        {
            case "channel" when e.Channel is { } ch: return ch.Value;
            case "region" when e.Region is { } r: return r;
            case "campaign_id" when e.CampaignId is { } c: return c;
            case "session_id" when e.SessionId is { } s: return s;
            case "value" when e.Value is { } m: return m.Amount;
            case "value" when e.Order is { } o: return o.Revenue.Amount;
        }
        return e.Property(field);
    }

    /// <summary>The window as UTC ticks [from, to) at <paramref name="now"/> (all time when there is none).</summary>
    public static (long From, long To) WindowTicks(TimeWindow? window, DateTimeOffset now)
    {
        long from = long.MinValue, to = long.MaxValue;
        if (window is not null)
        {
            if (window.Last is not null)
            {
                from = window.Start(now).UtcTicks;
                to = now.UtcTicks + 1; // inclusive end
            }
            else
            {
                from = window.From!.Value.UtcTicks;
                to = window.To!.Value.UtcTicks;
            }
        }
        return (from, to);
    }
}
