using System.Buffers;
using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Marketing.Sdk.Storage.PostgreSql;

/// <summary>
/// The PostgreSQL database behind the stores: pooled connections from one <see cref="NpgsqlDataSource"/>,
/// read-committed write transactions, <c>FOR UPDATE SKIP LOCKED</c> outbox claims, binary COPY ingestion
/// and advisory locks for migrations and the audit chain.
/// </summary>
internal sealed class PostgreSqlDatabase : MigratingRelationalDatabase, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _schema;
    private readonly int _copyThreshold;
    private readonly PostgreSqlErasureVacuum _erasureVacuum;
    private readonly long _migrationLock;
    private readonly long _auditLock;
    private readonly int _customerLocks;

    public PostgreSqlDatabase(PostgreSqlStorageOptions options, TimeProvider timeProvider, ILogger? logger = null)
        : base(timeProvider, $"\"{options.Schema}\".", options.MigrateOnStart, logger)
    {
        _schema = options.Schema;
        _ownsDataSource = options.DataSource is null;
        _dataSource = options.DataSource ?? NpgsqlDataSource.Create(options.ConnectionString!);
        _copyThreshold = options.CopyThreshold;
        _erasureVacuum = options.ErasureVacuum;
        _migrationLock = LockKey("migrate");
        _auditLock = LockKey("audit");
        _customerLocks = (int)(LockKey("customers") >> 32);
    }

    public override bool SkipLocked => true;

    public override string ProviderName => "postgresql";

    private long LockKey(string purpose) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"Marketing.Sdk:{_schema}:{purpose}")));

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var conn = (NpgsqlConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tx = await conn.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            return new WriteScope(conn, tx, null);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override bool LocksCustomers => true;

    public override string ForUpdate => " FOR UPDATE";

    /// <summary>
    /// <c>pg_advisory_xact_lock(_shared)</c> on (a key of this schema, a 32-bit hash of each customer id), in
    /// ascending key order in one statement; released when the transaction ends. Two ids with the same hash only
    /// share a lock.
    /// </summary>
    public override async ValueTask LockCustomersAsync(WriteScope scope, IEnumerable<CustomerId> customers, bool exclusive, CancellationToken cancellationToken)
    {
        var keys = customers.Select(c => CustomerLockKey(c.Value)).Distinct().Order().ToArray();
        if (keys.Length == 0)
        {
            return;
        }
        await using var cmd = scope.Command($"SELECT {(exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared")}(@ns, k) FROM unnest(@keys) AS k");
        cmd.P("@ns", _customerLocks);
        cmd.Parameters.Add(new NpgsqlParameter("@keys", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = keys });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>FNV-1a over the id's UTF-16 code units: stable across processes and runtimes (unlike string.GetHashCode).</summary>
    internal static int CustomerLockKey(string id)
    {
        var hash = 2166136261u;
        foreach (var ch in id)
        {
            hash = (hash ^ ch) * 16777619u;
        }
        return unchecked((int)hash);
    }

    public override async ValueTask LockAuditChainAsync(WriteScope scope, CancellationToken cancellationToken)
    {
        await using var cmd = scope.Command("SELECT pg_advisory_xact_lock(@k)").P("@k", _auditLock);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>VACUUM</c> (or <c>VACUUM FULL</c>) of the erased tables as <see cref="PostgreSqlStorageOptions.ErasureVacuum"/>
    /// says (see the option for what each does not guarantee). Runs on its own connection outside any transaction,
    /// as VACUUM must.
    /// </summary>
    public override async ValueTask CompactAfterErasureAsync(IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        if (_erasureVacuum == PostgreSqlErasureVacuum.None || tables.Count == 0)
        {
            return;
        }
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = conn.Command((_erasureVacuum == PostgreSqlErasureVacuum.Full ? "VACUUM FULL " : "VACUUM ") + string.Join(", ", tables.Select(Table)));
        // VACUUM of a large table can outlast the default command timeout; cancellation still stops it.
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string EventColumns = "id, customer_id, type, occurred_at, occurred_offset, received_at, data";

    public override async ValueTask<HashSet<string>?> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count < _copyThreshold)
        {
            using var json = new EventJsonBuffer();
            await using var insert = scope.Command(string.Empty);
            var rows = new StringBuilder();
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                rows.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @c{i}, @t{i}, @a{i}, @o{i}, @r{i}, @d{i})");
                insert.P($"@i{i}", e.Id).P($"@c{i}", e.CustomerId!.Value.Value).P($"@t{i}", e.Type.Value).P($"@a{i}", e.OccurredAt.UtcTicks)
                    .P($"@o{i}", Db.Offset(e.OccurredAt)).P($"@d{i}", json.String(e));
                var received = new NpgsqlParameter($"@r{i}", NpgsqlDbType.Bigint) { Value = e.ReceivedAt is { } r ? r.UtcTicks : DBNull.Value };
                insert.Parameters.Add(received);
            }
            insert.CommandText = $"INSERT INTO {Table("events")} ({EventColumns}) VALUES {rows} ON CONFLICT (id) DO NOTHING RETURNING id";
            return await SkippedAsync(insert, events, cancellationToken).ConfigureAwait(false);
        }
        // Binary COPY straight into the table under a savepoint: the unique index on id detects stored ids
        // without a look-up query. Only when it reports one is the batch rolled back to the savepoint and
        // copied through a staging table with INSERT … ON CONFLICT (id) DO NOTHING.
        const string savepoint = "marketing_events_copy";
        var conn = (NpgsqlConnection)scope.Connection;
        await scope.Transaction.SaveAsync(savepoint, cancellationToken).ConfigureAwait(false);
        try
        {
            await CopyAsync(conn, $"COPY {Table("events")} ({EventColumns}) FROM STDIN (FORMAT BINARY)", events, staging: false, cancellationToken).ConfigureAwait(false);
            await scope.Transaction.ReleaseAsync(savepoint, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await scope.Transaction.RollbackAsync(savepoint, cancellationToken).ConfigureAwait(false);
        }
        await using (var create = scope.Command("CREATE TEMP TABLE IF NOT EXISTS marketing_events_staging (ord integer NOT NULL, id text NOT NULL, customer_id text NOT NULL, type text NOT NULL, occurred_at bigint NOT NULL, occurred_offset integer NOT NULL, received_at bigint NULL, data text NOT NULL) ON COMMIT DELETE ROWS"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await CopyAsync(conn, $"COPY pg_temp.marketing_events_staging (ord, {EventColumns}) FROM STDIN (FORMAT BINARY)", events, staging: true, cancellationToken).ConfigureAwait(false);
        HashSet<string>? skipped;
        await using (var insert = scope.Command($"INSERT INTO {Table("events")} ({EventColumns}) SELECT {EventColumns} FROM pg_temp.marketing_events_staging ORDER BY ord ON CONFLICT (id) DO NOTHING RETURNING id"))
        {
            skipped = await SkippedAsync(insert, events, cancellationToken).ConfigureAwait(false);
        }
        await using (var clear = scope.Command("TRUNCATE pg_temp.marketing_events_staging"))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return skipped;
    }

    /// <summary>Bytes of COPY data handed to Npgsql at a time.</summary>
    private const int CopyChunk = 64 * 1024;

    /// <summary>The signature, flags and header extension length that open PostgreSQL's binary COPY format.</summary>
    private static ReadOnlySpan<byte> CopyHeader => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// Streams the rows in PostgreSQL's binary COPY format, encoded here into one reused buffer: text as UTF-8
    /// (the document straight from the serializer, never as a string), integers big-endian. This keeps the client
    /// to a few hundred nanoseconds per row, where a typed importer spends more than the server on each row.
    /// </summary>
    private static async Task CopyAsync(NpgsqlConnection conn, string copySql, IReadOnlyList<MarketingEvent> events, bool staging, CancellationToken cancellationToken)
    {
        var buffer = new CopyBuffer(CopyChunk + 4096);
        await using var json = new Utf8JsonWriter(buffer, StoreJson.WriterOptions);
        var copy = await conn.BeginRawBinaryCopyAsync(copySql, cancellationToken).ConfigureAwait(false);
        try
        {
            buffer.Write(CopyHeader);
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                buffer.Int16(staging ? (short)8 : (short)7);
                if (staging)
                {
                    buffer.Int32(4);
                    buffer.Int32(i);
                }
                buffer.Text(e.Id);
                buffer.Text(e.CustomerId!.Value.Value);
                buffer.Text(e.Type.Value);
                buffer.Int32(8);
                buffer.Int64(e.OccurredAt.UtcTicks);
                buffer.Int32(4);
                buffer.Int32(Db.Offset(e.OccurredAt));
                if (e.ReceivedAt is { } r)
                {
                    buffer.Int32(8);
                    buffer.Int64(r.UtcTicks);
                }
                else
                {
                    buffer.Int32(-1);
                }
                var length = buffer.Reserve(4);
                json.Reset();
                StoreJson.WriteEvent(json, e);
                json.Flush();
                buffer.Patch(length, buffer.Length - length - 4);
                if (buffer.Length >= CopyChunk)
                {
                    await copy.WriteAsync(buffer.Written, cancellationToken).ConfigureAwait(false);
                    buffer.Clear();
                }
            }
            buffer.Int16(-1);
            await copy.WriteAsync(buffer.Written, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Abort the COPY (nothing of it is kept) and report the original failure, not the abort's.
            try
            {
                await copy.CancelAsync().ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
            }
            catch (InvalidOperationException)
            {
            }
            await copy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        // Ends the COPY; a row the server rejected (e.g. a stored id) surfaces here as a PostgresException.
        await copy.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A growable byte buffer that the JSON writer writes into and that big-endian fields are appended to.</summary>
    private sealed class CopyBuffer(int capacity) : IBufferWriter<byte>
    {
        private byte[] _bytes = new byte[capacity];

        public int Length { get; private set; }

        public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, Length);

        public void Clear() => Length = 0;

        public void Advance(int count) => Length += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => _bytes.AsMemory(Ensure(sizeHint));

        public Span<byte> GetSpan(int sizeHint = 0) => _bytes.AsSpan(Ensure(sizeHint));

        private int Ensure(int sizeHint)
        {
            var need = Length + Math.Max(sizeHint, 256);
            if (need > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(need, _bytes.Length * 2));
            }
            return Length;
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(GetSpan(bytes.Length));
            Length += bytes.Length;
        }

        public void Int16(short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(GetSpan(2), value);
            Length += 2;
        }

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
            Length += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(GetSpan(8), value);
            Length += 8;
        }

        /// <summary>A text field: its UTF-8 length, then its UTF-8 bytes.</summary>
        public void Text(string value)
        {
            var span = GetSpan(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
            var n = Encoding.UTF8.GetBytes(value, span[4..]);
            BinaryPrimitives.WriteInt32BigEndian(span, n);
            Length += 4 + n;
        }

        /// <summary>Skips <paramref name="count"/> bytes to be filled in by <see cref="Patch"/>; returns their position.</summary>
        public int Reserve(int count)
        {
            GetSpan(count);
            var at = Length;
            Length += count;
            return at;
        }

        public void Patch(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_bytes.AsSpan(position, 4), value);
    }

    /// <summary>Runs an <c>INSERT … RETURNING id</c> and returns the ids of <paramref name="events"/> it did not insert (null when none).</summary>
    private static async Task<HashSet<string>?> SkippedAsync(DbCommand insert, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        var inserted = new HashSet<string>(events.Count, StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted.Add(reader.GetString(0));
            }
        }
        if (inserted.Count == events.Count)
        {
            return null;
        }
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!inserted.Contains(e.Id))
            {
                skipped.Add(e.Id);
            }
        }
        return skipped;
    }

    protected override string DisplayName => "PostgreSQL";

    protected override IReadOnlyList<Migration> Migrations => PostgreSqlSchema.Migrations;

    protected override string MigrationSql(Migration migration) => migration.Sql.Replace("{0}", $"\"{_schema}\"", StringComparison.Ordinal);

    protected override async ValueTask<DbConnection> OpenUnmigratedAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A session-level advisory lock (a second host starting at the same time waits here, then finds the schema up
    /// to date), the schema and the version table.
    /// </summary>
    protected override async ValueTask<MigrationSession> BeginMigrationAsync(CancellationToken cancellationToken)
    {
        var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var acquire = conn.Command("SELECT pg_advisory_lock(@k)").P("@k", _migrationLock))
            {
                await acquire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var session = new MigrationSession(conn, async () =>
        {
            await using var release = conn.Command("SELECT pg_advisory_unlock(@k)").P("@k", _migrationLock);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        });
        try
        {
            await using var create = conn.Command($"CREATE SCHEMA IF NOT EXISTS \"{_schema}\"; CREATE TABLE IF NOT EXISTS {Table("schema_version")} (version integer PRIMARY KEY, description text NOT NULL, applied_at bigint NOT NULL)");
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async ValueTask<DbTransaction> BeginMigrationTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var exists = connection.Command("SELECT to_regclass(@t) IS NOT NULL").P("@t", $"\"{_schema}\".schema_version");
        exists.Transaction = transaction;
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return 0;
        }
        await using var cmd = connection.Command($"SELECT COALESCE(MAX(version), 0) FROM {Table("schema_version")}");
        cmd.Transaction = transaction;
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }
}
