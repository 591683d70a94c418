using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Marketing.Sdk.Benchmarks.Storage;

namespace Marketing.Sdk.Benchmarks.Core;

/// <summary>
/// The real-time path with everything on (identity resolution, 4 real-time segments, stage tracking,
/// 3 journeys) on the synthetic shop's stream, per store: (a) TrackBatchAsync in batches of 1 000,
/// (b) TrackAsync from 64 concurrent callers (p50/p99 printed to the log as "// latency"), against
/// (c) the same stream appended to the bare event table (the storage floor, the baseline). The
/// in-memory stores are (d). Stream size from MARKETING_SDK_BENCH_EVENTS (default 100 000; the issue's
/// 1 M takes far too long on a 2-core machine with everything on). PostgreSQL runs only when
/// MARKETING_SDK_TEST_POSTGRES is set. Run:
/// <c>MARKETING_SDK_BENCH_EVENTS=20000 dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- --filter '*RealTimePath*'</c>.
/// </summary>
[MemoryDiagnoser]
[IngestJob]
[InvocationCount(1)]
[Config(typeof(RealTimeColumns))]
public class RealTimePathBenchmarks
{
    private MarketingEvent[] _stream = [];
    private MarketingEvent[] _resolved = [];
    private RealTimeHost? _host;
    private long[] _latencies = [];

    public static IEnumerable<int> Sizes() => [int.Parse(Environment.GetEnvironmentVariable("MARKETING_SDK_BENCH_EVENTS") ?? "100000", System.Globalization.CultureInfo.InvariantCulture)];

    public static IEnumerable<RealTimeStore> Stores() =>
        Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES") is null
            ? [RealTimeStore.Sqlite, RealTimeStore.InMemory]
            : [RealTimeStore.Sqlite, RealTimeStore.PostgreSql, RealTimeStore.InMemory];

    [ParamsSource(nameof(Sizes))]
    public int Events { get; set; }

    [ParamsSource(nameof(Stores))]
    public RealTimeStore Store { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stream = RealTimeHost.Stream(Events);
        _resolved = RealTimeHost.ResolvedAsync(_stream).GetAwaiter().GetResult();
        _latencies = new long[_stream.Length];
    }

    [IterationSetup]
    public void NewHost()
    {
        Cleanup();
        _host = RealTimeHost.CreateAsync(Store, RealTimeFeatures.All).GetAwaiter().GetResult();
        Array.Clear(_latencies);
    }

    [IterationCleanup]
    public void Cleanup()
    {
        if (_latencies.Any(l => l > 0))
        {
            var (p50, p99) = RealTimeHost.Percentiles(_latencies);
            Console.WriteLine($"// latency {Store} TrackAsync x64: p50 {p50:F2} ms, p99 {p99:F2} ms");
        }
        _host?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _host = null;
    }

    [Benchmark(Baseline = true, Description = "(c) storage floor: bare event table, 1 000 per append")]
    public Task<int> Floor() => _host!.FloorAsync(_resolved, 1_000);

    [Benchmark(Description = "(a) TrackBatchAsync, 1 000 per batch, everything on")]
    public Task<int> Batches() => _host!.BatchesAsync(_stream, 1_000);

    [Benchmark(Description = "(b) TrackAsync from 64 callers, everything on")]
    public Task<int> Concurrent() => _host!.ConcurrentAsync(_stream, 64, _latencies);
}

/// <summary>Adds events/s and bytes allocated per event to the summary.</summary>
public sealed class RealTimeColumns : ManualConfig
{
    public RealTimeColumns() => AddColumn(new PerEventColumn(false), new PerEventColumn(true));

    private sealed class PerEventColumn(bool allocations) : IColumn
    {
        public string Id => allocations ? "AllocPerEvent" : "EventsPerSecond";
        public string ColumnName => allocations ? "B/event" : "Events/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => allocations ? 1 : 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => allocations ? "Bytes allocated per event" : "Events per second (stream size / mean time)";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            var events = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(RealTimePathBenchmarks.Events))?.Value is int n ? n : 0;
            if (report?.ResultStatistics is not { } stats || events == 0)
            {
                return "-";
            }
            if (allocations)
            {
                var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
                return bytes is { } b ? (b / (double)events).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-";
            }
            return (events / (stats.Mean / 1e9)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
