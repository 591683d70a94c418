using System.Data.Common;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.SharedSource.Tests;

/// <summary>
/// A minimal provider over a shared in-memory SQLite database, to drive the shared relational code: it counts the
/// connections opened (one per page or call) and runs the migrations it is given.
/// </summary>
internal sealed class TestDatabase : MigratingRelationalDatabase, IDisposable
{
    private readonly string _connectionString = $"Data Source=shared-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
    private readonly SqliteConnection _keepAlive;
    private readonly IReadOnlyList<Migration> _migrations;

    public TestDatabase(IReadOnlyList<Migration> migrations, bool autoMigrate = false, ILogger? logger = null, int pageSize = 1000)
        : base(TimeProvider.System, string.Empty, autoMigrate, logger)
    {
        _migrations = migrations;
        PageSize = pageSize;
        _keepAlive = new SqliteConnection(_connectionString);
        _keepAlive.Open();
    }

    public int Opened { get; private set; }

    public int Locks { get; private set; }

    public override string ProviderName => "test";

    public override bool SkipLocked => false;

    protected override string DisplayName => "Test";

    protected override IReadOnlyList<Migration> Migrations => _migrations;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureMigratedAsync(cancellationToken);
        return await OpenUnmigratedAsync(cancellationToken);
    }

    protected override async ValueTask<DbConnection> OpenUnmigratedAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(cancellationToken);
        Opened++;
        return conn;
    }

    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var conn = (SqliteConnection)await OpenAsync(cancellationToken);
        return new WriteScope(conn, conn.BeginTransaction(), null);
    }

    public override ValueTask<HashSet<string>?> InsertEventsAsync(WriteScope scope, IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The shared-code test database stores no events.");

    public override ValueTask LockAuditChainAsync(WriteScope scope, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override async ValueTask<MigrationSession> BeginMigrationAsync(CancellationToken cancellationToken)
    {
        Locks++;
        var conn = await OpenUnmigratedAsync(cancellationToken);
        await using (var create = conn.Command("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        return new MigrationSession(conn, null);
    }

    protected override ValueTask<DbTransaction> BeginMigrationTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction());

    protected override async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var exists = connection.Command("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        exists.Transaction = transaction;
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            return 0;
        }
        await using var cmd = connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        cmd.Transaction = transaction;
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken));
    }

    public void Dispose() => _keepAlive.Dispose();
}
