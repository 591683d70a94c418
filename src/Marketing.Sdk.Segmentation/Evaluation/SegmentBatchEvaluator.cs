using System.Numerics;
using System.Runtime.InteropServices;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// The members of a segment in a <see cref="ProfileColumns"/> snapshot: one bit per row.
/// Immutable.
/// </summary>
public sealed class SegmentBitmap
{
    private readonly ulong[] _words;
    private readonly ProfileColumns _columns;

    internal SegmentBitmap(ulong[] words, ProfileColumns columns)
    {
        _words = words;
        _columns = columns;
        long count = 0;
        foreach (var w in words)
        {
            count += BitOperations.PopCount(w);
        }
        Count = (int)count;
    }

    /// <summary>The number of rows (profiles in the snapshot).</summary>
    public int Length => _columns.Count;

    /// <summary>The number of members.</summary>
    public int Count { get; }

    /// <summary>The bits, 64 rows per word (row <c>i</c> is bit <c>i % 64</c> of word <c>i / 64</c>).</summary>
    public ReadOnlySpan<ulong> Words => _words;

    /// <summary>Whether the profile at <paramref name="row"/> is a member.</summary>
    /// <param name="row">The row (0 to <see cref="Length"/> − 1).</param>
    public bool this[int row]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Length);
            return (_words[row >> 6] & (1UL << (row & 63))) != 0;
        }
    }

    /// <summary>Whether the customer is a member (false when the snapshot does not hold the profile).</summary>
    /// <param name="customerId">The customer.</param>
    public bool Contains(CustomerId customerId)
    {
        var row = _columns.IndexOf(customerId);
        return row >= 0 && this[row];
    }

    /// <summary>The member rows, ascending.</summary>
    public IEnumerable<int> Rows()
    {
        for (var w = 0; w < _words.Length; w++)
        {
            var bits = _words[w];
            while (bits != 0)
            {
                yield return (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
    }

    /// <summary>The members' customer ids, in row order.</summary>
    public IEnumerable<CustomerId> Members() => Rows().Select(_columns.IdAt);

    /// <summary>Describes the bitmap by size only.</summary>
    public override string ToString() => $"SegmentBitmap {{ Count = {Count}, Length = {Length} }}";
}

/// <summary>
/// Evaluates a compiled segment over a <see cref="ProfileColumns"/> snapshot column by column and
/// produces a membership bitmap, with exactly the membership <see cref="CompiledSegment.Evaluate(CustomerProfile, IEnumerable{MarketingEvent}, DateTimeOffset)"/>
/// gives for each profile and its events.
/// </summary>
/// <remarks>
/// Rows are processed in blocks of 65 536 (in parallel when allowed). Within a block each condition
/// runs only for the rows still undecided: <c>and</c> narrows the candidate bitmap operand by
/// operand (trait and tag conditions first, event aggregates last), <c>or</c> evaluates each operand
/// only for rows no earlier operand accepted, <c>not</c> is a bitwise complement within the
/// candidates. A trait condition evaluates its predicate once per distinct value of the column into
/// a lookup table and gathers it per row; a tag is a bitmap <c>and</c>; an event aggregate binary
/// searches the window in each candidate's time-sorted slice and folds only the events in it.
/// Every condition of the model is supported.
/// </remarks>
public sealed class SegmentBatchEvaluator
{
    private const int BlockWords = 1024;
    private readonly Spec _root;

    private SegmentBatchEvaluator(CompiledSegment segment)
    {
        Segment = segment;
        _root = Spec.From(segment.Root);
    }

    /// <summary>Creates the batch evaluator of a compiled segment.</summary>
    /// <param name="segment">The segment (referenced segments are inlined already).</param>
    public static SegmentBatchEvaluator Create(CompiledSegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return new SegmentBatchEvaluator(segment);
    }

    /// <summary>The segment evaluated.</summary>
    public CompiledSegment Segment { get; }

    /// <summary>Evaluates the segment for every profile in the snapshot at <paramref name="now"/>.</summary>
    /// <param name="columns">A snapshot built for this segment (or a set of segments including it).</param>
    /// <param name="now">The evaluation instant (windows end here).</param>
    /// <param name="maxDegreeOfParallelism">Threads used: 1 for the calling thread only, -1 (default) for as many as the scheduler gives.</param>
    /// <exception cref="ArgumentException">The snapshot was built without a column the segment reads.</exception>
    public SegmentBitmap Evaluate(ProfileColumns columns, DateTimeOffset now, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (maxDegreeOfParallelism is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), "Use -1 or a positive number.");
        }
        var root = _root.Bind(columns, now);
        var n = columns.Count;
        var words = new ulong[(n + 63) >> 6];
        var blocks = (words.Length + BlockWords - 1) / BlockWords;
        if (blocks <= 1 || maxDegreeOfParallelism == 1)
        {
            var scratch = new Scratch();
            for (var b = 0; b < blocks; b++)
            {
                RunBlock(root, b, words, n, scratch);
            }
        }
        else
        {
            Parallel.For(
                0,
                blocks,
                new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
                () => new Scratch(),
                (b, _, scratch) =>
                {
                    RunBlock(root, b, words, n, scratch);
                    return scratch;
                },
                _ => { });
        }
        return new SegmentBitmap(words, columns);
    }

    private static void RunBlock(Bound root, int block, ulong[] words, int rows, Scratch scratch)
    {
        var first = block * BlockWords;
        var count = Math.Min(BlockWords, words.Length - first);
        var candidates = scratch.Rent(count);
        candidates.Fill(ulong.MaxValue);
        var lastRow = first * 64 + count * 64;
        if (lastRow > rows)
        {
            // Clear the bits past the last row.
            var valid = rows - ((first + count - 1) * 64);
            candidates[count - 1] = valid == 64 ? ulong.MaxValue : (1UL << valid) - 1;
        }
        root.Eval(first, candidates, words.AsSpan(first, count), scratch);
        scratch.Return();
    }

    // ------------------------------------------------------------------ specs (per segment)

    /// <summary>A condition compiled once per segment, bound to a snapshot for each evaluation.</summary>
    private abstract class Spec
    {
        public abstract bool ReadsEvents { get; }

        public abstract Bound Bind(ProfileColumns columns, DateTimeOffset now);

        public static Spec From(Node node)
        {
            switch (node.Source)
            {
                case AndCondition:
                    return new AndSpec(CheapFirst(node.Children));
                case OrCondition:
                    return new OrSpec(CheapFirst(node.Children));
                case NotCondition:
                    return new NotSpec(From(node.Children[0]));
                case SegmentReferenceCondition:
                    return From(node.Children[0]);
                case FieldCondition f:
                    return new TraitSpec(f.Field, ValueSemantics.Compile(f.Operator, f.Values));
                case TagCondition t:
                    return new TagSpec(t.Tag);
                case EventExistsCondition e:
                    return new AggregateSpec(e.EventType, e.Filter, e.Window, null, null, ComparisonOperator.GreaterThan, 0m);
                case EventAggregateCondition g:
                    return new AggregateSpec(g.EventType, g.Filter, g.Window, g.Function, g.Field, g.Operator, g.Threshold);
                default:
                    throw new SegmentationException("Unknown condition type.");
            }
        }

        private static Spec[] CheapFirst(Node[] children) => [.. children.Select(From).OrderBy(s => s.ReadsEvents ? 1 : 0)];
    }

    private sealed class AndSpec(Spec[] operands) : Spec
    {
        public override bool ReadsEvents { get; } = operands.Any(o => o.ReadsEvents);

        // Most selective first; event aggregates (the costly operands) last.
        public override Bound Bind(ProfileColumns columns, DateTimeOffset now) =>
            new AndBound([.. operands.Select(o => o.Bind(columns, now)).OrderBy(b => b.ReadsEvents).ThenBy(b => b.Selectivity)]);
    }

    private sealed class OrSpec(Spec[] operands) : Spec
    {
        public override bool ReadsEvents { get; } = operands.Any(o => o.ReadsEvents);

        // Least selective first, so that later operands see fewer undecided rows; event aggregates last.
        public override Bound Bind(ProfileColumns columns, DateTimeOffset now) =>
            new OrBound([.. operands.Select(o => o.Bind(columns, now)).OrderBy(b => b.ReadsEvents).ThenByDescending(b => b.Selectivity)]);
    }

    private sealed class NotSpec(Spec operand) : Spec
    {
        public override bool ReadsEvents => operand.ReadsEvents;

        public override Bound Bind(ProfileColumns columns, DateTimeOffset now) => new NotBound(operand.Bind(columns, now));
    }

    private sealed class TraitSpec(string field, Func<PropertyValue, bool> predicate) : Spec
    {
        public override bool ReadsEvents => false;

        public override Bound Bind(ProfileColumns columns, DateTimeOffset now)
        {
            if (!columns.Traits.TryGetValue(field, out var column))
            {
                throw new ArgumentException($"The snapshot holds no trait column '{field}'; build it for this segment.", nameof(columns));
            }
            var table = column.Table(predicate);
            return new TraitBound(column.Codes, table, column.Selectivity(table));
        }
    }

    private sealed class TagSpec(string tag) : Spec
    {
        public override bool ReadsEvents => false;

        public override Bound Bind(ProfileColumns columns, DateTimeOffset now) =>
            new TagBound(columns.Tags.TryGetValue(tag, out var bits)
                ? bits
                : throw new ArgumentException($"The snapshot holds no tag column '{tag}'; build it for this segment.", nameof(columns)));
    }

    private sealed class AggregateSpec(EventType type, SegmentCondition? filter, TimeWindow? window, AggregateFunction? function, string? field, ComparisonOperator op, decimal threshold) : Spec
    {
        public override bool ReadsEvents => true;

        public override Bound Bind(ProfileColumns columns, DateTimeOffset now)
        {
            var (from, to) = Range(window, now);
            if (filter is null && function is null or AggregateFunction.Count && columns.Counts.TryGetValue(new CountKey(type, from, to), out var counts))
            {
                return new CountBound(counts, op, threshold);
            }
            if (!columns.Events.TryGetValue(type, out var events))
            {
                throw new ArgumentException($"The snapshot holds no '{type}' events; build it for this segment.", nameof(columns));
            }
            var boundFilter = filter is null ? null : BindFilter(filter, events);
            decimal?[]? numbers = null;
            int[]? fieldCodes = null;
            if (function is not null and not AggregateFunction.Count && field is not null)
            {
                var column = Column(events, field);
                fieldCodes = column.Codes;
                numbers = [.. column.Values.Select(v => v.AsNumber())];
            }
            return new AggregateBound(events.Offsets, events.Ticks, from, to, boundFilter, function, fieldCodes, numbers, op, threshold);
        }

        private static (long From, long To) Range(TimeWindow? window, DateTimeOffset now) => ValueSemantics.WindowTicks(window, now);

        private ValueColumn Column(EventColumns events, string name) =>
            events.Fields.TryGetValue(name, out var column)
                ? column
                : throw new ArgumentException($"The snapshot holds no field '{name}' of '{type}' events; build it for this segment.", nameof(events));

        private EventFilter BindFilter(SegmentCondition c, EventColumns events) => c switch
        {
            AndCondition a => new AndFilter([.. a.Operands.Select(o => BindFilter(o, events))]),
            OrCondition o => new OrFilter([.. o.Operands.Select(x => BindFilter(x, events))]),
            NotCondition n => new NotFilter(BindFilter(n.Operand, events)),
            FieldCondition f => FieldFilter(Column(events, f.Field), ValueSemantics.Compile(f.Operator, f.Values)),
            _ => throw new SegmentationException("Event filters contain only field conditions, and, or, not."),
        };

        private static FieldFilter FieldFilter(ValueColumn column, Func<PropertyValue, bool> predicate) => new(column.Codes, column.Table(predicate));
    }

    // ------------------------------------------------------------------ bound nodes (per evaluation)

    /// <summary>A condition bound to a snapshot and an instant.</summary>
    private abstract class Bound
    {
        /// <summary>Whether the condition folds events (costly per row).</summary>
        public virtual bool ReadsEvents => false;

        /// <summary>The fraction of all rows for which the condition holds, where known cheaply (else 0.5).</summary>
        public virtual double Selectivity => 0.5;

        /// <summary>
        /// Writes to <paramref name="result"/> the candidate rows (bits of <paramref name="candidates"/>)
        /// for which the condition holds; other bits are zero. Word 0 of the spans is word
        /// <paramref name="firstWord"/> of the snapshot.
        /// </summary>
        public abstract void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch);
    }

    private sealed class AndBound(Bound[] operands) : Bound
    {
        public override bool ReadsEvents { get; } = operands.Any(o => o.ReadsEvents);

        public override double Selectivity { get; } = operands.Min(o => o.Selectivity);

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            candidates.CopyTo(result);
            var next = scratch.Rent(result.Length);
            foreach (var o in operands)
            {
                o.Eval(firstWord, result, next, scratch);
                next.CopyTo(result);
                if (Bits.IsEmpty(result))
                {
                    break;
                }
            }
            scratch.Return();
        }
    }

    private sealed class OrBound(Bound[] operands) : Bound
    {
        public override bool ReadsEvents { get; } = operands.Any(o => o.ReadsEvents);

        public override double Selectivity { get; } = Math.Min(1, operands.Sum(o => o.Selectivity));

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            result.Clear();
            var remaining = scratch.Rent(result.Length);
            var hits = scratch.Rent(result.Length);
            candidates.CopyTo(remaining);
            foreach (var o in operands)
            {
                o.Eval(firstWord, remaining, hits, scratch);
                Bits.Or(result, hits);
                Bits.AndNot(remaining, hits);
                if (Bits.IsEmpty(remaining))
                {
                    break;
                }
            }
            scratch.Return();
            scratch.Return();
        }
    }

    private sealed class NotBound(Bound operand) : Bound
    {
        public override bool ReadsEvents => operand.ReadsEvents;

        public override double Selectivity => 1 - operand.Selectivity;

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            var inner = scratch.Rent(result.Length);
            operand.Eval(firstWord, candidates, inner, scratch);
            candidates.CopyTo(result);
            Bits.AndNot(result, inner);
            scratch.Return();
        }
    }

    private sealed class TraitBound(int[] codes, byte[] table, double selectivity) : Bound
    {
        public override double Selectivity => selectivity;

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            var codes1 = codes;
            var table1 = table;
            for (var w = 0; w < candidates.Length; w++)
            {
                var c = candidates[w];
                if (c == 0)
                {
                    result[w] = 0;
                    continue;
                }
                var start = (firstWord + w) << 6;
                ulong r = 0;
                if (c == ulong.MaxValue)
                {
                    var slice = codes1.AsSpan(start, 64);
                    for (var j = 0; j < 64; j++)
                    {
                        r |= (ulong)table1[slice[j]] << j;
                    }
                }
                else
                {
                    while (c != 0)
                    {
                        var j = BitOperations.TrailingZeroCount(c);
                        r |= (ulong)table1[codes1[start + j]] << j;
                        c &= c - 1;
                    }
                }
                result[w] = r;
            }
        }
    }

    private sealed class TagBound(ulong[] bits) : Bound
    {
        private readonly double _selectivity = bits.Length == 0 ? 0 : bits.Sum(w => (double)BitOperations.PopCount(w)) / (bits.Length * 64.0);

        public override double Selectivity => _selectivity;

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            candidates.CopyTo(result);
            Bits.And(result, bits.AsSpan(firstWord, result.Length));
        }
    }

    private sealed class CountBound(int[] counts, ComparisonOperator op, decimal threshold) : Bound
    {
        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            for (var w = 0; w < candidates.Length; w++)
            {
                var c = candidates[w];
                ulong r = 0;
                var start = (firstWord + w) << 6;
                while (c != 0)
                {
                    var j = BitOperations.TrailingZeroCount(c);
                    if (ValueSemantics.Compare(counts[start + j], op, threshold))
                    {
                        r |= 1UL << j;
                    }
                    c &= c - 1;
                }
                result[w] = r;
            }
        }
    }

    private sealed class AggregateBound(
        int[] offsets,
        long[] ticks,
        long from,
        long to,
        EventFilter? filter,
        AggregateFunction? function,
        int[]? fieldCodes,
        decimal?[]? numbers,
        ComparisonOperator op,
        decimal threshold) : Bound
    {
        public override bool ReadsEvents => true;

        public override void Eval(int firstWord, ReadOnlySpan<ulong> candidates, Span<ulong> result, Scratch scratch)
        {
            for (var w = 0; w < candidates.Length; w++)
            {
                var c = candidates[w];
                ulong r = 0;
                var start = (firstWord + w) << 6;
                while (c != 0)
                {
                    var j = BitOperations.TrailingZeroCount(c);
                    if (Holds(start + j))
                    {
                        r |= 1UL << j;
                    }
                    c &= c - 1;
                }
                result[w] = r;
            }
        }

        private bool Holds(int row)
        {
            var lo = offsets[row];
            var hi = offsets[row + 1];
            if (lo != hi && (from != long.MinValue || to != long.MaxValue))
            {
                lo = LowerBound(ticks, lo, hi, from);
                hi = LowerBound(ticks, lo, hi, to);
            }
            if (function is null or AggregateFunction.Count)
            {
                long count;
                if (filter is null)
                {
                    count = hi - lo;
                }
                else
                {
                    count = 0;
                    for (var e = lo; e < hi; e++)
                    {
                        if (filter.Test(e))
                        {
                            count++;
                        }
                    }
                }
                return ValueSemantics.Compare(count, op, threshold);
            }
            var acc = default(Accumulator);
            var codes = fieldCodes!;
            var values = numbers!;
            for (var e = lo; e < hi; e++)
            {
                if (filter is null || filter.Test(e))
                {
                    acc.Add(values[codes[e]]);
                }
            }
            return acc.Result(function) is { } v && ValueSemantics.Compare(v, op, threshold);
        }

        /// <summary>The first index in [lo, hi) whose ticks are ≥ <paramref name="value"/> (hi when none).</summary>
        private static int LowerBound(long[] ticks, int lo, int hi, long value)
        {
            while (lo < hi)
            {
                var mid = (int)((uint)(lo + hi) >> 1);
                if (ticks[mid] < value)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    // ------------------------------------------------------------------ event filters

    private abstract class EventFilter
    {
        public abstract bool Test(int e);
    }

    private sealed class FieldFilter(int[] codes, byte[] table) : EventFilter
    {
        public override bool Test(int e) => table[codes[e]] != 0;
    }

    private sealed class AndFilter(EventFilter[] parts) : EventFilter
    {
        public override bool Test(int e)
        {
            foreach (var p in parts)
            {
                if (!p.Test(e))
                {
                    return false;
                }
            }
            return true;
        }
    }

    private sealed class OrFilter(EventFilter[] parts) : EventFilter
    {
        public override bool Test(int e)
        {
            foreach (var p in parts)
            {
                if (p.Test(e))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class NotFilter(EventFilter inner) : EventFilter
    {
        public override bool Test(int e) => !inner.Test(e);
    }

    // ------------------------------------------------------------------ bitmap helpers

    /// <summary>Block-sized word buffers for one thread, rented and returned in stack order.</summary>
    private sealed class Scratch
    {
        private readonly List<ulong[]> _buffers = [];
        private int _depth;

        public Span<ulong> Rent(int words)
        {
            if (_depth == _buffers.Count)
            {
                _buffers.Add(new ulong[BlockWords]);
            }
            return _buffers[_depth++].AsSpan(0, words);
        }

        public void Return() => _depth--;
    }

    private static class Bits
    {
        public static bool IsEmpty(ReadOnlySpan<ulong> words) => !words.ContainsAnyExcept(0UL);

        public static void And(Span<ulong> target, ReadOnlySpan<ulong> other)
        {
            var t = MemoryMarshal.Cast<ulong, Vector<ulong>>(target);
            var o = MemoryMarshal.Cast<ulong, Vector<ulong>>(other);
            for (var i = 0; i < t.Length; i++)
            {
                t[i] &= o[i];
            }
            for (var i = t.Length * Vector<ulong>.Count; i < target.Length; i++)
            {
                target[i] &= other[i];
            }
        }

        public static void Or(Span<ulong> target, ReadOnlySpan<ulong> other)
        {
            var t = MemoryMarshal.Cast<ulong, Vector<ulong>>(target);
            var o = MemoryMarshal.Cast<ulong, Vector<ulong>>(other);
            for (var i = 0; i < t.Length; i++)
            {
                t[i] |= o[i];
            }
            for (var i = t.Length * Vector<ulong>.Count; i < target.Length; i++)
            {
                target[i] |= other[i];
            }
        }

        public static void AndNot(Span<ulong> target, ReadOnlySpan<ulong> other)
        {
            var t = MemoryMarshal.Cast<ulong, Vector<ulong>>(target);
            var o = MemoryMarshal.Cast<ulong, Vector<ulong>>(other);
            for (var i = 0; i < t.Length; i++)
            {
                t[i] = Vector.AndNot(t[i], o[i]);
            }
            for (var i = t.Length * Vector<ulong>.Count; i < target.Length; i++)
            {
                target[i] &= ~other[i];
            }
        }
    }
}
