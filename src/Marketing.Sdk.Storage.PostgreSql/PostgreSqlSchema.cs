using Marketing.Sdk.Storage.Relational;

namespace Marketing.Sdk.Storage.PostgreSql;

/// <summary>The versioned PostgreSQL schema ({0} is the quoted schema name). Never edit a released migration; add a new one.</summary>
internal static class PostgreSqlSchema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "profiles, events and identity graph", """
            CREATE TABLE {0}.profiles (id text COLLATE "C" NOT NULL PRIMARY KEY, version bigint NOT NULL, first_seen bigint NOT NULL, last_seen bigint NOT NULL, data text NOT NULL);
            CREATE TABLE {0}.events (id text COLLATE "C" NOT NULL PRIMARY KEY, customer_id text COLLATE "C" NOT NULL, type text COLLATE "C" NOT NULL, occurred_at bigint NOT NULL, occurred_offset integer NOT NULL, received_at bigint NULL, data text NOT NULL);
            CREATE INDEX ix_events_customer ON {0}.events (customer_id, occurred_at, id);
            CREATE INDEX ix_events_occurred ON {0}.events (occurred_at, id);
            CREATE INDEX ix_events_type ON {0}.events (type, occurred_at);
            CREATE TABLE {0}.identities (kind integer NOT NULL, value text COLLATE "C" NOT NULL, customer_id text COLLATE "C" NOT NULL, PRIMARY KEY (kind, value));
            CREATE INDEX ix_identities_customer ON {0}.identities (customer_id);
            CREATE TABLE {0}.identity_observations (kind integer NOT NULL, value text COLLATE "C" NOT NULL, anchor text COLLATE "C" NOT NULL, PRIMARY KEY (kind, value, anchor));
            CREATE TABLE {0}.identity_merges (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, survivor text COLLATE "C" NOT NULL, merged text COLLATE "C" NOT NULL, merged_at bigint NOT NULL, merged_offset integer NOT NULL, link_kind integer NOT NULL, event_id text NULL);
            CREATE INDEX ix_identity_merges_survivor ON {0}.identity_merges (survivor);
            CREATE INDEX ix_identity_merges_merged ON {0}.identity_merges (merged);
            """),
        new(2, "consent ledger and audit log", """
            CREATE TABLE {0}.consent_records (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id text COLLATE "C" NOT NULL, purpose text COLLATE "C" NOT NULL, granted boolean NOT NULL, recorded_at bigint NOT NULL, recorded_offset integer NOT NULL, source text NOT NULL, policy_version text NULL, proof_hash text NULL);
            CREATE INDEX ix_consent_records_customer ON {0}.consent_records (customer_id, purpose, seq);
            CREATE TABLE {0}.audit_log (seq bigint NOT NULL PRIMARY KEY, recorded_at bigint NOT NULL, recorded_offset integer NOT NULL, actor text NOT NULL, action text NOT NULL, subject text COLLATE "C" NULL, details text NULL, previous_hash text NOT NULL, hash text NOT NULL);
            CREATE INDEX ix_audit_log_subject ON {0}.audit_log (subject);
            CREATE FUNCTION {0}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {0}.audit_log FOR EACH ROW EXECUTE FUNCTION {0}.audit_log_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {0}.audit_log FOR EACH STATEMENT EXECUTE FUNCTION {0}.audit_log_append_only();
            """),
        new(3, "durable outbox", """
            CREATE TABLE {0}.outbox_messages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, destination text COLLATE "C" NOT NULL, idempotency_key text COLLATE "C" NOT NULL, customer_id text COLLATE "C" NULL, payload bytea NOT NULL, meta text NOT NULL, state integer NOT NULL, attempts integer NOT NULL, enqueued_at bigint NOT NULL, next_attempt_at bigint NOT NULL, lease_owner text NULL, lease_token text NULL, lease_expires_at bigint NULL, last_error text NULL, completed_at bigint NULL, UNIQUE (destination, idempotency_key));
            CREATE INDEX ix_outbox_due ON {0}.outbox_messages (next_attempt_at, id) WHERE state = 0;
            CREATE INDEX ix_outbox_lease ON {0}.outbox_messages (lease_expires_at) WHERE state = 1;
            CREATE INDEX ix_outbox_state ON {0}.outbox_messages (state);
            CREATE INDEX ix_outbox_customer ON {0}.outbox_messages (customer_id);
            """),
        new(4, "state documents", """
            CREATE TABLE {0}.state_entries (scope text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value text NOT NULL, version bigint NOT NULL, PRIMARY KEY (scope, key));
            CREATE INDEX ix_state_entries_key ON {0}.state_entries (key);
            """),
        new(5, "events by type in (occurred_at, id) order", """
            CREATE INDEX ix_events_type_time ON {0}.events (type, occurred_at, id);
            DROP INDEX {0}.ix_events_type;
            """),
        new(6, "outbox payloads in their own table", """
            CREATE TABLE {0}.outbox_payloads (id bigint NOT NULL PRIMARY KEY, payload bytea NOT NULL);
            INSERT INTO {0}.outbox_payloads (id, payload) SELECT id, payload FROM {0}.outbox_messages;
            UPDATE {0}.outbox_messages SET payload = decode('', 'hex');
            """),
        new(7, "events in time order through ix_events_type_time only", """
            DROP INDEX {0}.ix_events_occurred;
            """),
    ];
}
