namespace Marketing.Sdk.Profiles;

/// <summary>
/// An in-memory identity graph: a disjoint-set forest (union-find with union by size and path
/// halving, near-constant amortised time per operation) over identities. Use it to resolve large
/// histories offline — imports, backfills, what-if runs of the rules — before loading profiles; the
/// online resolver applies the same rules against the stores event by event.
/// Identities are interned once into a flat open-addressing table (4-byte slots with a tag
/// fingerprint, new identities staged in a small cached table behind a filter, no per-identity
/// allocation), and each identity's parent pointer is the table entry's payload (a dense array).
/// Not thread-safe.
/// </summary>
internal sealed class IdentityGraph
{
    // Each identity's payload is its parent in the forest: >= 0 the parent's index; < 0 the
    // identity is a root and the negation is its component's size.
    private readonly IdentityTable _table;

    /// <summary>Creates an empty graph.</summary>
    /// <param name="capacity">Expected number of distinct identities.</param>
    public IdentityGraph(int capacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _table = new IdentityTable(capacity);
    }

    /// <summary>Number of distinct identities.</summary>
    public int Count => _table.Count;

    /// <summary>Number of connected components (people).</summary>
    public int ComponentCount { get; private set; }

    /// <summary>Adds an identity (a component of its own) if absent; returns its index.</summary>
    /// <param name="identity">The identity.</param>
    /// <exception cref="ArgumentOutOfRangeException">The identity kind is not defined.</exception>
    public int Add(Identity identity)
    {
        CheckKind(identity.Kind);
        var i = _table.GetOrAdd(identity.Kind, identity.Value, -1, out var added);
        if (added)
        {
            ComponentCount++;
        }
        return i;
    }

    /// <summary>Links two identities (adding them if absent); returns whether two components were joined.</summary>
    /// <param name="a">One identity.</param>
    /// <param name="b">The other identity.</param>
    public bool Union(Identity a, Identity b)
    {
        if (Tagged(a, out var ta) && Tagged(b, out var tb))
        {
            // Both hashed first, so that b's filter word is on its way while a is looked up.
            _warm = _table.Prefetch(tb);
            return UnionIndex(AddTagged(ta, a.Value), AddTagged(tb, b.Value));
        }
        return UnionIndex(Add(a), Add(b));
    }

    /// <summary>The tag of a valid identity; <see langword="false"/> for an invalid one, which <see cref="Add"/> then rejects.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Tagged(Identity identity, out uint tag)
    {
        var k = (int)identity.Kind;
        if (k > 0 && k < KindSlots)
        {
            return IdentityTable.TryTag(identity.Kind, identity.Value, out tag);
        }
        tag = 0;
        return false;
    }

    /// <summary>Links every identity of an observation (e.g. the identities of one event) with each other.</summary>
    /// <param name="identities">The identities seen together.</param>
    public void UnionAll(IReadOnlyList<Identity> identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        if (identities.Count == 0)
        {
            return;
        }
        var first = Add(identities[0]);
        for (var i = 1; i < identities.Count; i++)
        {
            UnionIndex(first, Add(identities[i]));
        }
    }

    /// <summary>
    /// Links each pair of a batch (e.g. a history of identity links), in order; the same as calling
    /// <see cref="Union"/> for each, without per-call overhead. Returns how many components were joined.
    /// </summary>
    /// <param name="links">The pairs of identities seen together.</param>
    public int UnionAll(ReadOnlySpan<(Identity A, Identity B)> links)
    {
        // Blocks of links in two passes. The first pass only hashes each identity of the block and
        // reads the table slot its lookup starts at: a short loop of independent loads, so the
        // processor keeps many of those cache misses in flight at once instead of one per link.
        // The second pass does the real lookups, inserts and unions in order (a lookup always
        // probes again, so an identity inserted earlier in the block is found), reusing the hashes.
        const int Block = 32;
        Span<uint> tags = stackalloc uint[2 * Block];
        var joined = 0;
        uint warm = 0;
        for (var from = 0; from < links.Length; from += Block)
        {
            var block = links.Slice(from, Math.Min(Block, links.Length - from));
            for (var k = 0; k < block.Length; k++)
            {
                warm ^= Warm(block[k].A, out tags[2 * k]) ^ Warm(block[k].B, out tags[(2 * k) + 1]);
            }
            for (var k = 0; k < block.Length; k++)
            {
                ref readonly var link = ref block[k];
                var i = tags[2 * k] != 0 ? AddTagged(tags[2 * k], link.A.Value) : Add(link.A);
                var j = tags[(2 * k) + 1] != 0 ? AddTagged(tags[(2 * k) + 1], link.B.Value) : Add(link.B);
                if (UnionIndex(i, j))
                {
                    joined++;
                }
            }
        }
        _warm = warm;
        return joined;
    }

    // Keeps the first pass's reads observable, so that they are not optimised away.
    private uint _warm;

    /// <summary>
    /// The tag of a valid identity and a read of the slot its lookup starts at; tag 0 for an
    /// invalid one, which <see cref="Add"/> then rejects in its turn.
    /// </summary>
    private uint Warm(Identity identity, out uint tag)
    {
        return Tagged(identity, out tag) ? _table.Prefetch(tag) : 0;
    }

    private int AddTagged(uint tag, string value)
    {
        var i = _table.GetOrAddTagged(tag, value, -1, out var added);
        if (added)
        {
            ComponentCount++;
        }
        return i;
    }

    /// <summary>Whether two identities belong to one component.</summary>
    /// <param name="a">One identity.</param>
    /// <param name="b">The other identity.</param>
    public bool AreLinked(Identity a, Identity b) =>
        TryIndex(a, out var i) && TryIndex(b, out var j) && FindIndex(i) == FindIndex(j);

