using System.Data.Common;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>What differs between the SQL databases the stores run on.</summary>
internal abstract class RelationalDatabase
{
    protected RelationalDatabase(TimeProvider timeProvider, string tablePrefix)
    {
        Time = timeProvider;
        TablePrefix = tablePrefix;
    }

    /// <summary>The clock for lease, enqueue and completion times.</summary>
    public TimeProvider Time { get; }

    /// <summary>Prefix of table names (a quoted schema and a dot, or empty).</summary>
    public string TablePrefix { get; }

    /// <summary>Rows per page of streaming reads.</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>The storage metrics (from the host's meter factory when registered through DI).</summary>
    public StorageMetrics Metrics { get; init; } = new(null);

    /// <summary>The provider's name in exceptions and telemetry (e.g. <c>sqlite</c>).</summary>
    public abstract string ProviderName { get; }

    /// <summary>Whether retrying after <paramref name="exception"/> may succeed.</summary>
    public virtual bool IsTransient(DbException exception) => exception.IsTransient;

    /// <summary>The provider's error code of <paramref name="exception"/>, if any.</summary>
    public virtual string? ErrorCode(DbException exception) => exception.SqlState;

    /// <summary>Whether claim queries lock rows with <c>FOR UPDATE SKIP LOCKED</c>.</summary>
    public abstract bool SkipLocked { get; }

    /// <summary>A table name as used in SQL.</summary>
    public string Table(string name) => TablePrefix + name;

    /// <summary>Opens a connection for reading.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Opens a connection and begins a write transaction.</summary>
    public abstract ValueTask<WriteScope> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts events whose ids are unique within the batch, skipping ids already stored; returns the ids
    /// skipped, or <see langword="null"/> when every event was inserted.
    /// </summary>
    public abstract ValueTask<HashSet<string>?> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts outbox messages (and their payload rows) through a provider's fast path, skipping those whose
    /// (destination, idempotency key) is already stored; returns per message whether it was inserted, or
    /// <see langword="null"/> when the provider has no fast path and the store's generic statements are used.
    /// </summary>
    public virtual ValueTask<bool[]?> InsertOutboxAsync(WriteScope scope, IReadOnlyList<OutboxMessage> messages, long now, CancellationToken cancellationToken) =>
        ValueTask.FromResult<bool[]?>(null);

    /// <summary>
    /// Whether <see cref="LockCustomersAsync"/> takes locks (PostgreSQL); where it does not, the write transaction
    /// already excludes every other writer (SQLite).
    /// </summary>
    public virtual bool LocksCustomers => false;

    /// <summary>What follows a SELECT inside a write transaction to lock the rows it reads (<c> FOR UPDATE</c>), or nothing.</summary>
    public virtual string ForUpdate => string.Empty;

    /// <summary>
    /// Takes transaction-scoped locks on customers: shared for appends and claims, exclusive for merges,
    /// reassignments and erasures, so those never interleave with an append to the same customer. Callers pass
    /// every customer they need at once (taken in one fixed order, so two transactions never wait on each other
    /// in a cycle). The default does nothing.
    /// </summary>
    public virtual ValueTask LockCustomersAsync(WriteScope scope, IEnumerable<CustomerId> customers, bool exclusive, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <summary>Serialises audit-log appends within the transaction (no-op where the transaction already excludes other writers).</summary>
    public abstract ValueTask LockAuditChainAsync(WriteScope scope, CancellationToken cancellationToken);

    /// <summary>
    /// Runs after an erasure committed, outside its transaction: removes what the provider can of the erased rows'
    /// bytes from the database files (SQLite: a WAL checkpoint that truncates the <c>-wal</c> file; PostgreSQL: a
    /// VACUUM of <paramref name="tables"/> when configured). The default does nothing.
    /// </summary>
    /// <param name="tables">The tables the erasure deleted rows from (unprefixed names).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public virtual ValueTask CompactAfterErasureAsync(IReadOnlyList<string> tables, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public long NowTicks() => Time.GetUtcNow().UtcTicks;
}

/// <summary>
/// The migration lifecycle shared by the relational providers (a template method): migrate once on first use or
/// when the host starts, explicitly through <see cref="IStorageMigrator"/>, or read the version. Each migration runs
/// in its own transaction with its version row, after re-reading the version inside that transaction, so two
/// processes migrating at once apply each migration once. Providers say how to hold the migration lock, begin a
/// transaction, read the version and adapt a migration's SQL.
/// </summary>
internal abstract class MigratingRelationalDatabase : RelationalDatabase, IStorageMigrator
{
    private readonly object _gate = new();
    private Task<MigrationResult>? _migration;

    protected MigratingRelationalDatabase(TimeProvider timeProvider, string tablePrefix, bool autoMigrate, Microsoft.Extensions.Logging.ILogger? logger)
        : base(timeProvider, tablePrefix)
    {
        AutoMigrate = autoMigrate;
        Logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Whether the schema is migrated before first use.</summary>
    protected bool AutoMigrate { get; }

    protected Microsoft.Extensions.Logging.ILogger Logger { get; }

    /// <summary>The provider's name in log messages (e.g. <c>SQLite</c>).</summary>
    protected abstract string DisplayName { get; }

    /// <summary>The provider's migrations, by ascending version.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <inheritdoc />
    public int LatestVersion => Migrations[^1].Version;

    /// <summary>
    /// Takes the provider's migration lock and returns a connection on which the version table exists; disposing
    /// the session releases the lock and the connection.
    /// </summary>
    protected abstract ValueTask<MigrationSession> BeginMigrationAsync(CancellationToken cancellationToken);

    /// <summary>Begins the transaction one migration and its version row run in.</summary>
    protected abstract ValueTask<DbTransaction> BeginMigrationTransactionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The applied schema version (0 when the version table does not exist).</summary>
    protected abstract Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken);

