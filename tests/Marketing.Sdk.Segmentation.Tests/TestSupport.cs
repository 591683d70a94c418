using System.Runtime.CompilerServices;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Segmentation.Tests;

internal sealed class TestBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>A minimal in-memory profile store for tests.</summary>
internal sealed class MemoryProfileStore : IProfileStore
{
    private readonly SortedDictionary<CustomerId, CustomerProfile> _profiles = new();

    public void Put(CustomerProfile p) => _profiles[p.Id] = p;

    public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_profiles.GetValueOrDefault(id));

    public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default)
    {
        var stored = profile with { Version = profile.Version + 1 };
        _profiles[profile.Id] = stored;
        return ValueTask.FromResult(stored);
    }

    public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) => ValueTask.FromResult(_profiles.Remove(id));

    public async IAsyncEnumerable<CustomerProfile> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var p in _profiles.Values.ToList())
        {
            await Task.Yield();
            yield return p;
        }
    }

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult((long)_profiles.Count);
}

/// <summary>A minimal in-memory event store for tests.</summary>
internal sealed class MemoryEventStore : IEventStore
{
    private readonly List<MarketingEvent> _events = [];

    public List<EventQuery> Queries { get; } = [];

    public ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        _events.AddRange(events);
        return ValueTask.FromResult(new AppendResult(events.Count, []));
    }

    private IEnumerable<MarketingEvent> Select(EventQuery q) => _events
        .Where(e => q.CustomerId is null || e.CustomerId == q.CustomerId)
        .Where(e => q.Types is null || q.Types.Count == 0 || q.Types.Contains(e.Type))
        .Where(e => q.From is null || e.OccurredAt >= q.From)
        .Where(e => q.To is null || e.OccurredAt < q.To)
        .OrderBy(e => e.OccurredAt).ThenBy(e => e.Id, StringComparer.Ordinal);

    public async IAsyncEnumerable<MarketingEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Queries.Add(query);
        foreach (var e in Select(query).Take(query.Limit ?? int.MaxValue).ToList())
        {
            await Task.Yield();
            yield return e;
        }
    }

    public ValueTask<long> CountAsync(EventQuery query, CancellationToken cancellationToken = default) => ValueTask.FromResult((long)Select(query).Count());

    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult((long)_events.RemoveAll(e => e.CustomerId == customerId));
}

internal sealed class RecordingListener : ISegmentMembershipListener
{
    public List<SegmentMembershipChange> Changes { get; } = [];

    public ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
    {
        Changes.AddRange(changes);
        return ValueTask.CompletedTask;
    }
}

internal static class TestData
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static CustomerId Id(int i) => new($"c{i:D6}");

    /// <summary>The changes without their ids (new ids each run), for comparing with expected changes.</summary>
    public static List<SegmentMembershipChange> WithoutIds(IEnumerable<SegmentMembershipChange> changes)
    {
        var list = changes.ToList();
        Assert.All(list, c => Assert.Matches("^[0-9a-f]{32}$", c.ChangeId));
        return [.. list.Select(c => c with { ChangeId = null })];
    }

    public static MarketingEvent Event(int customer, EventType type, DateTimeOffset at, params (string Key, PropertyValue Value)[] props) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Type = type,
        OccurredAt = at,
        CustomerId = Id(customer),
        Properties = props.ToDictionary(p => p.Key, p => p.Value),
    };

    public static MarketingEvent Purchase(int customer, string orderId, DateTimeOffset at, decimal amount, string currency = "CNY") => new()
    {
        Id = "p-" + orderId,
        Type = EventType.Purchase,
        OccurredAt = at,
        CustomerId = Id(customer),
        Value = new Money(amount, currency),
        Order = new Order
        {
            OrderId = orderId,
            PlacedAt = at,
            Lines = [new OrderLine { ProductId = "sku", Quantity = 1, UnitPrice = new Money(amount, currency) }],
        },
    };

}
