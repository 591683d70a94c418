using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Profiles;

/// <summary>The outcome of resolving the identities of one event.</summary>
/// <param name="CustomerId">The unified profile the identities belong to.</param>
/// <param name="IsNewProfile">Whether the profile was created by this resolution.</param>
/// <param name="Merges">Profiles merged by this resolution.</param>
/// <param name="GuardedIdentities">Identities set aside by the shared-identity guard (not used to link).</param>
/// <param name="RefusedOwners">Profiles the identities pointed to that were not merged because of a never-merge rule.</param>
public sealed record IdentityResolution(
    CustomerId CustomerId,
    bool IsNewProfile,
    IReadOnlyList<MergeRecord> Merges,
    IReadOnlyList<Identity> GuardedIdentities,
    IReadOnlyList<CustomerId> RefusedOwners)
{
    /// <summary>Describes the resolution without identity values.</summary>
    public override string ToString() =>
        $"IdentityResolution {{ CustomerId = {CustomerId}, IsNewProfile = {IsNewProfile}, Merges = {Merges.Count}, Guarded = {GuardedIdentities.Count}, Refused = {RefusedOwners.Count} }}";
}

/// <summary>The outcome for one event of a batch resolution: its resolution, or the failure of that event alone.</summary>
/// <param name="Resolution">The resolution, when it succeeded.</param>
/// <param name="Error">The event's own failure, otherwise.</param>
internal readonly record struct BatchResolution(IdentityResolution? Resolution, Exception? Error);

/// <summary>Resolves identities to unified profiles, merging profiles that events link.</summary>
public interface IIdentityResolver
{
    /// <summary>
    /// Resolves normalised identities seen together to one profile: links unknown identities to it,
    /// and merges the profiles of known ones unless a never-merge rule forbids it.
    /// </summary>
    /// <param name="identities">Normalised identities (see <see cref="Ingestion.IdentityNormalizer"/>).</param>
    /// <param name="eventId">The event that carried them, recorded in the merge history.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IdentityResolution> ResolveAsync(IReadOnlyList<Identity> identities, string? eventId = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// The store-backed identity resolver. Survivor choice is deterministic (the smallest, i.e. oldest,
/// customer id of the linked group); a merge moves identities and events to the survivor, combines the
/// profiles and records the merge in one atomic <see cref="IIngestionStore.MergeAsync"/>, then every
/// <see cref="IProfileMergeListener"/> is told (a failing listener is logged and does not undo the merge).
/// Identities are linked, and a new profile created with them, by one atomic <see cref="IIngestionStore.ClaimAsync"/>.
/// Safe for concurrent callers and for several processes on one database: a step that finds the facts
/// changed by another writer makes the resolution start again.
/// </summary>
internal sealed class IdentityResolver : IIdentityResolver
{
    private readonly IIdentityGraphStore _graph;
    private readonly IdentityResolutionOptions _options;
    private readonly TimeProvider _time;
    private readonly IngestionMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly IIngestionStore _ingestion;

