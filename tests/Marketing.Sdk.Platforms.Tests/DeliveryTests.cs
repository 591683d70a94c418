using System.Text.Json;
using System.Collections.Concurrent;
using System.Text;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Hashing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A scripted sink: answers each item by a rule on its event id.</summary>
internal sealed class ScriptedSink(string destination, Channel platform, int maxBatch = 10) : IConversionSink
{
    public ConcurrentQueue<PreparedConversion> Sent { get; } = new();
    public Func<IReadOnlyList<PreparedConversion>, BatchResult>? Answer { get; set; }
    public Exception? Throw { get; set; }

    public string Destination => destination;
    public Channel Platform => platform;
    public HashingProfile Hashing => HashingProfile.Meta;
    public int MaxBatchSize => maxBatch;

    public ValueTask<BatchResult> SendAsync(IReadOnlyList<PreparedConversion> batch, CancellationToken cancellationToken = default)
    {
        if (Throw is { } ex)
        {
            throw ex;
        }
        foreach (var item in batch)
        {
            Sent.Enqueue(item);
        }
        return ValueTask.FromResult(Answer?.Invoke(batch) ?? BatchResult.AllAccepted(batch.Count));
    }
}

public sealed class DeliveryTests : IAsyncDisposable
{
    private static readonly ConsentPurpose[] Needed = [ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ScriptedSink _sink = new("meta.conversions", Channel.Meta);
    private readonly ServiceProvider _provider;

    public DeliveryTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(_sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o =>
        {
            o.RunInBackground = false;
            o.RetryBaseDelay = TimeSpan.FromSeconds(10);
            o.MaxAttempts = 3;
        }));
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();

    private IConversionPublisher Publisher => _provider.GetRequiredService<IConversionPublisher>();
    private PlatformDeliveryWorker Worker => _provider.GetRequiredService<PlatformDeliveryWorker>();
    private IOutboxStore Outbox => _provider.GetRequiredService<IOutboxStore>();

    private async Task<CustomerId> ConsentingCustomerAsync()
    {
        var id = CustomerId.New(_time);
        var ledger = _provider.GetRequiredService<ConsentLedger>();
        foreach (var purpose in Needed)
        {
            await ledger.GrantAsync(id, purpose, new ConsentCapture("web", "v1"));
        }
        return id;
    }

    private ConversionRequest Conversion(CustomerId customer, string eventId) => new()
    {
        EventId = eventId,
        EventType = EventType.Purchase,
        OccurredAt = _time.GetUtcNow().AddHours(-1),
        CustomerId = customer,
        Value = new Money(129.5m, "USD"),
        OrderId = $"order-{eventId}",
        Items = [new ConversionItem("sku-1", 2, 64.75m)],
        Customer = new CustomerMatchData { Email = "John_Smith@gmail.com", Phone = "+1 (650) 555-1212", FirstName = "John" },
    };

    [Fact]
    public async Task Published_conversions_hold_only_hashed_customer_information()
    {
        var customer = await ConsentingCustomerAsync();
        var result = await Publisher.PublishAsync([Conversion(customer, "e1")]);
        Assert.Equal(1, result.Enqueued);
        var entry = await Outbox.ReadAsync(OutboxState.Pending).SingleAsync();
        var json = Encoding.UTF8.GetString(entry.Message.Payload.Span);
        Assert.DoesNotContain("john", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("555", json, StringComparison.Ordinal);
        Assert.Contains("62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f", json, StringComparison.Ordinal);
        Assert.Equal("e1", entry.Message.IdempotencyKey);
        Assert.Equal(customer, entry.Message.CustomerId);
    }

    [Fact]
    public async Task Publishing_twice_stores_once_and_bad_input_stores_nothing()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1")]);
        var again = await Publisher.PublishAsync([Conversion(customer, "e1")]);
        Assert.Equal((0, 1), (again.Enqueued, again.Duplicates));

        var bad = Conversion(customer, "e2") with { Items = [new ConversionItem("sku", 0)] };
        var ex = await Assert.ThrowsAsync<MarketingValidationException>(() => Publisher.PublishAsync([Conversion(customer, "e3"), bad]).AsTask());
        Assert.Equal("Items[0].Quantity", ex.Field);
        Assert.Equal(1, ex.Index);
        Assert.Equal(1, (await Outbox.CountAsync()).Pending);
    }

    [Fact]
    public async Task Unnormalisable_fields_are_dropped_and_counted()
    {
        var customer = await ConsentingCustomerAsync();
        var result = await Publisher.PublishAsync([Conversion(customer, "e1") with { Customer = new CustomerMatchData { Email = "not-an-email", FirstName = "Ann" } }]);
        Assert.Equal(1, result.FieldsDropped[MatchField.Email]);
        Assert.Equal(1, result.Enqueued);
    }

