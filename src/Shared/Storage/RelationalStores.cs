using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Marketing.Sdk.Storage.Relational;

internal sealed class RelationalProfileStore(RelationalDatabase db) : IProfileStore, IRelationalQueryStore
{
    private const string Store = "profile";
    private readonly string _t = db.Table("profiles");

    public SqlDialect Dialect => db.ProviderName == "postgresql" ? SqlDialect.PostgreSql : SqlDialect.Sqlite;

    public string TableName(SqlStoreTable table) => table switch
    {
        SqlStoreTable.Profiles => _t,
        SqlStoreTable.Events => db.Table("events"),
        _ => throw new ArgumentOutOfRangeException(nameof(table)),
    };

    public async ValueTask QueryAsync(string sql, IReadOnlyList<object?> parameters, Func<DbDataReader, CancellationToken, ValueTask> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(read);
        var text = sql.AsSpan().TrimStart();
        if (!(text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("WITH", StringComparison.OrdinalIgnoreCase)) || sql.Contains(';', StringComparison.Ordinal))
        {
            throw new ArgumentException("Only a single read-only SELECT is allowed.", nameof(sql));
        }
        using var call = db.Call(Store, "query");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command(sql);
            for (var i = 0; i < parameters.Count; i++)
            {
                cmd.P("@p" + i.ToString(CultureInfo.InvariantCulture), parameters[i]);
            }
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await read(r, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT version, data FROM {_t} WHERE id = @id").P("@id", id.Value);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? StoreJson.DeserializeProfile(r.GetString(1), id.Value, r.GetInt64(0))
                : null;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>Ids per query of <see cref="GetManyAsync"/> (bound as parameters of an IN list).</summary>
    internal const int ManyChunk = 250;

    public async ValueTask<IReadOnlyDictionary<CustomerId, CustomerProfile>> GetManyAsync(IReadOnlyCollection<CustomerId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var call = db.Call(Store, "get_many");
        try
        {
            var found = new Dictionary<CustomerId, CustomerProfile>(ids.Count);
            var distinct = ids.Distinct().ToArray();
            if (distinct.Length == 0)
            {
                return found;
            }
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in distinct.Chunk(ManyChunk))
            {
                await using var cmd = conn.Command($"SELECT id, version, data FROM {_t} WHERE id IN ({Db.InList("@i", chunk.Length)})").PList("@i", chunk, c => c.Value);
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var profile = StoreJson.DeserializeProfile(r.GetString(2), r.GetString(0), r.GetInt64(1));
                    found[profile.Id] = profile;
                }
            }
            return found;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "save", async scope =>
        {
            StoreChecks.Profile(profile);
            return await SaveCoreAsync(scope, profile, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    internal async ValueTask<CustomerProfile> SaveCoreAsync(WriteScope scope, CustomerProfile profile, CancellationToken cancellationToken)
    {
        StoreChecks.Profile(profile);
        var next = profile with { Version = profile.Version + 1 };
        var sql = profile.Version == 0
            ? $"INSERT INTO {_t} (id, version, first_seen, last_seen, data) VALUES (@id, @v, @fs, @ls, @data) ON CONFLICT (id) DO NOTHING"
            : $"UPDATE {_t} SET version = @v, first_seen = @fs, last_seen = @ls, data = @data WHERE id = @id AND version = @expected";
        await using var cmd = scope.Command(sql)
            .P("@id", profile.Id.Value).P("@v", next.Version).P("@fs", profile.FirstSeen.UtcTicks).P("@ls", profile.LastSeen.UtcTicks)
            .P("@data", StoreJson.SerializeProfile(profile)).P("@expected", profile.Version);
        if (profile.Version == 0)
        {
            cmd.Parameters.RemoveAt("@expected");
        }
        var affected = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (affected != 1)
        {
            throw new ConcurrencyConflictException("profile", profile.Version);
        }
        return next;
    }

    public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "delete", async scope =>
        {
            await using var cmd = scope.Command($"DELETE FROM {_t} WHERE id = @id").P("@id", id.Value);
            var affected = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return affected > 0;
        }, cancellationToken);

    public IAsyncEnumerable<CustomerProfile> StreamAsync(CancellationToken cancellationToken = default) =>
        db.Stream(Store, "stream", StreamCoreAsync(cancellationToken), cancellationToken);

    private IAsyncEnumerable<CustomerProfile> StreamCoreAsync(CancellationToken cancellationToken) =>
        db.PagesAsync<CustomerProfile, string>(
            string.Empty,
            (conn, last, first) => first
                ? conn.Command($"SELECT id, version, data FROM {_t} ORDER BY id LIMIT {db.PageSize}")
                : conn.Command($"SELECT id, version, data FROM {_t} WHERE id > @last ORDER BY id LIMIT {db.PageSize}").P("@last", last),
            r => StoreJson.DeserializeProfile(r.GetString(2), r.GetString(0), r.GetInt64(1)),
            p => p.Id.Value,
            cancellationToken);

    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "count");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT COUNT(*) FROM {_t}");
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }
}

internal sealed class RelationalEventStore(RelationalDatabase db) : IEventStore
{
    private RelationalDatabase Database => db;
    private const string Store = "event";
    private readonly string _t = db.Table("events");

