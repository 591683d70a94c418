using System.Collections;

namespace Marketing.Sdk.Compliance.Tcf;

/// <summary>
/// An immutable set of ids kept as ascending, disjoint, non-adjacent ranges: a TC string's range entries stay
/// ranges (memory grows with the number of ranges, never with the number of ids they cover), read as an ascending
/// list of ids. Compares by value.
/// </summary>
internal sealed class TcfIdSet : IReadOnlyList<int>, IEquatable<TcfIdSet>
{
    private readonly int[] _starts;
    private readonly int[] _ends;

    /// <summary>Ids before each range (prefix sums of range lengths).</summary>
    private readonly int[] _before;

    public static TcfIdSet Empty { get; } = new([], [], [], 0);

    private TcfIdSet(int[] starts, int[] ends, int[] before, int count)
    {
        _starts = starts;
        _ends = ends;
        _before = before;
        Count = count;
    }

    public int Count { get; }

    /// <summary>Number of ranges.</summary>
    public int RangeCount => _starts.Length;

    /// <summary>The ranges, ascending.</summary>
    public IEnumerable<(int Start, int End)> Ranges
    {
        get
        {
            for (var i = 0; i < _starts.Length; i++)
            {
                yield return (_starts[i], _ends[i]);
            }
        }
    }

    public int this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            // The last range whose first position is at or before index.
            var i = Array.BinarySearch(_before, index);
            if (i < 0)
            {
                i = ~i - 1;
            }
            return _starts[i] + (index - _before[i]);
        }
    }

    /// <summary>Whether <paramref name="id"/> is in the set: a binary search over the ranges.</summary>
    public bool Contains(int id)
    {
        int lo = 0, hi = _starts.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (id < _starts[mid])
            {
                hi = mid - 1;
            }
            else if (id > _ends[mid])
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The set of <paramref name="ids"/> (any order, duplicates ignored); the same instance when it already is one.</summary>
    public static TcfIdSet From(IEnumerable<int>? ids)
    {
        switch (ids)
        {
            case null:
                return Empty;
            case TcfIdSet set:
                return set;
        }
        var sorted = ids.ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }
        Array.Sort(sorted);
        var ranges = new List<(int, int)>();
        var start = sorted[0];
        var end = start;
        for (var i = 1; i < sorted.Length; i++)
        {
            var id = sorted[i];
            if (id <= end + 1L)
            {
                end = Math.Max(end, id);
                continue;
            }
            ranges.Add((start, end));
            start = end = id;
        }
        ranges.Add((start, end));
        return FromMerged(ranges);
    }

    /// <summary>The set covered by inclusive ranges in any order (overlapping and adjacent ranges are merged).</summary>
    public static TcfIdSet FromRanges(List<(int Start, int End)> ranges)
    {
        if (ranges.Count == 0)
        {
            return Empty;
        }
        var ascending = true;
        for (var i = 1; i < ranges.Count && ascending; i++)
        {
            ascending = ranges[i].Start > ranges[i - 1].Start;
        }
        if (!ascending)
        {
            ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        }
        var merged = new List<(int, int)>(ranges.Count);
        var (start, end) = ranges[0];
        for (var i = 1; i < ranges.Count; i++)
        {
            var (s, e) = ranges[i];
            if (s <= end + 1L)
            {
                end = Math.Max(end, e);
                continue;
            }
            merged.Add((start, end));
            (start, end) = (s, e);
        }
        merged.Add((start, end));
        return FromMerged(merged);
    }

    private static TcfIdSet FromMerged(List<(int Start, int End)> ranges)
    {
        var starts = new int[ranges.Count];
        var ends = new int[ranges.Count];
        var before = new int[ranges.Count];
        long count = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            starts[i] = ranges[i].Start;
            ends[i] = ranges[i].End;
            before[i] = (int)Math.Min(count, int.MaxValue);
            count += (long)ranges[i].End - ranges[i].Start + 1;
        }
        if (count > int.MaxValue)
        {
            throw new ArgumentException("The set holds more ids than a list can index.", nameof(ranges));
        }
        return new TcfIdSet(starts, ends, before, (int)count);
    }

    public IEnumerator<int> GetEnumerator()
    {
        for (var i = 0; i < _starts.Length; i++)
        {
            for (var id = _starts[i]; ; id++)
            {
                yield return id;
                if (id == _ends[i])
                {
                    break;
                }
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(TcfIdSet? other) =>
        other is not null && (ReferenceEquals(this, other) || (_starts.AsSpan().SequenceEqual(other._starts) && _ends.AsSpan().SequenceEqual(other._ends)));

    public override bool Equals(object? obj) => obj is TcfIdSet other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < _starts.Length; i++)
        {
            hash.Add(_starts[i]);
            hash.Add(_ends[i]);
        }
        return hash.ToHashCode();
    }

    /// <summary>The ranges, e.g. <c>[1-3, 7]</c> (vendor and purpose ids are not personal data).</summary>
    public override string ToString() =>
        "[" + string.Join(", ", Ranges.Select(r => r.Start == r.End ? r.Start.ToString(System.Globalization.CultureInfo.InvariantCulture) : FormattableString.Invariant($"{r.Start}-{r.End}"))) + "]";
}

/// <summary>An immutable list that compares by value (element by element, in order).</summary>
internal sealed class TcfValueList<T>(T[] items) : IReadOnlyList<T>, IEquatable<TcfValueList<T>>
{
    public static TcfValueList<T> Empty { get; } = new([]);

    public static TcfValueList<T> From(IEnumerable<T>? items) => items switch
    {
        null => Empty,
        TcfValueList<T> list => list,
        _ => new TcfValueList<T>([.. items]),
    };

    public T this[int index] => items[index];

    public int Count => items.Length;

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    public bool Equals(TcfValueList<T>? other) =>
        other is not null && (ReferenceEquals(this, other) || items.AsSpan().SequenceEqual(other.AsSpan()));

    private ReadOnlySpan<T> AsSpan() => items;

    public override bool Equals(object? obj) => obj is TcfValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in items)
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }
}
