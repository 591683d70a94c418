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