    /// <summary>
    /// The canonical representative of the identity's component: the smallest identity of the
    /// component by (kind, ordinal value), so it does not depend on the order links were added.
    /// </summary>
    /// <param name="identity">An identity of the graph.</param>
    /// <exception cref="KeyNotFoundException">The identity is not in the graph.</exception>
    public Identity Representative(Identity identity)
    {
        if (!TryIndex(identity, out var index))
        {
            throw new KeyNotFoundException("The identity is not in the graph.");
        }
        var root = FindIndex(index);
        var best = identity;
        for (var i = 0; i < _table.Count; i++)
        {
            if (FindIndex(i) == root)
            {
                var candidate = _table[i];
                if (Compare(candidate, best) < 0)
                {
                    best = candidate;
                }
            }
        }
        return best;
    }

    /// <summary>
    /// The components, each sorted by (kind, value), in order of their smallest member: a canonical
    /// form that is equal for any order of the same links.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Identity>> GetComponents()
    {
        // Lay members out by component (a counting sort by root), then sort each component.
        var count = Count;
        var start = new int[count + 1];
        var roots = new int[count];
        var members = new Identity[count];
        for (var i = 0; i < count; i++)
        {
            roots[i] = FindIndex(i);
            start[roots[i] + 1]++;
        }
        for (var i = 0; i < count; i++)
        {
            start[i + 1] += start[i];
        }
        var at = start.AsSpan(0, count).ToArray();
        for (var i = 0; i < count; i++)
        {
            members[at[roots[i]]++] = _table[i];
        }
        var result = new List<IReadOnlyList<Identity>>(ComponentCount);
        for (var r = 0; r < count; r++)
        {
            var size = start[r + 1] - start[r];
            if (size > 0)
            {
                var component = members.AsSpan(start[r], size).ToArray();
                Array.Sort(component, Compare);
                result.Add(component);
            }
        }
        result.Sort((x, y) => Compare(x[0], y[0]));
        return result;
    }

    /// <summary>
    /// Builds a graph from observations (identities seen together, e.g. per event) with the
    /// shared-identity guard: an identity of a <see cref="IdentityResolutionOptions.SharedKinds"/>
    /// kind seen with more than <see cref="IdentityResolutionOptions.MaxPeoplePerSharedIdentity"/>
    /// distinct person-level identities is kept as a component of its own instead of linking them.
    /// Two passes (count, then link), so the result does not depend on the order of observations.
    /// </summary>
    /// <param name="observations">Identities seen together.</param>
    /// <param name="options">The rules.</param>
    /// <param name="shared">Receives the identities the guard set aside.</param>
    public static IdentityGraph Build(IEnumerable<IReadOnlyList<Identity>> observations, IdentityResolutionOptions options, ISet<Identity>? shared = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(options);
        var list = observations as IReadOnlyCollection<IReadOnlyList<Identity>> ?? observations.ToList();
        var anchors = new Dictionary<Identity, HashSet<Identity>>();
        foreach (var obs in list)
        {
            foreach (var id in obs)
            {
                if (!options.SharedKinds.Contains(id.Kind))
                {
                    continue;
                }
                foreach (var other in obs)
                {
                    if (!options.SharedKinds.Contains(other.Kind))
                    {
                        if (!anchors.TryGetValue(id, out var set))
                        {
                            anchors[id] = set = [];
                        }
                        set.Add(other);
                    }
                }
            }
        }
        var guarded = anchors.Where(kv => kv.Value.Count > options.MaxPeoplePerSharedIdentity).Select(kv => kv.Key).ToHashSet();
        shared?.UnionWith(guarded);
        var graph = new IdentityGraph(list.Count * 2);
        var buffer = new List<Identity>();
        foreach (var obs in list)
        {
            buffer.Clear();
            foreach (var id in obs)
            {
                if (guarded.Contains(id))
                {
                    graph.Add(id);
                }
                else
                {
                    buffer.Add(id);
                }
            }
            graph.UnionAll(buffer);
        }
        return graph;
    }

    private const int KindSlots = (int)IdentityKind.WeComExternalUserId + 1;

    private static void CheckKind(IdentityKind kind)
    {
        var k = (int)kind;
        if (k <= 0 || k >= KindSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined identity kind.");
        }
    }

    private bool TryIndex(Identity identity, out int index)
    {
        CheckKind(identity.Kind);
        return _table.TryGetIndex(identity.Kind, identity.Value, out index);
    }

    internal static int Compare(Identity x, Identity y)
    {
        var k = x.Kind.CompareTo(y.Kind);
        return k != 0 ? k : string.CompareOrdinal(x.Value, y.Value);
    }

    private int FindIndex(int i)
    {
        // Path halving: every visited node is pointed at its grandparent.
        var table = _table;
        while (true)
        {
            ref var p = ref table.Payload(i);
            if (p < 0)
            {
                return i;
            }
            var g = table.Payload(p);
            if (g < 0)
            {
                return p;
            }
            p = g;
            i = g;
        }
    }

    private bool UnionIndex(int i, int j)
    {
        var ri = FindIndex(i);
        var rj = FindIndex(j);
        if (ri == rj)
        {
            return false;
        }
        // Union by size: the larger component (more negative) absorbs the smaller.
        ref var si = ref _table.Payload(ri);
        ref var sj = ref _table.Payload(rj);
        if (si <= sj)
        {
            si += sj;
            sj = ri;
        }
        else
        {
            sj += si;
            si = rj;
        }
        ComponentCount--;
        return true;
    }
}
