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