    [Fact]
    public async Task A_large_publish_stores_the_same_messages_in_order_and_counts_every_dropped_field()
    {
        var customer = await ConsentingCustomerAsync();
        var count = ConversionPublisher.ParallelThreshold + 137;
        var conversions = Enumerable.Range(0, count).Select(i => i % 7 == 0
            ? Conversion(customer, $"big-{i}") with { Customer = new CustomerMatchData { Email = "not-an-email", FirstName = "Ann" } }
            : Conversion(customer, $"big-{i}")).ToList();
        var result = await Publisher.PublishAsync(conversions);
        Assert.Equal(count, result.Enqueued);
        Assert.Equal(conversions.Count(c => c.Customer?.Email == "not-an-email"), result.FieldsDropped[MatchField.Email]);
        var stored = await Outbox.ReadAsync(OutboxState.Pending).ToListAsync();
        Assert.Equal(conversions.Select(c => c.EventId), stored.Select(e => e.Message.IdempotencyKey));
        for (var i = 0; i < count; i += 97)
        {
            var expected = JsonSerializer.SerializeToUtf8Bytes(ConversionPublisher.Prepare(conversions[i], HashingProfile.Meta), PlatformJsonContext.Default.PreparedConversion);
            Assert.Equal(expected, stored[i].Message.Payload.ToArray());
        }
    }

