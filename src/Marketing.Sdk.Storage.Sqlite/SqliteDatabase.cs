using System.Data.Common;
using System.Globalization;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Storage.Sqlite;

/// <summary>
/// The SQLite database behind the stores: one writer at a time (an in-process gate plus
/// <c>BEGIN IMMEDIATE</c> across processes), WAL journal, pooled connections.
/// </summary>
internal sealed class SqliteDatabase : RelationalDatabase, IStorageMigrator, IDisposable
{
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ILogger _logger;
    private readonly bool _autoMigrate;
    private readonly SqliteConnection? _keepAlive;
    private Task<MigrationResult>? _migration;

    public SqliteDatabase(SqliteStorageOptions options, TimeProvider timeProvider, ILogger? logger = null)
        : base(timeProvider, string.Empty)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = true,
            // Microsoft.Data.Sqlite retries busy statements until the command timeout (whole seconds), on top of busy_timeout.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        _connectionString = builder.ToString();
        // A 16 MiB page cache per connection (SQLite's default is 2 MiB): bulk appends touch pages of three
        // secondary indexes of the events table in time and customer order, which a 2 MiB cache keeps evicting.
        _pragmas = $"PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;";
        _logger = logger ?? NullLogger.Instance;
        _autoMigrate = options.MigrateOnStart;
        if (builder.Mode == SqliteOpenMode.Memory)
        {
            // A shared in-memory database lives as long as one connection to it is open.
            _keepAlive = new SqliteConnection(_connectionString);
            _keepAlive.Open();
        }
    }

    public override bool SkipLocked => false;

    public override string ProviderName => "sqlite";

    // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the lock past the busy timeout.
    public override bool IsTransient(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 } || exception.IsTransient;

    public override string? ErrorCode(DbException exception) =>
        exception is SqliteException e ? e.SqliteErrorCode.ToString(CultureInfo.InvariantCulture) : exception.SqlState;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_autoMigrate)
        {
            await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        }
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        try
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = conn.Command(_pragmas);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken cancellationToken)
    {
        if (_autoMigrate)
        {
            await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        }
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? conn = null;
        try
        {
            conn = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            var tx = conn.BeginTransaction(deferred: false);
            return new WriteScope(conn, tx, () => _writer.Release());
        }
        catch
        {
            if (conn is not null)
            {
                await conn.DisposeAsync().ConfigureAwait(false);
            }
            _writer.Release();
            throw;
        }
    }

    /// <summary>
    /// Rows per multi-row INSERT (7 bound parameters each, far under SQLite's variable limit). Kept small on
    /// purpose: parameters are bound by name on every execution and SQLite finds a name by a linear scan of the
    /// statement's parameters, so binding costs grow with the square of the chunk size while the per-statement
    /// cost saved shrinks as its inverse.
    /// </summary>
    internal const int InsertChunk = 8;

    private const string EventColumns = "id, customer_id, type, occurred_at, occurred_offset, received_at, data";

    public override async ValueTask<HashSet<string>?> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        HashSet<string>? skipped = null;
        using var json = new EventJsonBuffer();
        // One prepared multi-row statement, reused for every full chunk; the tail gets its own.
        ChunkInsert? full = null;
        try
        {
            for (var start = 0; start < events.Count; start += InsertChunk)
            {
                var count = Math.Min(InsertChunk, events.Count - start);
                if (count == InsertChunk)
                {
                    full ??= new ChunkInsert(scope, Table("events"), InsertChunk);
                    skipped = await full.RunAsync(events, start, json, skipped, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    using var tail = new ChunkInsert(scope, Table("events"), count);
                    skipped = await tail.RunAsync(events, start, json, skipped, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            full?.Dispose();
        }
        return skipped;
    }

    /// <summary>A prepared <c>INSERT … VALUES (…), (…) … ON CONFLICT (id) DO NOTHING RETURNING id</c> for a fixed number of rows.</summary>
    private sealed class ChunkInsert : IDisposable
    {
        private readonly DbCommand _cmd;
        private readonly SqliteParameter[] _p;
        private readonly int _rows;
        private readonly List<string> _returned = [];

        public ChunkInsert(WriteScope scope, string table, int rows)
        {
            _rows = rows;
            var sql = new System.Text.StringBuilder(64 + (rows * 48));
            sql.Append("INSERT INTO ").Append(table).Append(" (").Append(EventColumns).Append(") VALUES ");
            _cmd = scope.Command(string.Empty);
            _p = new SqliteParameter[rows * 7];
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < 7; c++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"@p{(r * 7) + c}");
                    sql.Append(c == 0 ? "" : ", ").Append(name);
                    _p[(r * 7) + c] = Add(_cmd, name, c is 3 or 4 or 5 ? SqliteType.Integer : SqliteType.Text);
                }
                sql.Append(')');
            }
            sql.Append(" ON CONFLICT (id) DO NOTHING RETURNING id");
            _cmd.CommandText = sql.ToString();
            _cmd.Prepare();
        }

        public async ValueTask<HashSet<string>?> RunAsync(IReadOnlyList<MarketingEvent> events, int start, EventJsonBuffer json, HashSet<string>? skipped, CancellationToken cancellationToken)
        {
            for (var r = 0; r < _rows; r++)
            {
                var e = events[start + r];
                var p = r * 7;
                _p[p].Value = e.Id;
                _p[p + 1].Value = e.CustomerId!.Value.Value;
                _p[p + 2].Value = e.Type.Value;
                _p[p + 3].Value = e.OccurredAt.UtcTicks;
                _p[p + 4].Value = Db.Offset(e.OccurredAt);
                _p[p + 5].Value = e.ReceivedAt is { } received ? received.UtcTicks : DBNull.Value;
                _p[p + 6].Value = json.String(e);
            }
            _returned.Clear();
            await using (var reader = await _cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                // RETURNING yields the inserted rows in no guaranteed order: when all rows came back, nothing was skipped.
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _returned.Add(reader.GetString(0));
                }
            }
            if (_returned.Count == _rows)
            {
                return skipped;
            }
            var inserted = new HashSet<string>(_returned, StringComparer.Ordinal);
            for (var r = 0; r < _rows; r++)
            {
                var id = events[start + r].Id;
                if (!inserted.Contains(id))
                {
                    (skipped ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
                }
            }
            return skipped;
        }

        public void Dispose() => _cmd.Dispose();
    }

    private static SqliteParameter Add(DbCommand cmd, string name, SqliteType type)
    {
        var p = new SqliteParameter(name, type);
        cmd.Parameters.Add(p);
        return p;
    }

    public override ValueTask LockAuditChainAsync(WriteScope scope, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private Task<MigrationResult> EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        var existing = Volatile.Read(ref _migration);
        if (existing is { IsCompletedSuccessfully: true })
        {
            return existing;
        }
        lock (_writer)
        {
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                _migration = MigrateCoreAsync(cancellationToken);
            }
            return _migration;
        }
    }

    public async ValueTask<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default)
    {
        using var call = this.Call("schema", "migrate");
        try
        {
            var result = await MigrateCoreAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _migration, Task.FromResult(result));
            return result;
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    public async ValueTask<int> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        using var call = this.Call("schema", "get_version");
        try
        {
            await using var conn = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            return await ReadVersionAsync(conn, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    private static async Task<int> ReadVersionAsync(SqliteConnection conn, SqliteTransaction? tx, CancellationToken cancellationToken)
    {
        await using var exists = conn.Command("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        exists.Transaction = tx;
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }
        await using var cmd = conn.Command("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        cmd.Transaction = tx;
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private async Task<MigrationResult> MigrateCoreAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var conn = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            await using (var wal = conn.Command("PRAGMA journal_mode = WAL;"))
            {
                await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var tx = conn.BeginTransaction(deferred: false);
            await using (var create = conn.Command("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)"))
            {
                create.Transaction = tx;
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var from = await ReadVersionAsync(conn, tx, cancellationToken).ConfigureAwait(false);
            var applied = new List<int>();
            foreach (var m in SqliteSchema.Migrations.Where(m => m.Version > from))
            {
                await using (var ddl = conn.Command(m.Sql))
                {
                    ddl.Transaction = tx;
                    await ddl.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await using (var mark = conn.Command("INSERT INTO schema_version (version, description, applied_at) VALUES (@v, @d, @at)")
                    .P("@v", m.Version).P("@d", m.Description).P("@at", NowTicks()))
                {
                    mark.Transaction = tx;
                    await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                applied.Add(m.Version);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var v in applied)
            {
                StorageLog.MigrationApplied(_logger, "SQLite", v, SqliteSchema.Migrations[v - 1].Description);
            }
            var to = applied.Count > 0 ? applied[^1] : from;
            if (applied.Count == 0)
            {
                StorageLog.SchemaUpToDate(_logger, "SQLite", to);
            }
            return new MigrationResult(from, to, applied);
        }
        finally
        {
            _writer.Release();
        }
    }

    public void Dispose()
    {
        _keepAlive?.Dispose();
        _writer.Dispose();
    }
}
