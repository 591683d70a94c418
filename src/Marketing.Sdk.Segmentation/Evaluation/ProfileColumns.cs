namespace Marketing.Sdk.Segmentation;

/// <summary>
/// A dictionary-encoded column: one code per row (0 = no value) and the distinct values by code.
/// Predicates are evaluated once per distinct value into a lookup table, then gathered per row.
/// </summary>
internal sealed class ValueColumn
{
    public ValueColumn(int[] codes, PropertyValue[] values)
    {
        Codes = codes;
        Values = values;
    }

    /// <summary>The code of each row; <c>Values[code]</c> is its value (<c>Values[0]</c> is the null value).</summary>
    public int[] Codes { get; }

    /// <summary>The distinct values, by code.</summary>
    public PropertyValue[] Values { get; }

    /// <summary>The fraction of rows whose value passes a 0/1 table (counts computed once, on first use).</summary>
    public double Selectivity(byte[] table)
    {
        var counts = _counts ??= CountCodes();
        long passing = 0;
        for (var i = 0; i < table.Length; i++)
        {
            passing += table[i] * (long)counts[i];
        }
        return Codes.Length == 0 ? 0 : (double)passing / Codes.Length;
    }

    private int[]? _counts;

    private int[] CountCodes()
    {
        var counts = new int[Values.Length];
        foreach (var c in Codes)
        {
            counts[c]++;
        }
        return counts;
    }

    /// <summary>A 0/1 table over the codes: whether the predicate holds for that value.</summary>
    public byte[] Table(Func<PropertyValue, bool> predicate)
    {
        var table = new byte[Values.Length];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = predicate(Values[i]) ? (byte)1 : (byte)0;
        }
        return table;
    }
}

/// <summary>Builds a <see cref="ValueColumn"/> row by row.</summary>
internal sealed class ValueColumnBuilder
{
    private readonly Dictionary<PropertyValue, int> _codes = new() { [PropertyValue.Null] = 0 };
    private readonly List<PropertyValue> _values = [PropertyValue.Null];
    private int[] _rows = new int[16];
    private int _count;

    public int Count => _count;

    public void Add(PropertyValue value)
    {
        if (!_codes.TryGetValue(value, out var code))
        {
            code = _values.Count;
            _codes.Add(value, code);
            _values.Add(value);
        }
        if (_count == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
        }
        _rows[_count++] = code;
    }

    public int CodeAt(int row) => _rows[row];

    public PropertyValue[] DistinctValues() => [.. _values];

    public ValueColumn Build() => new(_rows.AsSpan(0, _count).ToArray(), [.. _values]);
}

/// <summary>
/// The events of one type in compressed sparse row form: the events of profile <c>i</c> are the
/// rows <c>Offsets[i]</c> to <c>Offsets[i + 1] - 1</c>, ordered by time.
/// </summary>
internal sealed class EventColumns
{
    public EventColumns(int[] offsets, long[] ticks, Dictionary<string, ValueColumn> fields)
    {
        Offsets = offsets;
        Ticks = ticks;
        Fields = fields;
    }

    /// <summary>Per profile, the first event row; one extra entry holds the event count.</summary>
    public int[] Offsets { get; }

    /// <summary>The UTC ticks of each event.</summary>
    public long[] Ticks { get; }

    /// <summary>The selected event fields (see <c>ValueSemantics.EventField</c>), by name.</summary>
    public Dictionary<string, ValueColumn> Fields { get; }
}

