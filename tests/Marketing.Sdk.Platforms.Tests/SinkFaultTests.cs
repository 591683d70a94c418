using System.Collections.Concurrent;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A third-party exception type the delivery code cannot know (its message holds personal data, as provider errors often do).</summary>
internal sealed class VendorSdkException(string message) : Exception(message);

/// <summary>A sink that throws for every batch holding a poison event id and accepts the others.</summary>
internal sealed class PoisonSink(string destination, Channel platform, int maxBatch = 10) : IConversionSink
{
    public ConcurrentQueue<string> Delivered { get; } = new();
    public int Calls;
    public TaskCompletionSource FirstDelivery { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Destination => destination;
    public Channel Platform => platform;
    public HashingProfile Hashing => HashingProfile.Meta;
    public int MaxBatchSize => maxBatch;

    public ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        if (batch.Any(c => c.EventId.StartsWith("poison", StringComparison.Ordinal)))
        {
            throw new VendorSdkException("recipient jane.doe@example.com (+44 7700 900123) was refused");
        }
        foreach (var c in batch)
        {
            Delivered.Enqueue(c.EventId);
        }
        FirstDelivery.TrySetResult();
        return ValueTask.FromResult(BatchResult.AllAccepted(batch.Count));
    }
}

/// <summary>A fake clock that signals every timer created on it: a loop parked on the clock (Task.Delay) is then known to wait.</summary>
internal sealed class TimerSignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _lock = new();
    private readonly List<(int After, TaskCompletionSource Signal)> _waiters = [];
    private int _created;

    /// <summary>Timers created so far.</summary>
    public int TimersCreated
    {
        get
        {
            lock (_lock)
            {
                return _created;
            }
        }
    }

    /// <summary>Completes once more than <paramref name="count"/> timers have been created.</summary>
    public Task TimerCreatedAfterAsync(int count)
    {
        lock (_lock)
        {
            if (_created > count)
            {
                return Task.CompletedTask;
            }
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> ready;
        lock (_lock)
        {
            _created++;
            ready = [.. _waiters.Where(w => _created > w.After).Select(w => w.Signal)];
            _waiters.RemoveAll(w => _created > w.After);
        }
        foreach (var signal in ready)
        {
            signal.TrySetResult();
        }
        return timer;
    }
}

/// <summary>An outbox whose claims for one destination always fail, as a broken store partition would.</summary>
internal sealed class FailingClaimsOutbox(IOutboxStore inner, string failingDestination) : IOutboxStore
{
    private int _failedClaims;
    public int FailedClaims => Volatile.Read(ref _failedClaims);
    public TaskCompletionSource SecondFailure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask<OutboxEnqueueResult> EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default) => inner.EnqueueAsync(messages, cancellationToken);

    public ValueTask<IReadOnlyList<OutboxEntry>> ClaimAsync(string workerId, int maxCount, TimeSpan leaseDuration, string? destination = null, CancellationToken cancellationToken = default)
    {
        if (destination == failingDestination)
        {
            if (Interlocked.Increment(ref _failedClaims) >= 2)
            {
                SecondFailure.TrySetResult();
            }
            throw new ArgumentException("partition unavailable for customer jane.doe@example.com");
        }
        return inner.ClaimAsync(workerId, maxCount, leaseDuration, destination, cancellationToken);
    }

    public ValueTask<bool> AckAsync(long id, Guid leaseToken, CancellationToken cancellationToken = default) => inner.AckAsync(id, leaseToken, cancellationToken);
    public ValueTask<bool> RetryAsync(long id, Guid leaseToken, DateTimeOffset nextAttemptAt, string reason, CancellationToken cancellationToken = default) => inner.RetryAsync(id, leaseToken, nextAttemptAt, reason, cancellationToken);
    public ValueTask<bool> DeadLetterAsync(long id, Guid leaseToken, string reason, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(id, leaseToken, reason, cancellationToken);
    public ValueTask<long> ReclaimExpiredAsync(CancellationToken cancellationToken = default) => inner.ReclaimExpiredAsync(cancellationToken);
    public ValueTask<OutboxCounts> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    public ValueTask<OutboxEntry?> GetAsync(long id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);
    public IAsyncEnumerable<OutboxEntry> ReadAsync(OutboxState state, CancellationToken cancellationToken = default) => inner.ReadAsync(state, cancellationToken);
    public ValueTask<long> PurgeDeliveredAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken = default) => inner.PurgeDeliveredAsync(completedBefore, cancellationToken);
}

