using DuckDB.NET.Data;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Export.Parquet;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Marketing.Sdk.Export.Parquet.Tests;

/// <summary>
/// A host on a real store (a SQLite file, or a fresh schema of the PostgreSQL server named by
/// <c>MARKETING_SDK_TEST_POSTGRES</c>; without it the PostgreSQL cases are skipped, except under CI where they fail),
/// with segmentation, compliance and the Parquet export into a temporary folder, on a fake clock.
/// </summary>
internal sealed class ExportHarness : IAsyncDisposable
{
    public const string PostgresVariable = "MARKETING_SDK_TEST_POSTGRES";

    /// <summary>The pseudonymisation key of the tests (32 bytes).</summary>
    public static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    private readonly Func<ValueTask> _cleanup;

    private ExportHarness(ServiceProvider provider, FakeTimeProvider time, string directory, Func<ValueTask> cleanup)
    {
        Provider = provider;
        Time = time;
        Directory = directory;
        _cleanup = cleanup;
    }

    public ServiceProvider Provider { get; }
    public FakeTimeProvider Time { get; }
    public string Directory { get; }
    public ParquetExporter Exporter => Provider.GetRequiredService<ParquetExporter>();
    public IEventStore Events => Provider.GetRequiredService<IEventStore>();
    public IProfileStore Profiles => Provider.GetRequiredService<IProfileStore>();
    public IStateStore State => Provider.GetRequiredService<IStateStore>();
    public ISegmentService Segments => Provider.GetRequiredService<ISegmentService>();
    public IEventCollector Collector => Provider.GetRequiredService<IEventCollector>();
    public DataSubjectRequestService Dsr => Provider.GetRequiredService<DataSubjectRequestService>();

    public static string PostgresConnectionString()
    {
        var cs = Environment.GetEnvironmentVariable(PostgresVariable);
        if (!string.IsNullOrWhiteSpace(cs))
        {
            return cs;
        }
        var message = $"Set {PostgresVariable} to a PostgreSQL connection string to run the PostgreSQL export tests.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(message + " Under CI they must run.");
        }
        throw new SkipException(message);
    }

    public static async Task<ExportHarness> CreateAsync(string store, Action<ParquetExportOptions>? configure = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero));
        var directory = System.IO.Directory.CreateTempSubdirectory("marketing-sdk-parquet-").FullName;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        Func<ValueTask> dropStore;
        string? sqlitePath = null;
        string? pgConnection = null;
        string? pgSchema = null;
        if (store == "postgresql")
        {
            pgConnection = PostgresConnectionString();
            pgSchema = "t_" + Guid.NewGuid().ToString("N");
            dropStore = async () =>
            {
                await using var conn = new NpgsqlConnection(pgConnection);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{pgSchema}\" CASCADE", conn);
                await cmd.ExecuteNonQueryAsync();
            };
        }
        else
        {
            sqlitePath = Path.Combine(Path.GetTempPath(), $"marketing-sdk-parquet-{Guid.NewGuid():N}.db");
            dropStore = () =>
            {
                SqliteConnection.ClearAllPools();
                foreach (var f in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" })
                {
                    File.Delete(f);
                }
                return ValueTask.CompletedTask;
            };
        }
        services.AddMarketingSdk(m =>
        {
            if (pgConnection is not null)
            {
                m.UsePostgreSql(pgConnection, o => o.Schema = pgSchema!);
            }
            else
            {
                m.UseSqlite($"Data Source={sqlitePath}");
            }
            m.AddSegmentation().AddCompliance().AddParquetExport(o =>
            {
                o.Directory = directory;
                o.PseudonymisationKey = Convert.ToBase64String(Key);
                // Uncompressed, so that searching the files' bytes for a value is meaningful.
                o.Compression = ParquetExportCompression.None;
                // Small row groups and files, so that the tests cross row-group and file boundaries.
                o.RowGroupSize = 16;
                o.MaxRowsPerFile = 40;
                o.PageSize = 7;
                configure?.Invoke(o);
            });
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        return new ExportHarness(provider, time, directory, async () =>
        {
            await provider.DisposeAsync();
            await dropStore();
            System.IO.Directory.Delete(directory, recursive: true);
        });
    }

    /// <summary>Every exported file (relative, '/' separators), sorted.</summary>
    public List<string> Files(string? kind = null) =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(kind is null ? Directory : Path.Combine(Directory, kind), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Directory, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Runs a query over the files with DuckDB; <c>{kind}</c> in the SQL is replaced by a hive-partitioned read of that kind's files.</summary>
    public List<object?[]> Query(string sql)
    {
        foreach (var kind in new[] { "events", "profiles", "identities", "attribution_paths", "segment_memberships" })
        {
            sql = sql.Replace("{" + kind + "}", $"read_parquet('{Directory.Replace('\\', '/')}/{kind}/*/*.parquet', hive_partitioning = true)", StringComparison.Ordinal);
        }
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public async Task<List<MarketingEvent>> StoredEventsAsync()
    {
        var list = new List<MarketingEvent>();
        await foreach (var e in Events.ReadAsync(EventQuery.All))
        {
            list.Add(e);
        }
        return list;
    }

    public async Task<List<CustomerProfile>> StoredProfilesAsync()
    {
        var list = new List<CustomerProfile>();
        await foreach (var p in Profiles.StreamAsync())
        {
            list.Add(p);
        }
        return list;
    }

    public async ValueTask DisposeAsync() => await _cleanup();
}
