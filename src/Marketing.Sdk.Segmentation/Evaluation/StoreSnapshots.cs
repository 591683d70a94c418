using System.Data.Common;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// Builds <see cref="ProfileColumns"/> snapshots and evaluates segments straight from a
/// <see cref="IRelationalQueryStore"/>, without a <see cref="CustomerProfile"/> or <see cref="MarketingEvent"/>
/// object per row.
/// </summary>
/// <remarks>
/// A snapshot reads one query per part: the profiles' <c>traits</c>, <c>staticTags</c> and <c>dynamicTags</c>
/// (only when a segment reads them; the needed keys are picked from each row's JSON with a forward-only reader),
/// one <c>GROUP BY customer_id</c> count per unfiltered <c>count</c>/<c>exists</c> condition and window (aggregated
/// by the database), and for the other event conditions the events of the type since the earliest window start as
/// compressed rows (time and the filtered or aggregated fields only). Memory is the snapshot itself: one entry per
/// customer per column plus the events of the types that need them.
/// </remarks>
internal static class StoreSnapshots
{
    /// <summary>Builds a snapshot for <paramref name="segments"/> at <paramref name="now"/> (evaluate it at the same instant).</summary>
    public static async ValueTask<ProfileColumns> BuildAsync(IReadOnlyList<CompiledSegment> segments, IRelationalQueryStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var builder = new ProfileColumnsBuilder(segments);
        var needs = builder.Needs;
        var pg = store.Dialect == SqlDialect.PostgreSql;
        var profiles = store.TableName(SqlStoreTable.Profiles);
        var events = store.TableName(SqlStoreTable.Events);

        // Profiles: ids and the JSON parts the segments read.
        var readTraits = needs.Traits.Count > 0;
        var readTags = needs.Tags.Count > 0;
        var columns = new StringBuilder("SELECT id");
        columns.Append(readTraits ? pg ? ", data::json -> 'traits'" : ", data -> '$.traits'" : ", NULL");
        columns.Append(readTags ? pg ? ", data::json -> 'staticTags', data::json -> 'dynamicTags'" : ", data -> '$.staticTags', data -> '$.dynamicTags'" : ", NULL, NULL");
        columns.Append(" FROM ").Append(profiles);
        await store.QueryAsync(columns.ToString(), [], async (r, ct) =>
        {
            var traits = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
            var tags = new HashSet<string>(StringComparer.Ordinal);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                traits.Clear();
                tags.Clear();
                if (readTraits && !r.IsDBNull(1))
                {
                    ReadObject(r.GetString(1), needs.Traits, traits);
                }
                if (readTags)
                {
                    ReadTags(r, 2, needs.Tags, tags);
                    ReadTags(r, 3, needs.Tags, tags);
                }
                builder.TryAddRow(new CustomerId(r.GetString(0)), traits, tags);
            }
        }, cancellationToken).ConfigureAwait(false);