public sealed class SinkFaultTests
{
    private static readonly ConsentPurpose[] Needed = [ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];
    private readonly TimerSignallingTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    private async Task<CustomerId> ConsentingCustomerAsync(IServiceProvider provider)
    {
        var id = CustomerId.New(_time);
        foreach (var purpose in Needed)
        {
            await provider.GetRequiredService<ConsentLedger>().GrantAsync(id, purpose, new ConsentCapture("web"));
        }
        return id;
    }

    private ConversionRequest Conversion(CustomerId customer, string eventId) => new()
    {
        EventId = eventId,
        EventType = EventType.Purchase,
        OccurredAt = _time.GetUtcNow().AddHours(-1),
        CustomerId = customer,
        Value = new Money(10m, "USD"),
        Customer = new CustomerMatchData { Email = "shopper@example.com" },
    };

    [Fact]
    public async Task A_throwing_sink_isolates_the_poison_message_delivers_the_rest_and_dead_letters_the_poison_after_max_attempts()
    {
        var sink = new PoisonSink("meta.conversions", Channel.Meta);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddFakeLogging();
        services.AddSingleton<IConversionSink>(sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => { o.RunInBackground = false; o.MaxAttempts = 3; o.RetryBaseDelay = TimeSpan.FromSeconds(10); }));
        await using var provider = services.BuildServiceProvider();
        var customer = await ConsentingCustomerAsync(provider);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion(customer, "a"), Conversion(customer, "poison-1"), Conversion(customer, "b"), Conversion(customer, "c")]);
        var worker = provider.GetRequiredService<PlatformDeliveryWorker>();
        var outbox = provider.GetRequiredService<IOutboxStore>();

        var first = await worker.DeliverOnceAsync("meta.conversions");
        Assert.Equal((4, 3, 1, 0), (first.Claimed, first.Delivered, first.Retried, first.DeadLettered));
        Assert.Equal(["a", "b", "c"], sink.Delivered.Order(StringComparer.Ordinal));

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            _time.Advance(TimeSpan.FromHours(1));
            var round = await worker.DeliverOnceAsync("meta.conversions");
            Assert.Equal(1, round.Claimed);
        }
        var dead = await outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync();
        Assert.Equal("poison-1", dead.Message.IdempotencyKey);
        Assert.Contains("VendorSdkException", dead.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("jane", dead.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("7700", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(new OutboxCounts(0, 0, 3, 1), await outbox.CountAsync());
        AssertNoPersonalData(provider);
    }

    /// <summary>The sink's exception message holds an email and a phone number: no log line, at any level, may carry them.</summary>
    internal static void AssertNoPersonalData(IServiceProvider provider)
    {
        var records = provider.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(records, r => r.Level == LogLevel.Warning && r.Message.Contains("VendorSdkException", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Level == LogLevel.Debug && r.Exception is not null);
        foreach (var record in records)
        {
            var text = record.Message + " " + record.Exception;
            Assert.DoesNotContain("jane", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("7700", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_incomplete_sink_result_is_a_fault_of_that_batch_not_of_the_round()
    {
        var sink = new ScriptedSink("meta.conversions", Channel.Meta) { Answer = b => new BatchResult([ItemResult.Accepted(0), ItemResult.Accepted(0)]) };
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.RunInBackground = false));
        await using var provider = services.BuildServiceProvider();
        var customer = await ConsentingCustomerAsync(provider);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion(customer, "x"), Conversion(customer, "y")]);
        var round = await provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync("meta.conversions");
        Assert.Equal((2, 0, 2), (round.Claimed, round.Delivered, round.Retried));
    }

    [Fact]
    public async Task A_destination_whose_rounds_keep_failing_backs_off_while_the_others_deliver_and_the_service_ends_cleanly()
    {
        var good = new PoisonSink("meta.conversions", Channel.Meta);
        var bad = new PoisonSink("tiktok.events", Channel.TikTok);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(good);
        services.AddSingleton<IConversionSink>(bad);
        services.AddSingleton<InMemoryOutboxStore>();
        services.AddSingleton(sp => new FailingClaimsOutbox(sp.GetRequiredService<InMemoryOutboxStore>(), "tiktok.events"));
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<FailingClaimsOutbox>());
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.PollInterval = TimeSpan.FromSeconds(1)));
        await using var provider = services.BuildServiceProvider();
        var customer = await ConsentingCustomerAsync(provider);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion(customer, "g1")], ["meta.conversions"]);
        var failing = provider.GetRequiredService<FailingClaimsOutbox>();
        var hosted = provider.GetServices<IHostedService>().OfType<PlatformDeliveryService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            await good.FirstDelivery.Task.WaitAsync(TimeSpan.FromSeconds(60));
            // The failing destination waits on the clock before its next round. The clock is advanced only once a
            // loop has parked on a new timer (the clock's own signal), so no round is skipped and nothing sleeps.
            var timers = 0;
            while (!failing.SecondFailure.Task.IsCompleted)
            {
                await Task.WhenAny(failing.SecondFailure.Task, _time.TimerCreatedAfterAsync(timers));
                timers = _time.TimersCreated;
                _time.Advance(TimeSpan.FromMinutes(10));
            }
            Assert.False(hosted.ExecuteTask!.IsCompleted, "the delivery service ended while the host runs");
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
        Assert.Equal(TaskStatus.RanToCompletion, hosted.ExecuteTask!.Status);
        Assert.Equal(["g1"], good.Delivered);
        Assert.True(failing.FailedClaims >= 2);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 8)]
    [InlineData(40, 300)]
    public void Failed_rounds_back_off_by_doubling_up_to_five_minutes(int failures, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), PlatformDeliveryService.FailureBackoff(TimeSpan.FromSeconds(1), failures));
}

