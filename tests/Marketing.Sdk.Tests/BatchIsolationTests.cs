using System.Collections;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Tests;

/// <summary>One bad event of a batch never costs the valid ones, and never leaves side effects behind.</summary>
public class BatchIsolationTests
{
    private static MarketingEvent Valid(string id, string member) => new()
    {
        Id = id, Type = EventType.PageView, OccurredAt = TestHost.Now.AddMinutes(-5), Identities = [Identity.Member(member)],
    };

    private static Order OrderOf(params OrderLine[] lines) => new() { OrderId = "o1", PlacedAt = TestHost.Now.AddMinutes(-5), Lines = lines };

    /// <summary>Tracks good, bad, good and checks the two good ones are stored and the bad one is rejected as expected.</summary>
    private static async Task<TrackError> OneBadInTheMiddle(MarketingEvent bad, TestHost? existing = null)
    {
        await using var own = existing is null ? new TestHost() : null;
        var host = existing ?? own!;
        var result = await host.Collector.TrackBatchAsync([Valid("g1", "m1"), bad, Valid("g2", "m2")]);
        Assert.Equal([TrackStatus.Accepted, TrackStatus.Rejected, TrackStatus.Accepted], result.Results.Select(r => r.Status));
        Assert.Equal(2, await host.Events.CountAsync(EventQuery.All));
        var error = result.Results[1].Error!;
        Assert.Equal(1, error.Index);
        Assert.Equal(TrackError.CodeFor(error.Reason), error.Code);
        return error;
    }

