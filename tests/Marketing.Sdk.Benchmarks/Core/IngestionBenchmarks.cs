using BenchmarkDotNet.Attributes;
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Benchmarks.Core;

/// <summary>
/// Ingesting events of a synthetic shop (validation, cleaning, identity resolution, storage) into
/// the in-memory stores: batches of 1 000 against one call per event.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class IngestionBenchmarks
{
    [Params(1_000_000)]
    public int Events { get; set; }

    private MarketingEvent[] _events = [];
    private ServiceProvider? _provider;
    private IEventCollector? _collector;

    [GlobalSetup]
    public void Setup()
    {
        // About 43 events per person in the synthetic shop.
        var shop = new SyntheticShop(new SyntheticShopOptions { Customers = Events / 40, InvalidRate = 0 });
        _events = shop.Events().Take(Events).ToArray();
    }

    [IterationSetup]
    public void NewHost()
    {
        _provider?.Dispose();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.ConfigureIngestion(o => o.DefaultPhoneRegion = "CN"));
        _provider = services.BuildServiceProvider();
        _collector = _provider.GetRequiredService<IEventCollector>();
    }

    [GlobalCleanup]
    public void Cleanup() => _provider?.Dispose();

    [Benchmark(Baseline = true, Description = "one TrackAsync per event")]
    public async Task<int> OneByOne()
    {
        var accepted = 0;
        foreach (var e in _events)
        {
            accepted += (await _collector!.TrackAsync(e)).Status == TrackStatus.Accepted ? 1 : 0;
        }
        return accepted;
    }

    [Benchmark(Description = "TrackBatchAsync, 1 000 per batch")]
    public async Task<int> Batched()
    {
        var accepted = 0;
        foreach (var batch in _events.Chunk(1_000))
        {
            accepted += (await _collector!.TrackBatchAsync(batch)).Accepted;
        }
        return accepted;
    }
}
