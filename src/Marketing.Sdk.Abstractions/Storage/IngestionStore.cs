namespace Marketing.Sdk.Storage;

/// <summary>
/// The writes of ingestion that span the profile, event and identity stores, each one atomic, so that hosts
/// sharing one database never store an event under a customer another host has just merged away, never lose
/// a profile counter update, and never leave an identity linked to a customer without a profile, even when a
/// process is killed between two calls.
/// </summary>
/// <remarks>
/// Each call is one transaction on the relational providers. On PostgreSQL appends and claims take a shared
/// advisory lock per customer and merges an exclusive one on both customers, so a merge and an append of the
/// same customer happen one after the other; on SQLite the write transaction already excludes every other
/// writer. The default over stores that live in the host's memory serialises the calls in the process.
/// </remarks>
public interface IIngestionStore
{
    /// <summary>
    /// Appends events (as <see cref="IEventStore.AppendAsync"/>) and counts them in their customers' profiles,
    /// atomically. Inside the same operation, each event's <see cref="MarketingEvent.CustomerId"/> is first
    /// followed through the merge history (<see cref="IIdentityGraphStore.ReadMergesAsync"/>) to the customer
    /// that survives, and the event is stored under that customer. For every customer that received newly
    /// stored events, <see cref="CustomerProfile.EventCount"/> grows by their number and
    /// <see cref="CustomerProfile.FirstSeen"/>/<see cref="CustomerProfile.LastSeen"/> widen to their occurrence
    /// instants (a missing profile is created); events reported as duplicates change no counter.
    /// </summary>
    /// <param name="events">The events, each with a <see cref="MarketingEvent.CustomerId"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The append result; <see cref="AppendResult.Redirected"/> names the customers that had been merged away and the customer their events were stored under.</returns>
    ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Links each identity that has no owner yet to <paramref name="candidate"/> and, in the same operation,
    /// creates the candidate's profile when it has none and adds the linked identities to it, so no identity is
    /// ever linked to a customer without a profile. When the candidate has been merged away, nothing is linked:
    /// resolve again.
    /// </summary>
    /// <param name="identities">The identities (normalised).</param>
    /// <param name="candidate">The customer to link free identities to.</param>
    /// <param name="seenAt">First and last seen of a profile created by the call (it counts no events yet).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The owner of each identity after the call; identities without an owner are absent.</returns>
    ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims identities for several candidates in one operation, as if <see cref="ClaimAsync"/> were called
    /// once per candidate in the order each candidate first appears in <paramref name="claims"/>: each identity
    /// that has no owner yet is linked to its claim's candidate (the first claim of an identity wins), the
    /// candidate's profile is created when it has none and gets the linked identities, and a candidate that has
    /// been merged away gets nothing. The relational providers make the whole call one transaction, so a batch of
    /// events claims all its new customers at once; the default calls <see cref="ClaimAsync"/> per candidate.
    /// </summary>
    /// <param name="claims">The identities (normalised) and the customer each is to be linked to if it is free.</param>
    /// <param name="seenAt">First and last seen of the profiles created by the call (they count no events yet).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The owner of each claimed identity after the call; identities without an owner are absent.</returns>
    async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimManyAsync(IReadOnlyList<IdentityClaim> claims, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var result = new Dictionary<Identity, CustomerId>();
        foreach (var group in claims.GroupBy(c => c.Candidate))
        {
            var owners = await ClaimAsync([.. group.Select(c => c.Identity)], group.Key, seenAt, cancellationToken).ConfigureAwait(false);
            foreach (var (identity, owner) in owners)
            {
                result.TryAdd(identity, owner);
            }
        }
        return result;
    }

    /// <summary>
    /// Folds <see cref="MergeRecord.Merged"/> into <see cref="MergeRecord.Survivor"/> atomically: the merged
    /// customer's identities and events move to the survivor, the survivor's profile becomes
    /// <paramref name="combine"/>(its current profile, the merged profile) — both read inside the operation, so
    /// their counters include every event appended before — the merged profile is deleted and the merge is
    /// recorded. Nothing changes, and <see langword="false"/> is returned, when either customer has been merged
    /// away in the meantime or both are the same: resolve again.
    /// </summary>
    /// <param name="merge">The merge to make.</param>
    /// <param name="combine">Builds the survivor's profile from its current profile (<see langword="null"/> when it has none) and the merged profile (when the merged customer has no profile, one that holds just the counters of its events).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> MergeAsync(MergeRecord merge, Func<CustomerProfile?, CustomerProfile, CustomerProfile> combine, CancellationToken cancellationToken = default);
}

/// <summary>One identity to link to <paramref name="Candidate"/> if it has no owner yet (see <see cref="IIngestionStore.ClaimManyAsync"/>).</summary>
/// <param name="Identity">The identity (normalised).</param>
/// <param name="Candidate">The customer to link it to.</param>
public readonly record struct IdentityClaim([property: PersonalData] Identity Identity, [property: PseudonymousData] CustomerId Candidate)
{
    /// <summary>Describes the claim without the identity's value.</summary>
    public override string ToString() => $"IdentityClaim {{ Identity = {Identity}, Candidate = {Candidate} }}";
}
