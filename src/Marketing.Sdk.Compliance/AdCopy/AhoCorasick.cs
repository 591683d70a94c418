namespace Marketing.Sdk.Compliance.AdCopy;

/// <summary>
/// Aho–Corasick multi-pattern automaton (Aho &amp; Corasick, 1975) over UTF-16 code units: a trie of
/// the patterns with failure links (longest proper suffix that is also a trie prefix) and output
/// links (nearest suffix state that ends a pattern), so one left-to-right pass over the text reports
/// every occurrence of every pattern in O(text + occurrences). Transitions live in one
/// open-addressing hash table keyed by (state, char); the root's transitions are a direct table.
/// </summary>
internal sealed class AhoCorasick
{
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
    public AhoCorasick(IReadOnlyList<string> patterns)
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
        foreach (var t in children[0].Values)
        {
            _fail[t] = 0;
            queue.Enqueue(t);
        }
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
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
    }

    /// <summary>Number of states.</summary>
    public int StateCount => _fail.Length;

    /// <summary>Calls <paramref name="onMatch"/>(pattern index, end index exclusive) for every occurrence in <paramref name="text"/>.</summary>
    public void Search<TState>(ReadOnlySpan<char> text, ref TState state, MatchHandler<TState> onMatch)
    {
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
