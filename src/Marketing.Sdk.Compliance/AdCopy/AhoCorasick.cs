namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>
/// Aho–Corasick multi-pattern automaton (Aho &amp; Corasick, 1975) over UTF-16 code units: a trie of
/// the patterns with failure links (longest proper suffix that is also a trie prefix) and output
/// links (nearest suffix state that ends a pattern), so one left-to-right pass over the text reports
/// every occurrence of every pattern in O(text + occurrences). Transitions live in one
/// open-addressing hash table keyed by (state, char); the root's transitions are a direct table.
/// When the states times the patterns' alphabet fit <see cref="DenseBudget"/>, the automaton is also
/// compiled to a dense DFA: the characters that occur in patterns get compact class ids (every other
/// character is class 0, which leads back to the root), failure transitions are resolved in advance,
/// and each table cell holds the next state's row offset with the sign bit set when that state
/// reports a match — one table read per character and no failure-link walks.
/// </summary>
internal sealed class AhoCorasick
{
    /// <summary>Largest dense table, in cells (4 bytes each).</summary>
    internal const int DenseBudget = 1 << 22;

    /// <summary>Input class of a character dropped by folding in <see cref="ScanFolded"/>.</summary>
    private const ushort Dropped = ushort.MaxValue;

    private readonly int[]? _delta;       // dense DFA: [row offset of state + class] -> row offset of next | sign bit if it reports
    private readonly int _classes;        // classes per row (alphabet + 1)
    private readonly ushort[] _classOf;   // class of each UTF-16 unit as given (0 = in no pattern)
    private readonly ushort[] _inputClass; // class of each UTF-16 unit after folding (Dropped when folded away)
    private readonly char[]? _fold;       // the folding, if any
    private readonly int _maxDepth;
    private readonly int[] _rootNext = new int[65536];
    private readonly long[] _keys;
    private readonly int[] _values;
    private readonly int _mask;
    private readonly int[] _fail;
    private readonly int[] _pattern;   // pattern index ending at the state, or -1
    private readonly int[] _output;    // next state on the failure chain that ends a pattern, or 0
    private readonly int[] _depth;

    /// <summary>Builds the automaton.</summary>
    /// <param name="patterns">The patterns (non-empty; duplicates keep the first index).</param>
    /// <param name="fold">
    /// For <see cref="ScanFolded"/>: the fold of every UTF-16 code unit (65 536 entries, '\0' = drop);
    /// patterns must already be folded. <see langword="null"/> for none.
    /// </param>
    /// <param name="denseBudget">Largest dense table in cells (tests lower it to exercise the sparse path).</param>
    public AhoCorasick(IReadOnlyList<string> patterns, char[]? fold = null, int denseBudget = DenseBudget)
    {
        var children = new List<Dictionary<char, int>> { new() };
        var pattern = new List<int> { -1 };
        var depth = new List<int> { 0 };
        for (var p = 0; p < patterns.Count; p++)
        {
            var state = 0;
            foreach (var c in patterns[p])
            {
                if (!children[state].TryGetValue(c, out var next))
                {
                    next = children.Count;
                    children.Add([]);
                    pattern.Add(-1);
                    depth.Add(depth[state] + 1);
                    children[state][c] = next;
                }
                state = next;
            }
            if (state != 0 && pattern[state] < 0)
            {
                pattern[state] = p;
            }
        }
        var count = children.Count;
        _pattern = [.. pattern];
        _depth = [.. depth];
        _fail = new int[count];
        _output = new int[count];
        var edges = children.Sum(d => d.Count);
        var size = 1;
        while (size < edges * 2 + 2)
        {
            size <<= 1;
        }
        _mask = size - 1;
        _keys = new long[size];
        Array.Fill(_keys, -1L);
        _values = new int[size];
        for (var s = 0; s < count; s++)
        {
            foreach (var (c, t) in children[s])
            {
                if (s == 0)
                {
                    _rootNext[c] = t;
                }
                Insert(Key(s, c), t);
            }
        }
        // Breadth-first failure and output links.
        var queue = new Queue<int>();
        var order = new List<int>(count) { 0 };
        foreach (var t in children[0].Values)
        {
            _fail[t] = 0;
            queue.Enqueue(t);
        }
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            order.Add(s);
            foreach (var (c, t) in children[s])
            {
                var f = _fail[s];
                int next;
                while ((next = Step(f, c)) < 0)
                {
                    f = _fail[f];
                }
                _fail[t] = next == t ? 0 : next;
                _output[t] = _pattern[_fail[t]] >= 0 ? _fail[t] : _output[_fail[t]];
                queue.Enqueue(t);
            }
        }

