using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.Meta;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Benchmarks.Platforms;

/// <summary>
/// Conversions to Meta over loopback: the full durable pipeline (publish — validation, hashing, JSON,
/// SQLite outbox — then the delivery worker — claim, consent gate, batching, HTTP through the
/// resilient client, per-item acks) against a raw <see cref="HttpClient"/> loop posting the same
/// pre-built, pre-hashed batches to the same emulator. Both see the same emulator work per event.
/// Both are measured at steady state: each process first runs the emulator's request path (and the pipeline
/// process the pipeline) until the runtime has recompiled the hot code with full optimisation. With only
/// a few iterations the raw loop would otherwise run the emulator's first-tier code, several times slower.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
public class PlatformDeliveryBenchmarks
{
    private const string Pixel = "880000000000002";
    private const string Token = "meta-bench-token";

    [Params(10_000)]
    public int Conversions { get; set; }

    private MetaEmulator _emulator = null!;
    private HttpClient _raw = null!;
    private ConversionRequest[] _conversions = [];
    private CustomerId[] _customers = [];
    private byte[][] _rawBatches = [];
    private string _directory = "";
    private ServiceProvider? _host;

    /// <summary>Rounds of the raw loop (and of the pipeline) run before measuring: enough for tiered compilation to finish.</summary>
    private const int WarmRounds = 40;

    [GlobalSetup(Target = nameof(RawHttpLoop))]
    public void SetupRaw()
    {
        Setup();
        WarmEmulator();
    }

    [GlobalSetup(Target = nameof(DurablePipeline))]
    public void SetupPipeline()
    {
        Setup();
        WarmEmulator();
        for (var i = 0; i < WarmRounds / 4; i++)
        {
            NewHost();
            DurablePipeline().GetAwaiter().GetResult();
        }
    }

    private void WarmEmulator()
    {
        for (var i = 0; i < WarmRounds; i++)
        {
            RawHttpLoop().GetAwaiter().GetResult();
        }
    }

    private void Setup()
    {
        _emulator = new MetaEmulator(Token);
        _emulator.AddPixel(Pixel);
        _emulator.StartAsync().GetAwaiter().GetResult();
        _raw = new HttpClient { BaseAddress = _emulator.BaseAddress };
        _directory = Path.Combine(Path.GetTempPath(), "delivery-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var now = DateTimeOffset.UtcNow;
        _customers = [.. Enumerable.Range(0, 1_000).Select(_ => CustomerId.New())];
        _conversions = [.. Enumerable.Range(0, Conversions).Select(i => new ConversionRequest
        {
            EventId = $"bench-{i:D7}",
            EventType = EventType.Purchase,
            OccurredAt = now.AddMinutes(-(i % 600)),
            CustomerId = _customers[i % _customers.Length],
            Value = new Money(10m + (i % 90), "USD"),
            OrderId = $"order-{i:D7}",
            Items = [new ConversionItem($"sku-{i % 240:D5}", 1 + (i % 3), 10m)],
            Customer = new CustomerMatchData { Email = $"shopper{i % 1000}@example.com", Phone = $"+1650555{i % 1000:D4}", FirstName = "Ann", Country = "US" },
            Clicks = new ClickIdentifiers { ClientIpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0 (bench)" },
            SourceUrl = new Uri("https://shop.example/checkout/done"),
        })];
        // The raw loop's batches: the same events, already hashed and serialised as the client's JSON body.
        _rawBatches = [.. _conversions.Chunk(MetaPlatformClient.MaxEventsPerRequest).Select(chunk =>
        {
            var events = chunk.Select(c => MetaPlatformClient.ToEvent(ConversionPublisher.Prepare(c, HashingProfile.Meta))).ToList();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WritePropertyName("data");
                JsonSerializer.Serialize(writer, events, MetaJsonContext.Default.ListCapiEvent);
                writer.WriteString("access_token", Token);
                writer.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        })];
    }

    [IterationSetup(Target = nameof(DurablePipeline))]
    public void NewHost()
    {
        _host?.Dispose();
        SqliteConnection.ClearAllPools();
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m
            .UseSqlite($"Data Source={Path.Combine(_directory, $"{Guid.NewGuid():N}.db")}")
            .AddCompliance()
            .AddPlatforms(o => o.RunInBackground = false)
            .AddMetaPlatform(o =>
            {
                o.AccessToken = Token;
                o.PixelId = Pixel;
                o.BaseAddress = _emulator.BaseAddress;
                o.RequestsPerSecond = 0;
            }));
        _host = services.BuildServiceProvider();
        _host.GetRequiredService<IStorageMigrator>().MigrateAsync().AsTask().GetAwaiter().GetResult();
        var ledger = _host.GetRequiredService<ConsentLedger>();
        foreach (var customer in _customers)
        {
            ledger.RecordAsync(customer, [ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer], true, new ConsentCapture(ConsentSources.Web))
                .AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host?.Dispose();
        _raw.Dispose();
        _emulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "raw HttpClient loop, pre-built batches")]
    public async Task<int> RawHttpLoop()
    {
        var sent = 0;
        foreach (var body in _rawBatches)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _raw.PostAsync($"v25.0/{Pixel}/events", content);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            sent += doc.RootElement.GetProperty("events_received").GetInt32();
        }
        return sent;
    }

    [Benchmark(Description = "durable pipeline: publish to the SQLite outbox, deliver, ack")]
    public async Task<int> DurablePipeline()
    {
        var host = _host!;
        await host.GetRequiredService<IConversionPublisher>().PublishAsync(_conversions);
        var worker = host.GetRequiredService<PlatformDeliveryWorker>();
        var delivered = 0;
        while (await worker.DeliverOnceAsync(MetaPlatformClient.DefaultDestination) is { Claimed: > 0 } round)
        {
            delivered += round.Delivered;
        }
        if (delivered != Conversions)
        {
            throw new InvalidOperationException($"Delivered {delivered} of {Conversions}.");
        }
        return delivered;
    }
}
