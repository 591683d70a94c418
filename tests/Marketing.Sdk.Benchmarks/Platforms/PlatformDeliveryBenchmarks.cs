using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Platforms.Meta;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Storage.Sqlite;
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
/// A third method is a reference for the least any SQLite outbox costs per message (<see cref="BareSqliteOutbox"/>).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 1)]
public class PlatformDeliveryBenchmarks
{
    private const string Pixel = "880000000000002";
    private const string Token = "meta-bench-token";

    [Params(10_000)]
    public int Conversions { get; set; }

    /// <summary>
    /// The emulator's answer time per request. Zero is the goal's case (the emulator answers as fast as it
    /// can); 50 ms is a platform far faster than the real ones, whose requests cross the internet.
    /// </summary>
    [Params(0, 50)]
    public int LatencyMs { get; set; }

    private MetaEmulator _emulator = null!;
    private HttpClient _raw = null!;
    private ConversionRequest[] _conversions = [];
    private CustomerId[] _customers = [];
    private byte[][] _rawBatches = [];
    private string _directory = "";
    private ServiceProvider? _host;
    private SqliteConnection? _bare;

    /// <summary>Rounds of the raw loop (and of the pipeline) run before measuring: enough for tiered compilation to finish.</summary>
    private const int WarmRounds = 40;

    [GlobalSetup(Target = nameof(RawHttpLoop))]
    public void SetupRaw()
    {
        Setup();
        WarmEmulator();
    }

    [GlobalSetup(Targets = [nameof(DurablePipeline), nameof(DurablePipelineTwoInFlight)])]
    public void SetupPipeline()
    {
        Setup();
        WarmEmulator();
        for (var i = 0; i < WarmRounds / 4; i++)
        {
            NewHost();
            PipelineAsync(i % 2 + 1).GetAwaiter().GetResult();
        }
    }

    [GlobalSetup(Target = nameof(BareSqliteOutbox))]
    public void SetupBare() => Setup();

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
        _emulator.Latency = TimeSpan.FromMilliseconds(LatencyMs);
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

    [IterationSetup(Targets = [nameof(DurablePipeline), nameof(DurablePipelineTwoInFlight)])]
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

    [IterationSetup(Target = nameof(BareSqliteOutbox))]
    public void NewBareOutbox()
    {
        _bare?.Dispose();
        _bare = new SqliteConnection($"Data Source={Path.Combine(_directory, $"bare-{Guid.NewGuid():N}.db")};Pooling=False");
        _bare.Open();
        using var cmd = _bare.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;
            CREATE TABLE messages (id INTEGER PRIMARY KEY, destination TEXT NOT NULL, idempotency_key TEXT NOT NULL, state INTEGER NOT NULL, lease TEXT NULL, UNIQUE (destination, idempotency_key));
            CREATE TABLE payloads (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
            """;
        cmd.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host?.Dispose();
        _bare?.Dispose();
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
    public Task<int> DurablePipeline() => PipelineAsync(1);

    /// <summary>The same with <see cref="PlatformDeliveryOptions.ConcurrentBatches"/> = 2: two delivery loops, as the background service runs them.</summary>
    [Benchmark(Description = "durable pipeline, two batches in flight")]
    public Task<int> DurablePipelineTwoInFlight() => PipelineAsync(2);

    private async Task<int> PipelineAsync(int loops)
    {
        var host = _host!;
        await host.GetRequiredService<IConversionPublisher>().PublishAsync(_conversions);
        var worker = host.GetRequiredService<PlatformDeliveryWorker>();
        var delivered = 0;
        await Task.WhenAll(Enumerable.Range(0, loops).Select(async _ =>
        {
            while (await worker.DeliverOnceAsync(MetaPlatformClient.ConversionsDestination) is { Claimed: > 0 } round)
            {
                Interlocked.Add(ref delivered, round.Delivered);
            }
        }));
        if (delivered != Conversions)
        {
            throw new InvalidOperationException($"Delivered {delivered} of {Conversions}.");
        }
        return delivered;
    }

    /// <summary>
    /// A reference point, not a product path: the least any outbox on SQLite does per message. A table of
    /// only an id, destination, idempotency key, state and lease (one unique index) and a payload table;
    /// 900-byte payloads inserted in one transaction through prepared native statements, claimed in
    /// statements of 1 000 that return the payloads, and acknowledged in statements of 1 000. No hashing,
    /// JSON, consent, customer or due index, and no HTTP.
    /// </summary>
    [Benchmark(Description = "reference: bare SQLite outbox (insert, claim, ack only)")]
    public int BareSqliteOutbox()
    {
        var db = _bare!;
        var handle = db.Handle!;
        var payload = new byte[900];
        void Exec(string sql)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        Exec("BEGIN IMMEDIATE");
        var text = new Utf8Text();
        using (var insertMessage = SqliteNative.Prepare(handle, "INSERT INTO messages (destination, idempotency_key, state) VALUES ('meta.capi', ?1, 0) ON CONFLICT DO NOTHING"))
        using (var insertPayload = SqliteNative.Prepare(handle, "INSERT INTO payloads (id, payload) VALUES (?1, ?2)"))
        {
            foreach (var conversion in _conversions)
            {
                SqliteNative.BindText(insertMessage, 1, text.Get(conversion.EventId), handle);
                SqliteNative.Step(insertMessage, handle);
                SqliteNative.Check(SQLitePCL.raw.sqlite3_reset(insertMessage), handle);
                SqliteNative.Check(SQLitePCL.raw.sqlite3_bind_int64(insertPayload, 1, SQLitePCL.raw.sqlite3_last_insert_rowid(handle)), handle);
                SqliteNative.Check(SQLitePCL.raw.sqlite3_bind_blob(insertPayload, 2, payload), handle);
                SqliteNative.Step(insertPayload, handle);
                SqliteNative.Check(SQLitePCL.raw.sqlite3_reset(insertPayload), handle);
            }
        }
        Exec("COMMIT");
        var claimed = 0;
        for (var round = 0; round * 1_000 < _conversions.Length; round++)
        {
            Exec("BEGIN IMMEDIATE");
            using (var claim = SqliteNative.Prepare(handle, "UPDATE messages SET state = 1, lease = 'lease' WHERE id IN (SELECT id FROM messages WHERE state = 0 ORDER BY id LIMIT 1000) RETURNING id, (SELECT payload FROM payloads p WHERE p.id = messages.id)"))
            {
                while (SQLitePCL.raw.sqlite3_step(claim) == SQLitePCL.raw.SQLITE_ROW)
                {
                    claimed += SQLitePCL.raw.sqlite3_column_blob(claim, 1).Length == payload.Length ? 1 : 0;
                }
            }
            Exec("COMMIT");
            Exec($"UPDATE messages SET state = 2, lease = NULL WHERE id BETWEEN {(round * 1_000) + 1} AND {(round + 1) * 1_000} AND state = 1");
        }
        if (claimed != _conversions.Length)
        {
            throw new InvalidOperationException($"Claimed {claimed} of {_conversions.Length}.");
        }
        return claimed;
    }
}
