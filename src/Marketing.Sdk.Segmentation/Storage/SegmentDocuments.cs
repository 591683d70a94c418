using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Segmentation;

/// <summary>A stored segment: its definition and the generation it was created in.</summary>
/// <param name="Definition">The definition.</param>
/// <param name="Generation">
/// The catalog version in which the segment was first defined. Replacing the definition keeps it (the
/// members carry over and the next evaluation publishes the difference); removing the segment and
/// defining it again gives a new one, so memberships recorded for the old segment no longer count.
/// </param>
internal sealed record StoredSegment(SegmentDefinition Definition, long Generation);

/// <summary>The one document that holds every segment definition (scope <c>segmentation.definitions</c>, key <c>catalog</c>).</summary>
/// <param name="Segments">The segments, ordered by id.</param>
internal sealed record SegmentCatalogDocument(IReadOnlyList<StoredSegment> Segments);

/// <summary>
/// A customer's recorded memberships (scope <c>segmentation.membership</c>, key <c>&lt;customerId&gt;|segments</c>,
/// so a store's erasure by customer-id prefix removes it). Every change is a compare-and-swap on its version.
/// </summary>
/// <param name="Catalog">The highest catalog version of the hosts that wrote it; a host whose catalog is older reloads before deciding.</param>
/// <param name="Segments">The segments the customer is a member of, each with the generation of the segment it was recorded for.</param>
internal sealed record MembershipDocument(long Catalog, Dictionary<string, long> Segments)
{
    public static MembershipDocument Empty { get; } = new(0, new Dictionary<string, long>(StringComparer.Ordinal));
}

/// <summary>
/// A recorded membership change not yet delivered to every listener (scope <c>segmentation.changes</c>, key
/// <c>&lt;customerId&gt;|&lt;changeId&gt;</c>): written in the same atomic batch as the membership document that
/// decided it, deleted once every listener had it, republished by the sweep when it stays longer.
/// </summary>
/// <param name="Id">The change id (<see cref="SegmentMembershipChange.ChangeId"/>).</param>
/// <param name="Segment">The segment.</param>
/// <param name="Customer">The customer id.</param>
/// <param name="Entered">Entered or left.</param>
/// <param name="At">When the change was detected.</param>
internal sealed record PendingChangeDocument(string Id, string Segment, string Customer, bool Entered, DateTimeOffset At);

/// <summary>Source-generated JSON metadata of the segmentation package's stored documents.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SegmentCatalogDocument))]
[JsonSerializable(typeof(MembershipDocument))]
[JsonSerializable(typeof(PendingChangeDocument))]
internal sealed partial class SegmentStateJsonContext : JsonSerializerContext;

/// <summary>Names and codecs of the segmentation state documents in <see cref="IStateStore"/>.</summary>
internal static class SegmentDocuments
{
    /// <summary>The scope of the definitions catalog.</summary>
    public const string DefinitionsScope = "segmentation.definitions";

    /// <summary>The key of the definitions catalog.</summary>
    public const string CatalogKey = "catalog";

    /// <summary>The scope of the per-customer membership documents.</summary>
    public const string MembershipScope = "segmentation.membership";

    /// <summary>The scope of the changes recorded but not yet delivered to every listener.</summary>
    public const string ChangesScope = "segmentation.changes";

    private const string MembershipSuffix = "|segments";

    /// <summary>The key of a pending change: the customer id first, so erasure by prefix removes it.</summary>
    public static string ChangeKey(SegmentMembershipChange change) => change.CustomerId.Value + "|" + change.ChangeId;

    /// <summary>A new change id: a version 7 GUID (time ordered), 32 hex digits.</summary>
    public static string NewChangeId() => Guid.CreateVersion7().ToString("N");

    public static string WritePending(SegmentMembershipChange change) =>
        JsonSerializer.Serialize(new PendingChangeDocument(change.ChangeId!, change.SegmentId, change.CustomerId.Value, change.Entered, change.At), SegmentStateJsonContext.Default.PendingChangeDocument);

    /// <summary>Reads a pending change, or <see langword="null"/> when the document is not one (it is then left alone).</summary>
    public static SegmentMembershipChange? ReadPending(StateEntry entry)
    {
        try
        {
            var doc = JsonSerializer.Deserialize(entry.Value, SegmentStateJsonContext.Default.PendingChangeDocument);
            if (doc?.Id is null || doc.Segment is null || doc.Customer is null || CustomerOf(doc.Customer + MembershipSuffix) is not { } customer
                || !string.Equals(entry.Key, doc.Customer + "|" + doc.Id, StringComparison.Ordinal))
            {
                return null;
            }
            return new SegmentMembershipChange(doc.Segment, customer, doc.Entered, doc.At) { ChangeId = doc.Id };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string MembershipKey(CustomerId customerId) => customerId.Value + MembershipSuffix;

    /// <summary>The customer a membership key belongs to, or <see langword="null"/> for a key of another shape.</summary>
    public static CustomerId? CustomerOf(string key)
    {
        if (!key.EndsWith(MembershipSuffix, StringComparison.Ordinal))
        {
            return null;
        }
        var value = key[..^MembershipSuffix.Length];
        if (value.Length is 0 or > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':'))
        {
            return null;
        }
        return new CustomerId(value);
    }

    public static IReadOnlyList<StoredSegment> ReadCatalog(StateEntry? entry)
    {
        if (entry is null)
        {
            return [];
        }
        try
        {
            var doc = JsonSerializer.Deserialize(entry.Value, SegmentStateJsonContext.Default.SegmentCatalogDocument);
            if (doc?.Segments is null || doc.Segments.Any(s => s?.Definition?.Id is null || s.Definition.Rule is null || s.Generation < 1))
            {
                throw new SegmentationException("The stored segment catalog is not valid: a segment, its definition, rule or generation is missing.");
            }
            return doc.Segments;
        }
        catch (JsonException e)
        {
            // The parse error describes the position and token kind, never a rule literal.
            throw new SegmentationException("The stored segment catalog is not valid JSON of the expected shape.", e);
        }
    }

    public static string WriteCatalog(IEnumerable<StoredSegment> segments) =>
        JsonSerializer.Serialize(new SegmentCatalogDocument([.. segments.OrderBy(s => s.Definition.Id, StringComparer.Ordinal)]), SegmentStateJsonContext.Default.SegmentCatalogDocument);

    public static MembershipDocument ReadMembership(StateEntry? entry)
    {
        if (entry is null)
        {
            return MembershipDocument.Empty;
        }
        try
        {
            var doc = JsonSerializer.Deserialize(entry.Value, SegmentStateJsonContext.Default.MembershipDocument);
            if (doc?.Segments is null || doc.Catalog < 0)
            {
                throw new SegmentationException("A stored segment membership document is not valid: its segments or catalog version are missing.");
            }
            return new MembershipDocument(doc.Catalog, new Dictionary<string, long>(doc.Segments, StringComparer.Ordinal));
        }
        catch (JsonException e)
        {
            throw new SegmentationException("A stored segment membership document is not valid JSON of the expected shape.", e);
        }
    }

    public static string WriteMembership(MembershipDocument doc) =>
        JsonSerializer.Serialize(doc, SegmentStateJsonContext.Default.MembershipDocument);
}
