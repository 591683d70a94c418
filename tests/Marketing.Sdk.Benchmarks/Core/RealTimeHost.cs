using System.Diagnostics;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Marketing.Sdk.Benchmarks.Core;

/// <summary>Where the real-time path keeps its state.</summary>
public enum RealTimeStore
{
    /// <summary>The in-memory stores (the default registration).</summary>
    InMemory,

    /// <summary>A fresh SQLite file.</summary>
    Sqlite,

    /// <summary>A fresh schema in MARKETING_SDK_TEST_POSTGRES.</summary>
    PostgreSql,
}

/// <summary>What the host runs on each accepted event.</summary>
[Flags]
public enum RealTimeFeatures
{
    /// <summary>Identity resolution, event and profile stores only.</summary>
    None = 0,

    /// <summary>The four real-time segments.</summary>
    Segments = 1,

    /// <summary>Lifecycle stage tracking.</summary>
    Stages = 2,

    /// <summary>The three journeys.</summary>
    Journeys = 4,

    /// <summary>Everything.</summary>
    All = Segments | Stages | Journeys,
}

/// <summary>
/// A host with the synthetic shop's set-up (the QuickStart's): identity resolution, 4 real-time segments,
/// lifecycle stage tracking and 3 journeys (cart abandoned, 7 days inactive, review request), over one of
/// the stores, with a fresh database each time.
/// </summary>
public sealed class RealTimeHost : IAsyncDisposable
{
    /// <summary>The QuickStart's segments (real-time: re-evaluated per customer on each accepted event).</summary>
    public static readonly (string Id, string Rule)[] Segments =
    [
        ("purchased_last_30d", "exists(purchase) within 30d"),
        ("maternity_browsers_no_buy_7d", """count(product_view where category starts with "maternity") within 7d >= 1 and not exists(purchase) within 7d"""),
        ("expecting_moms", """age between 25 and 40 and count(product_view where category starts with "maternity") within 30d >= 2 and not segment("purchased_last_30d")"""),
        ("big_spenders", "sum(value of purchase) within 90d >= 1500 and count(purchase) within 90d >= 3"),
    ];

    private readonly Func<ValueTask> _cleanup;

    private RealTimeHost(ServiceProvider provider, Func<ValueTask> cleanup)
    {
        Provider = provider;
        _cleanup = cleanup;
    }

    /// <summary>The services.</summary>
    public ServiceProvider Provider { get; }

    /// <summary>The collector.</summary>
    public IEventCollector Collector => Provider.GetRequiredService<IEventCollector>();

    /// <summary>The event store (the storage floor appends here).</summary>
    public IEventStore Events => Provider.GetRequiredService<IEventStore>();

    /// <summary>The synthetic shop's stream: <paramref name="count"/> valid events, ending about now.</summary>
    public static MarketingEvent[] Stream(int count)
    {
        var days = 90;
        var end = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(end.Date.AddDays(-days), TimeSpan.Zero).ToOffset(TimeSpan.FromHours(8));
        // About 43 events per person in the synthetic shop.
        var shop = new SyntheticShop(new SyntheticShopOptions { Customers = Math.Max(50, count / 40), InvalidRate = 0, Start = start, Days = days });
        return shop.Events().Take(count).ToArray();
    }

    /// <summary>Builds a host with a fresh, migrated database.</summary>
    public static async Task<RealTimeHost> CreateAsync(RealTimeStore store, RealTimeFeatures features = RealTimeFeatures.All, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IJourneyActionHandler, NoOpActionHandler>();
        Func<ValueTask> cleanup = () => ValueTask.CompletedTask;
        services.AddMarketingSdk(m =>
        {
            m.ConfigureIngestion(o => o.DefaultPhoneRegion = "CN");
            switch (store)
            {
                case RealTimeStore.Sqlite:
                {
                    var path = Path.Combine(Path.GetTempPath(), $"marketing-realtime-{Guid.NewGuid():N}.db");
                    m.UseSqlite($"Data Source={path}");
                    cleanup = () =>
                    {
                        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
                        {
                            File.Delete(f);
                        }
                        return ValueTask.CompletedTask;
                    };
                    break;
                }
                case RealTimeStore.PostgreSql:
                {
                    var cs = Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")
                        ?? throw new InvalidOperationException("Set MARKETING_SDK_TEST_POSTGRES to run the PostgreSQL benchmarks.");
                    var schema = "rt_" + Guid.NewGuid().ToString("N");
                    m.UsePostgreSql(cs, o => o.Schema = schema);
                    cleanup = async () =>
                    {
                        NpgsqlConnection.ClearAllPools();
                        await using var conn = new NpgsqlConnection(cs);
                        await conn.OpenAsync();
                        await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", conn);
                        await cmd.ExecuteNonQueryAsync();
                    };
                    break;
                }
            }
            if (features.HasFlag(RealTimeFeatures.Segments))
            {
                m.AddSegmentation();
            }
            if (features.HasFlag(RealTimeFeatures.Stages) || features.HasFlag(RealTimeFeatures.Journeys))
            {
                m.AddLifecycle(o =>
                {
                    o.Journeys.RunScheduler = false;
                    if (features.HasFlag(RealTimeFeatures.Journeys))
                    {
                        o.Journeys.Add("cart_abandoned", j => j
                            .OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Reentry(true, TimeSpan.FromDays(7))
                            .Wait(TimeSpan.FromHours(1)).IssueCoupon("CART10"));
                        o.Journeys.Add("recall_7d", j => j
                            .OnInactivity(TimeSpan.FromDays(7), EventType.Login).SendMessage(Channel.Sms, "we_miss_you"));
                        o.Journeys.Add("review_request", j => j
                            .OnEvent(EventType.Purchase).Wait(TimeSpan.FromDays(3)).SendMessage(Channel.Email, "review_request"));
                    }
                });
            }
        });
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        if (provider.GetService<IStorageMigrator>() is { } migrator)
        {
            await migrator.MigrateAsync();
        }
        if (features.HasFlag(RealTimeFeatures.Segments))
        {
            var segments = provider.GetRequiredService<ISegmentService>();
            foreach (var (id, rule) in Segments)
            {
                await segments.DefineAsync(SegmentDefinition.Parse(id, rule));
            }
        }
        return new RealTimeHost(provider, cleanup);
    }