/// <summary>The traits, tags, event types and event fields a set of compiled segments reads.</summary>
internal sealed class ColumnRequirements
{
    public HashSet<string> Traits { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Tags { get; } = new(StringComparer.Ordinal);
    public Dictionary<EventType, HashSet<string>> Events { get; } = [];

    public static ColumnRequirements Of(IEnumerable<CompiledSegment> segments)
    {
        var r = new ColumnRequirements();
        foreach (var s in segments)
        {
            ArgumentNullException.ThrowIfNull(s);
            r.Walk(s.Root);
        }
        return r;
    }

    private void Walk(Node node)
    {
        switch (node.Source)
        {
            case FieldCondition f:
                Traits.Add(f.Field);
                break;
            case TagCondition t:
                Tags.Add(t.Tag);
                break;
            case EventExistsCondition e:
                AddEvent(e.EventType, e.Filter, null);
                break;
            case EventAggregateCondition g:
                AddEvent(g.EventType, g.Filter, g.Field);
                break;
        }
        foreach (var child in node.Children)
        {
            Walk(child);
        }
    }

    private void AddEvent(EventType type, SegmentCondition? filter, string? field)
    {
        if (!Events.TryGetValue(type, out var fields))
        {
            fields = new HashSet<string>(StringComparer.Ordinal);
            Events[type] = fields;
        }
        if (field is not null)
        {
            fields.Add(field);
        }
        if (filter is not null)
        {
            CollectFields(filter, fields);
        }
    }

    private static void CollectFields(SegmentCondition c, HashSet<string> into)
    {
        switch (c)
        {
            case FieldCondition f: into.Add(f.Field); break;
            case AndCondition a: foreach (var o in a.Operands) { CollectFields(o, into); } break;
            case OrCondition o: foreach (var x in o.Operands) { CollectFields(x, into); } break;
            case NotCondition n: CollectFields(n.Operand, into); break;
        }
    }
}

/// <summary>
/// A columnar snapshot of profiles and their events for batch evaluation with
/// <see cref="SegmentBatchEvaluator"/>. It holds only what the segments it was built for read:
/// each trait as a dictionary-encoded column (a code per profile, code 0 = not set), each tag as a
/// bitmap, and per event type the events in compressed sparse row form (per profile a slice sorted
/// by time, with the event instant as UTC ticks and each filtered or aggregated event field as a
/// dictionary-encoded column). Immutable once built; safe to evaluate from several threads.
/// Create with <see cref="Build"/> or a <see cref="ProfileColumnsBuilder"/>.
/// </summary>
public sealed class ProfileColumns
{
    private readonly CustomerId[] _ids;
    private readonly Dictionary<CustomerId, int> _index;

    internal ProfileColumns(
        CustomerId[] ids,
        Dictionary<CustomerId, int> index,
        Dictionary<string, ValueColumn> traits,
        Dictionary<string, ulong[]> tags,
        Dictionary<EventType, EventColumns> events,
        long eventCount,
        Dictionary<CountKey, int[]>? counts = null)
    {
        Counts = counts ?? [];
        _ids = ids;
        _index = index;
        Traits = traits;
        Tags = tags;
        Events = events;
        EventCount = eventCount;
    }

    /// <summary>Builds a snapshot holding what <paramref name="segments"/> read from <paramref name="profiles"/> and <paramref name="events"/>.</summary>
    /// <param name="segments">The segments the snapshot will evaluate (their referenced segments included).</param>
    /// <param name="profiles">The profiles (unique ids); their order is the row order.</param>
    /// <param name="events">The events, in any order; events without a customer, of customers not in <paramref name="profiles"/> or of types no segment reads are left out.</param>
    /// <exception cref="ArgumentException">Two profiles have the same id.</exception>
    public static ProfileColumns Build(IEnumerable<CompiledSegment> segments, IEnumerable<CustomerProfile> profiles, IEnumerable<MarketingEvent> events)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(events);
        var builder = new ProfileColumnsBuilder(segments);
        foreach (var p in profiles)
        {
            builder.AddProfile(p);
        }
        foreach (var e in events)
        {
            builder.AddEvent(e);
        }
        return builder.Build();
    }

    /// <summary>The number of profiles (rows).</summary>
    public int Count => _ids.Length;

    /// <summary>The number of events held (of the types the segments read, of known customers).</summary>
    public long EventCount { get; }

    /// <summary>The customer id of each row.</summary>
    public IReadOnlyList<CustomerId> CustomerIds => _ids;

    /// <summary>The row of a customer, or -1 when the snapshot does not hold the profile.</summary>
    /// <param name="customerId">The customer.</param>
    public int IndexOf(CustomerId customerId) => _index.TryGetValue(customerId, out var i) ? i : -1;

    internal Dictionary<string, ValueColumn> Traits { get; }

    internal Dictionary<string, ulong[]> Tags { get; }

    internal Dictionary<EventType, EventColumns> Events { get; }

    /// <summary>Event counts aggregated by the store (per row), by event type and window in UTC ticks [From, To).</summary>
    internal Dictionary<CountKey, int[]> Counts { get; }

    internal CustomerId IdAt(int row) => _ids[row];
}

/// <summary>An unfiltered event count over [<paramref name="From"/>, <paramref name="To"/>) in UTC ticks.</summary>
internal readonly record struct CountKey(EventType Type, long From, long To);

/// <summary>
/// Builds a <see cref="ProfileColumns"/> snapshot incrementally (for streaming from stores):
/// add profiles and events in any order, then call <see cref="Build"/> once. Not thread-safe.
/// </summary>
public sealed class ProfileColumnsBuilder
{
    private readonly ColumnRequirements _needs;
    private readonly List<CustomerId> _ids = [];
    private readonly Dictionary<CustomerId, int> _index = [];
    private readonly Dictionary<string, ValueColumnBuilder> _traits = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _tagRows = new(StringComparer.Ordinal);
    private readonly Dictionary<EventType, PendingEvents> _events = [];
    private bool _built;