        _maxDepth = _depth.Max();
        if (fold is not null && fold.Length != 65536)
        {
            throw new ArgumentException("The fold table must have one entry per UTF-16 code unit.", nameof(fold));
        }
        _fold = fold;

        // Compact classes for the characters that occur in patterns, then the dense DFA if it fits.
        var classOf = new ushort[65536];
        var alphabet = 0;
        for (var s = 0; s < count; s++)
        {
            foreach (var c in children[s].Keys)
            {
                if (classOf[c] == 0)
                {
                    if (alphabet == Dropped - 1)
                    {
                        alphabet = -1;
                        break;
                    }
                    classOf[c] = (ushort)++alphabet;
                }
            }
            if (alphabet < 0)
            {
                break;
            }
        }
        _classOf = classOf;
        _inputClass = fold is null ? classOf : new ushort[65536];
        if (alphabet > 0 && (long)count * (alphabet + 1) <= denseBudget)
        {
            _classes = alphabet + 1;
            var delta = new int[count * _classes];
            var reports = new bool[count];
            for (var s = 0; s < count; s++)
            {
                reports[s] = _pattern[s] >= 0 || _output[s] != 0;
            }
            int Cell(int state) => (state * _classes) | (reports[state] ? int.MinValue : 0);
            // Breadth-first, so a state's failure row is complete before the state's own row.
            foreach (var s in order)
            {
                var row = s * _classes;
                var fallback = _fail[s] * _classes;
                for (var k = 1; k < _classes; k++)
                {
                    delta[row + k] = s == 0 ? 0 : delta[fallback + k];
                }
                foreach (var (c, t) in children[s])
                {
                    delta[row + classOf[c]] = Cell(t);
                }
            }
            _delta = delta;
        }
        if (fold is not null)
        {
            for (var c = 0; c < 65536; c++)
            {
                _inputClass[c] = fold[c] == '\0' ? Dropped : classOf[fold[c]];
            }
        }
    }

    /// <summary>Whether the dense DFA was built (the alphabet and states fit <see cref="DenseBudget"/>).</summary>
    public bool IsDense => _delta is not null;


    /// <summary>Number of states.</summary>
    public int StateCount => _fail.Length;

    /// <summary>Calls <paramref name="onMatch"/>(pattern index, end index exclusive) for every occurrence in <paramref name="text"/>.</summary>
    public void Search<TState>(ReadOnlySpan<char> text, ref TState state, MatchHandler<TState> onMatch)
    {
        if (_delta is { } delta)
        {
            var classOf = _classOf;
            var row = 0;
            for (var i = 0; i < text.Length; i++)
            {
                // Search matches the text as given: classes of the unfolded characters.
                var cell = delta[row + classOf[text[i]]];
                row = cell & int.MaxValue;
                if (cell < 0)
                {
                    var st = row / _classes;
                    if (_pattern[st] >= 0)
                    {
                        onMatch(ref state, _pattern[st], i + 1 - _depth[st], i + 1);
                    }
                    for (var o = _output[st]; o != 0; o = _output[o])
                    {
                        onMatch(ref state, _pattern[o], i + 1 - _depth[o], i + 1);
                    }
                }
            }
            return;
        }
        var s = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int next;
            while ((next = Step(s, c)) < 0)
            {
                s = _fail[s];
            }
            s = next;
            if (_pattern[s] >= 0)
            {
                onMatch(ref state, _pattern[s], i + 1 - _depth[s], i + 1);
            }
            for (var o = _output[s]; o != 0; o = _output[o])
            {
                onMatch(ref state, _pattern[o], i + 1 - _depth[o], i + 1);
            }
        }
    }

    /// <summary>
    /// Folds <paramref name="text"/> on the fly with the constructor's fold table and appends every
    /// occurrence to <paramref name="matches"/>, with positions both in the folded text (for
    /// containment tests) and in the original text (the span from the first to the last folded
    /// character of the occurrence). No folded copy of the text is made: a ring of the last
    /// longest-pattern original positions is enough to map an occurrence back.
    /// </summary>
    public void ScanFolded(ReadOnlySpan<char> text, ref MatchList matches)
    {
        var ringSize = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)_maxDepth + 1);
        Span<int> ring = ringSize <= 256 ? stackalloc int[ringSize] : new int[ringSize];
        var mask = ringSize - 1;
        var pos = 0;
        if (_delta is { } delta)
        {
            var classOf = _inputClass;
            var row = 0;
            for (var i = 0; i < text.Length; i++)
            {
                int cls = classOf[text[i]];
                if (cls == Dropped)
                {
                    continue;
                }
                ring[pos & mask] = i;
                pos++;
                var cell = delta[row + cls];
                row = cell & int.MaxValue;
                if (cell < 0)
                {
                    Report(row / _classes, pos, i, ring, mask, ref matches);
                }
            }
            return;
        }
        var s = 0;
        var fold = _fold;
        for (var i = 0; i < text.Length; i++)
        {
            var c = fold is null ? text[i] : fold[text[i]];
            if (c == '\0' && fold is not null)
            {
                continue;
            }
            ring[pos & mask] = i;
            pos++;
            int next;
            while ((next = Step(s, c)) < 0)
            {
                s = _fail[s];
            }
            s = next;
            if (_pattern[s] >= 0 || _output[s] != 0)
            {
                Report(s, pos, i, ring, mask, ref matches);
            }
        }
    }

    private void Report(int state, int end, int originalLast, ReadOnlySpan<int> ring, int mask, ref MatchList matches)
    {
        if (_pattern[state] >= 0)
        {
            var start = end - _depth[state];
            matches.Add(new RawMatch(_pattern[state], start, end, ring[start & mask], originalLast + 1));
        }
        for (var o = _output[state]; o != 0; o = _output[o])
        {
            var start = end - _depth[o];
            matches.Add(new RawMatch(_pattern[o], start, end, ring[start & mask], originalLast + 1));
        }
    }

    /// <summary>Receives one occurrence.</summary>
    public delegate void MatchHandler<TState>(ref TState state, int pattern, int start, int end);

    /// <summary>The transition from <paramref name="s"/> on <paramref name="c"/>; at the root a missing edge loops to the root; elsewhere -1.</summary>
    private int Step(int s, char c)
    {
        if (s == 0)
        {
            return _rootNext[c];
        }
        var key = Key(s, c);
        var i = Hash(key) & _mask;
        while (true)
        {
            var k = _keys[i];
            if (k == key)
            {
                return _values[i];
            }
            if (k == -1)
            {
                return -1;
            }
            i = (i + 1) & _mask;
        }
    }

    private void Insert(long key, int value)
    {
        var i = Hash(key) & _mask;
        while (_keys[i] != -1)
        {
            i = (i + 1) & _mask;
        }
        _keys[i] = key;
        _values[i] = value;
    }

    private static long Key(int state, char c) => ((long)state << 16) | c;

    private static int Hash(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 32);
}

