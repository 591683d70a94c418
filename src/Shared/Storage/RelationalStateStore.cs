using System.Globalization;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// Versioned state documents in one table keyed by (scope, key). Keys sort by their UTF-8 bytes
/// (binary/"C" collation), which equals ordinal order for every key without characters above U+FFFF
/// mixed with U+E000–U+FFFF.
/// </summary>
internal sealed class RelationalStateStore(RelationalDatabase db) : IStateStore
{
    private const string Store = "state";
    private readonly string _t = db.Table("state_entries");

    public async ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Check(scope, key);
        using var call = db.Call(Store, "get");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT value, version FROM {_t} WHERE scope = @s AND key = @k").P("@s", scope).P("@k", key);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? new StateEntry(key, r.GetString(0), r.GetInt64(1)) : null;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Check(scope, key);
        ArgumentNullException.ThrowIfNull(value);
        StoreChecks.ColumnText(value, "value");
        if (expectedVersion < 0)
        {
            throw new MarketingValidationException("expectedVersion", ValidationReason.Negative, "Versions are never negative.");
        }
        using var call = db.Call(Store, "save");
        try
        {
            var next = expectedVersion + 1;
            await using var scopeTx = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = expectedVersion == 0
                ? scopeTx.Command($"INSERT INTO {_t} (scope, key, value, version) VALUES (@s, @k, @v, 1) ON CONFLICT (scope, key) DO NOTHING")
                : scopeTx.Command($"UPDATE {_t} SET value = @v, version = @next WHERE scope = @s AND key = @k AND version = @expected").P("@next", next).P("@expected", expectedVersion);
            cmd.P("@s", scope).P("@k", key).P("@v", value);
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw new ConcurrencyConflictException(scope, expectedVersion);
            }
            await scopeTx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return next;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>Statement sizes of the batch calls: a batch is cut into chunks of these sizes, so few statement shapes are prepared.</summary>
    private static readonly int[] ChunkSizes = [256, 64, 8, 1];

