namespace Marketing.Sdk.Storage;

/// <summary>Base type of storage failures that callers may want to handle.</summary>
public class MarketingStoreException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The provider's exception, if any.</param>
    public MarketingStoreException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// Thrown when a write is based on a stale version of a record (optimistic concurrency): read the
/// record again, re-apply the change and retry.
/// </summary>
public sealed class ConcurrencyConflictException : MarketingStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="entity">The kind of record (e.g. "profile").</param>
    /// <param name="expectedVersion">The version the writer based its change on.</param>
    public ConcurrencyConflictException(string entity, long expectedVersion)
        : base($"The {entity} was changed by another writer (expected version {expectedVersion}).")
    {
        Entity = entity;
        ExpectedVersion = expectedVersion;
    }

    /// <summary>Creates the exception for one write of a batch (<see cref="IStateStore.SaveManyAsync"/>).</summary>
    /// <param name="entity">The kind of record (e.g. the state scope).</param>
    /// <param name="key">The key of the first write that conflicted.</param>
    /// <param name="index">The position of that write in the batch.</param>
    /// <param name="expectedVersion">The version that write was based on.</param>
    public ConcurrencyConflictException(string entity, string key, int index, long expectedVersion)
        : base($"The {entity} document of write {index} in the batch was changed by another writer (expected version {expectedVersion}).")
    {
        Entity = entity;
        Key = key;
        Index = index;
        ExpectedVersion = expectedVersion;
    }

    /// <summary>The kind of record.</summary>
    public string Entity { get; }

    /// <summary>The version the writer based its change on.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The key of the first conflicting write of a batch, when the conflict concerns a batch (kept out of <see cref="Exception.Message"/>).</summary>
    public string? Key { get; }

    /// <summary>The position of the first conflicting write in its batch, when the conflict concerns a batch.</summary>
    public int? Index { get; }
}

/// <summary>Stores unified customer profiles.</summary>
public interface IProfileStore
{
    /// <summary>Reads a profile, or <see langword="null"/> when none has that id.</summary>
    /// <param name="id">The profile id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads several profiles; the answer holds the profiles that exist, by id (ids without a profile are
    /// absent). The durable stores read them in one round trip per few hundred ids; the default calls
    /// <see cref="GetAsync"/> per id.
    /// </summary>
    /// <param name="ids">The profile ids (duplicates are read once).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyDictionary<CustomerId, CustomerProfile>> GetManyAsync(IReadOnlyCollection<CustomerId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<CustomerId, CustomerProfile>(ids.Count);
        foreach (var id in ids)
        {
            if (!found.ContainsKey(id) && await GetAsync(id, cancellationToken).ConfigureAwait(false) is { } profile)
            {
                found[id] = profile;
            }
        }
        return found;
    }

    /// <summary>
    /// Inserts or updates a profile with optimistic concurrency: <see cref="CustomerProfile.Version"/>
    /// must equal the stored version (0 for a new profile). Returns the stored profile with the
    /// incremented version.
    /// </summary>
    /// <param name="profile">The profile.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConcurrencyConflictException">The stored version differs.</exception>
    ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default);

    /// <summary>Deletes a profile; returns whether it existed.</summary>
    /// <param name="id">The profile id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default);

    /// <summary>Streams every profile in id order without loading them all into memory.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<CustomerProfile> StreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts profiles.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);
}

/// <summary>Selects events to read.</summary>
public sealed record EventQuery
{
    /// <summary>Every event.</summary>
    public static EventQuery All { get; } = new();

    /// <summary>Only events of this customer.</summary>
    [PseudonymousData]
    public CustomerId? CustomerId { get; init; }

    /// <summary>Only events of these types (any type when <see langword="null"/> or empty).</summary>
    public IReadOnlyCollection<EventType>? Types { get; init; }

    /// <summary>Only events that occurred at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events that occurred before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>At most this many events.</summary>
    public int? Limit { get; init; }
}