    /// <summary>The stream as the pipeline stores it (customer ids resolved, flags and receive time set), for the storage floor.</summary>
    public static async Task<MarketingEvent[]> ResolvedAsync(MarketingEvent[] stream)
    {
        await using var host = await CreateAsync(RealTimeStore.InMemory, RealTimeFeatures.None);
        foreach (var batch in stream.Chunk(1_000))
        {
            await host.Collector.TrackBatchAsync(batch);
        }
        var stored = new Dictionary<string, MarketingEvent>(StringComparer.Ordinal);
        await foreach (var e in host.Events.ReadAsync(EventQuery.All))
        {
            stored[e.Id] = e;
        }
        // In the stream's order, each stored event once.
        return stream.Select(e => stored.GetValueOrDefault(e.Id)).OfType<MarketingEvent>().DistinctBy(e => e.Id).ToArray();
    }

    /// <summary>TrackBatchAsync in batches of <paramref name="batchSize"/>; returns the events accepted.</summary>
    public async Task<int> BatchesAsync(MarketingEvent[] stream, int batchSize)
    {
        var collector = Collector;
        var accepted = 0;
        for (var i = 0; i < stream.Length; i += batchSize)
        {
            accepted += (await collector.TrackBatchAsync(new ArraySegment<MarketingEvent>(stream, i, Math.Min(batchSize, stream.Length - i)))).Accepted;
        }
        return accepted;
    }

    /// <summary>
    /// TrackAsync from <paramref name="callers"/> concurrent callers, each taking the stream's next event
    /// (a web endpoint's requests); records each call's latency in <paramref name="latencies"/> (Stopwatch ticks).
    /// </summary>
    public async Task<int> ConcurrentAsync(MarketingEvent[] stream, int callers, long[] latencies)
    {
        var collector = Collector;
        var next = -1;
        var accepted = 0;
        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            tasks[c] = Task.Run(async () =>
            {
                var mine = 0;
                int i;
                while ((i = Interlocked.Increment(ref next)) < stream.Length)
                {
                    var started = Stopwatch.GetTimestamp();
                    var result = await collector.TrackAsync(stream[i]);
                    latencies[i] = Stopwatch.GetTimestamp() - started;
                    mine += result.Status == TrackStatus.Accepted ? 1 : 0;
                }
                Interlocked.Add(ref accepted, mine);
            });
        }
        await Task.WhenAll(tasks);
        return accepted;
    }

    /// <summary>The storage floor: the resolved stream appended to the bare event table in batches of <paramref name="batchSize"/>.</summary>
    public async Task<int> FloorAsync(MarketingEvent[] resolved, int batchSize)
    {
        var events = Events;
        var appended = 0;
        for (var i = 0; i < resolved.Length; i += batchSize)
        {
            appended += (await events.AppendAsync(new ArraySegment<MarketingEvent>(resolved, i, Math.Min(batchSize, resolved.Length - i)))).Inserted;
        }
        return appended;
    }

    /// <summary>p50 and p99 of recorded latencies, in milliseconds.</summary>
    public static (double P50, double P99) Percentiles(long[] latencies)
    {
        var sorted = latencies.Where(l => l > 0).Order().ToArray();
        if (sorted.Length == 0)
        {
            return (0, 0);
        }
        double Ms(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        return (Ms(0.50), Ms(0.99));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        await _cleanup();
    }

    /// <summary>Performs every action instantly (a platform that answers at once).</summary>
    private sealed class NoOpActionHandler : IJourneyActionHandler
    {
        public bool CanHandle(JourneyAction action) => true;

        public ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
