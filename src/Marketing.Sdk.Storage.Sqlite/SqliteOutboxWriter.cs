using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using static Marketing.Sdk.Storage.Sqlite.SqliteNative;

namespace Marketing.Sdk.Storage.Sqlite;

/// <summary>
/// Enqueues outbox messages through SQLite's own API: one prepared <c>INSERT … ON CONFLICT DO NOTHING</c>
/// for the message rows and one for the payload rows, stepped per message with values bound by position
/// (UTF-8 text from a reused buffer, the payload straight from its memory). The payload row takes the new
/// message's rowid from <c>sqlite3_last_insert_rowid</c>, so no index is searched to find it. Same rows and
/// the same outcome as the store's generic statements; SQLite runs in-process, so per-row statements cost
/// no round trips.
/// </summary>
internal static class SqliteOutboxWriter
{
    public static bool[] Insert(WriteScope scope, string messagesTable, string payloadsTable, IReadOnlyList<OutboxMessage> messages, long now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var handle = ((SqliteConnection)scope.Connection).Handle!;
        var inserted = new bool[messages.Count];
        var text = new Utf8Text();
        using var insertMessage = Prepare(handle, $"INSERT INTO {messagesTable} (destination, idempotency_key, customer_id, payload, meta, state, attempts, enqueued_at, next_attempt_at) VALUES (?1, ?2, ?3, X'', ?4, 0, 0, ?5, ?6) ON CONFLICT (destination, idempotency_key) DO NOTHING");
        using var insertPayload = Prepare(handle, $"INSERT INTO {payloadsTable} (id, payload) VALUES (?1, ?2)");
        for (var i = 0; i < messages.Count; i++)
        {
            if ((i & 1023) == 1023)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var m = messages[i];
            BindText(insertMessage, 1, text.Get(m.Destination), handle);
            BindText(insertMessage, 2, text.Get(m.IdempotencyKey), handle);
            if (m.CustomerId is { } customer)
            {
                BindText(insertMessage, 3, text.Get(customer.Value), handle);
            }
            else
            {
                Check(raw.sqlite3_bind_null(insertMessage, 3), handle);
            }
            BindText(insertMessage, 4, text.Get(StoreJson.SerializeMeta(m)), handle);
            Check(raw.sqlite3_bind_int64(insertMessage, 5, now), handle);
            Check(raw.sqlite3_bind_int64(insertMessage, 6, m.NotBefore?.UtcTicks ?? now), handle);
            Step(insertMessage, handle);
            if (raw.sqlite3_changes(handle) == 1)
            {
                inserted[i] = true;
                Check(raw.sqlite3_bind_int64(insertPayload, 1, raw.sqlite3_last_insert_rowid(handle)), handle);
                var payload = m.Payload.Span;
                Check(payload.IsEmpty ? raw.sqlite3_bind_zeroblob(insertPayload, 2, 0) : raw.sqlite3_bind_blob(insertPayload, 2, payload), handle);
                Step(insertPayload, handle);
                Check(raw.sqlite3_reset(insertPayload), handle);
            }
            Check(raw.sqlite3_reset(insertMessage), handle);
        }
        return inserted;
    }
}