/// <summary>Checks shared by every <see cref="IEventStore.ReadManyAsync"/> implementation.</summary>
public static class EventQueries
{
    /// <summary>Throws unless <paramref name="customerIds"/> is given and <paramref name="query"/> names no customer and sets no limit.</summary>
    /// <param name="customerIds">The customers.</param>
    /// <param name="query">The types and time range.</param>
    /// <exception cref="ArgumentException"><paramref name="query"/> names a customer or sets a limit.</exception>
    public static void EnsureForMany(IReadOnlyCollection<CustomerId> customerIds, EventQuery query)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        ArgumentNullException.ThrowIfNull(query);
        if (query.CustomerId is not null || query.Limit is not null)
        {
            throw new ArgumentException("A query for several customers names no customer and sets no limit.", nameof(query));
        }
    }
}

/// <summary>The outcome of appending events.</summary>
/// <param name="Inserted">Number of events stored.</param>
/// <param name="DuplicateIds">Ids of events that were already stored (or repeated in the batch) and so were skipped.</param>
public sealed record AppendResult(int Inserted, IReadOnlyList<string> DuplicateIds)
{
    private static readonly IReadOnlyDictionary<CustomerId, CustomerId> NoRedirects = new Dictionary<CustomerId, CustomerId>();

    /// <summary>
    /// Customers of the appended events that had been merged away, each with the surviving customer their
    /// events were stored under (see <see cref="IIngestionStore.AppendAsync"/>); empty when none was redirected.
    /// </summary>
    [PseudonymousData]
    public IReadOnlyDictionary<CustomerId, CustomerId> Redirected { get; init; } = NoRedirects;
}

/// <summary>Stores behaviour events, de-duplicated by <see cref="MarketingEvent.Id"/>.</summary>
public interface IEventStore
{
    /// <summary>
    /// Appends events that carry a <see cref="MarketingEvent.CustomerId"/>. An event whose id is
    /// already stored is skipped and reported in <see cref="AppendResult.DuplicateIds"/>. The batch
    /// is atomic: either every new event is stored or none is.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Streams events matching <paramref name="query"/>, ordered by occurrence instant then id.</summary>
    /// <param name="query">The selection.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<MarketingEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the events of several customers that match <paramref name="query"/> (its types and time range;
    /// it must name no customer and set no limit), by customer: each customer's events in occurrence order
    /// then id, customers without events absent. The durable stores read them in one round trip per few
    /// hundred customers; the default calls <see cref="ReadAsync"/> per customer.
    /// </summary>
    /// <param name="customerIds">The customers (duplicates are read once).</param>
    /// <param name="query">The types and time range.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><paramref name="query"/> names a customer or sets a limit.</exception>
    async ValueTask<IReadOnlyDictionary<CustomerId, IReadOnlyList<MarketingEvent>>> ReadManyAsync(IReadOnlyCollection<CustomerId> customerIds, EventQuery query, CancellationToken cancellationToken = default)
    {
        EventQueries.EnsureForMany(customerIds, query);
        var found = new Dictionary<CustomerId, IReadOnlyList<MarketingEvent>>(customerIds.Count);
        foreach (var id in customerIds)
        {
            if (found.ContainsKey(id))
            {
                continue;
            }
            var list = new List<MarketingEvent>();
            await foreach (var e in ReadAsync(query with { CustomerId = id }, cancellationToken).ConfigureAwait(false))
            {
                list.Add(e);
            }
            if (list.Count > 0)
            {
                found[id] = list;
            }
        }
        return found;
    }

    /// <summary>Counts events matching <paramref name="query"/> (ignoring its limit).</summary>
    /// <param name="query">The selection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> CountAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>Moves every event of <paramref name="source"/> to <paramref name="target"/> (after a profile merge); returns how many moved.</summary>
    /// <param name="source">The merged-away profile.</param>
    /// <param name="target">The surviving profile.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default);

    /// <summary>Deletes every event of a customer; returns how many were deleted.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default);
}

