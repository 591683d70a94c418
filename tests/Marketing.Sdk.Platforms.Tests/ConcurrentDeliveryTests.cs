using System.Collections.Concurrent;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A sink that holds every request at the platform until it is opened, and counts the requests held at once.</summary>
internal sealed class GatedSink(string destination, Channel platform, int maxBatch) : IConversionSink
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<PreparedConversion> Sent { get; } = new();

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public string Destination => destination;

    public Channel Platform => platform;

    public HashingProfile Hashing => HashingProfile.Meta;

    public int MaxBatchSize => maxBatch;

    public void Open() => _open.TrySetResult();

    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = MaxInFlight)
        {
        }
        try
        {
            await _open.Task.WaitAsync(cancellationToken);
            foreach (var item in batch)
            {
                Sent.Enqueue(item);
            }
            return BatchResult.AllAccepted(batch.Count);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

public sealed class ConcurrentDeliveryTests
{
    private static readonly ConsentPurpose[] Needed = [ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];

    [Fact]
    public async Task The_background_service_keeps_the_configured_number_of_batches_in_flight_per_destination()
    {
        var meta = new GatedSink("meta.conversions", Channel.Meta, maxBatch: 2);
        var tiktok = new GatedSink("tiktok.events", Channel.TikTok, maxBatch: 2);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConversionSink>(meta);
        services.AddSingleton<IConversionSink>(tiktok);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => { o.PollInterval = TimeSpan.FromMilliseconds(20); o.ConcurrentBatches = 3; }));
        await using var provider = services.BuildServiceProvider();
        var customer = CustomerId.New();
        foreach (var purpose in Needed)
        {
            await provider.GetRequiredService<ConsentLedger>().GrantAsync(customer, purpose, new ConsentCapture("web"));
        }
        var now = DateTimeOffset.UtcNow;
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([.. Enumerable.Range(0, 10).Select(i => new ConversionRequest
        {
            EventId = $"c-{i}",
            EventType = EventType.Purchase,
            OccurredAt = now.AddMinutes(-i),
            CustomerId = customer,
            Value = new Money(10m, "USD"),
            Customer = new CustomerMatchData { Email = "shopper@example.com" },
        })]);
        var hosted = provider.GetServices<IHostedService>().OfType<PlatformDeliveryService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            // Three batches of two are held at each platform at once, and no more.
            await WaitUntilAsync(() => meta.InFlight == 3 && tiktok.InFlight == 3);
            await Task.Delay(100);
            Assert.Equal(3, meta.MaxInFlight);
            Assert.Equal(3, tiktok.MaxInFlight);
            meta.Open();
            tiktok.Open();
            await WaitUntilAsync(() => meta.Sent.Count == 10 && tiktok.Sent.Count == 10);
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
        foreach (var sink in new[] { meta, tiktok })
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c-{i}").Order(StringComparer.Ordinal), sink.Sent.Select(c => c.EventId).Order(StringComparer.Ordinal));
        }
        Assert.Equal(new OutboxCounts(0, 0, 20, 0), await provider.GetRequiredService<IOutboxStore>().CountAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Concurrent_batches_outside_1_to_64_are_refused(int value)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.ConcurrentBatches = value));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PlatformDeliveryOptions>>().Value);
        Assert.Contains("ConcurrentBatches", ex.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition was not reached in time.");
            await Task.Delay(10);
        }
    }
}
