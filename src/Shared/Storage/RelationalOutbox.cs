using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage.Relational;

internal sealed class RelationalOutboxStore(RelationalDatabase db) : IOutboxStore
{
    private const string Store = "outbox";
    private readonly string _t = db.Table("outbox_messages");

    // Payloads live in their own table (keyed by the message id), so a claim, acknowledgement or retry
    // rewrites only the small state row, never the payload beside it. The message row keeps an empty
    // payload column from the first schema version.
    private readonly string _payloads = db.Table("outbox_payloads");

    private string Columns => $"id, destination, idempotency_key, customer_id, (SELECT p.payload FROM {_payloads} p WHERE p.id = outbox_messages.id), meta, state, attempts, enqueued_at, next_attempt_at, lease_owner, lease_token, lease_expires_at, last_error, completed_at";

    private static readonly byte[] NoPayload = [];

    public async ValueTask<OutboxEnqueueResult> EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "enqueue");
        try
        {
            Validate(messages);
            if (messages.Count == 0)
            {
                return new OutboxEnqueueResult(0, []);
            }
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            var result = await EnqueueCoreAsync(scope, messages, cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    internal static void Validate(IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (var i = 0; i < messages.Count; i++)
        {
            StoreChecks.Outbox(messages[i], i);
        }
    }

    internal async ValueTask<OutboxEnqueueResult> EnqueueCoreAsync(WriteScope scope, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return new OutboxEnqueueResult(0, []);
        }
        var now = db.NowTicks();
        if (await db.InsertOutboxAsync(scope, messages, now, cancellationToken).ConfigureAwait(false) is { } fast)
        {
            var stored = 0;
            List<OutboxMessage>? skipped = null;
            for (var i = 0; i < fast.Length; i++)
            {
                if (fast[i])
                {
                    stored++;
                }
                else
                {
                    (skipped ??= []).Add(messages[i]);
                }
            }
            return new OutboxEnqueueResult(stored, (IReadOnlyList<OutboxMessage>?)skipped ?? []);
        }
        await using var cmd = scope.Command($"INSERT INTO {_t} (destination, idempotency_key, customer_id, payload, meta, state, attempts, enqueued_at, next_attempt_at) VALUES (@d, @k, @c, @empty, @m, 0, 0, @now, @next) ON CONFLICT (destination, idempotency_key) DO NOTHING");
        // The payload row takes the new message's id, found through the unique index just written.
        await using var payloadCmd = scope.Command($"INSERT INTO {_payloads} (id, payload) SELECT id, @p FROM {_t} WHERE destination = @d AND idempotency_key = @k");
        static DbParameter Add(DbCommand command, string name)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            command.Parameters.Add(p);
            return p;
        }
        var (d, k, c, m, nowP, next) = (Add(cmd, "@d"), Add(cmd, "@k"), Add(cmd, "@c"), Add(cmd, "@m"), Add(cmd, "@now"), Add(cmd, "@next"));
        Add(cmd, "@empty").Value = NoPayload;
        var (pd, pk, p) = (Add(payloadCmd, "@d"), Add(payloadCmd, "@k"), Add(payloadCmd, "@p"));
        var inserted = 0;
        var duplicates = new List<OutboxMessage>();
        foreach (var message in messages)
        {
            d.Value = message.Destination;
            k.Value = message.IdempotencyKey;
            c.Value = message.CustomerId is { } id ? id.Value : DBNull.Value;
            // A payload that is a whole array is bound as it is (no copy per message).
            p.Value = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Payload, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length
                ? whole.Array
                : message.Payload.ToArray();
            m.Value = StoreJson.SerializeMeta(message);
            nowP.Value = now;
            next.Value = message.NotBefore?.UtcTicks ?? now;
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                pd.Value = message.Destination;
                pk.Value = message.IdempotencyKey;
                await payloadCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                inserted++;
            }
            else
            {
                duplicates.Add(message);
            }
        }
        return new OutboxEnqueueResult(inserted, duplicates);
    }

    public async ValueTask<IReadOnlyList<OutboxEntry>> ClaimAsync(string workerId, int maxCount, TimeSpan leaseDuration, string? destination = null, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "claim");
        try
        {
            StoreChecks.Claim(workerId, maxCount, leaseDuration);
            if (destination is not null)
            {
                StoreLimits.EnsureKey(destination, "destination");
            }
            var now = db.NowTicks();
            var token = Guid.NewGuid();
            var sql = ClaimSql(maxCount, destination is not null);
            var claimed = new List<OutboxEntry>(maxCount);
            var expires = now + leaseDuration.Ticks;
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using (var cmd = scope.Command(sql).P("@now", now).P("@w", workerId).P("@tok", token.ToString("N")).P("@exp", expires))
            {
                if (destination is not null)
                {
                    cmd.P("@d", destination);
                }
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                var lease = new Lease(workerId, token, Db.Utc(expires), destination);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    claimed.Add(Read(r, lease));
                }
            }
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
            return claimed;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    /// <summary>
    /// The claim statement: marks up to <paramref name="maxCount"/> due messages leased (parameters <c>@now</c>,
    /// <c>@w</c>, <c>@tok</c>, <c>@exp</c> and, with <paramref name="byDestination"/>, <c>@d</c>) and returns them.
    /// </summary>
    internal string ClaimSql(int maxCount, bool byDestination)
    {
        // Where rows are locked (PostgreSQL) one statement picks the due rows of both kinds. Elsewhere
        // (SQLite) the OR would make the database collect and sort every due row on each claim, so each
        // kind is read in the order of its index, stopping after maxCount rows, and the two are merged.
        // The literal states (state = 0, state = 1) let both databases use their partial indexes; on SQLite
        // the destination is compared as an expression (+destination), or the planner would prefer the
        // unique (destination, idempotency_key) index and read and sort every message of the destination.
        var due = db.SkipLocked
            ? $"SELECT id FROM {_t} WHERE ((state = 0 AND next_attempt_at <= @now) OR (state = 1 AND lease_expires_at <= @now)){(byDestination ? " AND destination = @d" : "")} ORDER BY next_attempt_at, id LIMIT {maxCount} FOR UPDATE SKIP LOCKED"
            : $"SELECT id FROM (SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM {_t} WHERE state = 0 AND next_attempt_at <= @now{(byDestination ? " AND +destination = @d" : "")} ORDER BY next_attempt_at, id LIMIT {maxCount}) "
                + $"UNION ALL SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM {_t} WHERE state = 1 AND lease_expires_at <= @now{(byDestination ? " AND +destination = @d" : "")} ORDER BY next_attempt_at, id LIMIT {maxCount}) "
                + $"ORDER BY next_attempt_at, id LIMIT {maxCount})";
        return $"UPDATE {_t} SET state = 1, attempts = attempts + 1, lease_owner = @w, lease_token = @tok, lease_expires_at = @exp WHERE id IN ({due}) RETURNING {Columns}";
    }

    public ValueTask<bool> AckAsync(long id, Guid leaseToken, CancellationToken cancellationToken = default) =>
        CompleteAsync("ack", AckSql, id, leaseToken, null, null, cancellationToken);

    private string AckSql => $"UPDATE {_t} SET state = 2, completed_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = @id AND state = 1 AND lease_token = @tok";

    /// <summary>Message ids per acknowledgement statement of <see cref="AckManyAsync"/>.</summary>
    internal const int AckChunk = 500;

    public async ValueTask<int> AckManyAsync(IReadOnlyList<(long Id, Guid LeaseToken)> claims, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0)
        {
            return 0;
        }
        using var call = db.Call(Store, "ack_many");
        try
        {
            // The claims of one batch share their lease token: one statement per token and few hundred ids.
            var now = db.NowTicks();
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            var acknowledged = 0;
            foreach (var group in claims.GroupBy(c => c.LeaseToken))
            {
                foreach (var chunk in group.Select(c => c.Id).Distinct().Chunk(AckChunk))
                {
                    await using var cmd = scope.Command($"UPDATE {_t} SET state = 2, completed_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE state = 1 AND lease_token = @tok AND id IN ({Db.InList("@i", chunk.Length)})")
                        .P("@now", now).P("@tok", group.Key.ToString("N")).PList("@i", chunk, id => id);
                    acknowledged += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return acknowledged;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<bool> RetryAsync(long id, Guid leaseToken, DateTimeOffset nextAttemptAt, string reason, CancellationToken cancellationToken = default)
    {
        StoreChecks.ColumnText(reason, "reason");
        return CompleteAsync("retry", $"UPDATE {_t} SET state = 0, next_attempt_at = @next, last_error = @reason, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = @id AND state = 1 AND lease_token = @tok", id, leaseToken, nextAttemptAt.UtcTicks, reason, cancellationToken);
    }

    public ValueTask<bool> DeadLetterAsync(long id, Guid leaseToken, string reason, CancellationToken cancellationToken = default)
    {
        StoreChecks.ColumnText(reason, "reason");
        return CompleteAsync("dead_letter", $"UPDATE {_t} SET state = 3, completed_at = @now, last_error = @reason, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = @id AND state = 1 AND lease_token = @tok", id, leaseToken, null, reason, cancellationToken);
    }

    public async ValueTask<bool> RequeueDeadLetterAsync(long id, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "requeue_dead_letter");
        try
        {
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"UPDATE {_t} SET state = 0, attempts = 0, next_attempt_at = @next, completed_at = NULL WHERE id = @id AND state = 3")
                .P("@id", id).P("@next", nextAttemptAt.UtcTicks);
            var n = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return n == 1;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<bool> DiscardDeadLetterAsync(long id, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "discard_dead_letter");
        try
        {
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command($"DELETE FROM {_t} WHERE id = @id AND state = 3").P("@id", id);
            var n = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return n == 1;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    private async ValueTask<bool> CompleteAsync(string operation, string sql, long id, Guid token, long? next, string? reason, CancellationToken cancellationToken)
    {
        using var call = db.Call(Store, operation);
        try
        {
            await using var scope = await db.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = scope.Command(sql).P("@id", id).P("@tok", token.ToString("N"));
            if (sql.Contains("@now", StringComparison.Ordinal))
            {
                cmd.P("@now", db.NowTicks());
            }
            if (next is not null)
            {
                cmd.P("@next", next.Value);
            }
            if (reason is not null)
            {
                cmd.P("@reason", reason);
            }
            var n = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return n == 1;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public ValueTask<long> ReclaimExpiredAsync(CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "reclaim_expired", async scope =>
        {
            await using var cmd = scope.Command($"UPDATE {_t} SET state = 0, next_attempt_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE state = 1 AND lease_expires_at <= @now")
                .P("@now", db.NowTicks());
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async ValueTask<OutboxCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "count");
        try
        {
            var counts = new long[4];
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT state, COUNT(*) FROM {_t} GROUP BY state");
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[r.GetInt32(0)] = Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture);
            }
            return new OutboxCounts(counts[0], counts[1], counts[2], counts[3]);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<IReadOnlyList<OutboxDestinationBacklog>> GetBacklogAsync(DateTimeOffset deadLetteredSince, string? ignoredReasonPrefix = null, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "backlog");
        try
        {
            // One aggregate over the waiting rows (partial indexes on states 0 and 1) and the recent dead letters;
            // the ignored prefix is compared with substr over its length, so '_' and '%' in it are literal.
            var deadFilter = ignoredReasonPrefix is null
                ? "state = 3 AND completed_at >= @since"
                : $"state = 3 AND completed_at >= @since AND (last_error IS NULL OR substr(last_error, 1, {ignoredReasonPrefix.Length.ToString(CultureInfo.InvariantCulture)}) <> @prefix)";
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command(
                $"SELECT destination, SUM(CASE WHEN state IN (0, 1) THEN 1 ELSE 0 END), MIN(CASE WHEN state IN (0, 1) THEN enqueued_at END), SUM(CASE WHEN {deadFilter} THEN 1 ELSE 0 END) "
                + $"FROM {_t} WHERE state IN (0, 1) OR ({deadFilter}) GROUP BY destination ORDER BY destination")
                .P("@since", deadLetteredSince.UtcTicks);
            if (ignoredReasonPrefix is not null)
            {
                cmd.P("@prefix", ignoredReasonPrefix);
            }
            var result = new List<OutboxDestinationBacklog>();
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                DateTimeOffset? oldest = r.IsDBNull(2) ? null : new DateTimeOffset(Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture), TimeSpan.Zero);
                result.Add(new OutboxDestinationBacklog(r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), oldest, Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)));
            }
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<OutboxEntry?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        using var call = db.Call(Store, "get");
        try
        {
            await using var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command($"SELECT {Columns} FROM {_t} WHERE id = @id").P("@id", id);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public IAsyncEnumerable<OutboxEntry> ReadAsync(OutboxState state, CancellationToken cancellationToken = default) =>
        db.Stream(Store, "read", ReadCoreAsync(state, cancellationToken), cancellationToken);

    private IAsyncEnumerable<OutboxEntry> ReadCoreAsync(OutboxState state, CancellationToken cancellationToken) =>
        db.PagesAsync<OutboxEntry, long>(
            0,
            (conn, last, _) => conn.Command($"SELECT {Columns} FROM {_t} WHERE state = {((int)state).ToString(CultureInfo.InvariantCulture)} AND id > @last ORDER BY id LIMIT {db.PageSize}").P("@last", last),
            r => Read(r),
            e => e.Id,
            cancellationToken);

    public ValueTask<long> PurgeDeliveredAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken = default) =>
        db.WriteAsync<long>(Store, "purge_delivered", async scope =>
        {
            await using (var payloads = scope.Command($"DELETE FROM {_payloads} WHERE id IN (SELECT id FROM {_t} WHERE state = 2 AND completed_at < @cut)").P("@cut", completedBefore.UtcTicks))
            {
                await payloads.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var cmd = scope.Command($"DELETE FROM {_t} WHERE state = 2 AND completed_at < @cut").P("@cut", completedBefore.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The lease a claim just wrote (the same for every row it returns), so those columns need not be read back.</summary>
    private sealed record Lease(string Owner, Guid Token, DateTimeOffset ExpiresAt, string? Destination);

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    private static OutboxEntry Read(DbDataReader r, Lease? lease = null)
    {
        var metaJson = r.GetString(5);
        var meta = metaJson == StoreJson.DefaultMetaJson ? null : StoreJson.DeserializeMeta(metaJson);
        return new OutboxEntry
        {
            Id = r.GetInt64(0),
            Message = new OutboxMessage
            {
                Destination = lease?.Destination ?? r.GetString(1),
                IdempotencyKey = r.GetString(2),
                CustomerId = r.NullableString(3) is { } c ? new CustomerId(c) : null,
                Payload = r.IsDBNull(4) ? Array.Empty<byte>() : r.GetFieldValue<byte[]>(4),
                ContentType = meta?.ContentType ?? "application/json",
                Headers = meta?.Headers ?? NoHeaders,
                NotBefore = meta?.NotBefore,
            },
            State = lease is null ? (OutboxState)r.GetInt32(6) : OutboxState.Leased,
            AttemptCount = r.GetInt32(7),
            EnqueuedAt = Db.Utc(r.GetInt64(8)),
            NextAttemptAt = Db.Utc(r.GetInt64(9)),
            LeaseOwner = lease is null ? r.NullableString(10) : lease.Owner,
            LeaseToken = lease is not null ? lease.Token : r.NullableString(11) is { } t ? Guid.ParseExact(t, "N") : Guid.Empty,
            LeaseExpiresAt = lease is not null ? lease.ExpiresAt : r.NullableInt64(12) is { } e ? Db.Utc(e) : null,
            LastError = r.NullableString(13),
            CompletedAt = r.NullableInt64(14) is { } done ? Db.Utc(done) : null,
        };
    }
}

/// <summary>Atomic state change + outbox enqueue, and customer erasure, over one database.</summary>
internal sealed class RelationalUnitOfWork(
    RelationalDatabase db,
    RelationalProfileStore profiles,
    RelationalEventStore events,
    RelationalIdentityGraphStore identities,
    RelationalConsentStore consents,
    RelationalOutboxStore outbox,
    RelationalStateStore state) : ITransactionalOutbox, ICustomerDataEraser
{
    private const string Store = "unit_of_work";
    public ValueTask<(AppendResult Events, OutboxEnqueueResult Messages)> AppendEventsAsync(IReadOnlyList<MarketingEvent> events1, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "append_events", async scope =>
        {
            ArgumentNullException.ThrowIfNull(events1);
            RelationalEventStore.Validate(events1);
            RelationalOutboxStore.Validate(messages);
            var appended = events1.Count == 0 ? new AppendResult(0, []) : await events.AppendCoreAsync(scope, events1, cancellationToken).ConfigureAwait(false);
            var enqueued = await outbox.EnqueueCoreAsync(scope, messages, cancellationToken).ConfigureAwait(false);
            return (appended, enqueued);
        }, cancellationToken);

    public ValueTask<(CustomerProfile Profile, OutboxEnqueueResult Messages)> SaveProfileAsync(CustomerProfile profile, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "save_profile", async scope =>
        {
            StoreChecks.Profile(profile);
            RelationalOutboxStore.Validate(messages);
            var saved = await profiles.SaveCoreAsync(scope, profile, cancellationToken).ConfigureAwait(false);
            var enqueued = await outbox.EnqueueCoreAsync(scope, messages, cancellationToken).ConfigureAwait(false);
            return (saved, enqueued);
        }, cancellationToken);

    public ValueTask<(ConsentRecord Record, OutboxEnqueueResult Messages)> AppendConsentAsync(ConsentRecord record, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) =>
        db.WriteAsync(Store, "append_consent", async scope =>
        {
            StoreChecks.Consent(record);
            RelationalOutboxStore.Validate(messages);
            var stored = await consents.AppendCoreAsync(scope, record, cancellationToken).ConfigureAwait(false);
            var enqueued = await outbox.EnqueueCoreAsync(scope, messages, cancellationToken).ConfigureAwait(false);
            return (stored, enqueued);
        }, cancellationToken);

    /// <summary>The tables an erasure deletes rows from.</summary>
    internal static readonly IReadOnlyList<string> ErasedTables =
        ["identities", "identity_observations", "identity_merges", "events", "profiles", "consent_records", "outbox_payloads", "outbox_messages", "state_entries"];

    public async ValueTask<ErasureReport> EraseAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var report = await EraseRowsAsync(customerId, cancellationToken).ConfigureAwait(false);
        using var call = db.Call(Store, "erase_compact");
        try
        {
            await db.CompactAfterErasureAsync(ErasedTables, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
        return report;
    }

    private ValueTask<ErasureReport> EraseRowsAsync(CustomerId customerId, CancellationToken cancellationToken) =>
        db.WriteAsync(Store, "erase", async scope =>
        {
            // After appends in flight to the customer, before any that follow.
            await db.LockCustomersAsync(scope, [customerId], exclusive: true, cancellationToken).ConfigureAwait(false);
            var counts = await identities.DeleteCoreAsync(scope, customerId, cancellationToken).ConfigureAwait(false);
            counts["events"] = await RelationalIdentityGraphStore.Exec(scope, $"DELETE FROM {db.Table("events")} WHERE customer_id = @c", customerId, cancellationToken).ConfigureAwait(false);
            counts["profiles"] = await RelationalIdentityGraphStore.Exec(scope, $"DELETE FROM {db.Table("profiles")} WHERE id = @c", customerId, cancellationToken).ConfigureAwait(false);
            counts["consent_records"] = await RelationalIdentityGraphStore.Exec(scope, $"DELETE FROM {db.Table("consent_records")} WHERE customer_id = @c", customerId, cancellationToken).ConfigureAwait(false);
            await RelationalIdentityGraphStore.Exec(scope, $"DELETE FROM {db.Table("outbox_payloads")} WHERE id IN (SELECT id FROM {db.Table("outbox_messages")} WHERE customer_id = @c)", customerId, cancellationToken).ConfigureAwait(false);
            counts["outbox_messages"] = await RelationalIdentityGraphStore.Exec(scope, $"DELETE FROM {db.Table("outbox_messages")} WHERE customer_id = @c", customerId, cancellationToken).ConfigureAwait(false);
            counts["state_entries"] = await state.DeleteCustomerCoreAsync(scope, customerId, cancellationToken).ConfigureAwait(false);
            return new ErasureReport(customerId, counts);
        }, cancellationToken);
}

/// <summary>Every store over one database, built once.</summary>
internal sealed class RelationalStoreSet
{
    public RelationalStoreSet(RelationalDatabase db)
    {
        Profiles = new RelationalProfileStore(db);
        Events = new RelationalEventStore(db);
        Identities = new RelationalIdentityGraphStore(db);
        Consents = new RelationalConsentStore(db);
        Audit = new RelationalAuditLogStore(db);
        Outbox = new RelationalOutboxStore(db);
        State = new RelationalStateStore(db);
        Ingestion = new RelationalIngestionStore(db, Profiles, Events);
        UnitOfWork = new RelationalUnitOfWork(db, Profiles, Events, Identities, Consents, Outbox, State);
    }

    public RelationalProfileStore Profiles { get; }
    public RelationalEventStore Events { get; }
    public RelationalIdentityGraphStore Identities { get; }
    public RelationalConsentStore Consents { get; }
    public RelationalAuditLogStore Audit { get; }
    public RelationalOutboxStore Outbox { get; }
    public RelationalStateStore State { get; }
    public RelationalUnitOfWork UnitOfWork { get; }
    public RelationalIngestionStore Ingestion { get; }
}
