using System.Runtime.InteropServices;

namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>
/// The distinct (x, t<sub>x</sub>, T) triples of a batch of summaries with how many customers share
/// each, found by exact comparison of the values (no rounding). Customers without repeat purchases
/// are keyed on T alone (t<sub>x</sub> plays no part in their likelihood or predictions). Optionally
/// keeps, per customer, the index of its group so per-group results can be fanned out.
/// </summary>
internal sealed class SummaryGroups
{
    // Open addressing with linear probing; the key and the count live in the slot, so a lookup
    // touches one cache line.
    private Entry[] _table;
    private int _mask;

    private SummaryGroups(int capacity)
    {
        X = new int[capacity];
        Recency = new double[capacity];
        T = new double[capacity];
        Weight = new int[capacity];
        var size = 1024;
        while (size < capacity * 2)
        {
            size <<= 1;
        }
        _table = new Entry[size];
        _mask = size - 1;
    }

    /// <summary>Frequency of each group.</summary>
    public int[] X { get; private set; }

    /// <summary>Recency of each group (0 for frequency 0).</summary>
    public double[] Recency { get; private set; }

    /// <summary>T of each group.</summary>
    public double[] T { get; private set; }

    /// <summary>Customers in each group.</summary>
    public int[] Weight { get; private set; }

    /// <summary>Number of distinct groups (the arrays may be longer).</summary>
    public int Count { get; private set; }

    /// <summary>Group index of each input customer when requested, otherwise empty.</summary>
    public int[] Slot { get; private set; } = [];

    /// <summary>Number of customers.</summary>
    public int Customers { get; private set; }

    /// <summary>Largest frequency.</summary>
    public int MaxX { get; private set; }

    /// <summary>Σ x over the customers.</summary>
    public double TotalFrequency { get; private set; }

    /// <summary>Σ T over the customers.</summary>
    public double TotalT { get; private set; }

    /// <summary>Validates and groups the summaries.</summary>
    /// <param name="customers">The summaries.</param>
    /// <param name="keepSlots">Whether to record each customer's group index.</param>
    public static SummaryGroups Create(IReadOnlyList<CustomerSummary> customers, bool keepSlots)
    {
        var n = customers.Count;
        var groups = new SummaryGroups(Math.Clamp(n / 4, 16, 1 << 16));
        if (keepSlots)
        {
            groups.Slot = new int[n];
        }
        groups.Customers = n;
        switch (customers)
        {
            case CustomerSummary[] array:
                groups.AddAll(array);
                break;
            case List<CustomerSummary> list:
                groups.AddAll(CollectionsMarshal.AsSpan(list));
                break;
            default:
                for (var i = 0; i < n; i++)
                {
                    groups.Add(customers[i], i);
                }
                break;
        }
        return groups;
    }

    private void AddAll(ReadOnlySpan<CustomerSummary> customers)
    {
        for (var i = 0; i < customers.Length; i++)
        {
            Add(customers[i], i);
        }
    }

    private void Add(in CustomerSummary c, int index)
    {
        c.Validate(index);
        var x = c.Frequency;
        // + 0.0 folds −0 into +0 so equal values share a key.
        var tx = x == 0 ? 0.0 : c.Recency + 0.0;
        var t = c.T + 0.0;
        TotalFrequency += x;
        TotalT += t;
        if (x > MaxX)
        {
            MaxX = x;
        }
        var group = Insert(x, tx, t);
        if (Slot.Length > 0)
        {
            Slot[index] = group;
        }
    }

    /// <summary>
    /// Groups the distinct triples again by (x, T) only; <see cref="Slot"/> of the result maps each
    /// triple group to its (x, T) group, and its <see cref="Weight"/> counts triple groups.
    /// </summary>
    public SummaryGroups ByFrequencyAndT()
    {
        var pairs = new SummaryGroups(Math.Clamp(Count / 8, 16, 1 << 16)) { Slot = new int[Count], Customers = Customers };
        for (var g = 0; g < Count; g++)
        {
            var pair = pairs.Insert(X[g], 0, T[g]);
            pairs.Slot[g] = pair;
        }
        pairs.MaxX = MaxX;
        pairs.TotalFrequency = TotalFrequency;
        pairs.TotalT = TotalT;
        return pairs;
    }

    private int Insert(int x, double tx, double t)
    {
        var bucket = (int)(Hash(x, tx, t) & (uint)_mask);
        while (true)
        {
            ref var entry = ref _table[bucket];
            if (entry.Group == 0)
            {
                return Append(x, tx, t, ref entry);
            }
            if (entry.X == x && entry.Recency == tx && entry.T == t)
            {
                Weight[entry.Group - 1]++;
                return entry.Group - 1;
            }
            bucket = (bucket + 1) & _mask;
        }
    }

    private int Append(int x, double tx, double t, ref Entry entry)
    {
        var group = Count;
        if (group == X.Length)
        {
            var size = X.Length * 2;
            X = Grow(X, size);
            Recency = Grow(Recency, size);
            T = Grow(T, size);
            Weight = Grow(Weight, size);
        }
        X[group] = x;
        Recency[group] = tx;
        T[group] = t;
        Weight[group] = 1;
        entry = new Entry(tx, t, x, group + 1);
        Count = group + 1;
        if (Count * 2 > _table.Length)
        {
            Rehash();
        }
        return group;
    }

    private void Rehash()
    {
        var old = _table;
        _table = new Entry[old.Length * 2];
        _mask = _table.Length - 1;
        foreach (var entry in old)
        {
            if (entry.Group == 0)
            {
                continue;
            }
            var bucket = (int)(Hash(entry.X, entry.Recency, entry.T) & (uint)_mask);
            while (_table[bucket].Group != 0)
            {
                bucket = (bucket + 1) & _mask;
            }
            _table[bucket] = entry;
        }
    }

    private static TItem[] Grow<TItem>(TItem[] array, int size)
    {
        var grown = new TItem[size];
        Array.Copy(array, grown, array.Length);
        return grown;
    }

    internal static ulong Hash(int x, double tx, double t)
    {
        var h = (ulong)BitConverter.DoubleToInt64Bits(t) * 0x9E3779B97F4A7C15UL;
        h = (h ^ (h >> 29) ^ (ulong)BitConverter.DoubleToInt64Bits(tx)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 31) ^ (ulong)(uint)x) * 0x94D049BB133111EBUL;
        return h ^ (h >> 32);
    }

    /// <summary>A slot of the hash table; <see cref="Group"/> is the group index + 1 (0 = empty).</summary>
    private readonly record struct Entry(double Recency, double T, int X, int Group);
}