    [Fact]
    public async Task Delivered_items_are_acknowledged()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1"), Conversion(customer, "e2")]);
        var round = await Worker.DeliverOnceAsync("meta.conversions");
        Assert.Equal(new DeliveryRound(2, 2, 0, 0, 0, 0), round);
        Assert.Equal(2, (await Outbox.CountAsync()).Delivered);
        Assert.Equal(["e1", "e2"], _sink.Sent.Select(s => s.EventId));
    }

    [Fact]
    public async Task Consent_is_checked_at_delivery_time()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1")]);
        await _provider.GetRequiredService<ConsentLedger>().WithdrawAsync(customer, ConsentPurpose.AdMeasurement, new ConsentCapture("app"));
        var round = await Worker.DeliverOnceAsync("meta.conversions");
        Assert.Equal(1, round.Withheld);
        Assert.Empty(_sink.Sent);
        var dead = await Outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync();
        Assert.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, dead.LastError, StringComparison.Ordinal);
        Assert.Contains("Withdrawn", dead.LastError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Consent_is_decided_for_the_customer_in_the_payload_even_when_the_row_names_another(bool rowHasCustomer)
    {
        // Rows not written by the publisher: the row's customer consents, the payload's customer does not.
        var consenting = await ConsentingCustomerAsync();
        var withdrawn = await ConsentingCustomerAsync();
        await _provider.GetRequiredService<ConsentLedger>().WithdrawAsync(withdrawn, ConsentPurpose.AdMeasurement, new ConsentCapture("app"));
        var payload = JsonSerializer.SerializeToUtf8Bytes(ConversionPublisher.Prepare(Conversion(withdrawn, "e1"), Compliance.Hashing.HashingProfile.Meta), PlatformJsonContext.Default.PreparedConversion);
        await Outbox.EnqueueAsync([
            new OutboxMessage { Destination = "meta.conversions", IdempotencyKey = "e1", Payload = payload, CustomerId = rowHasCustomer ? consenting : null },
            new OutboxMessage
            {
                Destination = "meta.conversions", IdempotencyKey = "e2", CustomerId = consenting,
                Payload = JsonSerializer.SerializeToUtf8Bytes(ConversionPublisher.Prepare(Conversion(consenting, "e2"), Compliance.Hashing.HashingProfile.Meta), PlatformJsonContext.Default.PreparedConversion),
            },
        ]);
        var round = await Worker.DeliverOnceAsync("meta.conversions");
        Assert.Equal((2, 1, 1), (round.Claimed, round.Delivered, round.Withheld));
        Assert.Equal(["e2"], _sink.Sent.Select(s => s.EventId));
        Assert.Equal("e1", (await Outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync()).Message.IdempotencyKey);
    }

    [Fact]
    public async Task A_customer_without_any_record_is_denied_by_default()
    {
        await Publisher.PublishAsync([Conversion(CustomerId.New(_time), "e1")]);
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).Withheld);
        Assert.Empty(_sink.Sent);
    }

    [Fact]
    public async Task Per_item_results_are_mapped_to_the_right_messages()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "ok"), Conversion(customer, "dup"), Conversion(customer, "bad"), Conversion(customer, "later")]);
        _sink.Answer = batch => new BatchResult([.. batch.Select((c, i) => c.EventId switch
        {
            "dup" => new ItemResult(i, DeliveryOutcome.Duplicate),
            "bad" => new ItemResult(i, DeliveryOutcome.Rejected, "invalid value", "100"),
            "later" => new ItemResult(i, DeliveryOutcome.Retry, "busy", "2", TimeSpan.FromMinutes(30)),
            _ => ItemResult.Accepted(i),
        })]);
        var round = await Worker.DeliverOnceAsync("meta.conversions");
        Assert.Equal(new DeliveryRound(4, 2, 1, 1, 0, 0), round);
        var dead = await Outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync();
        Assert.Equal("bad", dead.Message.IdempotencyKey);
        Assert.Equal("rejected: code 100, request none", dead.LastError); // the platform's text is not stored
        var pending = await Outbox.ReadAsync(OutboxState.Pending).SingleAsync();
        Assert.Equal("later", pending.Message.IdempotencyKey);
        Assert.Equal(_time.GetUtcNow().AddMinutes(30), pending.NextAttemptAt); // the platform's hint beats the shorter backoff
    }

    [Fact]
    public async Task Whole_batch_failures_retry_with_backoff_then_dead_letter()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1")]);
        _sink.Throw = new PlatformApiException("meta", PlatformErrorClass.Transient, System.Net.HttpStatusCode.ServiceUnavailable, "down", "2");
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).Retried);
        Assert.Equal(0, (await Worker.DeliverOnceAsync("meta.conversions")).Claimed); // not due yet
        var pending = await Outbox.ReadAsync(OutboxState.Pending).SingleAsync();
        var delay = pending.NextAttemptAt - _time.GetUtcNow();
        Assert.InRange(delay, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(12));
        _time.Advance(TimeSpan.FromSeconds(13));
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).Retried);
        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).DeadLettered); // third attempt = MaxAttempts
        var dead = await Outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync();
        Assert.StartsWith("gave up after 3 attempts", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Permanent_batch_failures_dead_letter_with_the_platform_reason()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1")]);
        _sink.Throw = new PlatformApiException("meta", PlatformErrorClass.Permanent, System.Net.HttpStatusCode.BadRequest, "Invalid parameter", "100", requestId: "trace-1");
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).DeadLettered);
        var dead = await Outbox.ReadAsync(OutboxState.DeadLettered).SingleAsync();
        Assert.Contains("code 100", dead.LastError, StringComparison.Ordinal);
        Assert.Contains("trace-1", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crashed_worker_leaves_its_batch_to_be_claimed_again_after_the_lease()
    {
        var customer = await ConsentingCustomerAsync();
        await Publisher.PublishAsync([Conversion(customer, "e1")]);
        var lost = await Outbox.ClaimAsync("crashed", 10, TimeSpan.FromMinutes(2), "meta.conversions");
        Assert.Single(lost);
        Assert.Equal(0, (await Worker.DeliverOnceAsync("meta.conversions")).Claimed);
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(1, (await Worker.DeliverOnceAsync("meta.conversions")).Delivered);
        Assert.False(await Outbox.AckAsync(lost[0].Id, lost[0].LeaseToken)); // the crashed worker's late ack is refused
    }

    [Fact]
    public async Task The_background_service_drains_every_destination()
    {
        var services = new ServiceCollection();
        var sink = new PoisonSink("meta.conversions", Channel.Meta);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => o.PollInterval = TimeSpan.FromMilliseconds(20)));
        await using var provider = services.BuildServiceProvider();
        var customer = CustomerId.New();
        foreach (var purpose in Needed)
        {
            await provider.GetRequiredService<ConsentLedger>().GrantAsync(customer, purpose, new ConsentCapture("web"));
        }
        var hosted = provider.GetServices<IHostedService>().OfType<PlatformDeliveryService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([Conversion(customer, "bg-1") with { OccurredAt = DateTimeOffset.UtcNow }]);
        await sink.FirstDelivery.Task.WaitAsync(TimeSpan.FromSeconds(60)); // decided by the sink's state, not by polling
        await hosted.StopAsync(CancellationToken.None);
        Assert.Equal("bg-1", Assert.Single(sink.Delivered));
    }

    [Fact]
    public void Platform_delivery_without_a_consent_gate_is_refused_at_resolution()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m => m.AddPlatforms());
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<PlatformDeliveryWorker>());
        Assert.Contains("AddCompliance", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batches_are_split_by_bytes_as_well_as_by_count()
    {
        var services = new ServiceCollection();
        var sink = new ScriptedSink("meta.conversions", Channel.Meta, maxBatch: 10);
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(sink);
        services.AddMarketingSdk(m => m.AddCompliance().AddPlatforms(o => { o.RunInBackground = false; o.MaxBatchBytes = 1024; }));
        await using var provider = services.BuildServiceProvider();
        var customer = CustomerId.New(_time);
        foreach (var purpose in Needed)
        {
            await provider.GetRequiredService<ConsentLedger>().GrantAsync(customer, purpose, new ConsentCapture("web"));
        }
        var batches = new List<int>();
        sink.Answer = b => { batches.Add(b.Count); return BatchResult.AllAccepted(b.Count); };
        await provider.GetRequiredService<IConversionPublisher>().PublishAsync([.. Enumerable.Range(0, 6).Select(i => Conversion(customer, $"e{i}"))]);
        var round = await provider.GetRequiredService<PlatformDeliveryWorker>().DeliverOnceAsync("meta.conversions");
        Assert.Equal(6, round.Delivered);
        Assert.True(batches.Count > 1, "a 1 KiB limit splits six ~500-byte conversions");
        Assert.Equal(6, batches.Sum());
    }
}
