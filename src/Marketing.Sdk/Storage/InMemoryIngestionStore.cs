namespace Marketing.Sdk.Storage;

/// <summary>
/// The <see cref="IIngestionStore"/> over stores that live in this process (the in-memory stores by default):
/// its calls are serialised in the process, so a merge and an append never interleave and counters are never
/// lost. It gives no guarantee across processes; the SQLite and PostgreSQL providers replace it with one
/// transaction per call.
/// </summary>
/// <remarks>
/// Each step writes in an order that leaves no orphan if the stores were durable and the process stopped
/// between two of them: a claim creates the profile before it links identities to it, a merge moves
/// identities and events before it deletes the merged profile.
/// </remarks>
public sealed class InMemoryIngestionStore : IIngestionStore, IDisposable
{
    private readonly IProfileStore _profiles;
    private readonly IEventStore _events;
    private readonly IIdentityGraphStore _graph;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the store over the given stores.</summary>
    /// <param name="profiles">The profile store.</param>
    /// <param name="events">The event store.</param>
    /// <param name="graph">The identity graph.</param>
    public InMemoryIngestionStore(IProfileStore profiles, IEventStore events, IIdentityGraphStore graph)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(graph);
        _profiles = profiles;
        _events = events;
        _graph = graph;
    }

    /// <inheritdoc />
    public async ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            InMemoryChecks.Event(events[i], i);
        }
        if (events.Count == 0)
        {
            return new AppendResult(0, []);
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var mergedInto = await MergesOfAsync(events.Select(e => e.CustomerId!.Value).Distinct(), cancellationToken).ConfigureAwait(false);
            var (toStore, redirected) = IngestionCounting.Redirect(events, mergedInto);
            var result = await _events.AppendAsync(toStore, cancellationToken).ConfigureAwait(false);
            foreach (var (customer, added) in IngestionCounting.PerCustomer(IngestionCounting.Stored(toStore, result)))
            {
                await UpdateProfileAsync(customer, p => IngestionCounting.Count(p, customer, added), cancellationToken).ConfigureAwait(false);
            }
            return redirected.Count == 0 ? result : result with { Redirected = redirected };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identities);
        Profiles.CustomerIds.Ensure(candidate, "candidate");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ClaimCoreAsync(identities, candidate, seenAt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimManyAsync(IReadOnlyList<IdentityClaim> claims, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claims);
        foreach (var claim in claims)
        {
            Profiles.CustomerIds.Ensure(claim.Candidate, "candidate");
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = new Dictionary<Identity, CustomerId>();
            foreach (var group in claims.GroupBy(c => c.Candidate))
            {
                foreach (var (identity, owner) in await ClaimCoreAsync([.. group.Select(c => c.Identity)], group.Key, seenAt, cancellationToken).ConfigureAwait(false))
                {
                    result.TryAdd(identity, owner);
                }
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimCoreAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken)
    {
        var owners = await _graph.FindAsync(identities, cancellationToken).ConfigureAwait(false);
        if ((await MergesOfAsync([candidate], cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            // Merged away: link nothing, the caller resolves again.
            return owners;
        }
        var free = identities.Where(i => !owners.ContainsKey(i)).Distinct().ToList();
        if (free.Count == 0)
        {
            return owners;
        }
        // The profile first, then the links: no identity ever points to a customer without a profile.
        var profile = await _profiles.GetAsync(candidate, cancellationToken).ConfigureAwait(false);
        var created = profile is null;
        if (created)
        {
            await _profiles.SaveAsync(new CustomerProfile { Id = candidate, FirstSeen = seenAt, LastSeen = seenAt }, cancellationToken).ConfigureAwait(false);
        }
        var result = new Dictionary<Identity, CustomerId>(owners);
        var linked = new List<Identity>();
        foreach (var identity in free)
        {
            var owner = await _graph.ClaimAsync(identity, candidate, cancellationToken).ConfigureAwait(false);
            result[identity] = owner;
            if (owner == candidate)
            {
                linked.Add(identity);
            }
        }
        if (linked.Count == 0 && created)
        {
            await _profiles.DeleteAsync(candidate, cancellationToken).ConfigureAwait(false);
        }
        else if (linked.Count > 0)
        {
            await UpdateProfileAsync(candidate, p => p is null
                ? new CustomerProfile { Id = candidate, FirstSeen = seenAt, LastSeen = seenAt, Identities = linked }
                : p with { Identities = [.. p.Identities.Union(linked)] }, cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<bool> MergeAsync(MergeRecord merge, Func<CustomerProfile?, CustomerProfile, CustomerProfile> combine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(merge);
        ArgumentNullException.ThrowIfNull(combine);
        var (survivor, loser) = (Profiles.CustomerIds.Ensure(merge.Survivor, "survivor"), Profiles.CustomerIds.Ensure(merge.Merged, "merged"));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (survivor == loser || (await MergesOfAsync([survivor, loser], cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                return false;
            }
            var gone = await _profiles.GetAsync(loser, cancellationToken).ConfigureAwait(false)
                ?? await CountedAsync(loser, cancellationToken).ConfigureAwait(false);
            await _graph.ReassignAsync(loser, survivor, cancellationToken).ConfigureAwait(false);
            await _events.ReassignAsync(loser, survivor, cancellationToken).ConfigureAwait(false);
            await UpdateProfileAsync(survivor, kept => combine(kept, gone), cancellationToken).ConfigureAwait(false);
            await _profiles.DeleteAsync(loser, cancellationToken).ConfigureAwait(false);
            await _graph.RecordMergeAsync(merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>A profile holding just the counters of a customer's stored events (for a customer without a profile).</summary>
    private async ValueTask<CustomerProfile> CountedAsync(CustomerId customer, CancellationToken ct)
    {
        var profile = new CustomerProfile { Id = customer };
        await foreach (var e in _events.ReadAsync(new EventQuery { CustomerId = customer }, ct).ConfigureAwait(false))
        {
            profile = IngestionCounting.Count(profile, customer, new IngestionCounting.Counters(1, e.OccurredAt, e.OccurredAt));
        }
        return profile;
    }

    /// <summary>Reads, changes and saves a profile, again on a concurrency conflict with a writer outside this store.</summary>
    private async ValueTask UpdateProfileAsync(CustomerId id, Func<CustomerProfile?, CustomerProfile> change, CancellationToken ct)
    {
        while (true)
        {
            var current = await _profiles.GetAsync(id, ct).ConfigureAwait(false);
            var next = change(current) with { Id = id, Version = current?.Version ?? 0 };
            try
            {
                await _profiles.SaveAsync(next, ct).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException)
            {
                // Another writer (traits, tags) saved in between: count again on its version.
            }
        }
    }

    /// <summary>The merged → survivor links reachable from <paramref name="customers"/>.</summary>
    private async ValueTask<Dictionary<CustomerId, CustomerId>> MergesOfAsync(IEnumerable<CustomerId> customers, CancellationToken ct)
    {
        var result = new Dictionary<CustomerId, CustomerId>();
        if (_graph is InMemoryIdentityGraphStore indexed)
        {
            foreach (var c in customers)
            {
                var current = c;
                while (!result.ContainsKey(current) && indexed.TryGetMergedInto(current, out var next))
                {
                    result[current] = next;
                    current = next;
                }
            }
            return result;
        }
        var wanted = customers.ToHashSet();
        var all = new Dictionary<CustomerId, CustomerId>();
        await foreach (var m in _graph.ReadMergesAsync(ct).ConfigureAwait(false))
        {
            all[m.Merged] = m.Survivor;
        }
        foreach (var c in wanted)
        {
            var current = c;
            while (!result.ContainsKey(current) && all.TryGetValue(current, out var next))
            {
                result[current] = next;
                current = next;
            }
        }
        return result;
    }
}
