namespace Marketing.Sdk.Recommendations;

/// <summary>Per-thread scratch buffers for sparse accumulation without clearing dense arrays.</summary>
internal sealed class Scratch
{
    [ThreadStatic]
    private static Scratch? t_cached;

    private Scratch(int size)
    {
        Values = new double[size];
        Stamp = new int[size];
        Seen = new int[size];
        Touched = new int[size];
    }

    public double[] Values { get; }

    public int[] Stamp { get; }

    public int[] Seen { get; }

    public int[] Touched { get; }

    public int TouchedCount { get; set; }

    public int Current { get; private set; }

    public static Scratch Rent(int size)
    {
        var s = t_cached;
        if (s is null || s.Values.Length < size)
        {
            t_cached = s = new Scratch(Math.Max(size, 16));
        }
        s.Begin();
        return s;
    }

    private void Begin()
    {
        TouchedCount = 0;
        if (Current == int.MaxValue)
        {
            Array.Clear(Stamp);
            Array.Clear(Seen);
            Current = 0;
        }
        Current++;
    }

    public void Add(int index, double value)
    {
        if (Stamp[index] != Current)
        {
            Stamp[index] = Current;
            Values[index] = 0;
            Touched[TouchedCount++] = index;
        }
        Values[index] += value;
    }

    public void MarkSeen(int index) => Seen[index] = Current;

    public bool IsSeen(int index) => Seen[index] == Current;
}

/// <summary>Keeps the best <c>k</c> (score descending, then rank ascending) of a stream of candidates.</summary>
internal sealed class TopK
{
    private readonly int[] _items;
    private readonly double[] _scores;
    private readonly int[] _rank;

    public TopK(int k, int[] rank)
    {
        _items = new int[Math.Max(k, 0)];
        _scores = new double[Math.Max(k, 0)];
        _rank = rank;
    }

    public int Count { get; private set; }

    private bool Better(double score, int item, int slot) =>
        score > _scores[slot] || (score == _scores[slot] && _rank[item] < _rank[_items[slot]]);

    public void Offer(int item, double score)
    {
        var k = _items.Length;
        if (k == 0 || (Count == k && !Better(score, item, k - 1)))
        {
            return;
        }
        var pos = Count == k ? k - 1 : Count++;
        while (pos > 0 && Better(score, item, pos - 1))
        {
            _items[pos] = _items[pos - 1];
            _scores[pos] = _scores[pos - 1];
            pos--;
        }
        _items[pos] = item;
        _scores[pos] = score;
    }

    public ScoredItem[] ToArray(string[] ids)
    {
        var result = new ScoredItem[Count];
        for (var n = 0; n < Count; n++)
        {
            result[n] = new ScoredItem(ids[_items[n]], _scores[n]);
        }
        return result;
    }
}

/// <summary>Ordering of (score, rank) pairs: score descending, then rank ascending.</summary>
internal readonly struct ScoreRankComparer : IComparer<(double Score, int Rank, int Index)>
{
    public int Compare((double Score, int Rank, int Index) x, (double Score, int Rank, int Index) y)
    {
        var c = y.Score.CompareTo(x.Score);
        return c != 0 ? c : x.Rank.CompareTo(y.Rank);
    }
}
