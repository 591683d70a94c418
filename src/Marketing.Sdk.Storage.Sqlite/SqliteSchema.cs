using Marketing.Sdk.Storage.Relational;

namespace Marketing.Sdk.Storage.Sqlite;

/// <summary>The versioned SQLite schema. Never edit a released migration; add a new one.</summary>
internal static class SqliteSchema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "profiles, events and identity graph", """
            CREATE TABLE profiles (id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE TABLE events (id TEXT NOT NULL PRIMARY KEY, customer_id TEXT NOT NULL, type TEXT NOT NULL, occurred_at INTEGER NOT NULL, occurred_offset INTEGER NOT NULL, received_at INTEGER NULL, data TEXT NOT NULL);
            CREATE INDEX ix_events_customer ON events (customer_id, occurred_at, id);
            CREATE INDEX ix_events_occurred ON events (occurred_at, id);
            CREATE INDEX ix_events_type ON events (type, occurred_at);
            CREATE TABLE identities (kind INTEGER NOT NULL, value TEXT NOT NULL, customer_id TEXT NOT NULL, PRIMARY KEY (kind, value));
            CREATE INDEX ix_identities_customer ON identities (customer_id);
            CREATE TABLE identity_observations (kind INTEGER NOT NULL, value TEXT NOT NULL, anchor TEXT NOT NULL, PRIMARY KEY (kind, value, anchor));
            CREATE TABLE identity_merges (seq INTEGER PRIMARY KEY AUTOINCREMENT, survivor TEXT NOT NULL, merged TEXT NOT NULL, merged_at INTEGER NOT NULL, merged_offset INTEGER NOT NULL, link_kind INTEGER NOT NULL, event_id TEXT NULL);
            CREATE INDEX ix_identity_merges_survivor ON identity_merges (survivor);
            CREATE INDEX ix_identity_merges_merged ON identity_merges (merged);
            """),
        new(2, "consent ledger and audit log", """
            CREATE TABLE consent_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, customer_id TEXT NOT NULL, purpose TEXT NOT NULL, granted INTEGER NOT NULL, recorded_at INTEGER NOT NULL, recorded_offset INTEGER NOT NULL, source TEXT NOT NULL, policy_version TEXT NULL, proof_hash TEXT NULL);
            CREATE INDEX ix_consent_records_customer ON consent_records (customer_id, purpose, seq);
            CREATE TABLE audit_log (seq INTEGER NOT NULL PRIMARY KEY, recorded_at INTEGER NOT NULL, recorded_offset INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NULL, details TEXT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL);
            CREATE INDEX ix_audit_log_subject ON audit_log (subject);
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
            """),
        new(3, "durable outbox", """
            CREATE TABLE outbox_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL, idempotency_key TEXT NOT NULL, customer_id TEXT NULL, payload BLOB NOT NULL, meta TEXT NOT NULL, state INTEGER NOT NULL, attempts INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, lease_owner TEXT NULL, lease_token TEXT NULL, lease_expires_at INTEGER NULL, last_error TEXT NULL, completed_at INTEGER NULL, UNIQUE (destination, idempotency_key));
            CREATE INDEX ix_outbox_due ON outbox_messages (state, next_attempt_at, id);
            CREATE INDEX ix_outbox_lease ON outbox_messages (state, lease_expires_at);
            CREATE INDEX ix_outbox_customer ON outbox_messages (customer_id);
            """),
        new(4, "state documents", """
            CREATE TABLE state_entries (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (scope, key));
            CREATE INDEX ix_state_entries_key ON state_entries (key);
            """),
        new(5, "events by type in (occurred_at, id) order", """
            CREATE INDEX ix_events_type_time ON events (type, occurred_at, id);
            DROP INDEX ix_events_type;
            """),
        new(6, "outbox payloads in their own table", """
            CREATE TABLE outbox_payloads (id INTEGER NOT NULL PRIMARY KEY, payload BLOB NOT NULL);
            INSERT INTO outbox_payloads (id, payload) SELECT id, payload FROM outbox_messages;
            UPDATE outbox_messages SET payload = X'';
            """),
        new(7, "events in time order through ix_events_type_time only", """
            DROP INDEX ix_events_occurred;
            """),
        // Partial indexes, as on PostgreSQL: only pending (state 0) and leased (state 1) messages are indexed for
        // claiming, so a claim or acknowledgement moves an entry in at most one index, and delivered or dead-lettered
        // messages leave both. The claim queries name the literal states so SQLite's planner can use them.
        new(8, "outbox partial indexes", """
            DROP INDEX ix_outbox_due;
            DROP INDEX ix_outbox_lease;
            CREATE INDEX ix_outbox_due ON outbox_messages (next_attempt_at, id) WHERE state = 0;
            CREATE INDEX ix_outbox_lease ON outbox_messages (lease_expires_at) WHERE state = 1;
            """),
        // The consent gate's batched read (latest instant per customer and purpose, its grants and withdrawals,
        // the last appended) answered from the index alone, without reading the records.
        new(9, "consent current-state index", """
            CREATE INDEX ix_consent_records_current ON consent_records (customer_id, purpose, recorded_at, granted, seq);
            """),
    ];
}