        // Event conditions: counts aggregated in SQL where unfiltered, event rows otherwise.
        var counted = new HashSet<CountKey>();
        var rowsNeeded = new Dictionary<EventType, long>(); // type → earliest tick needed
        foreach (var s in segments)
        {
            Collect(s.Root, now, counted, rowsNeeded);
        }
        foreach (var key in counted)
        {
            builder.DeclareCount(key);
            var sql = new StringBuilder($"SELECT customer_id, COUNT(*) FROM {events} WHERE type = @p0");
            var parameters = new List<object?> { key.Type.Value };
            if (key.From != long.MinValue)
            {
                sql.Append(" AND occurred_at >= @p1");
                parameters.Add(key.From);
            }
            if (key.To != long.MaxValue)
            {
                sql.Append(" AND occurred_at < @p").Append(parameters.Count);
                parameters.Add(key.To);
            }
            sql.Append(" GROUP BY customer_id");
            await store.QueryAsync(sql.ToString(), parameters, async (r, ct) =>
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    builder.SetCount(key, new CustomerId(r.GetString(0)), r.GetInt64(1));
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        foreach (var type in needs.Events.Keys.ToList())
        {
            if (!rowsNeeded.ContainsKey(type))
            {
                builder.DropEvents(type);
            }
        }
        foreach (var (type, from) in rowsNeeded)
        {
            await ReadEventsAsync(builder, store, events, type, from, cancellationToken).ConfigureAwait(false);
        }
        return builder.Build();
    }

    /// <summary>Unfiltered counts become store counts; every other event condition needs its type's rows from the window start.</summary>
    private static void Collect(Node node, DateTimeOffset now, HashSet<CountKey> counted, Dictionary<EventType, long> rows)
    {
        switch (node.Source)
        {
            case EventExistsCondition { Filter: null } e:
                {
                    var (from, to) = ValueSemantics.WindowTicks(e.Window, now);
                    counted.Add(new CountKey(e.EventType, from, to));
                    break;
                }
            case EventAggregateCondition { Filter: null, Function: AggregateFunction.Count } g:
                {
                    var (from, to) = ValueSemantics.WindowTicks(g.Window, now);
                    counted.Add(new CountKey(g.EventType, from, to));
                    break;
                }
            case EventExistsCondition e:
                Need(rows, e.EventType, ValueSemantics.WindowTicks(e.Window, now).From);
                break;
            case EventAggregateCondition g:
                Need(rows, g.EventType, ValueSemantics.WindowTicks(g.Window, now).From);
                break;
        }
        foreach (var child in node.Children)
        {
            Collect(child, now, counted, rows);
        }
    }

    private static void Need(Dictionary<EventType, long> rows, EventType type, long from) =>
        rows[type] = rows.TryGetValue(type, out var earlier) ? Math.Min(earlier, from) : from;

    private static readonly Dictionary<string, string> SpecialFields = new(StringComparer.Ordinal)
    {
        ["channel"] = "channel",
        ["region"] = "region",
        ["campaign_id"] = "campaignId",
        ["session_id"] = "sessionId",
    };

    private static async ValueTask ReadEventsAsync(ProfileColumnsBuilder builder, IRelationalQueryStore store, string events, EventType type, long from, CancellationToken cancellationToken)
    {
        var fields = builder.EventFields(type)!;
        var pg = store.Dialect == SqlDialect.PostgreSql;
        string Json(string path) => pg ? $", data::json #> '{{{path.Replace('.', ',')}}}'" : $", data -> '$.{path}'";

        // Columns: customer_id, occurred_at, properties, then per field the JSON parts EventField reads.
        var sql = new StringBuilder("SELECT customer_id, occurred_at");
        sql.Append(fields.Length > 0 ? Json("properties") : ", NULL");
        var plan = new List<(int Field, string[] Parts)>();
        foreach (var (f, i) in fields.Select((f, i) => (f, i)))
        {
            if (SpecialFields.TryGetValue(f, out var special))
            {
                sql.Append(Json(special));
                plan.Add((i, [special]));
            }
            else if (f == "value")
            {
                sql.Append(Json("value.amount")).Append(Json("order.revenue.amount"));
                plan.Add((i, ["value.amount", "order.revenue.amount"]));
            }
            else
            {
                plan.Add((i, []));
            }
        }
        sql.Append(" FROM ").Append(events).Append(" WHERE type = @p0");
        var parameters = new List<object?> { type.Value };
        if (from != long.MinValue)
        {
            sql.Append(" AND occurred_at >= @p1");
            parameters.Add(from);
        }
        var names = new HashSet<string>(fields, StringComparer.Ordinal);
        await store.QueryAsync(sql.ToString(), parameters, async (r, ct) =>
        {
            var props = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
            var values = new PropertyValue[fields.Length];
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                props.Clear();
                if (fields.Length > 0 && !r.IsDBNull(2))
                {
                    ReadObject(r.GetString(2), names, props);
                }
                var column = 3;
                foreach (var (f, parts) in plan)
                {
                    var value = PropertyValue.Null;
                    var found = false;
                    foreach (var _ in parts)
                    {
                        if (!found && !r.IsDBNull(column))
                        {
                            value = Scalar(r.GetString(column));
                            found = true;
                        }
                        column++;
                    }
                    values[f] = found ? value : props.TryGetValue(fields[f], out var p) ? p : PropertyValue.Null;
                }
                builder.AddEventRow(type, new CustomerId(r.GetString(0)), r.GetInt64(1), values);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the properties of a JSON object whose names are in <paramref name="names"/> (others are skipped).</summary>
    private static void ReadObject(string json, HashSet<string> names, Dictionary<string, PropertyValue> into)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (names.Contains(name) && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                into[name] = Value(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ReadTags(DbDataReader r, int column, HashSet<string> needed, HashSet<string> into)
    {
        if (r.IsDBNull(column))
        {
            return;
        }
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(r.GetString(column)));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            var tag = reader.GetString()!;
            if (needed.Contains(tag))
            {
                into.Add(tag);
            }
        }
    }

    private static PropertyValue Scalar(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        return reader.Read() ? Value(ref reader) : PropertyValue.Null;
    }

    /// <summary>A JSON primitive as <see cref="PropertyValueJsonConverter"/> reads it.</summary>
    private static PropertyValue Value(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => PropertyValue.From(reader.GetString()),
        JsonTokenType.Number => reader.TryGetDecimal(out var d) ? PropertyValue.From(d) : PropertyValue.Null,
        JsonTokenType.True => PropertyValue.From(true),
        JsonTokenType.False => PropertyValue.From(false),
        _ => PropertyValue.Null,
    };

    /// <summary>
    /// Evaluates a segment in the database (<see cref="SegmentSqlCompiler"/>): the members it decided, and the
    /// customers it could not decide exactly (to evaluate with the profile and its events); null when the rule cannot
    /// be compiled to SQL.
    /// </summary>
    public static async ValueTask<(HashSet<CustomerId> Members, List<CustomerId> Undecided)?> PushDownAsync(CompiledSegment segment, IRelationalQueryStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (SegmentSqlCompiler.Compile(segment, store, now) is not { } query)
        {
            return null;
        }
        var members = new HashSet<CustomerId>();
        var undecided = new List<CustomerId>();
        await store.QueryAsync(query.Sql, query.Parameters, async (r, ct) =>
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = new CustomerId(r.GetString(0));
                if (r.IsDBNull(1))
                {
                    undecided.Add(id);
                }
                else
                {
                    members.Add(id);
                }
            }
        }, cancellationToken).ConfigureAwait(false);
        return (members, undecided);
    }
}