    public async ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "append");
        try
        {
            ArgumentNullException.ThrowIfNull(events);
            Validate(events);
            if (events.Count == 0)
            {
                return new AppendResult(0, []);
            }
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            var result = await AppendCoreAsync(scope, events, cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    internal static void Validate(IReadOnlyList<MarketingEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            StoreChecks.Event(events[i], i);
        }
    }

    internal async ValueTask<AppendResult> AppendCoreAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        // Repeats within the batch are reported without touching the database; ids already stored are
        // found by the unique index during the insert itself (no separate look-up query).
        var seen = new HashSet<string>(events.Count, StringComparer.Ordinal);
        IReadOnlyList<MarketingEvent> unique = events;
        List<MarketingEvent>? filtered = null;
        bool[]? repeat = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (seen.Add(e.Id))
            {
                filtered?.Add(e);
                continue;
            }
            if (filtered is null)
            {
                filtered = new List<MarketingEvent>(events.Count);
                for (var j = 0; j < i; j++)
                {
                    filtered.Add(events[j]);
                }
                repeat = new bool[events.Count];
            }
            repeat![i] = true;
        }
        if (filtered is not null)
        {
            unique = filtered;
        }
        var skipped = unique.Count == 0 ? null : await db.InsertEventsAsync(scope, InsertOrder(unique), cancellationToken).ConfigureAwait(false);
        if (repeat is null && skipped is null)
        {
            return new AppendResult(unique.Count, []);
        }
        var duplicates = new List<string>();
        for (var i = 0; i < events.Count; i++)
        {
            var id = events[i].Id;
            if ((repeat is not null && repeat[i]) || (skipped is not null && skipped.Contains(id)))
            {
                duplicates.Add(id);
            }
        }
        return new AppendResult(unique.Count - (skipped?.Count ?? 0), duplicates);
    }

    /// <summary>Batches at least this large are inserted in time order (see <see cref="InsertOrder"/>).</summary>
    internal const int SortThreshold = 64;

    /// <summary>
    /// The order rows are inserted in: large batches by occurrence time. What is stored and reported does not
    /// depend on it (ids are unique within <paramref name="unique"/>, duplicates are reported in batch order), but
    /// the time-keyed index (<c>ix_events_type_time</c>) then takes its new entries
    /// as a few ascending runs instead of one random page per row, which keeps their pages in cache.
    /// </summary>
    internal static IReadOnlyList<MarketingEvent> InsertOrder(IReadOnlyList<MarketingEvent> unique)
    {
        if (unique.Count < SortThreshold)
        {
            return unique;
        }
        var keys = new long[unique.Count];
        var rows = new MarketingEvent[unique.Count];
        var sorted = true;
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = unique[i];
            keys[i] = rows[i].OccurredAt.UtcTicks;
            sorted &= i == 0 || keys[i - 1] <= keys[i];
        }
        if (!sorted)
        {
            Array.Sort(keys, rows);
        }
        return rows;
    }

    public IAsyncEnumerable<MarketingEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default) =>
        db.Stream(Store, "read", ReadCoreAsync(query, cancellationToken), cancellationToken);

    private async IAsyncEnumerable<MarketingEvent> ReadCoreAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        long remaining = query.Limit ?? long.MaxValue;
        var types = query.Types is { Count: > 0 } t ? t.Select(x => x.Value).Distinct(StringComparer.Ordinal).ToList() : null;
        // Every page is a keyset range scan of an index in (occurred_at, id) order, so reading N events
        // costs O(N): a customer (ix_events_customer, types as a residual filter) or one type
        // (ix_events_type_time). Anything else (no filter, a time range, several types) runs one such
        // cursor per type over ix_events_type_time, merged here: an IN list cannot be served in this order
        // by one index scan and would make every page sort all remaining matches, and a separate
        // (occurred_at, id) index would cost every append one more randomly placed index entry.
        if (query.CustomerId is not null || types is { Count: 1 })
        {
            var cursor = new EventCursor(this, query, types, (int)Math.Min(db.PageSize, remaining));
            while (remaining > 0 && await cursor.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                remaining--;
                yield return cursor.Current.Event;
            }
            yield break;
        }
        types ??= await StoredTypesAsync(cancellationToken).ConfigureAwait(false);
        if (types.Count == 0)
        {
            yield break;
        }
        var pageSize = (int)Math.Min(Math.Max(db.PageSize / types.Count, 100), remaining);
        var cursors = new PriorityQueue<EventCursor, (MarketingEvent Event, long Ticks)>(types.Count, Comparer<(MarketingEvent Event, long Ticks)>.Create(CompareOrder));
        foreach (var type in types)
        {
            var c = new EventCursor(this, query, [type], pageSize);
            if (await c.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                cursors.Enqueue(c, c.Current);
            }
        }
        while (remaining > 0 && cursors.TryDequeue(out var next, out var current))
        {
            remaining--;
            yield return current.Event;
            if (await next.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                cursors.Enqueue(next, next.Current);
            }
        }
    }

    /// <summary>
    /// One query per <see cref="RelationalProfileStore.ManyChunk"/> customers over <c>ix_events_customer</c>, in
    /// (customer, occurred_at, id) order, the types and time range as residual filters.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<CustomerId, IReadOnlyList<MarketingEvent>>> ReadManyAsync(IReadOnlyCollection<CustomerId> customerIds, EventQuery query, CancellationToken cancellationToken = default)
    {
        EventQueries.EnsureForMany(customerIds, query);
        using var call = db.Call(Store, "read_many");
        try
        {
            var found = new Dictionary<CustomerId, IReadOnlyList<MarketingEvent>>(customerIds.Count);
            var distinct = customerIds.Distinct().ToArray();
            if (distinct.Length == 0)
            {
                return found;
            }
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in distinct.Chunk(RelationalProfileStore.ManyChunk))
            {
                await using var cmd = conn.CreateCommand();
                var where = Where(cmd, query);
                where.Append(where.Length == 0 ? " WHERE " : " AND ").Append("customer_id IN (").Append(Db.InList("@c", chunk.Length)).Append(')');
                cmd.PList("@c", chunk, c => c.Value);
                cmd.CommandText = $"SELECT id, customer_id, occurred_at, data FROM {_t}{where} ORDER BY customer_id, occurred_at, id";
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                List<MarketingEvent>? list = null;
                string? current = null;
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var customer = r.GetString(1);
                    if (customer != current)
                    {
                        current = customer;
                        list = [];
                        found[new CustomerId(customer)] = list;
                    }
                    list!.Add(StoreJson.DeserializeEvent(r.GetString(3), customer));
                }
            }
            return found;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>
    /// The distinct stored event types, each found by one descent of <c>ix_events_type_time</c> (a skip scan:
    /// the smallest type, then the smallest type after it, …), so the cost grows with the number of types, not events.
    /// </summary>
    internal string StoredTypesSql =>
        $"WITH RECURSIVE stored(type) AS (SELECT MIN(type) FROM {_t} UNION ALL SELECT (SELECT MIN(type) FROM {_t} WHERE type > stored.type) FROM stored WHERE stored.type IS NOT NULL) SELECT type FROM stored WHERE type IS NOT NULL";

    private async ValueTask<List<string>> StoredTypesAsync(CancellationToken cancellationToken)
    {
        var types = new List<string>();
        await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = conn.Command(StoredTypesSql);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            types.Add(r.GetString(0));
        }
        return types;
    }

    /// <summary>The databases' (occurred_at, id) order: ids compare by UTF-8 bytes, i.e. by code point.</summary>
    internal static int CompareOrder((MarketingEvent Event, long Ticks) a, (MarketingEvent Event, long Ticks) b)
    {
        var byTime = a.Ticks.CompareTo(b.Ticks);
        return byTime != 0 ? byTime : CompareCodePoints(a.Event.Id, b.Event.Id);
    }

    /// <summary>Compares strings in Unicode code point order (the order of their UTF-8 bytes).</summary>
    internal static int CompareCodePoints(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int x = a[i], y = b[i];
            if (x != y)
            {
                // UTF-16 code units sort surrogates (supplementary code points) below U+E000..U+FFFF; shift them above.
                if (x >= 0xD800 && y >= 0xD800)
                {
                    x += x >= 0xE000 ? -0x800 : 0x2000;
                    y += y >= 0xE000 ? -0x800 : 0x2000;
                }
                return x - y;
            }
        }
        return a.Length - b.Length;
    }

    /// <summary>The SELECT of one page of events after (<paramref name="lastTicks"/>, <paramref name="lastId"/>) in (occurred_at, id) order.</summary>
    internal DbCommand PageCommand(DbConnection conn, EventQuery query, IReadOnlyList<string>? types, long lastTicks, string? lastId, int size)
    {
        var cmd = conn.CreateCommand();
        var where = Where(cmd, query with { Types = null });
        if (types is { Count: > 0 })
        {
            where.Append(where.Length == 0 ? " WHERE " : " AND ");
            if (types.Count == 1)
            {
                where.Append("type = @t0");
                cmd.P("@t0", types[0]);
            }
            else
            {
                where.Append("type IN (").AppendJoin(", ", types.Select((_, i) => $"@t{i}")).Append(')');
                for (var i = 0; i < types.Count; i++)
                {
                    cmd.P($"@t{i}", types[i]);
                }
            }
        }
        if (lastId is not null)
        {
            where.Append(where.Length == 0 ? " WHERE " : " AND ").Append("(occurred_at, id) > (@lt, @lid)");
            cmd.P("@lt", lastTicks).P("@lid", lastId);
        }
        cmd.CommandText = $"SELECT id, customer_id, occurred_at, data FROM {_t}{where} ORDER BY occurred_at, id LIMIT {size}";
        return cmd;
    }

    /// <summary>Keyset pages of one filtered event sequence.</summary>
    private sealed class EventCursor(RelationalEventStore store, EventQuery query, IReadOnlyList<string>? types, int pageSize)
    {
        private readonly List<(MarketingEvent Event, long Ticks)> _page = new(pageSize);
        private int _next;
        private bool _last;

        public (MarketingEvent Event, long Ticks) Current { get; private set; }

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            if (_next == _page.Count)
            {
                if (_last)
                {
                    return false;
                }
                var after = _page.Count > 0 ? _page[^1] : default;
                _page.Clear();
                _next = 0;
                await using (var conn = await store.Database.OpenAsync(cancellationToken).ConfigureAwait(false))
                {
                    await using var cmd = store.PageCommand(conn, query, types, after.Ticks, after.Event?.Id, pageSize);
                    await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        _page.Add((StoreJson.DeserializeEvent(r.GetString(3), r.GetString(1)), r.GetInt64(2)));
                    }
                }
                _last = _page.Count < pageSize;
                if (_page.Count == 0)
                {
                    return false;
                }
            }
            Current = _page[_next++];
            return true;
        }
    }

    public async ValueTask<long> CountAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "count");
        try
        {
            ArgumentNullException.ThrowIfNull(query);
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.CreateCommand();
            var where = Where(cmd, query);
            if (query.CustomerId is null && query.Types is not { Count: > 0 } && where.Length > 0)
            {
                // A time range alone is counted over ix_events_type_time, one range per stored type.
                where.Append($" AND type IN ({StoredTypesSql})");
            }
            cmd.CommandText = $"SELECT COUNT(*) FROM {_t}{where}";
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    private static StringBuilder Where(DbCommand cmd, EventQuery query)
    {
        var conditions = new List<string>();
        if (query.CustomerId is { } c)
        {
            conditions.Add("customer_id = @c");
            cmd.P("@c", c.Value);
        }
        if (query.Types is { Count: > 0 } types)
        {
            var names = new List<string>();
            var i = 0;
            foreach (var t in types.Select(t => t.Value).Distinct(StringComparer.Ordinal))
            {
                names.Add($"@t{i}");
                cmd.P($"@t{i}", t);
                i++;
            }
            conditions.Add($"type IN ({string.Join(", ", names)})");
        }
        if (query.From is { } from)
        {
            conditions.Add("occurred_at >= @from");
            cmd.P("@from", from.UtcTicks);
        }
        if (query.To is { } to)
        {
            conditions.Add("occurred_at < @to");
            cmd.P("@to", to.UtcTicks);
        }
        var sb = new StringBuilder();
        if (conditions.Count > 0)
        {
            sb.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }
        return sb;
    }

    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "reassign", async scope =>
        {
            await db.LockCustomersAsync(scope, [source, target], exclusive: true, cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"UPDATE {_t} SET customer_id = @t WHERE customer_id = @s").P("@t", target.Value).P("@s", source.Value);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "delete_customer", async scope =>
        {
            await using var cmd = scope.Command($"DELETE FROM {_t} WHERE customer_id = @c").P("@c", customerId.Value);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
}

internal sealed class RelationalIdentityGraphStore(RelationalDatabase db) : IIdentityGraphStore
{
    private const string Store = "identity_graph";
    private readonly string _ids = db.Table("identities");
    private readonly string _obs = db.Table("identity_observations");
    private readonly string _merges = db.Table("identity_merges");

    public async ValueTask<IReadOnlyDictionary<Identity, CustomerId>> FindAsync(IReadOnlyCollection<Identity> identities, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "find");
        try
        {
            ArgumentNullException.ThrowIfNull(identities);
            var result = new Dictionary<Identity, CustomerId>();
            var distinct = identities.Distinct().ToList();
            if (distinct.Count == 0)
            {
                return result;
            }
            foreach (var i in distinct)
            {
                StoreChecks.Identity(i);
            }
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in distinct.Chunk(100))
            {
                await using var cmd = conn.CreateCommand();
                var conditions = new List<string>(chunk.Length);
                for (var i = 0; i < chunk.Length; i++)
                {
                    conditions.Add($"(kind = @k{i} AND value = @v{i})");
                    cmd.P($"@k{i}", (int)chunk[i].Kind).P($"@v{i}", chunk[i].Value);
                }
                cmd.CommandText = $"SELECT kind, value, customer_id FROM {_ids} WHERE {string.Join(" OR ", conditions)}";
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result[new Identity((IdentityKind)r.GetInt32(0), r.GetString(1))] = new CustomerId(r.GetString(2));
                }
            }
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<CustomerId> ClaimAsync(Identity identity, CustomerId candidate, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "claim", async scope =>
        {
            StoreChecks.Identity(identity);
            await using (var insert = scope.Command($"INSERT INTO {_ids} (kind, value, customer_id) VALUES (@k, @v, @c) ON CONFLICT (kind, value) DO NOTHING")
                .P("@k", (int)identity.Kind).P("@v", identity.Value).P("@c", candidate.Value))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var select = scope.Command($"SELECT customer_id FROM {_ids} WHERE kind = @k AND value = @v")
                .P("@k", (int)identity.Kind).P("@v", identity.Value);
            var owner = (string)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return new CustomerId(owner);
        }, cancellationToken);

    public async ValueTask<IReadOnlyList<Identity>> GetIdentitiesAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get_identities");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT kind, value FROM {_ids} WHERE customer_id = @c ORDER BY kind, value").P("@c", customerId.Value);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<Identity>();
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new Identity((IdentityKind)r.GetInt32(0), r.GetString(1)));
            }
            return list;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "reassign", async scope =>
        {
            await db.LockCustomersAsync(scope, [source, target], exclusive: true, cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"UPDATE {_ids} SET customer_id = @t WHERE customer_id = @s").P("@t", target.Value).P("@s", source.Value);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async ValueTask RecordMergeAsync(MergeRecord merge, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "record_merge");
        try
        {
            ArgumentNullException.ThrowIfNull(merge);
            if (merge.EventId is not null)
            {
                StoreLimits.EnsureKey(merge.EventId, "eventId");
            }
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"INSERT INTO {_merges} (survivor, merged, merged_at, merged_offset, link_kind, event_id) VALUES (@s, @m, @at, @off, @k, @e)")
                .P("@s", merge.Survivor.Value).P("@m", merge.Merged.Value).P("@at", merge.MergedAt.UtcTicks).P("@off", Db.Offset(merge.MergedAt))
                .P("@k", (int)merge.LinkKind).P("@e", merge.EventId);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public IAsyncEnumerable<MergeRecord> ReadMergesAsync(CancellationToken cancellationToken = default) =>
        db.Stream(Store, "read_merges", ReadMergesCoreAsync(cancellationToken), cancellationToken);

    private async IAsyncEnumerable<MergeRecord> ReadMergesCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = db.PagesAsync<(long Seq, MergeRecord Merge), long>(
            0,
            (conn, last, _) => conn.Command($"SELECT seq, survivor, merged, merged_at, merged_offset, link_kind, event_id FROM {_merges} WHERE seq > @last ORDER BY seq LIMIT {db.PageSize}").P("@last", last),
            r => (r.GetInt64(0), new MergeRecord(new CustomerId(r.GetString(1)), new CustomerId(r.GetString(2)),
                Db.Instant(r.GetInt64(3), r.GetInt32(4)), (IdentityKind)r.GetInt32(5), r.NullableString(6))),
            row => row.Seq,
            cancellationToken);
        await foreach (var (_, merge) in rows.ConfigureAwait(false))
        {
            yield return merge;
        }
    }

    public async ValueTask<int> ObserveAsync(Identity identity, string? anchor, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "observe");
        try
        {
            StoreChecks.Identity(identity);
            if (anchor is not null)
            {
                StoreLimits.EnsureKey(anchor, "anchor");
            }
            // A count alone, or an observation already stored (the same device seen again, the usual case), is
            // answered by a read, without taking the write lock.
            await using (var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
            await using (var known = conn.Command($"SELECT COUNT(*), COUNT(CASE WHEN anchor = @a THEN 1 END) FROM {_obs} WHERE kind = @k AND value = @v")
                .P("@k", (int)identity.Kind).P("@v", identity.Value).P("@a", anchor))
            await using (var r = await known.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await r.ReadAsync(cancellationToken).ConfigureAwait(false) && (anchor is null || r.GetInt64(1) > 0))
                {
                    return checked((int)r.GetInt64(0));
                }
            }
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using (var insert = scope.Command($"INSERT INTO {_obs} (kind, value, anchor) VALUES (@k, @v, @a) ON CONFLICT (kind, value, anchor) DO NOTHING")
                .P("@k", (int)identity.Kind).P("@v", identity.Value).P("@a", anchor))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var count = scope.Command($"SELECT COUNT(*) FROM {_obs} WHERE kind = @k AND value = @v").P("@k", (int)identity.Kind).P("@v", identity.Value);
            var n = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return n;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<IReadOnlyList<int>> ObserveManyAsync(IReadOnlyList<IdentityObservation> observations, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "observe_many");
        try
        {
            ArgumentNullException.ThrowIfNull(observations);
            foreach (var o in observations)
            {
                StoreChecks.Identity(o.Identity);
                if (o.Anchor is not null)
                {
                    StoreLimits.EnsureKey(o.Anchor, "anchor");
                }
            }
            var result = new int[observations.Count];
            if (result.Length == 0)
            {
                return result;
            }
            var identities = observations.Select(o => o.Identity).Distinct().ToList();
            var pairs = observations.Where(o => o.Anchor is not null).Distinct().ToList();
            var counts = new Dictionary<Identity, int>(identities.Count);
            var known = new HashSet<IdentityObservation>();
            // One read of the stored counts and of which of these observations are stored already (the usual case).
            await using (var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var chunk in identities.Chunk(100))
                {
                    await using var cmd = conn.CreateCommand();
                    var conditions = new List<string>(chunk.Length);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        conditions.Add($"(kind = @k{i} AND value = @v{i})");
                        cmd.P($"@k{i}", (int)chunk[i].Kind).P($"@v{i}", chunk[i].Value);
                    }
                    cmd.CommandText = $"SELECT kind, value, COUNT(*) FROM {_obs} WHERE {string.Join(" OR ", conditions)} GROUP BY kind, value";
                    await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        counts[new Identity((IdentityKind)r.GetInt32(0), r.GetString(1))] = checked((int)r.GetInt64(2));
                    }
                }
                foreach (var chunk in pairs.Chunk(100))
                {
                    await using var cmd = conn.CreateCommand();
                    var conditions = new List<string>(chunk.Length);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        conditions.Add($"(kind = @k{i} AND value = @v{i} AND anchor = @a{i})");
                        cmd.P($"@k{i}", (int)chunk[i].Identity.Kind).P($"@v{i}", chunk[i].Identity.Value).P($"@a{i}", chunk[i].Anchor);
                    }
                    cmd.CommandText = $"SELECT kind, value, anchor FROM {_obs} WHERE {string.Join(" OR ", conditions)}";
                    await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        known.Add(new IdentityObservation(new Identity((IdentityKind)r.GetInt32(0), r.GetString(1)), r.GetString(2)));
                    }
                }
            }
            // Each observation in order: a new anchor counts from that observation on.
            var added = new List<IdentityObservation>();
            for (var i = 0; i < result.Length; i++)
            {
                var o = observations[i];
                if (o.Anchor is not null && known.Add(o))
                {
                    counts[o.Identity] = counts.GetValueOrDefault(o.Identity) + 1;
                    added.Add(o);
                }
                result[i] = counts.GetValueOrDefault(o.Identity);
            }
            if (added.Count > 0)
            {
                // A writer that stored one of them meanwhile changes nothing (the key is the observation).
                await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
                foreach (var chunk in added.Chunk(100))
                {
                    await using var insert = scope.Command(string.Empty);
                    var values = new StringBuilder();
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        values.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@k{i}, @v{i}, @a{i})");
                        insert.P($"@k{i}", (int)chunk[i].Identity.Kind).P($"@v{i}", chunk[i].Identity.Value).P($"@a{i}", chunk[i].Anchor);
                    }
                    insert.CommandText = $"INSERT INTO {_obs} (kind, value, anchor) VALUES {values} ON CONFLICT (kind, value, anchor) DO NOTHING";
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "delete_customer", async scope =>
        {
            var counts = await DeleteCoreAsync(scope, customerId, cancellationToken).ConfigureAwait(false);
            return counts.Sum(c => c.Value);
        }, cancellationToken);

    internal async ValueTask<Dictionary<string, long>> DeleteCoreAsync(WriteScope scope, CustomerId customerId, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        // Observations of the customer's identities, and observations anchored to one of them (by fingerprint).
        var fingerprints = new List<string>();
        await using (var owned = scope.Command($"SELECT kind, value FROM {_ids} WHERE customer_id = @c").P("@c", customerId.Value))
        await using (var r = await owned.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                fingerprints.Add(new Identity((IdentityKind)r.GetInt32(0), r.GetString(1)).Fingerprint);
            }
        }
        var observations = await Exec(scope, $"DELETE FROM {_obs} WHERE (kind, value) IN (SELECT kind, value FROM {_ids} WHERE customer_id = @c)", customerId, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in fingerprints.Chunk(200))
        {
            await using var byAnchor = scope.Command($"DELETE FROM {_obs} WHERE anchor IN ({string.Join(", ", chunk.Select((_, i) => $"@f{i}"))})");
            for (var i = 0; i < chunk.Length; i++)
            {
                byAnchor.P($"@f{i}", chunk[i]);
            }
            observations += await byAnchor.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        counts["identity_observations"] = observations;
        counts["identities"] = await Exec(scope, $"DELETE FROM {_ids} WHERE customer_id = @c", customerId, cancellationToken).ConfigureAwait(false);
        counts["identity_merges"] = await Exec(scope, $"DELETE FROM {_merges} WHERE survivor = @c OR merged = @c", customerId, cancellationToken).ConfigureAwait(false);
        return counts;
    }

    internal static async ValueTask<long> Exec(WriteScope scope, string sql, CustomerId customerId, CancellationToken cancellationToken)
    {
        await using var cmd = scope.Command(sql).P("@c", customerId.Value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

internal sealed class RelationalConsentStore(RelationalDatabase db) : IConsentStore
{
    private const string Store = "consent";
    private readonly string _t = db.Table("consent_records");

    public ValueTask<ConsentRecord> AppendAsync(ConsentRecord record, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "append", async scope =>
        {
            StoreChecks.Consent(record);
            return await AppendCoreAsync(scope, record, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    internal async ValueTask<ConsentRecord> AppendCoreAsync(WriteScope scope, ConsentRecord record, CancellationToken cancellationToken)
    {
        StoreChecks.Consent(record);
        await using var cmd = scope.Command($"INSERT INTO {_t} (customer_id, purpose, granted, recorded_at, recorded_offset, source, policy_version, proof_hash) VALUES (@c, @p, @g, @at, @off, @s, @pv, @ph) RETURNING seq")
            .P("@c", record.CustomerId.Value).P("@p", record.Purpose.Value).P("@g", record.Granted).P("@at", record.RecordedAt.UtcTicks)
            .P("@off", Db.Offset(record.RecordedAt)).P("@s", record.Source).P("@pv", record.PolicyVersion).P("@ph", record.ProofHash);
        var seq = Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return record with { Sequence = seq };
    }

    public async ValueTask<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>> GetCurrentAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get_current");
        try
        {
            var current = new Dictionary<ConsentPurpose, ConsentRecord>();
            await foreach (var r in ReadHistoryCoreAsync(customerId, null, cancellationToken).ConfigureAwait(false))
            {
                if (!current.TryGetValue(r.Purpose, out var existing) || r.RecordedAt >= existing.RecordedAt)
                {
                    current[r.Purpose] = r;
                }
            }
            return current;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>Customers per query of <see cref="GetCurrentManyAsync"/> (bound as parameters of an IN list).</summary>
    internal const int CurrentManyChunk = 250;

    public async ValueTask<IReadOnlyList<CurrentConsent>> GetCurrentManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get_current_many");
        try
        {
            ArgumentNullException.ThrowIfNull(customerIds);
            var result = new List<CurrentConsent>();
            var distinct = customerIds is ISet<CustomerId> set ? [.. set] : customerIds.Distinct().ToArray();
            if (distinct.Length == 0)
            {
                return result;
            }
            var purposeList = purposes?.Distinct().ToArray();
            if (purposeList is { Length: 0 })
            {
                return result;
            }
            var purposeFilter = purposeList is null ? "" : $" AND c.purpose IN ({Db.InList("@p", purposeList.Length)})";
            // Per customer and purpose, the record no other record supersedes (a later instant, or the same
            // instant appended later) and whether a withdrawal shares its instant: the same-instant rule is
            // decided by the database from the (customer_id, purpose, seq) index, without reading history.
            var select = new System.Text.StringBuilder();
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in distinct.Chunk(CurrentManyChunk))
            {
                select.Clear()
                    .Append("SELECT ").Append(RecordColumns("c.")).Append(", c.customer_id, ")
                    .Append("CASE WHEN EXISTS (SELECT 1 FROM ").Append(_t).Append(" w WHERE w.customer_id = c.customer_id AND w.purpose = c.purpose AND w.recorded_at = c.recorded_at AND NOT w.granted) THEN 1 ELSE 0 END ")
                    .Append("FROM ").Append(_t).Append(" c WHERE c.customer_id IN (").Append(Db.InList("@c", chunk.Length)).Append(')').Append(purposeFilter)
                    .Append(" AND NOT EXISTS (SELECT 1 FROM ").Append(_t).Append(" n WHERE n.customer_id = c.customer_id AND n.purpose = c.purpose AND (n.recorded_at > c.recorded_at OR (n.recorded_at = c.recorded_at AND n.seq > c.seq)))");
                await using var cmd = conn.Command(select.ToString()).PList("@c", chunk, c => c.Value).PList("@p", purposeList ?? [], p => p.Value);
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var record = ReadRecord(r, new CustomerId(r.GetString(8)), KnownPurpose(purposeList, r.GetString(1)));
                    result.Add(new CurrentConsent(record, record.Granted && r.GetInt32(9) == 1));
                }
            }
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<IReadOnlyList<ConsentStatus>> GetCurrentStatusManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get_current_status_many");
        try
        {
            ArgumentNullException.ThrowIfNull(customerIds);
            var distinct = customerIds is ISet<CustomerId> set ? [.. set] : customerIds.Distinct().ToArray();
            var purposeList = purposes?.Distinct().ToArray();
            if (distinct.Length == 0 || purposeList is { Length: 0 })
            {
                return [];
            }
            var result = new List<ConsentStatus>(distinct.Length * ((purposeList?.Length ?? 2) + 1));
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in distinct.Chunk(CurrentManyChunk))
            {
                await using var cmd = conn.Command(StatusSql(chunk.Length, purposeList?.Length)).PList("@c", chunk, c => c.Value).PList("@p", purposeList ?? [], p => p.Value);
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add(new ConsentStatus(new CustomerId(r.GetString(0)), KnownPurpose(purposeList, r.GetString(1)), r.GetInt32(2) == 1, (r.GetInt64(3) & 1) == 1));
                }
            }
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>
    /// The query of <see cref="GetCurrentStatusManyAsync"/> for <paramref name="customers"/> customers (<c>@c0…</c>) and
    /// <paramref name="purposes"/> purposes (<c>@p0…</c>; every purpose when <see langword="null"/>). Per customer and
    /// purpose it reads only the records of the latest instant: consent is in force when all of them are grants (a
    /// withdrawal at the same instant wins), and the current record is the one appended last among them — its
    /// granted flag is the low bit of the largest (seq * 2 + granted). On SQLite the (customer_id, purpose,
    /// recorded_at, granted, seq) index of migration 9 covers it.
    /// </summary>
    internal string StatusSql(int customers, int? purposes) =>
        $"SELECT c.customer_id, c.purpose, MIN(CASE WHEN c.granted THEN 1 ELSE 0 END), MAX(c.seq * 2 + CASE WHEN c.granted THEN 1 ELSE 0 END) FROM {_t} c "
        + $"WHERE c.customer_id IN ({Db.InList("@c", customers)}){(purposes is { } n ? $" AND c.purpose IN ({Db.InList("@p", n)})" : "")} "
        + $"AND c.recorded_at = (SELECT MAX(x.recorded_at) FROM {_t} x WHERE x.customer_id = c.customer_id AND x.purpose = c.purpose) "
        + "GROUP BY c.customer_id, c.purpose";

    /// <summary>The record columns <see cref="ReadRecord"/> reads, in its order, with a table alias prefix.</summary>
    private static string RecordColumns(string alias) =>
        $"{alias}seq, {alias}purpose, {alias}granted, {alias}recorded_at, {alias}recorded_offset, {alias}source, {alias}policy_version, {alias}proof_hash";

    /// <summary>A consent record from a row that starts with <see cref="RecordColumns"/>.</summary>
    private static ConsentRecord ReadRecord(DbDataReader r, CustomerId customerId, ConsentPurpose purpose) => new()
    {
        Sequence = r.GetInt64(0),
        CustomerId = customerId,
        Purpose = purpose,
        Granted = r.GetBoolean(2),
        RecordedAt = Db.Instant(r.GetInt64(3), r.GetInt32(4)),
        Source = r.GetString(5),
        PolicyVersion = r.NullableString(6),
        ProofHash = r.NullableString(7),
    };

    /// <summary>The requested purpose with this value (no new instance per row), or a new one.</summary>
    private static ConsentPurpose KnownPurpose(ConsentPurpose[]? requested, string value)
    {
        if (requested is not null)
        {
            foreach (var p in requested)
            {
                if (string.Equals(p.Value, value, StringComparison.Ordinal))
                {
                    return p;
                }
            }
        }
        return new ConsentPurpose(value);
    }

    public IAsyncEnumerable<ConsentRecord> ReadHistoryAsync(CustomerId customerId, ConsentPurpose? purpose = null, CancellationToken cancellationToken = default) =>
        db.Stream(Store, "read_history", ReadHistoryCoreAsync(customerId, purpose, cancellationToken), cancellationToken);

    private async IAsyncEnumerable<ConsentRecord> ReadHistoryCoreAsync(CustomerId customerId, ConsentPurpose? purpose, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var list = new List<ConsentRecord>();
        await using (var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var cmd = conn.Command($"SELECT {RecordColumns("")} FROM {_t} WHERE customer_id = @c{(purpose is null ? "" : " AND purpose = @p")} ORDER BY seq")
                .P("@c", customerId.Value);
            if (purpose is { } p)
            {
                cmd.P("@p", p.Value);
            }
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(ReadRecord(r, customerId, new ConsentPurpose(r.GetString(1))));
            }
        }
        foreach (var r in list)
        {
            yield return r;
        }
    }

    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "reassign", async scope =>
        {
            await db.LockCustomersAsync(scope, [source, target], exclusive: true, cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"UPDATE {_t} SET customer_id = @t WHERE customer_id = @s").P("@t", target.Value).P("@s", source.Value);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
}

internal sealed class RelationalAuditLogStore(RelationalDatabase db) : IAuditLogStore
{
    private const string Store = "audit_log";
    private readonly string _t = db.Table("audit_log");
    private const string Columns = "seq, recorded_at, recorded_offset, actor, action, subject, details, previous_hash, hash";

    public ValueTask<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "append", async scope =>
        {
            StoreChecks.Audit(record);
            await db.LockAuditChainAsync(scope, cancellationToken).ConfigureAwait(false);
            long lastSeq = 0;
            var lastHash = AuditChain.GenesisHash;
            await using (var last = scope.Command($"SELECT seq, hash FROM {_t} ORDER BY seq DESC LIMIT 1"))
            await using (var r = await last.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    (lastSeq, lastHash) = (r.GetInt64(0), r.GetString(1));
                }
            }
            var seq = lastSeq + 1;
            var entry = new AuditEntry(seq, record, lastHash, AuditChain.ComputeHash(lastHash, seq, record));
            await using (var insert = scope.Command($"INSERT INTO {_t} ({Columns}) VALUES (@s, @at, @off, @actor, @action, @subject, @details, @prev, @hash)")
                .P("@s", seq).P("@at", record.RecordedAt.UtcTicks).P("@off", Db.Offset(record.RecordedAt)).P("@actor", record.Actor)
                .P("@action", record.Action).P("@subject", record.Subject?.Value).P("@details", record.Details).P("@prev", lastHash).P("@hash", entry.Hash))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return entry;
        }, cancellationToken);

    public async ValueTask<AuditEntry?> GetLastAsync(CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get_last");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT {Columns} FROM {_t} ORDER BY seq DESC LIMIT 1");
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public IAsyncEnumerable<AuditEntry> ReadAsync(long fromSequence = 1, CancellationToken cancellationToken = default) =>
        db.Stream(Store, "read", ReadCoreAsync(fromSequence, cancellationToken), cancellationToken);

    private IAsyncEnumerable<AuditEntry> ReadCoreAsync(long fromSequence, CancellationToken cancellationToken) =>
        db.PagesAsync<AuditEntry, long>(
            fromSequence == long.MinValue ? long.MinValue : fromSequence - 1,
            (conn, last, _) => conn.Command($"SELECT {Columns} FROM {_t} WHERE seq > @last ORDER BY seq LIMIT {db.PageSize}").P("@last", last),
            Read,
            e => e.Sequence,
            cancellationToken);

    private static AuditEntry Read(DbDataReader r) => new(
        r.GetInt64(0),
        new AuditRecord
        {
            RecordedAt = Db.Instant(r.GetInt64(1), r.GetInt32(2)),
            Actor = r.GetString(3),
            Action = r.GetString(4),
            Subject = r.NullableString(5) is { } s ? new CustomerId(s) : null,
            Details = r.NullableString(6),
        },
        r.GetString(7),
        r.GetString(8));
}
