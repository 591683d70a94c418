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

    private readonly TaskCompletionSource _inFlightReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sentReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlightTarget = int.MaxValue;
    private int _sentTarget = int.MaxValue;

    public void Open() => _open.TrySetResult();

    /// <summary>Completes once <paramref name="count"/> requests are held at once.</summary>
    public Task InFlightReached(int count)
    {
        Volatile.Write(ref _inFlightTarget, count);
        if (InFlight >= count)
        {
            _inFlightReached.TrySetResult();
        }
        return _inFlightReached.Task;
    }

    /// <summary>Completes once <paramref name="count"/> conversions were accepted.</summary>
    public Task SentReached(int count)
    {
        Volatile.Write(ref _sentTarget, count);
        if (Sent.Count >= count)
        {
            _sentReached.TrySetResult();
        }
        return _sentReached.Task;
    }

    public async ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = MaxInFlight)
        {
        }
        if (now >= Volatile.Read(ref _inFlightTarget))
        {
            _inFlightReached.TrySetResult();
        }
        try
        {
            await _open.Task.WaitAsync(cancellationToken);
            foreach (var item in batch)
            {
                Sent.Enqueue(item);
            }
            if (Sent.Count >= Volatile.Read(ref _sentTarget))
            {
                _sentReached.TrySetResult();
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
            // Three batches of two are held at each platform at once; every loop is then parked at the gate, so no
            // fourth can start: the maximum is decided by state, not by waiting a while.
            await Task.WhenAll(meta.InFlightReached(3), tiktok.InFlightReached(3)).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(3, meta.MaxInFlight);
            Assert.Equal(3, tiktok.MaxInFlight);
            meta.Open();
            tiktok.Open();
            await Task.WhenAll(meta.SentReached(10), tiktok.SentReached(10)).WaitAsync(TimeSpan.FromSeconds(60));
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
    public async Task Concurrent_batches_outside_1_to_64_stop_the_host_at_start(int value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => { o.ConcurrentBatches = value; o.RunInBackground = false; }));
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConcurrentBatches", ex.Message, StringComparison.Ordinal);
    }
}