/// <summary>One occurrence: pattern, span in the folded text, span in the original text.</summary>
internal readonly record struct RawMatch(int Pattern, int Start, int End, int OriginalStart, int OriginalEnd);

/// <summary>A growable list of occurrences over a pooled array; <see cref="Dispose"/> returns the array.</summary>
internal struct MatchList : IDisposable
{
    private RawMatch[] _items;

    /// <summary>Creates an empty list.</summary>
    public MatchList(int capacity) => _items = System.Buffers.ArrayPool<RawMatch>.Shared.Rent(Math.Max(capacity, 16));

    /// <summary>Number of occurrences.</summary>
    public int Count { get; private set; }

    /// <summary>The occurrences.</summary>
    public readonly ReadOnlySpan<RawMatch> Items => _items.AsSpan(0, Count);

    /// <summary>Appends one occurrence.</summary>
    public void Add(RawMatch match)
    {
        if (Count == _items.Length)
        {
            var bigger = System.Buffers.ArrayPool<RawMatch>.Shared.Rent(_items.Length * 2);
            _items.AsSpan(0, Count).CopyTo(bigger);
            System.Buffers.ArrayPool<RawMatch>.Shared.Return(_items);
            _items = bigger;
        }
        _items[Count++] = match;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_items is { Length: > 0 })
        {
            System.Buffers.ArrayPool<RawMatch>.Shared.Return(_items);
            _items = [];
            Count = 0;
        }
    }
}
