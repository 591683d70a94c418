using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IEventStore"/> with de-duplication by event id. The default
/// when no durable store is configured, and a fast fake for tests. Data is lost when the process ends.
/// </summary>
public sealed class InMemoryEventStore : IEventStore
{
    private readonly Dictionary<string, MarketingEvent> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<CustomerId, List<string>> _byCustomer = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        cancellationToken.ThrowIfCancellationRequested();
        for (var i = 0; i < events.Count; i++)
        {
            InMemoryChecks.Event(events[i], i);
        }
        List<string>? duplicates = null;
        var inserted = 0;
        lock (_lock)
        {
            foreach (var e in events)
            {
                if (!_byId.TryAdd(e.Id, e))
                {
                    (duplicates ??= []).Add(e.Id);
                    continue;
                }
                inserted++;
                var customer = e.CustomerId!.Value;
                if (!_byCustomer.TryGetValue(customer, out var list))
                {
                    _byCustomer[customer] = list = [];
                }
                list.Add(e.Id);
            }
        }
        return ValueTask.FromResult(new AppendResult(inserted, (IReadOnlyList<string>?)duplicates ?? []));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MarketingEvent> ReadAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var snapshot = Select(query);
        var limit = query.Limit ?? int.MaxValue;
        foreach (var e in snapshot.Take(limit))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(EventQuery query, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult((long)Select(query).Count);

    /// <inheritdoc />
    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (source == target || !_byCustomer.Remove(source, out var ids))
            {
                return ValueTask.FromResult(0L);
            }
            foreach (var id in ids)
            {
                _byId[id] = _byId[id] with { CustomerId = target };
            }
            if (!_byCustomer.TryGetValue(target, out var list))
            {
                _byCustomer[target] = list = [];
            }
            list.AddRange(ids);
            return ValueTask.FromResult((long)ids.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_byCustomer.Remove(customerId, out var ids))
            {
                return ValueTask.FromResult(0L);
            }
            foreach (var id in ids)
            {
                _byId.Remove(id);
            }
            return ValueTask.FromResult((long)ids.Count);
        }
    }

    private List<MarketingEvent> Select(EventQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var types = query.Types is { Count: > 0 } t ? t.ToHashSet() : null;
        List<MarketingEvent> result;
        lock (_lock)
        {
            IEnumerable<MarketingEvent> source = query.CustomerId is { } c
                ? (_byCustomer.TryGetValue(c, out var ids) ? ids.Select(id => _byId[id]) : [])
                : _byId.Values;
            result = source.Where(e =>
                (types is null || types.Contains(e.Type)) &&
                (query.From is null || e.OccurredAt >= query.From) &&
                (query.To is null || e.OccurredAt < query.To)).ToList();
        }
        result.Sort(static (a, b) =>
        {
            var c = a.OccurredAt.UtcDateTime.CompareTo(b.OccurredAt.UtcDateTime);
            return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
        });
        return result;
    }
}