    public async ValueTask<IReadOnlyDictionary<string, StateEntry>> GetManyAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        StoreLimits.EnsureKey(scope, "scope");
        ArgumentNullException.ThrowIfNull(keys);
        var distinct = new List<string>(keys.Count);
        var seen = new HashSet<string>(keys.Count, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            StoreLimits.EnsureKey(key, "keys", distinct.Count);
            if (seen.Add(key))
            {
                distinct.Add(key);
            }
        }
        var found = new Dictionary<string, StateEntry>(distinct.Count, StringComparer.Ordinal);
        if (distinct.Count == 0)
        {
            return found;
        }
        using var call = db.Call(Store, "get_many");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (offset, size) in Chunks(distinct.Count))
            {
                await using var cmd = conn.Command($"SELECT key, value, version FROM {_t} WHERE scope = @s AND key IN ({Db.InList("@k", size)})").P("@s", scope);
                for (var i = 0; i < size; i++)
                {
                    cmd.P("@k" + i.ToString(CultureInfo.InvariantCulture), distinct[offset + i]);
                }
                await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = r.GetString(0);
                    found[key] = new StateEntry(key, r.GetString(1), r.GetInt64(2));
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
    /// One transaction: the new documents with multi-row <c>INSERT … ON CONFLICT DO NOTHING</c>, the replaced
    /// ones with multi-row <c>UPDATE … FROM (VALUES …)</c> conditioned on the expected versions; when fewer rows
    /// changed than were written, the transaction rolls back and the first conflicting write is named.
    /// </summary>
    public async ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        StateWrites.EnsureDistinct(writes);
        var inserts = new List<int>();
        var updates = new List<int>();
        var deletions = new List<int>();
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            StoreLimits.EnsureKey(w.Scope, "scope", i);
            StoreLimits.EnsureKey(w.Key, "key", i);
            if (w.IsDeletion)
            {
                deletions.Add(i);
                continue;
            }
            StoreChecks.ColumnText(w.Value, "value");
            (w.ExpectedVersion == 0 ? inserts : updates).Add(i);
        }
        // Rows are written in key order, so concurrent batches lock them in the same order (no deadlocks).
        Comparison<int> byKey = (a, b) =>
        {
            var c = string.CompareOrdinal(writes[a].Scope, writes[b].Scope);
            return c != 0 ? c : string.CompareOrdinal(writes[a].Key, writes[b].Key);
        };
        inserts.Sort(byKey);
        updates.Sort(byKey);
        deletions.Sort(byKey);
        var versions = new long[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            versions[i] = writes[i].IsDeletion ? 0 : writes[i].ExpectedVersion + 1;
        }
        if (writes.Count == 0)
        {
            return versions;
        }
        using var call = db.Call(Store, "save_many");
        try
        {
            var conflict = false;
            await using (var scopeTx = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var (offset, size) in Chunks(inserts.Count))
                {
                    var rows = string.Join(", ", Enumerable.Range(0, size).Select(j => string.Create(CultureInfo.InvariantCulture, $"(@s{j}, @k{j}, @v{j}, 1)")));
                    await using var cmd = scopeTx.Command($"INSERT INTO {_t} (scope, key, value, version) VALUES {rows} ON CONFLICT (scope, key) DO NOTHING");
                    for (var j = 0; j < size; j++)
                    {
                        var w = writes[inserts[offset + j]];
                        var n = j.ToString(CultureInfo.InvariantCulture);
                        cmd.P("@s" + n, w.Scope).P("@k" + n, w.Key).P("@v" + n, w.Value);
                    }
                    await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
                    if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != size)
                    {
                        conflict = true;
                        break;
                    }
                }
                if (!conflict)
                {
                    foreach (var (offset, size) in Chunks(updates.Count))
                    {
                        var rows = string.Join(", ", Enumerable.Range(0, size).Select(j => string.Create(CultureInfo.InvariantCulture, $"(@s{j}, @k{j}, @v{j}, @e{j})")));
                        await using var cmd = scopeTx.Command(
                            $"WITH w (scope, key, value, expected) AS (VALUES {rows}) " +
                            $"UPDATE {_t} SET value = w.value, version = w.expected + 1 FROM w " +
                            $"WHERE {_t}.scope = w.scope AND {_t}.key = w.key AND {_t}.version = w.expected");
                        for (var j = 0; j < size; j++)
                        {
                            var w = writes[updates[offset + j]];
                            var n = j.ToString(CultureInfo.InvariantCulture);
                            cmd.P("@s" + n, w.Scope).P("@k" + n, w.Key).P("@v" + n, w.Value).P("@e" + n, w.ExpectedVersion);
                        }
                        await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
                        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != size)
                        {
                            conflict = true;
                            break;
                        }
                    }
                }
                if (!conflict)
                {
                    foreach (var (offset, size) in Chunks(deletions.Count))
                    {
                        var rows = string.Join(" OR ", Enumerable.Range(0, size).Select(j => string.Create(CultureInfo.InvariantCulture, $"(scope = @s{j} AND key = @k{j})")));
                        await using var cmd = scopeTx.Command($"DELETE FROM {_t} WHERE {rows}");
                        for (var j = 0; j < size; j++)
                        {
                            var w = writes[deletions[offset + j]];
                            var n = j.ToString(CultureInfo.InvariantCulture);
                            cmd.P("@s" + n, w.Scope).P("@k" + n, w.Key);
                        }
                        await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
                        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    await scopeTx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return versions;
                }
                // Disposing the scope rolls the batch back.
            }
            throw await FirstConflictAsync(writes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>Names the first write whose expected version differs from the stored one (after the rollback).</summary>
    private async ValueTask<ConcurrencyConflictException> FirstConflictAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        var byScope = new Dictionary<string, IReadOnlyDictionary<string, StateEntry>>(StringComparer.Ordinal);
        foreach (var scope in writes.Select(w => w.Scope).Distinct(StringComparer.Ordinal))
        {
            byScope[scope] = await GetManyAsync(scope, writes.Where(w => w.Scope == scope).Select(w => w.Key).ToList(), cancellationToken).ConfigureAwait(false);
        }
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            if (!w.IsDeletion && (byScope[w.Scope].GetValueOrDefault(w.Key)?.Version ?? 0) != w.ExpectedVersion)
            {
                return new ConcurrencyConflictException(w.Scope, w.Key, i, w.ExpectedVersion);
            }
        }
        // The conflicting writer's change was undone again since: name the first write all the same.
        return new ConcurrencyConflictException(writes[0].Scope, writes[0].Key, 0, writes[0].ExpectedVersion);
    }

    /// <summary>Cuts <paramref name="count"/> items into chunks of the <see cref="ChunkSizes"/>: (offset, size) pairs.</summary>
    private static IEnumerable<(int Offset, int Size)> Chunks(int count)
    {
        var offset = 0;
        foreach (var size in ChunkSizes)
        {
            while (count - offset >= size)
            {
                yield return (offset, size);
                offset += size;
            }
        }
    }

    public async ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Check(scope, key);
        using var call = db.Call(Store, "delete");
        try
        {
            await using var scopeTx = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = scopeTx.Command($"DELETE FROM {_t} WHERE scope = @s AND key = @k").P("@s", scope).P("@k", key);
            var n = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await scopeTx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return n > 0;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.EnsureKey(scope, "scope");
        if (string.IsNullOrEmpty(keyPrefix))
        {
            keyPrefix = null;
        }
        else
        {
            StoreLimits.EnsureKey(keyPrefix, "keyPrefix");
        }
        return db.Stream(Store, "stream", StreamCoreAsync(scope, keyPrefix, cancellationToken), cancellationToken);
    }

    private async IAsyncEnumerable<StateEntry> StreamCoreAsync(string scope, string? keyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Keyset pages over the (scope, key) primary key. Keys with a prefix form one contiguous run in
        // byte order starting at the prefix itself, so the scan starts there and stops at the first key
        // past the run.
        var rows = db.PagesAsync<StateEntry, string?>(
            keyPrefix,
            (conn, last, first) =>
            {
                var cmd = conn.Command(last is null
                    ? $"SELECT key, value, version FROM {_t} WHERE scope = @s ORDER BY key LIMIT {db.PageSize}"
                    : first
                        ? $"SELECT key, value, version FROM {_t} WHERE scope = @s AND key >= @from ORDER BY key LIMIT {db.PageSize}"
                        : $"SELECT key, value, version FROM {_t} WHERE scope = @s AND key > @from ORDER BY key LIMIT {db.PageSize}").P("@s", scope);
                return last is null ? cmd : cmd.P("@from", last);
            },
            r => new StateEntry(r.GetString(0), r.GetString(1), r.GetInt64(2)),
            e => e.Key,
            cancellationToken);
        await foreach (var e in rows.ConfigureAwait(false))
        {
            if (keyPrefix is not null && !e.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
            {
                yield break;
            }
            yield return e;
        }
    }

    /// <summary>Deletes every document whose key starts with the customer id and <c>'|'</c>, in every scope.</summary>
    internal ValueTask<long> DeleteCustomerCoreAsync(WriteScope scope, CustomerId customerId, CancellationToken cancellationToken)
    {
        // Keys starting with "id|" are exactly the keys in ["id|", "id}") in byte order ('}' follows '|').
        return ExecAsync(scope, $"DELETE FROM {_t} WHERE key >= @lo AND key < @hi", customerId.Value + "|", customerId.Value + "}", cancellationToken);
    }

    private static async ValueTask<long> ExecAsync(WriteScope scope, string sql, string lo, string hi, CancellationToken cancellationToken)
    {
        await using var cmd = scope.Command(sql).P("@lo", lo).P("@hi", hi);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Check(string scope, string key)
    {
        StoreLimits.EnsureKey(scope, "scope");
        StoreLimits.EnsureKey(key, "key");
    }
}