/// <summary>A profile merge: <see cref="Merged"/> was folded into <see cref="Survivor"/>.</summary>
/// <param name="Survivor">The profile that remains.</param>
/// <param name="Merged">The profile that no longer exists on its own.</param>
/// <param name="MergedAt">When the merge happened.</param>
/// <param name="LinkKind">The kind of identity that linked the two profiles.</param>
/// <param name="EventId">The event that caused the merge, if any.</param>
public sealed record MergeRecord([property: PseudonymousData] CustomerId Survivor, [property: PseudonymousData] CustomerId Merged, DateTimeOffset MergedAt, IdentityKind LinkKind, string? EventId);

/// <summary>
/// Stores which identity belongs to which profile, the merge history and the co-observation counts
/// the shared-identity guard uses.
/// </summary>
public interface IIdentityGraphStore
{
    /// <summary>Finds the owners of the given identities; identities without an owner are absent from the result.</summary>
    /// <param name="identities">The identities.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyDictionary<Identity, CustomerId>> FindAsync(IReadOnlyCollection<Identity> identities, CancellationToken cancellationToken = default);

    /// <summary>
    /// Links <paramref name="identity"/> to <paramref name="candidate"/> unless it already has an
    /// owner, atomically; returns the owner after the call (the candidate or the existing owner).
    /// </summary>
    /// <param name="identity">The identity.</param>
    /// <param name="candidate">The profile to link it to if it is free.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerId> ClaimAsync(Identity identity, CustomerId candidate, CancellationToken cancellationToken = default);

    /// <summary>Lists the identities linked to a profile.</summary>
    /// <param name="customerId">The profile.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Identity>> GetIdentitiesAsync(CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>Moves every identity of <paramref name="source"/> to <paramref name="target"/>; returns how many moved.</summary>
    /// <param name="source">The merged-away profile.</param>
    /// <param name="target">The surviving profile.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default);

    /// <summary>Records a merge in the history.</summary>
    /// <param name="merge">The merge.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask RecordMergeAsync(MergeRecord merge, CancellationToken cancellationToken = default);

    /// <summary>Streams the merge history in the order merges happened.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<MergeRecord> ReadMergesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Notes that <paramref name="identity"/> was seen together with <paramref name="anchor"/> (a
    /// stable key of another person-level identity) and returns the number of distinct anchors seen
    /// with it so far. With a <see langword="null"/> anchor nothing is recorded and the current
    /// count is returned.
    /// </summary>
    /// <param name="identity">A possibly shared identity (device, cookie).</param>
    /// <param name="anchor">The <see cref="Identity.Fingerprint"/> of the person-level identity it was seen with, or <see langword="null"/> to only read the count. Erasing a customer deletes observations whose anchor is the fingerprint of one of its identities.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<int> ObserveAsync(Identity identity, string? anchor, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes several observations, as if <see cref="ObserveAsync"/> were called for each in order, and returns
    /// what each of those calls would have returned (the count after that observation). The relational
    /// providers answer with one read and write the new observations in one transaction, so the shared-identity
    /// guard of a whole batch of events costs two round trips; the default calls <see cref="ObserveAsync"/> per
    /// observation.
    /// </summary>
    /// <param name="observations">The observations, in the order they were made.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyList<int>> ObserveManyAsync(IReadOnlyList<IdentityObservation> observations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var counts = new int[observations.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = await ObserveAsync(observations[i].Identity, observations[i].Anchor, cancellationToken).ConfigureAwait(false);
        }
        return counts;
    }

    /// <summary>Deletes every identity, merge record and observation of a customer; returns how many rows were deleted.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default);
}

/// <summary>One co-observation for <see cref="IIdentityGraphStore.ObserveManyAsync"/>.</summary>
/// <param name="Identity">A possibly shared identity (device, cookie).</param>
/// <param name="Anchor">The <see cref="Identity.Fingerprint"/> of the person-level identity it was seen with, or <see langword="null"/> to only read the count.</param>
public readonly record struct IdentityObservation([property: PersonalData] Identity Identity, string? Anchor)
{
    /// <summary>Describes the observation without values.</summary>
    public override string ToString() => $"IdentityObservation {{ Identity = {Identity}, Anchored = {Anchor is not null} }}";
}