public sealed class UndeliveredReportingTests
{
    private static readonly ConsentPurpose[] Needed = [ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];

    [Fact]
    public async Task Dead_lettered_and_withheld_conversions_are_logged_at_warning_and_counted_without_personal_data()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
        var sink = new ScriptedSink("meta.conversions", Channel.Meta)
        {
            Answer = b => new BatchResult([.. b.Select((c, i) => c.EventId == "bad"
                ? new ItemResult(i, DeliveryOutcome.Rejected, "value 'jane.doe@example.com' is invalid", "missing_client_user_agent")
                : ItemResult.Accepted(i))], "trace-9"),
        };
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddFakeLogging();
        services.AddMetrics();
        services.AddSingleton<IConversionSink>(sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.RunInBackground = false));
        await using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var deadLettered = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, PlatformTelemetry.Name, "marketing.platform.delivery.dead_lettered");
        using var withheld = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, PlatformTelemetry.Name, "marketing.platform.delivery.withheld");
        var consenting = CustomerId.New(time);
        foreach (var purpose in Needed)
        {
            await provider.GetRequiredService<ConsentLedger>().GrantAsync(consenting, purpose, new ConsentCapture("web"));
        }
        var unknown = CustomerId.New(time);
        ConversionRequest Conversion(CustomerId customer, string id) => new()
        {
            EventId = id, EventType = EventType.Purchase, OccurredAt = time.GetUtcNow().AddHours(-1), CustomerId = customer,
            Value = new Money(5m, "USD"), Customer = new CustomerMatchData { Email = "jane.doe@example.com", Phone = "+44 7700 900123" },
        };
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion(consenting, "ok"), Conversion(consenting, "bad"), Conversion(unknown, "no-consent")]);

        var round = await provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync("meta.conversions");

        Assert.Equal((3, 1, 1, 1), (round.Claimed, round.Delivered, round.DeadLettered, round.Withheld));
        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning && r.Id.Id == 5023);
        Assert.Contains("rejected:missing_client_user_agent=1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("consent_withheld:", warning.Message, StringComparison.Ordinal);
        foreach (var record in provider.GetFakeLogCollector().GetSnapshot())
        {
            Assert.DoesNotContain("jane", record.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("7700", record.Message, StringComparison.Ordinal);
        }
        var dead = Assert.Single(deadLettered.GetMeasurementSnapshot());
        Assert.Equal(1, dead.Value);
        Assert.Equal("rejected:missing_client_user_agent", dead.Tags["marketing.reason"]);
        Assert.Equal(1, Assert.Single(withheld.GetMeasurementSnapshot()).Value);
        var stored = await provider.GetRequiredService<IOutboxStore>().ReadAsync(OutboxState.DeadLettered).ToListAsync();
        Assert.All(stored, e => Assert.DoesNotContain("jane", e.LastError, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(stored, e => e.LastError == "rejected: code missing_client_user_agent, request trace-9");
    }
}
