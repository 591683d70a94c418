using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IIdentityGraphStore"/>. The default when no durable store is
/// configured, and a fast fake for tests. Data is lost when the process ends.
/// </summary>
public sealed class InMemoryIdentityGraphStore : IIdentityGraphStore
{
    private readonly Dictionary<Identity, CustomerId> _owners = [];
    private readonly Dictionary<CustomerId, List<Identity>> _byCustomer = [];
    private readonly List<MergeRecord> _merges = [];
    private readonly Dictionary<Identity, HashSet<string>> _observations = [];
    private readonly Dictionary<CustomerId, CustomerId> _mergedInto = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<Identity, CustomerId>> FindAsync(IReadOnlyCollection<Identity> identities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var result = new Dictionary<Identity, CustomerId>(identities.Count);
        lock (_lock)
        {
            foreach (var i in identities)
            {
                if (_owners.TryGetValue(i, out var owner))
                {
                    result[i] = owner;
                }
            }
        }
        return ValueTask.FromResult<IReadOnlyDictionary<Identity, CustomerId>>(result);
    }

    /// <inheritdoc />
    public ValueTask<CustomerId> ClaimAsync(Identity identity, CustomerId candidate, CancellationToken cancellationToken = default)
    {
        Profiles.CustomerIds.Ensure(candidate, "candidate");
        lock (_lock)
        {
            if (_owners.TryGetValue(identity, out var owner))
            {
                return ValueTask.FromResult(owner);
            }
            _owners[identity] = candidate;
            List(candidate).Add(identity);
            return ValueTask.FromResult(candidate);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Identity>> GetIdentitiesAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<Identity>>(
                _byCustomer.TryGetValue(customerId, out var list) ? [.. list] : []);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (source == target || !_byCustomer.Remove(source, out var ids))
            {
                return ValueTask.FromResult(0L);
            }
            foreach (var i in ids)
            {
                _owners[i] = target;
            }
            List(target).AddRange(ids);
            return ValueTask.FromResult((long)ids.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask RecordMergeAsync(MergeRecord merge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(merge);
        lock (_lock)
        {
            _merges.Add(merge);
            _mergedInto[merge.Merged] = merge.Survivor;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MergeRecord> ReadMergesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        MergeRecord[] snapshot;
        lock (_lock)
        {
            snapshot = [.. _merges];
        }
        foreach (var m in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return m;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<int> ObserveAsync(Identity identity, string? anchor, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_observations.TryGetValue(identity, out var anchors))
            {
                if (anchor is null)
                {
                    return ValueTask.FromResult(0);
                }
                _observations[identity] = anchors = new HashSet<string>(StringComparer.Ordinal);
            }
            if (anchor is not null)
            {
                anchors.Add(anchor);
            }
            return ValueTask.FromResult(anchors.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> DeleteCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long deleted = 0;
            if (_byCustomer.Remove(customerId, out var ids))
            {
                var anchors = ids.Select(i => i.Fingerprint).ToHashSet(StringComparer.Ordinal);
                foreach (var i in ids)
                {
                    _owners.Remove(i);
                    deleted++;
                    if (_observations.Remove(i, out var seen))
                    {
                        deleted += seen.Count;
                    }
                }
                foreach (var set in _observations.Values)
                {
                    deleted += set.RemoveWhere(anchors.Contains);
                }
            }
            deleted += _merges.RemoveAll(m => m.Survivor == customerId || m.Merged == customerId);
            foreach (var merged in _mergedInto.Where(kv => kv.Key == customerId || kv.Value == customerId).Select(kv => kv.Key).ToList())
            {
                _mergedInto.Remove(merged);
            }
            return ValueTask.FromResult(deleted);
        }
    }

    /// <summary>The customer <paramref name="merged"/> was merged into, if a merge record says so (an indexed look-up).</summary>
    internal bool TryGetMergedInto(CustomerId merged, out CustomerId survivor)
    {
        lock (_lock)
        {
            return _mergedInto.TryGetValue(merged, out survivor);
        }
    }

    private List<Identity> List(CustomerId customer)
    {
        if (!_byCustomer.TryGetValue(customer, out var list))
        {
            _byCustomer[customer] = list = [];
        }
        return list;
    }
}
