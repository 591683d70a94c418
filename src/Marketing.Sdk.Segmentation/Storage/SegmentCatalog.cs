namespace Marketing.Sdk.Segmentation;

/// <summary>An immutable, compiled snapshot of the stored definitions at one catalog version.</summary>
internal sealed class SegmentCatalog
{
    private SegmentCatalog(long version, SortedDictionary<string, StoredSegment> segments, Dictionary<string, CompiledSegment> compiled)
    {
        Version = version;
        Segments = segments;
        Compiled = compiled;
        Ordered = [.. segments.Keys.Select(id => compiled[id])];
    }

    public static SegmentCatalog Empty { get; } = new(0, new SortedDictionary<string, StoredSegment>(StringComparer.Ordinal), new Dictionary<string, CompiledSegment>(StringComparer.Ordinal));

    /// <summary>The stored catalog document's version (0 when none was ever stored).</summary>
    public long Version { get; }

    /// <summary>The segments by id, ordered by id.</summary>
    public IReadOnlyDictionary<string, StoredSegment> Segments { get; }

    /// <summary>The compiled segments by id.</summary>
    public IReadOnlyDictionary<string, CompiledSegment> Compiled { get; }

    /// <summary>The compiled segments ordered by id.</summary>
    public CompiledSegment[] Ordered { get; }

    /// <summary>Compiles every segment (referenced segments must be present; cycles are rejected).</summary>
    /// <exception cref="SegmentReferenceException">A reference is unknown or forms a cycle.</exception>
    public static SegmentCatalog Create(long version, IEnumerable<StoredSegment> segments)
    {
        var map = new SortedDictionary<string, StoredSegment>(StringComparer.Ordinal);
        foreach (var s in segments)
        {
            map[s.Definition.Id] = s;
        }
        var compiled = new Dictionary<string, CompiledSegment>(StringComparer.Ordinal);
        foreach (var (id, s) in map)
        {
            compiled[id] = SegmentCompiler.Compile(s.Definition, r => map.GetValueOrDefault(r)?.Definition);
        }
        return new SegmentCatalog(version, map, compiled);
    }

    /// <summary>
    /// The recorded memberships of a document that count under this catalog: a segment that was removed
    /// (or removed and defined again, so its generation differs) is dropped. When the document was written
    /// with a newer catalog than this one, entries of segments unknown here are kept untouched.
    /// </summary>
    public Dictionary<string, long> Clean(MembershipDocument document)
    {
        var newer = document.Catalog > Version;
        var next = new Dictionary<string, long>(document.Segments.Count, StringComparer.Ordinal);
        foreach (var (id, generation) in document.Segments)
        {
            if (Segments.TryGetValue(id, out var s) ? s.Generation == generation : newer)
            {
                next[id] = generation;
            }
        }
        return next;
    }

    /// <summary>Whether the segment (or a segment it references) aggregates over a rolling window, so its membership changes as time passes.</summary>
    public static bool HasRollingWindow(CompiledSegment segment) => segment.Slots.Any(s => s.Window?.Last is not null);
}