    /// <summary>Opens a connection without migrating first.</summary>
    protected abstract ValueTask<DbConnection> OpenUnmigratedAsync(CancellationToken cancellationToken);

    /// <summary>A migration's SQL as run (e.g. with the schema filled in).</summary>
    protected virtual string MigrationSql(Migration migration) => migration.Sql;

    /// <summary>Migrates once, before the first use, when <see cref="AutoMigrate"/> is on.</summary>
    protected Task EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        if (!AutoMigrate)
        {
            return Task.CompletedTask;
        }
        var existing = Volatile.Read(ref _migration);
        if (existing is { IsCompletedSuccessfully: true })
        {
            return existing;
        }
        lock (_gate)
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
            await using var conn = await OpenUnmigratedAsync(cancellationToken).ConfigureAwait(false);
            return await ReadVersionAsync(conn, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call.Fail(ex))
        {
            throw call.Wrap(ex);
        }
    }

    private async Task<MigrationResult> MigrateCoreAsync(CancellationToken cancellationToken)
    {
        await using var session = await BeginMigrationAsync(cancellationToken).ConfigureAwait(false);
        var conn = session.Connection;
        var from = await ReadVersionAsync(conn, null, cancellationToken).ConfigureAwait(false);
        var applied = new List<int>();
        foreach (var m in Migrations)
        {
            if (m.Version <= from)
            {
                continue;
            }
            await using var tx = await BeginMigrationTransactionAsync(conn, cancellationToken).ConfigureAwait(false);
            if (await ReadVersionAsync(conn, tx, cancellationToken).ConfigureAwait(false) >= m.Version)
            {
                // Another process applied it since the version was read.
                continue;
            }
            await using (var ddl = conn.Command(MigrationSql(m)))
            {
                ddl.Transaction = tx;
                await ddl.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var mark = conn.Command($"INSERT INTO {Table("schema_version")} (version, description, applied_at) VALUES (@v, @d, @at)")
                .P("@v", m.Version).P("@d", m.Description).P("@at", NowTicks()))
            {
                mark.Transaction = tx;
                await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(m.Version);
            StorageLog.MigrationApplied(Logger, DisplayName, m.Version, m.Description);
        }
        var to = applied.Count > 0 ? applied[^1] : from;
        if (applied.Count == 0)
        {
            StorageLog.SchemaUpToDate(Logger, DisplayName, to);
        }
        return new MigrationResult(from, to, applied);
    }
}

/// <summary>A connection holding a provider's migration lock; disposing it releases both.</summary>
internal sealed class MigrationSession(DbConnection connection, Func<ValueTask>? release) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (release is not null)
            {
                await release().ConfigureAwait(false);
            }
        }
        finally
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A connection with an open write transaction; disposing without commit rolls back.</summary>
internal sealed class WriteScope : IAsyncDisposable
{
    private readonly Action? _release;
    private bool _disposed;

    public WriteScope(DbConnection connection, DbTransaction transaction, Action? release)
    {
        Connection = connection;
        Transaction = transaction;
        _release = release;
    }

    public DbConnection Connection { get; }

    public DbTransaction Transaction { get; }

    public DbCommand Command(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = Transaction;
        return cmd;
    }

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await Transaction.DisposeAsync().ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _release?.Invoke();
        }
    }
}

internal static class Db
{
    public static DbCommand P(this DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return cmd;
    }

    /// <summary>The placeholders of an <c>IN (…)</c> list: <c>@x0, @x1, …</c> for <paramref name="prefix"/> <c>@x</c>.</summary>
    public static string InList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Binds the values of an <see cref="InList"/> list with the same prefix.</summary>
    public static DbCommand PList<T>(this DbCommand cmd, string prefix, IReadOnlyList<T> values, Func<T, object?> value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            cmd.P(prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), value(values[i]));
        }
        return cmd;
    }

    public static DbCommand Command(this DbConnection connection, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    public static int Offset(DateTimeOffset value) => (int)value.Offset.TotalMinutes;

    public static DateTimeOffset Instant(long utcTicks, int offsetMinutes) =>
        new DateTimeOffset(utcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offsetMinutes));

    public static DateTimeOffset Utc(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    public static string? NullableString(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static long? NullableInt64(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}

/// <summary>Keyset paging: the one loop behind every streaming read of the relational stores.</summary>
internal static class KeysetPaging
{
    /// <summary>
    /// Streams rows in key order, one page of <see cref="RelationalDatabase.PageSize"/> rows per query on its own
    /// connection (read whole before any is yielded, so no connection stays open while the consumer works), the
    /// next page starting after the last key of the previous one. Stops at the first short page.
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="start">The key the first page starts after (or at, as <paramref name="page"/> decides).</param>
    /// <param name="page">Builds the query of a page: the connection, the key to start after, and whether it is the first page.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="keyOf">The key of a row.</param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    public static async IAsyncEnumerable<T> PagesAsync<T, TKey>(
        this RelationalDatabase db,
        TKey start,
        Func<DbConnection, TKey, bool, DbCommand> page,
        Func<DbDataReader, T> read,
        Func<T, TKey> keyOf,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = start;
        var first = true;
        while (true)
        {
            var rows = new List<T>(db.PageSize);
            await using (var conn = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var cmd = page(conn, last, first);
                await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(read(r));
                }
            }
            foreach (var row in rows)
            {
                yield return row;
            }
            if (rows.Count < db.PageSize)
            {
                yield break;
            }
            last = keyOf(rows[^1]);
            first = false;
        }
    }
}
