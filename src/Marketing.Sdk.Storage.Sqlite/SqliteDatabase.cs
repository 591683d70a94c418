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
        _pragmas = $"PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;";
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

    public override async ValueTask<HashSet<string>> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        var inserted = new HashSet<string>(events.Count, StringComparer.Ordinal);
        await using var cmd = scope.Command($"INSERT INTO {Table("events")} (id, customer_id, type, occurred_at, occurred_offset, received_at, data) VALUES (@id, @c, @t, @at, @off, @rec, @data) ON CONFLICT (id) DO NOTHING");
        var id = Add(cmd, "@id", SqliteType.Text);
        var c = Add(cmd, "@c", SqliteType.Text);
        var t = Add(cmd, "@t", SqliteType.Text);
        var at = Add(cmd, "@at", SqliteType.Integer);
        var off = Add(cmd, "@off", SqliteType.Integer);
        var rec = Add(cmd, "@rec", SqliteType.Integer);
        var data = Add(cmd, "@data", SqliteType.Text);
        cmd.Prepare();
        foreach (var e in events)
        {
            id.Value = e.Id;
            c.Value = e.CustomerId!.Value.Value;
            t.Value = e.Type.Value;
            at.Value = e.OccurredAt.UtcTicks;
            off.Value = Db.Offset(e.OccurredAt);
            rec.Value = e.ReceivedAt is { } r ? r.UtcTicks : DBNull.Value;
            data.Value = StoreJson.SerializeEvent(e);
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                inserted.Add(e.Id);
            }
        }
        return inserted;
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
