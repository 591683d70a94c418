using System.Data.Common;
using System.Globalization;
using System.Text;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SQLitePCL;
using static Marketing.Sdk.Storage.Sqlite.SqliteNative;

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
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<sqlite3, object> _configured = new();
    private static readonly object Configured = new();
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
            // The settings belong to the native connection, which the pool keeps open between uses: applied once.
            if (!_configured.TryGetValue(conn.Handle!, out _))
            {
                await using var cmd = conn.Command(_pragmas);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _configured.AddOrUpdate(conn.Handle!, Configured);
            }
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

    private const string EventColumns = "id, customer_id, type, occurred_at, occurred_offset, received_at, data";

    /// <summary>
    /// Inserts the rows with one prepared single-row <c>INSERT … ON CONFLICT (id) DO NOTHING</c>, stepped once per
    /// event through SQLite's own API: values are bound by position as UTF-8 (the document straight from the
    /// serializer's buffer), so no parameter is looked up by name and no string is built per value. SQLite runs
    /// in-process, so a multi-row statement saves nothing here; a row that changed nothing had a stored id.
    /// </summary>
    public override ValueTask<HashSet<string>?> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var handle = ((SqliteConnection)scope.Connection).Handle!;
        HashSet<string>? skipped = null;
        using var json = new EventJsonBuffer();
        var text = new Utf8Text();
        using var stmt = Prepare(handle, $"INSERT INTO {Table("events")} ({EventColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING");
        for (var i = 0; i < events.Count; i++)
        {
            if ((i & 1023) == 1023)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var e = events[i];
            BindText(stmt, 1, text.Get(e.Id), handle);
            BindText(stmt, 2, text.Get(e.CustomerId!.Value.Value), handle);
            BindText(stmt, 3, text.Get(e.Type.Value), handle);
            Check(raw.sqlite3_bind_int64(stmt, 4, e.OccurredAt.UtcTicks), handle);
            Check(raw.sqlite3_bind_int(stmt, 5, Db.Offset(e.OccurredAt)), handle);
            Check(e.ReceivedAt is { } received ? raw.sqlite3_bind_int64(stmt, 6, received.UtcTicks) : raw.sqlite3_bind_null(stmt, 6), handle);
            BindText(stmt, 7, json.Utf8(e), handle);
            Step(stmt, handle);
            if (raw.sqlite3_changes(handle) == 0)
            {
                (skipped ??= new HashSet<string>(StringComparer.Ordinal)).Add(e.Id);
            }
            Check(raw.sqlite3_reset(stmt), handle);
        }
        return ValueTask.FromResult(skipped);
    }

    public override ValueTask<bool[]?> InsertOutboxAsync(WriteScope scope, IReadOnlyList<OutboxMessage> messages, long now, CancellationToken cancellationToken) =>
        ValueTask.FromResult<bool[]?>(SqliteOutboxWriter.Insert(scope, Table("outbox_messages"), Table("outbox_payloads"), messages, now, cancellationToken));

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

    public int LatestVersion => SqliteSchema.Migrations[^1].Version;

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
