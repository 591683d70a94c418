using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Marketing.Sdk.Benchmarks.Storage;

/// <summary>
/// Shared set-up: N synthetic events (N from MARKETING_SDK_BENCH_EVENTS, default 1 000 000, the figure).
/// At that size one row-by-row iteration takes minutes (PostgreSQL: ≈ 15–30), so the classes declare a
/// single measured iteration in one process with no warm-up or pilot stages (<see cref="IngestJobAttribute"/>):
/// the run finishes in bounded time and the Ratio column still compares both methods on the same data in the same run.
/// [MemoryDiagnoser] adds one more iteration per method for the allocation figures, so a full PostgreSQL run at
/// 1 000 000 events takes about twice the row-by-row time (≈ 35 minutes on the 2-core machine); set
/// MARKETING_SDK_BENCH_EVENTS for a shorter run.
/// </summary>
public abstract class StorageIngestBenchmarkBase
{
    public static IEnumerable<int> Sizes() => [int.Parse(Environment.GetEnvironmentVariable("MARKETING_SDK_BENCH_EVENTS") ?? "1000000", System.Globalization.CultureInfo.InvariantCulture)];

    [ParamsSource(nameof(Sizes))]
    public int Events { get; set; }

    protected List<MarketingEvent> Data { get; private set; } = [];

    protected ServiceProvider? Provider { get; set; }

    protected IEventStore Store => Provider!.GetRequiredService<IEventStore>();

    protected void BuildEvents()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));
        var random = new Random(7);
        EventType[] types = [EventType.PageView, EventType.ProductView, EventType.AddToCart, EventType.Search];
        Data = Enumerable.Range(0, Events).Select(i => new MarketingEvent
        {
            Id = $"ev-{i:D8}",
            Type = types[i % types.Length],
            OccurredAt = start.AddSeconds(random.Next(0, 90 * 86400)),
            CustomerId = new CustomerId($"c_{i % 50_000:D6}"),
            Identities = [Identity.Cookie($"ck-{i % 50_000}")],
            Channel = Channel.Douyin,
            Properties = new Dictionary<string, PropertyValue> { [EventProperties.ProductId] = $"p-{i % 997}", [EventProperties.Price] = 19.90m },
        }).ToList();
    }

    /// <summary>The row-by-row baseline: one append (one transaction, one round trip) per event.</summary>
    protected async Task RowByRowAsync()
    {
        foreach (var e in Data)
        {
            await Store.AppendAsync([e]);
        }
    }

    /// <summary>
    /// The bulk path: one atomic <see cref="IEventStore.AppendAsync"/> per batch (SQLite: one transaction with a
    /// prepared statement; PostgreSQL: binary COPY). Measured with two batch sizes: 10 000 (a busy ingestion
    /// queue) and 100 000 (an import or backfill, which may hold the writer for a second per batch).
    /// </summary>
    protected async Task BulkAsync(int batchSize)
    {
        for (var i = 0; i < Data.Count; i += batchSize)
        {
            await Store.AppendAsync(Data.GetRange(i, Math.Min(batchSize, Data.Count - i)));
        }
    }
}

/// <summary>Event ingestion into SQLite: batched vs row-by-row.</summary>
[MemoryDiagnoser]
[IngestJob]
[InvocationCount(1)]
public class SqliteIngestBenchmarks : StorageIngestBenchmarkBase
{
    private string? _path;

    [GlobalSetup]
    public void Setup() => BuildEvents();

    [IterationSetup]
    public void NewDatabase()
    {
        Cleanup();
        _path = Path.Combine(Path.GetTempPath(), $"marketing-bench-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        new BenchBuilder(services).UseSqlite($"Data Source={_path}");
        Provider = services.BuildServiceProvider();
        Provider.GetRequiredService<IStorageMigrator>().MigrateAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        Provider?.Dispose();
        Provider = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_path is not null)
        {
            foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    [Benchmark(Baseline = true)]
    public Task RowByRow() => RowByRowAsync();

    [Benchmark]
    public Task Batched() => BulkAsync(10_000);

    [Benchmark]
    public Task BatchedLarge() => BulkAsync(100_000);
}

/// <summary>Event ingestion into PostgreSQL (MARKETING_SDK_TEST_POSTGRES): binary COPY vs row-by-row.</summary>
[MemoryDiagnoser]
[IngestJob]
[InvocationCount(1)]
public class PostgreSqlIngestBenchmarks : StorageIngestBenchmarkBase
{
    private readonly string _schema = "bench_" + Guid.NewGuid().ToString("N");
    private string _connectionString = "";

    [GlobalSetup]
    public void Setup()
    {
        _connectionString = Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set MARKETING_SDK_TEST_POSTGRES to a PostgreSQL connection string to run the PostgreSQL benchmarks.");
        BuildEvents();
        var services = new ServiceCollection();
        new BenchBuilder(services).UsePostgreSql(_connectionString, o => o.Schema = _schema);
        Provider = services.BuildServiceProvider();
        Provider.GetRequiredService<IStorageMigrator>().MigrateAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void Empty() => Execute($"TRUNCATE \"{_schema}\".events");

    [GlobalCleanup]
    public void Cleanup()
    {
        Provider?.Dispose();
        Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    private void Execute(string sql)
    {
        using var conn = new NpgsqlConnection(_connectionString);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true)]
    public Task RowByRow() => RowByRowAsync();

    [Benchmark]
    public Task BinaryCopy() => BulkAsync(10_000);

    [Benchmark]
    public Task BinaryCopyLarge() => BulkAsync(100_000);
}

/// <summary>One process, no warm-up or pilot, one measured iteration: minutes per method at 1 000 000 events.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class IngestJobAttribute : SimpleJobAttribute
{
    public IngestJobAttribute()
        : base(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)
    {
    }
}

internal sealed class BenchBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}
