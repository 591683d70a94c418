namespace Marketing.Sdk.Recommendations;

/// <summary>
/// Dense integer indices for string ids. Built sorted (ordinal) so index order is id order; ids
/// appended by incremental updates get the next indices and <see cref="Rank"/> keeps the ordinal
/// order for tie-breaking. Copy-on-write: <see cref="WithAdded"/> returns a new map.
/// </summary>
internal sealed class IdMap
{
    private readonly Dictionary<string, int> _index;

    private IdMap(string[] ids, Dictionary<string, int> index, int[] rank)
    {
        Ids = ids;
        _index = index;
        Rank = rank;
    }

    public string[] Ids { get; }

    /// <summary>Position of each index in ordinal id order (equal to the index right after a fit).</summary>
    public int[] Rank { get; }

    public int Count => Ids.Length;

    public static IdMap FromDistinct(IEnumerable<string> ids)
    {
        var sorted = ids.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        var index = new Dictionary<string, int>(sorted.Length, StringComparer.Ordinal);
        var rank = new int[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            index.Add(sorted[i], i);
            rank[i] = i;
        }
        return new IdMap(sorted, index, rank);
    }

    /// <summary>A map over ids in the given (index) order; the rank is their ordinal order, as after any fit and update.</summary>
    /// <exception cref="ArgumentException">An id occurs twice.</exception>
    public static IdMap FromOrdered(string[] ids)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            index.Add(ids[i], i);
        }
        var order = new int[ids.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => string.CompareOrdinal(ids[a], ids[b]));
        var rank = new int[ids.Length];
        for (var r = 0; r < order.Length; r++)
        {
            rank[order[r]] = r;
        }
        return new IdMap(ids, index, rank);
    }

    public bool TryGet(string id, out int index) => _index.TryGetValue(id, out index);

    public int IndexOf(string id) => _index.TryGetValue(id, out var i) ? i : -1;

    /// <summary>Adds the ids not yet known (in ordinal order); returns this map when none are new.</summary>
    public IdMap WithAdded(IEnumerable<string> ids)
    {
        var fresh = ids.Where(id => !_index.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToArray();
        if (fresh.Length == 0)
        {
            return this;
        }
        Array.Sort(fresh, StringComparer.Ordinal);
        var all = new string[Ids.Length + fresh.Length];
        Ids.CopyTo(all, 0);
        fresh.CopyTo(all, Ids.Length);
        var index = new Dictionary<string, int>(_index, StringComparer.Ordinal);
        for (var i = 0; i < fresh.Length; i++)
        {
            index.Add(fresh[i], Ids.Length + i);
        }
        var order = new int[all.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => string.CompareOrdinal(all[a], all[b]));
        var rank = new int[all.Length];
        for (var r = 0; r < order.Length; r++)
        {
            rank[order[r]] = r;
        }
        return new IdMap(all, index, rank);
    }
}
