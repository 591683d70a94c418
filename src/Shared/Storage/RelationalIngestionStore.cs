using System.Globalization;
using System.Text;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// <see cref="IIngestionStore"/> over one database: every call is one write transaction. On PostgreSQL an
/// append or claim holds a shared advisory lock on each customer it writes to (and each customer it follows a
/// merge from), a merge an exclusive one on both customers, so a merge waits for appends in flight and later
/// appends see its merge record; profile rows are read <c>FOR UPDATE</c>, so concurrent counter updates queue
/// instead of overwriting each other. On SQLite the write transaction excludes every other writer.
/// </summary>
internal sealed class RelationalIngestionStore(RelationalDatabase db, RelationalProfileStore profiles, RelationalEventStore events) : IIngestionStore
{
    private const string Store = "ingestion";
    private const int Chunk = 200;
    private readonly string _profiles = db.Table("profiles");
    private readonly string _events = db.Table("events");
    private readonly string _ids = db.Table("identities");
    private readonly string _merges = db.Table("identity_merges");

    /// <summary>Attempts per call when the database ends a transaction to break a lock cycle (deadlock) or a serialisation failure.</summary>
    internal const int Attempts = 5;

    public ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default) =>
        RetryAsync(() => AppendOnceAsync(events, cancellationToken));

    public ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
        RetryAsync(() => ClaimOnceAsync(identities, candidate, seenAt, cancellationToken));

    public ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimManyAsync(IReadOnlyList<IdentityClaim> claims, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
        RetryAsync(() => ClaimManyOnceAsync(claims, seenAt, cancellationToken));

    public ValueTask<bool> MergeAsync(MergeRecord merge, Func<CustomerProfile?, CustomerProfile, CustomerProfile> combine, CancellationToken cancellationToken = default) =>
        RetryAsync(() => MergeOnceAsync(merge, combine, cancellationToken));

    /// <summary>Runs a transaction again when the database aborted it as a deadlock victim or a serialisation failure (nothing of it was kept).</summary>
    private static async ValueTask<T> RetryAsync<T>(Func<ValueTask<T>> once)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await once().ConfigureAwait(false);
            }
            catch (StoreProviderException ex) when (attempt < Attempts && ex.ErrorCode is "40P01" or "40001")
            {
            }
        }
    }

    private async ValueTask<AppendResult> AppendOnceAsync(IReadOnlyList<MarketingEvent> events1, CancellationToken cancellationToken)
    {
        using var call = db.Call(Store, "append");
        try
        {
            ArgumentNullException.ThrowIfNull(events1);
            RelationalEventStore.Validate(events1);
            if (events1.Count == 0)
            {
                return new AppendResult(0, []);
            }
            var customers = events1.Select(e => e.CustomerId!.Value).Distinct().ToList();
            HashSet<CustomerId>? toLock = null;
            while (true)
            {
                await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
                if (db.LocksCustomers)
                {
                    if (toLock is null)
                    {
                        // Where the events will go, as far as is known before locking: lock those customers too.
                        var known = await MergesOfAsync(scope, customers, cancellationToken).ConfigureAwait(false);
                        toLock = [.. customers, .. customers.Select(c => IngestionCounting.Follow(known, c))];
                    }
                    await db.LockCustomersAsync(scope, toLock, exclusive: false, cancellationToken).ConfigureAwait(false);
                }
                // Under the locks no merge of a locked customer can commit, so these links are final for this
                // transaction, unless they lead to a customer that is not locked (a merge committed since the
                // first look): then start again with that customer locked as well.
                var mergedInto = await MergesOfAsync(scope, customers, cancellationToken).ConfigureAwait(false);
                if (toLock is not null)
                {
                    var targets = customers.Select(c => IngestionCounting.Follow(mergedInto, c)).Where(t => !toLock.Contains(t)).ToList();
                    if (targets.Count > 0)
                    {
                        toLock.UnionWith(targets);
                        continue;
                    }
                }
                var (toStore, redirected) = IngestionCounting.Redirect(events1, mergedInto);
                var result = await events.AppendCoreAsync(scope, toStore, cancellationToken).ConfigureAwait(false);
                var counted = IngestionCounting.PerCustomer(IngestionCounting.Stored(toStore, result));
                await CountAsync(scope, counted, cancellationToken).ConfigureAwait(false);
                await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
                return redirected.Count == 0 ? result : result with { Redirected = redirected };
            }
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    private ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimOnceAsync(IReadOnlyList<Identity> identities, CustomerId candidate, DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        db.WriteAsync<IReadOnlyDictionary<Identity, CustomerId>>(Store, "claim", async scope =>
        {
            ArgumentNullException.ThrowIfNull(identities);
            if (candidate.Value is null)
            {
                throw new MarketingValidationException("candidate", ValidationReason.Missing, "A customer id must not be empty (default).");
            }
            var distinct = identities.Distinct().ToList();
            foreach (var i in distinct)
            {
                StoreChecks.Identity(i);
            }
            await db.LockCustomersAsync(scope, [candidate], exclusive: false, cancellationToken).ConfigureAwait(false);
            if ((await MergesOfAsync(scope, [candidate], cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                // Merged away: link nothing, the caller resolves again.
                return await OwnersAsync(scope, distinct, cancellationToken).ConfigureAwait(false);
            }
            // In one fixed order, so two claims of overlapping identities never wait on each other in a cycle.
            distinct.Sort((a, b) => a.Kind != b.Kind ? a.Kind.CompareTo(b.Kind) : string.CompareOrdinal(a.Value, b.Value));
            foreach (var chunk in distinct.Chunk(Chunk))
            {
                await using var insert = scope.Command(string.Empty);
                var rows = new StringBuilder();
                for (var i = 0; i < chunk.Length; i++)
                {
                    rows.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@k{i}, @v{i}, @c)");
                    insert.P($"@k{i}", (int)chunk[i].Kind).P($"@v{i}", chunk[i].Value);
                }
                insert.P("@c", candidate.Value);
                insert.CommandText = $"INSERT INTO {_ids} (kind, value, customer_id) VALUES {rows} ON CONFLICT (kind, value) DO NOTHING";
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var owners = await OwnersAsync(scope, distinct, cancellationToken).ConfigureAwait(false);
            var linked = distinct.Where(i => owners.TryGetValue(i, out var o) && o == candidate).ToList();
            if (linked.Count > 0)
            {
                // The profile in the same transaction as its identities: created when missing, never left behind.
                var current = (await ReadProfilesAsync(scope, [candidate], cancellationToken).ConfigureAwait(false)).GetValueOrDefault(candidate);
                if (current is null)
                {
                    await profiles.SaveCoreAsync(scope, new CustomerProfile { Id = candidate, FirstSeen = seenAt, LastSeen = seenAt, Identities = linked }, cancellationToken).ConfigureAwait(false);
                }
                else if (linked.Any(i => !current.Identities.Contains(i)))
                {
                    await profiles.SaveCoreAsync(scope, current with { Identities = [.. current.Identities.Union(linked)] }, cancellationToken).ConfigureAwait(false);
                }
            }
            return owners;
        }, cancellationToken);

    private ValueTask<IReadOnlyDictionary<Identity, CustomerId>> ClaimManyOnceAsync(IReadOnlyList<IdentityClaim> claims, DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        db.WriteAsync<IReadOnlyDictionary<Identity, CustomerId>>(Store, "claim_many", async scope =>
        {
            ArgumentNullException.ThrowIfNull(claims);
            // The first claim of an identity wins, as with one claim per candidate in order.
            var wanted = new Dictionary<Identity, CustomerId>(claims.Count);
            foreach (var claim in claims)
            {
                if (claim.Candidate.Value is null)
                {
                    throw new MarketingValidationException("candidate", ValidationReason.Missing, "A customer id must not be empty (default).");
                }
                StoreChecks.Identity(claim.Identity);
                wanted.TryAdd(claim.Identity, claim.Candidate);
            }
            if (wanted.Count == 0)
            {
                return new Dictionary<Identity, CustomerId>();
            }
            var candidates = wanted.Values.Distinct().ToList();
            await db.LockCustomersAsync(scope, candidates, exclusive: false, cancellationToken).ConfigureAwait(false);
            var mergedAway = await MergesOfAsync(scope, candidates, cancellationToken).ConfigureAwait(false);
            // In one fixed order, so two claims of overlapping identities never wait on each other in a cycle.
            var rows = wanted.Where(kv => !mergedAway.ContainsKey(kv.Value)).Select(kv => (Identity: kv.Key, Candidate: kv.Value)).ToList();
            rows.Sort((a, b) => a.Identity.Kind != b.Identity.Kind ? a.Identity.Kind.CompareTo(b.Identity.Kind) : string.CompareOrdinal(a.Identity.Value, b.Identity.Value));
            foreach (var chunk in rows.Chunk(Chunk))
            {
                await using var insert = scope.Command(string.Empty);
                var values = new StringBuilder();
                for (var i = 0; i < chunk.Length; i++)
                {
                    values.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@k{i}, @v{i}, @c{i})");
                    insert.P($"@k{i}", (int)chunk[i].Identity.Kind).P($"@v{i}", chunk[i].Identity.Value).P($"@c{i}", chunk[i].Candidate.Value);
                }
                insert.CommandText = $"INSERT INTO {_ids} (kind, value, customer_id) VALUES {values} ON CONFLICT (kind, value) DO NOTHING";
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var owners = await OwnersAsync(scope, [.. wanted.Keys], cancellationToken).ConfigureAwait(false);
            var linked = new SortedDictionary<CustomerId, List<Identity>>();
            foreach (var (identity, candidate) in rows)
            {
                if (owners.TryGetValue(identity, out var owner) && owner == candidate)
                {
                    if (!linked.TryGetValue(candidate, out var list))
                    {
                        linked[candidate] = list = [];
                    }
                    list.Add(identity);
                }
            }
            if (linked.Count > 0)
            {
                // The profiles in the same transaction as their identities: created when missing, never left behind.
                var pending = linked.Keys.ToList();
                while (pending.Count > 0)
                {
                    var current = await ReadProfilesAsync(scope, pending, cancellationToken).ConfigureAwait(false);
                    var updates = new List<CustomerProfile>();
                    var inserts = new List<CustomerProfile>();
                    foreach (var id in pending)
                    {
                        var ids = linked[id];
                        if (current.GetValueOrDefault(id) is not { } profile)
                        {
                            inserts.Add(new CustomerProfile { Id = id, FirstSeen = seenAt, LastSeen = seenAt, Identities = ids });
                        }
                        else if (ids.Any(i => !profile.Identities.Contains(i)))
                        {
                            updates.Add(profile with { Identities = [.. profile.Identities.Union(ids)] });
                        }
                    }
                    foreach (var chunk in updates.Chunk(Chunk))
                    {
                        await UpdateProfilesAsync(scope, chunk, cancellationToken).ConfigureAwait(false);
                    }
                    // A profile another transaction created since the read is updated on the next round, read for update.
                    pending = [];
                    foreach (var chunk in inserts.Chunk(Chunk))
                    {
                        pending.AddRange(await InsertProfilesAsync(scope, chunk, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            return owners;
        }, cancellationToken);

    private ValueTask<bool> MergeOnceAsync(MergeRecord merge, Func<CustomerProfile?, CustomerProfile, CustomerProfile> combine, CancellationToken cancellationToken) =>
        db.WriteAsync(Store, "merge", async scope =>
        {
            ArgumentNullException.ThrowIfNull(merge);
            ArgumentNullException.ThrowIfNull(combine);
            if (merge.Survivor.Value is null || merge.Merged.Value is null)
            {
                throw new MarketingValidationException(merge.Survivor.Value is null ? "survivor" : "merged", ValidationReason.Missing, "A customer id must not be empty (default).");
            }
            if (merge.EventId is not null)
            {
                StoreLimits.EnsureKey(merge.EventId, "eventId");
            }
            var (survivor, loser) = (merge.Survivor, merge.Merged);
            if (survivor == loser)
            {
                return false;
            }
            await db.LockCustomersAsync(scope, [survivor, loser], exclusive: true, cancellationToken).ConfigureAwait(false);
            if ((await MergesOfAsync(scope, [survivor, loser], cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                return false;
            }
            var read = await ReadProfilesAsync(scope, [survivor, loser], cancellationToken).ConfigureAwait(false);
            var gone = read.GetValueOrDefault(loser) ?? await CountedAsync(scope, loser, cancellationToken).ConfigureAwait(false);
            var kept = read.GetValueOrDefault(survivor);
            await Exec(scope, $"UPDATE {_ids} SET customer_id = @s WHERE customer_id = @l", survivor, loser, cancellationToken).ConfigureAwait(false);
            await Exec(scope, $"UPDATE {_events} SET customer_id = @s WHERE customer_id = @l", survivor, loser, cancellationToken).ConfigureAwait(false);
            var combined = combine(kept, gone) with { Id = survivor, Version = kept?.Version ?? 0 };
            await profiles.SaveCoreAsync(scope, combined, cancellationToken).ConfigureAwait(false);
            await Exec(scope, $"DELETE FROM {_profiles} WHERE id = @l", survivor, loser, cancellationToken).ConfigureAwait(false);
            await using (var record = scope.Command($"INSERT INTO {_merges} (survivor, merged, merged_at, merged_offset, link_kind, event_id) VALUES (@s, @m, @at, @off, @k, @e)")
                .P("@s", survivor.Value).P("@m", loser.Value).P("@at", merge.MergedAt.UtcTicks).P("@off", Db.Offset(merge.MergedAt))
                .P("@k", (int)merge.LinkKind).P("@e", merge.EventId))
            {
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);

    /// <summary>Adds newly stored events to their customers' profiles (created when missing), each row read for update first.</summary>
    private async ValueTask CountAsync(WriteScope scope, SortedDictionary<CustomerId, IngestionCounting.Counters> counted, CancellationToken ct)
    {
        var pending = counted.Keys.ToList();
        while (pending.Count > 0)
        {
            var current = await ReadProfilesAsync(scope, pending, ct).ConfigureAwait(false);
            var updates = new List<CustomerProfile>(current.Count);
            var inserts = new List<CustomerProfile>();
            foreach (var id in pending)
            {
                var next = IngestionCounting.Count(current.GetValueOrDefault(id), id, counted[id]);
                (current.ContainsKey(id) ? updates : inserts).Add(next);
            }
            foreach (var chunk in updates.Chunk(Chunk))
            {
                await UpdateProfilesAsync(scope, chunk, ct).ConfigureAwait(false);
            }
            // A profile another transaction created since the read is counted on the next round, read for update.
            pending = [];
            foreach (var chunk in inserts.Chunk(Chunk))
            {
                pending.AddRange(await InsertProfilesAsync(scope, chunk, ct).ConfigureAwait(false));
            }
        }
    }

    private async ValueTask UpdateProfilesAsync(WriteScope scope, CustomerProfile[] rows, CancellationToken ct)
    {
        await using var cmd = scope.Command(string.Empty);
        var values = new StringBuilder();
        for (var i = 0; i < rows.Length; i++)
        {
            var p = rows[i];
            values.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @v{i}, @f{i}, @l{i}, @d{i})");
            cmd.P($"@i{i}", p.Id.Value).P($"@v{i}", p.Version + 1).P($"@f{i}", p.FirstSeen.UtcTicks).P($"@l{i}", p.LastSeen.UtcTicks).P($"@d{i}", StoreJson.SerializeProfile(p));
        }
        cmd.CommandText = $"WITH v (id, version, first_seen, last_seen, data) AS (VALUES {values}) UPDATE {_profiles} AS p SET version = v.version, first_seen = v.first_seen, last_seen = v.last_seen, data = v.data FROM v WHERE p.id = v.id";
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <returns>The ids whose insert found a row (created meanwhile by another transaction).</returns>
    private async ValueTask<List<CustomerId>> InsertProfilesAsync(WriteScope scope, CustomerProfile[] rows, CancellationToken ct)
    {
        await using var cmd = scope.Command(string.Empty);
        var values = new StringBuilder();
        for (var i = 0; i < rows.Length; i++)
        {
            var p = rows[i];
            values.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, 1, @f{i}, @l{i}, @d{i})");
            cmd.P($"@i{i}", p.Id.Value).P($"@f{i}", p.FirstSeen.UtcTicks).P($"@l{i}", p.LastSeen.UtcTicks).P($"@d{i}", StoreJson.SerializeProfile(p));
        }
        cmd.CommandText = $"INSERT INTO {_profiles} (id, version, first_seen, last_seen, data) VALUES {values} ON CONFLICT (id) DO NOTHING RETURNING id";
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                inserted.Add(r.GetString(0));
            }
        }
        return [.. rows.Where(p => !inserted.Contains(p.Id.Value)).Select(p => p.Id)];
    }

    /// <summary>Reads profiles in id order, locking their rows where the database can.</summary>
    private async ValueTask<Dictionary<CustomerId, CustomerProfile>> ReadProfilesAsync(WriteScope scope, IEnumerable<CustomerId> ids, CancellationToken ct)
    {
        var result = new Dictionary<CustomerId, CustomerProfile>();
        foreach (var chunk in ids.Distinct().Order().Chunk(Chunk))
        {
            await using var cmd = scope.Command($"SELECT id, version, data FROM {_profiles} WHERE id IN ({Db.InList("@p", chunk.Length)}) ORDER BY id{db.ForUpdate}")
                .PList("@p", chunk, c => c.Value);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = r.GetString(0);
                result[new CustomerId(id)] = StoreJson.DeserializeProfile(r.GetString(2), id, r.GetInt64(1));
            }
        }
        return result;
    }

    /// <summary>The merged → survivor links reachable from <paramref name="customers"/>, read in the transaction.</summary>
    private async ValueTask<Dictionary<CustomerId, CustomerId>> MergesOfAsync(WriteScope scope, IReadOnlyCollection<CustomerId> customers, CancellationToken ct)
    {
        var result = new Dictionary<CustomerId, CustomerId>();
        var frontier = customers.Distinct().ToList();
        while (frontier.Count > 0)
        {
            var next = new List<CustomerId>();
            foreach (var chunk in frontier.Chunk(Chunk))
            {
                await using var cmd = scope.Command($"SELECT merged, survivor FROM {_merges} WHERE merged IN ({Db.InList("@m", chunk.Length)}) ORDER BY seq")
                    .PList("@m", chunk, c => c.Value);
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var survivor = new CustomerId(r.GetString(1));
                    result[new CustomerId(r.GetString(0))] = survivor;
                    next.Add(survivor);
                }
            }
            frontier = [.. next.Distinct().Where(c => !result.ContainsKey(c) && !frontier.Contains(c))];
        }
        return result;
    }

    private async ValueTask<Dictionary<Identity, CustomerId>> OwnersAsync(WriteScope scope, List<Identity> identities, CancellationToken ct)
    {
        var result = new Dictionary<Identity, CustomerId>();
        foreach (var chunk in identities.Chunk(Chunk))
        {
            await using var cmd = scope.Command(string.Empty);
            var conditions = new List<string>(chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                conditions.Add($"(kind = @k{i} AND value = @v{i})");
                cmd.P($"@k{i}", (int)chunk[i].Kind).P($"@v{i}", chunk[i].Value);
            }
            cmd.CommandText = $"SELECT kind, value, customer_id FROM {_ids} WHERE {string.Join(" OR ", conditions)}";
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                result[new Identity((IdentityKind)r.GetInt32(0), r.GetString(1))] = new CustomerId(r.GetString(2));
            }
        }
        return result;
    }

    /// <summary>A profile holding just the counters of a customer's stored events (for a customer without a profile).</summary>
    private async ValueTask<CustomerProfile> CountedAsync(WriteScope scope, CustomerId customer, CancellationToken ct)
    {
        await using var cmd = scope.Command($"SELECT COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM {_events} WHERE customer_id = @c").P("@c", customer.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var count = r.GetInt64(0);
        return count == 0
            ? new CustomerProfile { Id = customer }
            : new CustomerProfile { Id = customer, EventCount = count, FirstSeen = Db.Utc(r.GetInt64(1)), LastSeen = Db.Utc(r.GetInt64(2)) };
    }

    private static async ValueTask Exec(WriteScope scope, string sql, CustomerId survivor, CustomerId loser, CancellationToken ct)
    {
        await using var cmd = scope.Command(sql);
        if (sql.Contains("@s", StringComparison.Ordinal))
        {
            cmd.P("@s", survivor.Value);
        }
        cmd.P("@l", loser.Value);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
