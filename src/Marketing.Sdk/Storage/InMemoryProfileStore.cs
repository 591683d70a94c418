using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IProfileStore"/>: the default when no durable store is
/// configured, and a fast fake for tests. Data is lost when the process ends.
/// </summary>
public sealed class InMemoryProfileStore : IProfileStore
{
    private readonly Dictionary<CustomerId, CustomerProfile> _profiles = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_profiles.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default)
    {
        InMemoryChecks.Profile(profile);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var current = _profiles.TryGetValue(profile.Id, out var existing) ? existing.Version : 0;
            if (current != profile.Version)
            {
                throw new ConcurrencyConflictException("profile", profile.Version);
            }
            var stored = profile with { Version = current + 1 };
            _profiles[profile.Id] = stored;
            return ValueTask.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_profiles.Remove(id));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CustomerProfile> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CustomerProfile[] snapshot;
        lock (_lock)
        {
            snapshot = [.. _profiles.Values];
        }
        Array.Sort(snapshot, (a, b) => a.Id.CompareTo(b.Id));
        foreach (var p in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return p;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult((long)_profiles.Count);
        }
    }
}