    [Fact]
    public async Task Order_revenue_that_overflows_decimal_rejects_that_event_only()
    {
        var bad = Valid("b", "m9") with
        {
            Type = EventType.Purchase,
            Order = OrderOf(
                new OrderLine { ProductId = "p1", Quantity = 2, UnitPrice = new Money(decimal.MaxValue / 2, "CNY") },
                new OrderLine { ProductId = "p2", Quantity = 1, UnitPrice = new Money(decimal.MaxValue / 2, "CNY") }),
        };
        var error = await OneBadInTheMiddle(bad);
        Assert.Equal(("order.lines[0].unitPrice.amount", ValidationReason.OutOfRange), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Order_units_that_overflow_int_reject_that_event_only()
    {
        var line = new OrderLine { ProductId = "p1", Quantity = int.MaxValue, UnitPrice = new Money(0m, "CNY") };
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Type = EventType.Purchase, Order = OrderOf(line, line) with { Total = new Money(1, "CNY") } });
        Assert.Equal(("order.lines", ValidationReason.OutOfRange), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Null_identities_with_a_customer_id_are_a_typed_rejection()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Identities = null!, CustomerId = new CustomerId("c_1") });
        Assert.Equal(("identities", ValidationReason.InvalidFormat), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Null_properties_are_rejected_before_the_identity_is_claimed()
    {
        await using var host = new TestHost();
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Properties = null! }, host);
        Assert.Equal(("properties", ValidationReason.InvalidFormat), (error.Field, error.Reason));
        Assert.Empty(await host.Graph.FindAsync([Identity.Member("m9")]));
        Assert.Equal(2, await host.ProfileStore.CountAsync());
    }

    [Theory]
    [InlineData("id")]
    [InlineData("order.lines")]
    public async Task Null_required_values_are_missing(string field)
    {
        var bad = field == "id"
            ? Valid("b", "m9") with { Id = null! }
            : Valid("b", "m9") with { Type = EventType.Purchase, Order = OrderOf() with { Lines = null! } };
        var error = await OneBadInTheMiddle(bad);
        Assert.Equal((field, ValidationReason.Missing), (error.Field, error.Reason));
    }

    [Fact]
    public async Task A_NaN_property_value_in_a_lazily_built_batch_rejects_that_event_only()
    {
        // A host maps its own request models to events as the batch is read; a NaN in one of them.
        double[] prices = [1.5, double.NaN, 2.5];
        var batch = new Projected<double>(prices, (p, i) => Valid($"e{i}", $"m{i}") with
        {
            Properties = new Dictionary<string, PropertyValue> { ["price"] = p },
        });
        await using var host = new TestHost();
        var result = await host.Collector.TrackBatchAsync(batch);
        Assert.Equal([TrackStatus.Accepted, TrackStatus.Rejected, TrackStatus.Accepted], result.Results.Select(r => r.Status));
        Assert.Equal(("properties", ValidationReason.OutOfRange, 1), (result.Results[1].Error!.Field, result.Results[1].Error!.Reason, result.Results[1].Error!.Index));
        Assert.Equal(2, await host.Events.CountAsync(EventQuery.All));
    }

    [Fact]
    public async Task An_unexpected_exception_from_per_event_code_rejects_that_event_only()
    {
        await using var host = new TestHost();
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Properties = new ThrowingProperties() }, host);
        Assert.Equal(("event", ValidationReason.Unprocessable, "unprocessable"), (error.Field, error.Reason, error.Code));
        Assert.Contains(nameof(InvalidOperationException), error.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(ThrowingProperties.Secret, error.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Collector.GetSnapshot(), r => (r.Message + r.Exception).Contains(ThrowingProperties.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unexpected_exception_from_identity_resolution_rejects_that_event_only()
    {
        await using var host = new TestHost(m => m.Services.AddSingleton<IIdentityResolver>(sp => new FailingResolver(ActivatorUtilities.CreateInstance<IdentityResolver>(sp), Identity.Member("m9"))));
        var error = await OneBadInTheMiddle(Valid("b", "m9"), host);
        Assert.Equal(("event", ValidationReason.Unprocessable), (error.Field, error.Reason));
    }

    [Fact]
    public async Task A_store_failure_fails_the_call_instead_of_rejecting_valid_events()
    {
        await using var host = new TestHost(m => m.Services.AddSingleton<IIdentityResolver>(sp => new FailingResolver(ActivatorUtilities.CreateInstance<IdentityResolver>(sp), Identity.Member("m9"), store: true)));
        await Assert.ThrowsAsync<StoreProviderException>(() => host.Collector.TrackBatchAsync([Valid("g1", "m1"), Valid("b", "m9")]).AsTask());
    }

    [Fact]
    public async Task A_store_that_rejects_one_event_at_append_keeps_the_others()
    {
        await using var host = new TestHost(m => m.Services.AddSingleton<IEventStore>(new PickyEventStore(new InMemoryEventStore(), "b")));
        var error = await OneBadInTheMiddle(Valid("b", "m9"), host);
        Assert.Equal(("sessionId", ValidationReason.InvalidCharacters), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Duplicate_property_names_are_rejected()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Properties = new DuplicateKeys() });
        Assert.Equal(("properties.a", ValidationReason.Inconsistent), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Undefined_flag_bits_are_rejected()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Flags = (EventFlags)(-1) });
        Assert.Equal(("flags", ValidationReason.OutOfRange), (error.Field, error.Reason));
    }

    [Fact]
    public async Task Flags_and_received_time_set_by_a_caller_are_ignored()
    {
        await using var host = new TestHost();
        var r = await host.Collector.TrackAsync(Valid("e1", "m1") with
        {
            Flags = EventFlags.SuspectedBot | EventFlags.IdentityGuarded,
            ReceivedAt = TestHost.Now.AddDays(-3),
        });
        Assert.Equal((TrackStatus.Accepted, EventFlags.None), (r.Status, r.Flags));
        var stored = Assert.Single(await host.Events.ReadAsync(EventQuery.All).ToListAsync());
        Assert.Equal(EventFlags.None, stored.Flags);
        Assert.Equal(TestHost.Now, stored.ReceivedAt);
    }

    [Fact]
    public async Task A_received_time_out_of_range_is_rejected()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { ReceivedAt = default(DateTimeOffset) });
        Assert.Equal(("receivedAt", ValidationReason.OutOfRange), (error.Field, error.Reason));
    }

    [Fact]
    public async Task An_empty_customer_id_is_rejected()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Identities = [], CustomerId = default(CustomerId) });
        Assert.Equal(("customerId", ValidationReason.Missing), (error.Field, error.Reason));
    }

    [Fact]
    public async Task An_undefined_identity_kind_is_rejected()
    {
        var error = await OneBadInTheMiddle(Valid("b", "m9") with { Identities = [new Identity((IdentityKind)99, "x")] });
        Assert.Equal(("identities[0].kind", ValidationReason.UnknownIdentityKind), (error.Field, error.Reason));
    }

    [Theory]
    [InlineData(1, "occurredAt")]
    [InlineData(1969, "occurredAt")]
    [InlineData(9999, "occurredAt")]
    [InlineData(1, "order.placedAt")]
    [InlineData(9999, "order.placedAt")]
    public async Task Timestamps_outside_the_accepted_range_are_out_of_range_not_missing(int year, string field)
    {
        var at = year == 9999 ? DateTimeOffset.MaxValue : new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var bad = field == "occurredAt"
            ? Valid("b", "m9") with { OccurredAt = at }
            : Valid("b", "m9") with { Type = EventType.Purchase, Order = OrderOf(new OrderLine { ProductId = "p", Quantity = 1, UnitPrice = new Money(1, "CNY") }) with { PlacedAt = at } };
        var error = await OneBadInTheMiddle(bad);
        Assert.Equal((field, ValidationReason.OutOfRange), (error.Field, error.Reason));
    }

    [Fact]
    public async Task TrackAsync_throws_the_typed_error()
    {
        await using var host = new TestHost();
        var ex = await Assert.ThrowsAsync<MarketingValidationException>(() => host.Collector.TrackAsync(Valid("b", "m9") with { Properties = null! }).AsTask());
        Assert.Equal(("properties", ValidationReason.InvalidFormat), (ex.Field, ex.Reason));
    }

    private sealed class Projected<T>(IReadOnlyList<T> source, Func<T, int, MarketingEvent> map) : IReadOnlyList<MarketingEvent>
    {
        public MarketingEvent this[int index] => map(source[index], index);
        public int Count => source.Count;
        public IEnumerator<MarketingEvent> GetEnumerator() => Enumerable.Range(0, Count).Select(i => this[i]).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ThrowingProperties : IReadOnlyDictionary<string, PropertyValue>
    {
        public const string Secret = "buyer@example.com";
        public PropertyValue this[string key] => throw new InvalidOperationException(Secret);
        public IEnumerable<string> Keys => throw new InvalidOperationException(Secret);
        public IEnumerable<PropertyValue> Values => throw new InvalidOperationException(Secret);
        public int Count => 1;
        public bool ContainsKey(string key) => throw new InvalidOperationException(Secret);
        public bool TryGetValue(string key, out PropertyValue value) => throw new InvalidOperationException(Secret);
        public IEnumerator<KeyValuePair<string, PropertyValue>> GetEnumerator() => throw new InvalidOperationException("Cannot read " + Secret);
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class DuplicateKeys : IReadOnlyDictionary<string, PropertyValue>
    {
        private static readonly KeyValuePair<string, PropertyValue>[] Pairs = [new("a", 1), new("a", 2)];
        public PropertyValue this[string key] => Pairs.First(p => p.Key == key).Value;
        public IEnumerable<string> Keys => Pairs.Select(p => p.Key);
        public IEnumerable<PropertyValue> Values => Pairs.Select(p => p.Value);
        public int Count => Pairs.Length;
        public bool ContainsKey(string key) => Pairs.Any(p => p.Key == key);
        public bool TryGetValue(string key, out PropertyValue value)
        {
            value = Pairs.FirstOrDefault(p => p.Key == key).Value;
            return ContainsKey(key);
        }
        public IEnumerator<KeyValuePair<string, PropertyValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, PropertyValue>>)Pairs).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class FailingResolver(IIdentityResolver inner, Identity poison, bool store = false) : IIdentityResolver
    {
        public ValueTask<IdentityResolution> ResolveAsync(IReadOnlyList<Identity> identities, string? eventId = null, CancellationToken cancellationToken = default) =>
            identities.Contains(poison)
                ? throw (store ? new StoreProviderException("sqlite", "identity", "claim", true, null, new IOException("down")) : new InvalidOperationException("resolver bug"))
                : inner.ResolveAsync(identities, eventId, cancellationToken);
    }

    /// <summary>A store with a rule the validator does not know: it rejects one event id.</summary>
    private sealed class PickyEventStore(IEventStore inner, string rejectedId) : IEventStore
    {
        public ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].Id == rejectedId)
                {
                    throw new MarketingValidationException("sessionId", ValidationReason.InvalidCharacters, "Not storable here.", i);
                }
            }
            return inner.AppendAsync(events, cancellationToken);
        }

        public IAsyncEnumerable<MarketingEvent> ReadAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.ReadAsync(query, cancellationToken);
        public ValueTask<long> CountAsync(EventQuery query, CancellationToken cancellationToken = default) => inner.CountAsync(query, cancellationToken);
        public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) => inner.ReassignAsync(source, target, cancellationToken);
        public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default) => inner.DeleteCustomerAsync(customerId, cancellationToken);
    }
}
