using System.Runtime.InteropServices;

namespace Marketing.Sdk.Profiles;

/// <summary>
/// An in-memory identity graph: a disjoint-set forest (union-find with union by rank and path
/// halving, near-constant amortised time per operation) over identities. Use it to resolve large
/// histories offline — imports, backfills, what-if runs of the rules — before loading profiles; the
/// online resolver applies the same rules against the stores event by event.
/// Not thread-safe.
/// </summary>
public sealed class IdentityGraph
{
    // One string-keyed index per kind: string keys use the runtime's fast non-randomised hashing
    // (falling back to randomised hashing only under collision attacks).
    private readonly Dictionary<string, int>[] _index;
    private readonly List<Identity> _items;
    private int[] _parent;
    private byte[] _rank;

    /// <summary>Creates an empty graph.</summary>
    /// <param name="capacity">Expected number of distinct identities.</param>
    public IdentityGraph(int capacity = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _index = new Dictionary<string, int>[KindSlots];
        for (var k = 0; k < KindSlots; k++)
        {
            _index[k] = new Dictionary<string, int>(k == (int)IdentityKind.Phone || k == (int)IdentityKind.Email ? capacity / 4 : capacity / 8, StringComparer.Ordinal);
        }
        _items = new List<Identity>(capacity);
        _parent = new int[Math.Max(capacity, 4)];
        _rank = new byte[_parent.Length];
    }

    /// <summary>Number of distinct identities.</summary>
    public int Count => _items.Count;

    /// <summary>Number of connected components (people).</summary>
    public int ComponentCount { get; private set; }

    /// <summary>Adds an identity (a component of its own) if absent; returns its index.</summary>
    /// <param name="identity">The identity.</param>
    /// <exception cref="ArgumentOutOfRangeException">The identity kind is not defined.</exception>
    public int Add(Identity identity)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(Index(identity.Kind), identity.Value, out var exists);
        if (exists)
        {
            return slot;
        }
        var i = _items.Count;
        slot = i;
        _items.Add(identity);
        if (i == _parent.Length)
        {
            Array.Resize(ref _parent, i * 2);
            Array.Resize(ref _rank, i * 2);
        }
        _parent[i] = i;
        ComponentCount++;
        return i;
    }

    /// <summary>Links two identities (adding them if absent); returns whether two components were joined.</summary>
    /// <param name="a">One identity.</param>
    /// <param name="b">The other identity.</param>
    public bool Union(Identity a, Identity b) => UnionIndex(Add(a), Add(b));

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

    /// <summary>Whether two identities belong to one component.</summary>
    /// <param name="a">One identity.</param>
    /// <param name="b">The other identity.</param>
    public bool AreLinked(Identity a, Identity b) =>
        Index(a.Kind).TryGetValue(a.Value, out var i) && Index(b.Kind).TryGetValue(b.Value, out var j) && FindIndex(i) == FindIndex(j);

    /// <summary>
    /// The canonical representative of the identity's component: the smallest identity of the
    /// component by (kind, ordinal value), so it does not depend on the order links were added.
    /// </summary>
    /// <param name="identity">An identity of the graph.</param>
    /// <exception cref="KeyNotFoundException">The identity is not in the graph.</exception>
    public Identity Representative(Identity identity)
    {
        var root = FindIndex(Index(identity.Kind)[identity.Value]);
        Identity? best = null;
        for (var i = 0; i < _items.Count; i++)
        {
            if (FindIndex(i) == root && (best is null || Compare(_items[i], best.Value) < 0))
            {
                best = _items[i];
            }
        }
        return best!.Value;
    }

    /// <summary>
    /// The components, each sorted by (kind, value), in order of their smallest member: a canonical
    /// form that is equal for any order of the same links.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Identity>> GetComponents()
    {
        var groups = new Dictionary<int, List<Identity>>();
        for (var i = 0; i < _items.Count; i++)
        {
            var root = FindIndex(i);
            if (!groups.TryGetValue(root, out var list))
            {
                groups[root] = list = [];
            }
            list.Add(_items[i]);
        }
        var result = groups.Values.Select(g => { g.Sort(Compare); return (IReadOnlyList<Identity>)g; }).ToList();
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

    private const int KindSlots = (int)IdentityKind.CookieId + 1;

    private Dictionary<string, int> Index(IdentityKind kind)
    {
        var k = (int)kind;
        if (k <= 0 || k >= KindSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined identity kind.");
        }
        return _index[k];
    }

    internal static int Compare(Identity x, Identity y)
    {
        var k = x.Kind.CompareTo(y.Kind);
        return k != 0 ? k : string.CompareOrdinal(x.Value, y.Value);
    }

    private int FindIndex(int i)
    {
        var parent = _parent;
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private bool UnionIndex(int i, int j)
    {
        var ri = FindIndex(i);
        var rj = FindIndex(j);
        if (ri == rj)
        {
            return false;
        }
        if (_rank[ri] < _rank[rj])
        {
            (ri, rj) = (rj, ri);
        }
        _parent[rj] = ri;
        if (_rank[ri] == _rank[rj])
        {
            _rank[ri]++;
        }
        ComponentCount--;
        return true;
    }
}
