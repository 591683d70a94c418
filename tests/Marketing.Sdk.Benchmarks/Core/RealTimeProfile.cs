using System.Diagnostics;
using System.Runtime.CompilerServices;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Benchmarks.Core;

/// <summary>
/// An instrumented run (not a BenchmarkDotNet job): where the real-time path's time goes. Ingests the
/// same stream with the listeners added one at a time, counts the state-store calls per event, and
/// prints events/s and allocated bytes per event for each. Run:
/// <c>dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- realtime-profile [events] [sqlite|postgresql|inmemory]</c>.
/// </summary>
public static class RealTimeProfile
{
    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var store = args.Length > 2 ? Enum.Parse<RealTimeStore>(args[2], ignoreCase: true) : RealTimeStore.Sqlite;
        var stream = RealTimeHost.Stream(count);
        var resolved = await RealTimeHost.ResolvedAsync(stream);
        Console.WriteLine($"{store}, {stream.Length:N0} events, batches of 1 000");
        {
            await using var host = await RealTimeHost.CreateAsync(store, RealTimeFeatures.None);
            await MeasureAsync("storage floor (bare event table)", stream.Length, () => host.FloorAsync(resolved, 1_000), null);
        }
        foreach (var features in new[] { RealTimeFeatures.None, RealTimeFeatures.Segments, RealTimeFeatures.Stages, RealTimeFeatures.Stages | RealTimeFeatures.Journeys, RealTimeFeatures.All })
        {
            var counter = new CountingStateStore.Counts();
            await using var host = await RealTimeHost.CreateAsync(store, features, s => CountingStateStore.Wrap(s, counter));
            await MeasureAsync("collector + " + features, stream.Length, () => host.BatchesAsync(stream, 1_000), counter);
        }
        {
            await using var host = await RealTimeHost.CreateAsync(store, RealTimeFeatures.All);
            var latencies = new long[stream.Length];
            await MeasureAsync("TrackAsync x64 callers, All", stream.Length, () => host.ConcurrentAsync(stream, 64, latencies), null);
            var (p50, p99) = RealTimeHost.Percentiles(latencies);
            Console.WriteLine($"    latency p50 {p50:F2} ms, p99 {p99:F2} ms");
        }
    }

    private static async Task MeasureAsync(string name, int events, Func<Task<int>> run, CountingStateStore.Counts? counts)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var n = await run();
        watch.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Console.WriteLine($"{name,-48} {events / watch.Elapsed.TotalSeconds,10:N0} events/s  {bytes / (double)events,10:N0} B/event  ({n:N0} accepted/appended, {watch.Elapsed.TotalSeconds:F1} s)");
        if (counts is not null)
        {
            Console.WriteLine($"    state store per event: get {counts.Gets / (double)events:F2}, getMany {counts.GetManys / (double)events:F3}, save {counts.Saves / (double)events:F2}, saveMany {counts.SaveManys / (double)events:F3}, delete {counts.Deletes / (double)events:F2}, stream {counts.Streams / (double)events:F3}; time in store {counts.Elapsed.TotalSeconds:F1} s");
        }
    }
}

/// <summary>Counts and times the calls into the registered <see cref="IStateStore"/>.</summary>
internal sealed class CountingStateStore(IStateStore inner, CountingStateStore.Counts counts) : IStateStore
{
    public sealed class Counts
    {
        public long Gets;
        public long GetManys;
        public long Saves;
        public long SaveManys;
        public long Deletes;
        public long Streams;
        public long Ticks;

        public TimeSpan Elapsed => TimeSpan.FromSeconds(Interlocked.Read(ref Ticks) / (double)Stopwatch.Frequency);
    }

    public static void Wrap(IServiceCollection services, Counts counts)
    {
        var descriptor = services.Last(d => d.ServiceType == typeof(IStateStore));
        services.Add(ServiceDescriptor.Singleton<IStateStore>(sp => new CountingStateStore(Resolve(sp, descriptor), counts)));
    }

    private static IStateStore Resolve(IServiceProvider sp, ServiceDescriptor d) =>
        d.ImplementationInstance as IStateStore
        ?? (d.ImplementationFactory is { } f ? (IStateStore)f(sp) : (IStateStore)ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    private async ValueTask<T> Time<T>(ValueTask<T> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await call;
        }
        finally
        {
            Interlocked.Add(ref counts.Ticks, Stopwatch.GetTimestamp() - start);
        }
    }

    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.Gets);
        return Time(inner.GetAsync(scope, key, cancellationToken));
    }

    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.Saves);
        return Time(inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken));
    }

    public ValueTask<IReadOnlyDictionary<string, StateEntry>> GetManyAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.GetManys);
        return Time(inner.GetManyAsync(scope, keys, cancellationToken));
    }

    public ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.SaveManys);
        return Time(inner.SaveManyAsync(writes, cancellationToken));
    }

    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.Deletes);
        return Time(inner.DeleteAsync(scope, key, cancellationToken));
    }

    public async IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref counts.Streams);
        await foreach (var e in inner.StreamAsync(scope, keyPrefix, cancellationToken))
        {
            yield return e;
        }
    }
}
