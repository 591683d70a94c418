using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// Process-local <see cref="IStateStore"/> used when the host registered none (state is lost on
/// restart and is not shared between hosts; register a durable store for production).
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Scope, string Key), StateEntry> _entries = [];

    /// <inheritdoc />
    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_entries.GetValueOrDefault((scope, key)));
        }
    }

    /// <inheritdoc />
    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var current = _entries.GetValueOrDefault((scope, key))?.Version ?? 0;
            if (current != expectedVersion)
            {
                throw new ConcurrencyConflictException(scope, expectedVersion);
            }
            _entries[(scope, key)] = new StateEntry(key, value, current + 1);
            return ValueTask.FromResult(current + 1);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_entries.Remove((scope, key)));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<StateEntry> snapshot;
        lock (_gate)
        {
            snapshot = _entries
                .Where(e => e.Key.Scope == scope && (keyPrefix is null || e.Key.Key.StartsWith(keyPrefix, StringComparison.Ordinal)))
                .Select(e => e.Value)
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .ToList();
        }
        foreach (var entry in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