    public IdentityResolver(
        IIdentityGraphStore graph,
        IIngestionStore ingestion,
        IOptions<IdentityResolutionOptions> options,
        TimeProvider timeProvider,
        IngestionMetrics metrics,
        ILogger<IdentityResolver>? logger = null,
        IServiceProvider? services = null)
    {
        // Merge listeners are resolved when a merge happens (not injected), so a listener may itself depend on the resolver.
        _services = services;
        _graph = graph;
        _ingestion = ingestion;
        _options = options.Value;
        _time = timeProvider;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public async ValueTask<IdentityResolution> ResolveAsync(IReadOnlyList<Identity> identities, string? eventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identities);
        CheckIdentities(identities);
        var (usable, guarded) = await ApplySharedGuardAsync(identities, cancellationToken).ConfigureAwait(false);
        return await ResolveGuardedAsync(usable, guarded, eventId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves identities the shared-identity guard has sorted, starting again while concurrent writers change the facts.</summary>
    private async ValueTask<IdentityResolution> ResolveGuardedAsync(List<Identity> usable, List<Identity> guarded, string? eventId, CancellationToken cancellationToken)
    {
        // Merges committed by an attempt that then raced and retried are committed all the same: collect them all.
        var committed = new List<MergeRecord>();
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var result = await TryResolveAsync(usable, guarded, eventId, committed, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }
                if (attempt >= _options.MaxWriteRetries)
                {
                    throw new MarketingStoreException("Identity resolution kept racing with concurrent writers; giving up.");
                }
            }
        }
        finally
        {
            if (committed.Count > 0)
            {
                // The merges are done whatever happens to this call: listeners must hear of them.
                await NotifyMergedAsync(committed).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Resolves the identities of a batch of events, in order, with the result of resolving them one by one
    /// (a later event sees the links and merges an earlier one made): one shared-identity guard call
    /// (<see cref="IIdentityGraphStore.ObserveManyAsync"/>), one lookup of every identity of the batch, and the
    /// new links of each run of events that needs no merge in one <see cref="IIngestionStore.ClaimManyAsync"/>.
    /// An event that links two customers (a merge), or that gives an existing customer a unique-kind identity,
    /// is resolved on its own after the links before it were claimed; when a claim finds that another writer
    /// got there first, the events of that run are resolved again one by one.
    /// </summary>
    /// <returns>Per event its resolution, or the failure of that event alone (a validation error, a failing merge listener's host code…); store failures and cancellation propagate.</returns>
    internal async ValueTask<BatchResolution[]> ResolveBatchAsync(IReadOnlyList<(IReadOnlyList<Identity> Identities, string? EventId)> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var results = new BatchResolution[events.Count];
        var valid = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            try
            {
                CheckIdentities(events[i].Identities);
                valid.Add(i);
            }
            catch (MarketingValidationException ex)
            {
                results[i] = new(null, ex);
            }
        }
        if (valid.Count == 0)
        {
            return results;
        }
        var split = await ApplySharedGuardAsync(events, valid, cancellationToken).ConfigureAwait(false);
        var all = new HashSet<Identity>();
        foreach (var i in valid)
        {
            all.UnionWith(events[i].Identities);
        }
        // What this batch knows of the graph: the stored owners, then every link and merge it makes.
        var owners = new Dictionary<Identity, CustomerId>(await _graph.FindAsync(all, cancellationToken).ConfigureAwait(false));
        var run = new List<(int Event, IdentityResolution Resolution)>();
        var claims = new List<IdentityClaim>();
        var created = new Dictionary<CustomerId, List<Identity>>();
        for (var k = 0; k < valid.Count; k++)
        {
            var i = valid[k];
            var (usable, guarded) = split[k];
            if (ResolveLocally(usable, guarded, owners, claims, created) is { } local)
            {
                run.Add((i, local));
                continue;
            }
            await FlushAsync().ConfigureAwait(false);
            await ResolveAloneAsync(i, usable, guarded).ConfigureAwait(false);
        }
        await FlushAsync().ConfigureAwait(false);
        return results;

        async ValueTask FlushAsync()
        {
            if (run.Count == 0)
            {
                return;
            }
            var claimed = claims.Count == 0;
            if (!claimed)
            {
                try
                {
                    var after = await _ingestion.ClaimManyAsync(claims, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    claimed = claims.TrueForAll(c => after.TryGetValue(c.Identity, out var owner) && owner == c.Candidate);
                }
                catch (ConcurrencyConflictException)
                {
                }
            }
            var pending = run.ToArray();
            run.Clear();
            claims.Clear();
            created.Clear();
            foreach (var (i, resolution) in pending)
            {
                if (claimed)
                {
                    results[i] = new(resolution, null);
                }
                else
                {
                    // Another writer linked one of these identities or merged a candidate away meanwhile: resolve the run's events one by one.
                    var (usable, guarded) = split[valid.IndexOf(i)];
                    await ResolveAloneAsync(i, usable, guarded).ConfigureAwait(false);
                }
            }
        }

        async ValueTask ResolveAloneAsync(int i, List<Identity> usable, List<Identity> guarded)
        {
            try
            {
                var resolution = await ResolveGuardedAsync(usable, guarded, events[i].EventId, cancellationToken).ConfigureAwait(false);
                results[i] = new(resolution, null);
                foreach (var merge in resolution.Merges)
                {
                    foreach (var (identity, owner) in owners.Where(kv => kv.Value == merge.Merged).ToList())
                    {
                        owners[identity] = merge.Survivor;
                    }
                }
            }
            catch (Exception ex) when (ex is not MarketingStoreException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && ex is not OutOfMemoryException)
            {
                results[i] = new(null, ex);
            }
            // The owners as the store now has them, for the events after this one.
            foreach (var (identity, owner) in await _graph.FindAsync(events[i].Identities, cancellationToken).ConfigureAwait(false))
            {
                owners[identity] = owner;
            }
        }
    }

    /// <summary>
    /// Resolves one event of a batch from what the batch knows of the graph, when that needs no store read and no
    /// merge: the identities point to no customer (a new one claims them) or to one customer (who claims the free
    /// ones), unless a free unique-kind identity would join a customer whose stored identities are not known here.
    /// The claims are queued in <paramref name="claims"/>. Returns <see langword="null"/> when the event must be resolved on its own.
    /// </summary>
    private IdentityResolution? ResolveLocally(List<Identity> usable, List<Identity> guarded, Dictionary<Identity, CustomerId> owners, List<IdentityClaim> claims, Dictionary<CustomerId, List<Identity>> created)
    {
        if (usable.Count == 0)
        {
            // Only shared identities: the event belongs to their first owner, if any; nothing is linked.
            CustomerId? first = null;
            foreach (var g in guarded)
            {
                if (owners.TryGetValue(g, out var o) && (first is null || o.CompareTo(first.Value) < 0))
                {
                    first = o;
                }
            }
            if (first is { } known)
            {
                return new(known, false, [], guarded, []);
            }
            var lone = CustomerId.New(_time);
            claims.Add(new(guarded[0], lone));
            owners[guarded[0]] = lone;
            return new(lone, true, [], guarded, []);
        }
        CustomerId? single = null;
        foreach (var u in usable)
        {
            if (owners.TryGetValue(u, out var o))
            {
                if (single is null)
                {
                    single = o;
                }
                else if (single.Value != o)
                {
                    return null; // a merge (or a never-merge rule) decides
                }
            }
        }
        var isNew = single is null;
        var survivor = single ?? CustomerId.New(_time);
        List<Identity>? held = null;
        if (isNew)
        {
            created[survivor] = held = [];
        }
        else if (usable.Exists(u => !owners.ContainsKey(u) && _options.UniqueKinds.Contains(u.Kind)))
        {
            // A free unique-kind identity joins the customer only without a conflicting one of the same kind.
            if (!created.TryGetValue(survivor, out held))
            {
                return null; // its stored identities decide
            }
            foreach (var h in held)
            {
                if (_options.UniqueKinds.Contains(h.Kind) && usable.Exists(u => u.Kind == h.Kind && !string.Equals(u.Value, h.Value, StringComparison.Ordinal)))
                {
                    return null;
                }
            }
        }
        else
        {
            created.TryGetValue(survivor, out held);
        }
        foreach (var u in usable)
        {
            if (owners.TryAdd(u, survivor))
            {
                claims.Add(new(u, survivor));
                held?.Add(u);
            }
        }
        return new(survivor, isNew, [], guarded, []);
    }

    /// <summary>Tells every merge listener, per survivor in merge order; a failing listener is logged and skipped.</summary>
    private async ValueTask NotifyMergedAsync(List<MergeRecord> merges)
    {
        if (_services?.GetService(typeof(IEnumerable<IProfileMergeListener>)) is not IEnumerable<IProfileMergeListener> listeners)
        {
            return;
        }
        var all = listeners.ToList();
        if (all.Count == 0)
        {
            return;
        }
        for (var i = 0; i < merges.Count;)
        {
            var survivor = merges[i].Survivor;
            var run = new List<CustomerId>();
            for (; i < merges.Count && merges[i].Survivor == survivor; i++)
            {
                run.Add(merges[i].Merged);
            }
            foreach (var listener in all)
            {
                try
                {
                    await listener.OnMergedAsync(survivor, run, CancellationToken.None).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A listener's failure must not undo or hide a committed merge.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _metrics.ListenerFailures.Add(1, new KeyValuePair<string, object?>("listener", "profile_merge"));
                    var name = listener.GetType().Name;
                    Log.HostFailure(_logger, "profile merge listener", ex, (l, code) => Log.MergeListenerFailed(l, name, code));
                }
            }
        }
    }

    /// <returns>The resolution, or <see langword="null"/> when a concurrent writer claimed an identity first (retry).</returns>
    private async ValueTask<IdentityResolution?> TryResolveAsync(List<Identity> usable, List<Identity> guarded, string? eventId, List<MergeRecord> committed, CancellationToken ct)
    {
        var lookup = usable.Count > 0 ? usable : guarded;
        var owners = await _graph.FindAsync(lookup, ct).ConfigureAwait(false);

        if (usable.Count == 0)
        {
            // Only shared identities: the event belongs to their first owner, if any; nothing is linked.
            if (owners.Count > 0)
            {
                return new(owners.Values.Min(), false, [], guarded, []);
            }
            var fresh = CustomerId.New(_time);
            var claimed = await ClaimAsync([guarded[0]], fresh, ct).ConfigureAwait(false);
            return claimed is not null && claimed.TryGetValue(guarded[0], out var owner) ? new(owner, owner == fresh, [], guarded, []) : null;
        }

        // Order owners by the strongest identity that points to them, then by id.
        var ranked = owners
            .GroupBy(kv => kv.Value)
            .Select(g => (Owner: g.Key, Rank: g.Min(kv => Rank(kv.Key.Kind)), Link: g.OrderBy(kv => Rank(kv.Key.Kind)).First().Key.Kind))
            .OrderBy(x => x.Rank).ThenBy(x => x.Owner)
            .ToList();

        var groupUnique = usable.Where(i => _options.UniqueKinds.Contains(i.Kind)).ToDictionary(i => i.Kind, i => i.Value);
        var group = new List<(CustomerId Owner, IdentityKind Link)>();
        var refused = new List<CustomerId>();
        foreach (var (owner, _, link) in ranked)
        {
            var held = ranked.Count == 1 && groupUnique.Count == 0 ? [] : await _graph.GetIdentitiesAsync(owner, ct).ConfigureAwait(false);
            var conflict = held.FirstOrDefault(i => _options.UniqueKinds.Contains(i.Kind)
                && groupUnique.TryGetValue(i.Kind, out var v) && !string.Equals(v, i.Value, StringComparison.Ordinal));
            if (conflict.Value is not null)
            {
                refused.Add(owner);
                _metrics.MergesRefused.Add(1, new KeyValuePair<string, object?>("rule", "unique_kind"));
                Log.MergeRefused(_logger, "unique_kind", conflict.Kind);
                continue;
            }
            foreach (var i in held.Where(i => _options.UniqueKinds.Contains(i.Kind)))
            {
                groupUnique[i.Kind] = i.Value;
            }
            group.Add((owner, link));
        }

        var isNew = group.Count == 0;
        var survivor = isNew ? CustomerId.New(_time) : group.Min(g => g.Owner);
        var merges = new List<MergeRecord>();
        foreach (var (loser, link) in group.Where(g => g.Owner != survivor).OrderBy(g => g.Owner))
        {
            // One atomic step in the store: identities, events, profiles (with their counters) and the record.
            var merge = new MergeRecord(survivor, loser, _time.GetUtcNow(), link, eventId);
            if (!await _ingestion.MergeAsync(merge, (kept, gone) => ProfileMerger.Merge(kept, gone, survivor), ct).ConfigureAwait(false))
            {
                // Another writer merged one of the two meanwhile: resolve again with the new facts.
                return null;
            }
            _metrics.Merges.Add(1);
            Log.ProfilesMerged(_logger, loser, survivor, link);
            merges.Add(merge);
            committed.Add(merge);
        }

        // Link the identities nobody owns yet (the profile is created with them); an identity whose owner was refused stays where it is.
        var free = usable.Where(i => !owners.ContainsKey(i)).ToList();
        if (free.Count > 0)
        {
            var claimed = await ClaimAsync(free, survivor, ct).ConfigureAwait(false);
            if (claimed is null || free.Any(i => !claimed.TryGetValue(i, out var owner) || owner != survivor))
            {
                // Another writer linked one meanwhile, or merged the survivor away: resolve again with the new facts.
                return null;
            }
        }
        return new(survivor, isNew, merges, guarded, refused);
    }

    /// <returns>The owners after the claim, or <see langword="null"/> when a concurrent writer changed the candidate's profile first (retry).</returns>
    private async ValueTask<IReadOnlyDictionary<Identity, CustomerId>?> ClaimAsync(IReadOnlyList<Identity> identities, CustomerId candidate, CancellationToken ct)
    {
        try
        {
            return await _ingestion.ClaimAsync(identities, candidate, _time.GetUtcNow(), ct).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return null;
        }
    }

    private async ValueTask<(List<Identity> Usable, List<Identity> Guarded)> ApplySharedGuardAsync(IReadOnlyList<Identity> identities, CancellationToken ct) =>
        (await ApplySharedGuardAsync([(identities, null)], [0], ct).ConfigureAwait(false))[0];

    /// <summary>
    /// Sorts each event's identities into usable and guarded ones: a shared-kind identity (device, cookie) is
    /// observed with each person-level identity of its event, and set aside when it has been seen with more
    /// people than allowed. One <see cref="IIdentityGraphStore.ObserveManyAsync"/> for all the events, in order.
    /// </summary>
    private async ValueTask<List<(List<Identity> Usable, List<Identity> Guarded)>> ApplySharedGuardAsync(IReadOnlyList<(IReadOnlyList<Identity> Identities, string? EventId)> events, List<int> which, CancellationToken ct)
    {
        var observations = new List<IdentityObservation>();
        var decisive = new List<int>(); // per shared identity, in order: the observation whose count decides
        foreach (var i in which)
        {
            var identities = events[i].Identities;
            string[]? anchors = null;
            foreach (var identity in identities)
            {
                if (!_options.SharedKinds.Contains(identity.Kind))
                {
                    continue;
                }
                anchors ??= identities.Where(x => !_options.SharedKinds.Contains(x.Kind)).Select(AnchorKey).ToArray();
                if (anchors.Length == 0)
                {
                    observations.Add(new(identity, null));
                }
                foreach (var anchor in anchors)
                {
                    observations.Add(new(identity, anchor));
                }
                decisive.Add(observations.Count - 1);
            }
        }
        var counts = observations.Count == 0 ? [] : await _graph.ObserveManyAsync(observations, ct).ConfigureAwait(false);
        var result = new List<(List<Identity>, List<Identity>)>(which.Count);
        var next = 0;
        foreach (var i in which)
        {
            var identities = events[i].Identities;
            var usable = new List<Identity>(identities.Count);
            var guarded = new List<Identity>();
            foreach (var identity in identities)
            {
                if (!_options.SharedKinds.Contains(identity.Kind))
                {
                    usable.Add(identity);
                    continue;
                }
                var seen = counts[decisive[next++]];
                if (seen > _options.MaxPeoplePerSharedIdentity)
                {
                    guarded.Add(identity);
                    Log.SharedIdentity(_logger, identity.Kind, seen);
                }
                else
                {
                    usable.Add(identity);
                }
            }
            result.Add((usable, guarded));
        }
        return result;
    }

    private void CheckIdentities(IReadOnlyList<Identity> identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        if (identities.Count == 0)
        {
            throw new MarketingValidationException("identities", ValidationReason.Missing, "At least one identity is needed to resolve a profile.");
        }
        CheckUniqueKinds(identities);
    }

    private void CheckUniqueKinds(IReadOnlyList<Identity> identities)
    {
        foreach (var group in identities.Where(i => _options.UniqueKinds.Contains(i.Kind)).GroupBy(i => i.Kind))
        {
            if (group.Select(i => i.Value).Distinct(StringComparer.Ordinal).Skip(1).Any())
            {
                throw new MarketingValidationException("identities", ValidationReason.Inconsistent,
                    $"An event carries two different {group.Key} identities; a person has only one.");
            }
        }
    }

    private int Rank(IdentityKind kind) =>
        _options.UniqueKinds.Contains(kind) ? 0 : _options.SharedKinds.Contains(kind) ? 2 : 1;

    /// <summary>The key of a person-level identity in co-observation rows (no raw values).</summary>
    private static string AnchorKey(Identity identity) => identity.Fingerprint;
}

/// <summary>Combines two profiles of one person.</summary>
internal static class ProfileMerger
{
    /// <summary>
    /// Merges <paramref name="gone"/> into <paramref name="kept"/> (which may not exist yet): identities
    /// and tags are united, the survivor's traits win and the other's fill gaps, the latest consent
    /// change per purpose wins, first/last seen widen and event counts add up.
    /// </summary>
    public static CustomerProfile Merge(CustomerProfile? kept, CustomerProfile gone, CustomerId survivor)
    {
        if (kept is null)
        {
            return gone with { Id = survivor, Version = 0, MergedFrom = [.. gone.MergedFrom, gone.Id] };
        }
        var traits = new Dictionary<string, PropertyValue>(gone.Traits, StringComparer.Ordinal);
        foreach (var (k, v) in kept.Traits)
        {
            traits[k] = v;
        }
        var consents = new Dictionary<ConsentPurpose, ConsentState>(kept.Consents);
        foreach (var (purpose, state) in gone.Consents)
        {
            if (!consents.TryGetValue(purpose, out var existing) || state.ChangedAt > existing.ChangedAt)
            {
                consents[purpose] = state;
            }
        }
        return kept with
        {
            Identities = kept.Identities.Union(gone.Identities).ToList(),
            Traits = traits,
            StaticTags = kept.StaticTags.Union(gone.StaticTags, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal),
            DynamicTags = kept.DynamicTags.Union(gone.DynamicTags, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal),
            Consents = consents,
            // A profile that counts no events yet (created by a claim) has seen-times that no event backs.
            FirstSeen = gone.EventCount == 0 ? kept.FirstSeen : kept.EventCount == 0 ? gone.FirstSeen : Min(kept.FirstSeen, gone.FirstSeen),
            LastSeen = gone.EventCount == 0 ? kept.LastSeen : kept.EventCount == 0 || gone.LastSeen > kept.LastSeen ? gone.LastSeen : kept.LastSeen,
            EventCount = kept.EventCount + gone.EventCount,
            MergedFrom = [.. kept.MergedFrom, .. gone.MergedFrom, gone.Id],
        };
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) =>
        a == default ? b : b == default ? a : a < b ? a : b;
}