    /// <summary>A builder for a snapshot that can evaluate <paramref name="segments"/>.</summary>
    /// <param name="segments">The segments the snapshot will evaluate (their referenced segments included).</param>
    public ProfileColumnsBuilder(IEnumerable<CompiledSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _needs = ColumnRequirements.Of(segments);
        foreach (var t in _needs.Traits)
        {
            _traits[t] = new ValueColumnBuilder();
        }
        foreach (var t in _needs.Tags)
        {
            _tagRows[t] = [];
        }
        foreach (var (type, fields) in _needs.Events)
        {
            _events[type] = new PendingEvents([.. fields.Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>The profiles added so far.</summary>
    public int ProfileCount => _ids.Count;

    /// <summary>Adds a profile as the next row.</summary>
    /// <param name="profile">The profile.</param>
    /// <exception cref="ArgumentException">A profile with the same id was added already.</exception>
    public void AddProfile(CustomerProfile profile)
    {
        if (!TryAddProfile(profile))
        {
            throw new ArgumentException($"Profile {profile.Id} was added twice.", nameof(profile));
        }
    }

    /// <summary>Adds a profile as the next row unless a profile with the same id was added already.</summary>
    /// <param name="profile">The profile.</param>
    /// <returns>Whether the profile was added.</returns>
    public bool TryAddProfile(CustomerProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ThrowIfBuilt();
        var row = _ids.Count;
        if (!_index.TryAdd(profile.Id, row))
        {
            return false;
        }
        _ids.Add(profile.Id);
        foreach (var (name, column) in _traits)
        {
            column.Add(profile.Trait(name));
        }
        foreach (var (tag, rows) in _tagRows)
        {
            if (profile.StaticTags.Contains(tag) || profile.DynamicTags.Contains(tag))
            {
                rows.Add(row);
            }
        }
        return true;
    }

    internal ColumnRequirements Needs => _needs;

    /// <summary>The event fields kept for <paramref name="type"/>, in the order <see cref="AddEventRow"/> takes them (null when the type is not kept).</summary>
    internal string[]? EventFields(EventType type) => _events.TryGetValue(type, out var p) ? p.Fields : null;

    /// <summary>Stops keeping the events of <paramref name="type"/> (their conditions are answered by counts).</summary>
    internal void DropEvents(EventType type) => _events.Remove(type);

    /// <summary>Adds a row from streamed columns: <paramref name="traits"/> holds the needed traits that are set, <paramref name="tags"/> the profile's needed tags.</summary>
    internal bool TryAddRow(CustomerId id, IReadOnlyDictionary<string, PropertyValue> traits, IReadOnlySet<string> tags)
    {
        ThrowIfBuilt();
        var row = _ids.Count;
        if (!_index.TryAdd(id, row))
        {
            return false;
        }
        _ids.Add(id);
        foreach (var (name, column) in _traits)
        {
            column.Add(traits.TryGetValue(name, out var v) ? v : PropertyValue.Null);
        }
        foreach (var (tag, rows) in _tagRows)
        {
            if (tags.Contains(tag))
            {
                rows.Add(row);
            }
        }
        return true;
    }

    /// <summary>Adds an event from streamed columns (field values in <see cref="EventFields"/> order); ignored when the type is not kept.</summary>
    internal void AddEventRow(EventType type, CustomerId customer, long utcTicks, ReadOnlySpan<PropertyValue> fields)
    {
        ThrowIfBuilt();
        if (_events.TryGetValue(type, out var pending))
        {
            pending.Add(customer, utcTicks, fields);
        }
    }

    /// <summary>Sets a store-aggregated count of a customer added already (others are ignored).</summary>
    internal void SetCount(CountKey key, CustomerId customer, long count)
    {
        ThrowIfBuilt();
        if (!_index.TryGetValue(customer, out var row))
        {
            return;
        }
        if (!_counts.TryGetValue(key, out var list))
        {
            list = [];
            _counts[key] = list;
        }
        list.Add((row, (int)Math.Min(count, int.MaxValue)));
    }

    /// <summary>Declares a count column (all zero unless set).</summary>
    internal void DeclareCount(CountKey key) => _counts.TryAdd(key, []);

    private readonly Dictionary<CountKey, List<(int Row, int Count)>> _counts = [];

    /// <summary>Adds an event; events without a customer or of types the segments do not read are ignored.</summary>
    /// <param name="marketingEvent">The event.</param>
    public void AddEvent(MarketingEvent marketingEvent)
    {
        ArgumentNullException.ThrowIfNull(marketingEvent);
        ThrowIfBuilt();
        if (marketingEvent.CustomerId is not { } id || !_events.TryGetValue(marketingEvent.Type, out var pending))
        {
            return;
        }
        pending.Add(id, marketingEvent);
    }

    /// <summary>Builds the snapshot (once); events of customers without a profile are left out.</summary>
    /// <exception cref="InvalidOperationException">The snapshot was built already.</exception>
    public ProfileColumns Build()
    {
        ThrowIfBuilt();
        _built = true;
        var n = _ids.Count;
        var words = (n + 63) >> 6;
        var traits = _traits.ToDictionary(kv => kv.Key, kv => kv.Value.Build(), StringComparer.Ordinal);
        var tags = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        foreach (var (tag, rows) in _tagRows)
        {
            var bits = new ulong[words];
            foreach (var r in rows)
            {
                bits[r >> 6] |= 1UL << (r & 63);
            }
            tags[tag] = bits;
        }
        long eventCount = 0;
        var events = new Dictionary<EventType, EventColumns>();
        foreach (var (type, pending) in _events)
        {
            var columns = pending.Build(_index, n);
            eventCount += columns.Ticks.Length;
            events[type] = columns;
        }
        var counts = new Dictionary<CountKey, int[]>();
        foreach (var (key, list) in _counts)
        {
            var column = new int[n];
            foreach (var (row, count) in list)
            {
                column[row] = count;
            }
            counts[key] = column;
        }
        return new ProfileColumns([.. _ids], _index, traits, tags, events, eventCount, counts);
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("The snapshot was built already; create a new builder.");
        }
    }

    /// <summary>The events of one type as added, before they are grouped by profile.</summary>
    private sealed class PendingEvents(string[] fields)
    {
        private readonly List<CustomerId> _customers = [];
        private readonly List<long> _ticks = [];
        private readonly ValueColumnBuilder[] _fields = [.. fields.Select(_ => new ValueColumnBuilder())];

        public string[] Fields => fields;

        public void Add(CustomerId customer, long utcTicks, ReadOnlySpan<PropertyValue> values)
        {
            _customers.Add(customer);
            _ticks.Add(utcTicks);
            for (var f = 0; f < fields.Length; f++)
            {
                _fields[f].Add(values[f]);
            }
        }

        public void Add(CustomerId customer, MarketingEvent e)
        {
            _customers.Add(customer);
            _ticks.Add(e.OccurredAt.UtcTicks);
            for (var f = 0; f < fields.Length; f++)
            {
                _fields[f].Add(ValueSemantics.EventField(e, fields[f]));
            }
        }

        public EventColumns Build(Dictionary<CustomerId, int> index, int profiles)
        {
            // Counting sort by profile row (stable), then each slice by time.
            var rowOf = new int[_customers.Count];
            var offsets = new int[profiles + 1];
            for (var i = 0; i < rowOf.Length; i++)
            {
                var row = index.TryGetValue(_customers[i], out var r) ? r : -1;
                rowOf[i] = row;
                if (row >= 0)
                {
                    offsets[row + 1]++;
                }
            }
            for (var i = 0; i < profiles; i++)
            {
                offsets[i + 1] += offsets[i];
            }
            var total = offsets[profiles];
            var next = offsets.AsSpan(0, profiles).ToArray();
            var order = new int[total];
            for (var i = 0; i < rowOf.Length; i++)
            {
                if (rowOf[i] >= 0)
                {
                    order[next[rowOf[i]]++] = i;
                }
            }
            var ticks = new long[total];
            for (var k = 0; k < total; k++)
            {
                ticks[k] = _ticks[order[k]];
            }
            for (var p = 0; p < profiles; p++)
            {
                var start = offsets[p];
                var length = offsets[p + 1] - start;
                if (length > 1)
                {
                    ticks.AsSpan(start, length).Sort(order.AsSpan(start, length));
                }
            }
            var columns = new Dictionary<string, ValueColumn>(StringComparer.Ordinal);
            for (var f = 0; f < fields.Length; f++)
            {
                var codes = new int[total];
                for (var k = 0; k < total; k++)
                {
                    codes[k] = _fields[f].CodeAt(order[k]);
                }
                columns[fields[f]] = new ValueColumn(codes, _fields[f].DistinctValues());
            }
            return new EventColumns(offsets, ticks, columns);
        }
    }
}
