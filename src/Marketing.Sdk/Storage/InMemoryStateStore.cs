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
    public ValueTask<IReadOnlyDictionary<string, StateEntry>> GetManyAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<string, StateEntry>(keys.Count, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var key in keys)
            {
                if (_entries.TryGetValue((scope, key), out var entry))
                {
                    found[key] = entry;
                }
            }
        }
        return ValueTask.FromResult<IReadOnlyDictionary<string, StateEntry>>(found);
    }

    /// <inheritdoc />
    /// <remarks>Atomic: every expected version is checked before anything is written.</remarks>
    public ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        StateWrites.EnsureDistinct(writes);
        var versions = new long[writes.Count];
        lock (_gate)
        {
            for (var i = 0; i < writes.Count; i++)
            {
                var w = writes[i];
                if (w.IsDeletion)
                {
                    continue;
                }
                var current = _entries.GetValueOrDefault((w.Scope, w.Key))?.Version ?? 0;
                if (current != w.ExpectedVersion)
                {
                    throw new ConcurrencyConflictException(w.Scope, w.Key, i, w.ExpectedVersion);
                }
                versions[i] = current + 1;
            }
            for (var i = 0; i < writes.Count; i++)
            {
                if (writes[i].IsDeletion)
                {
                    _entries.Remove((writes[i].Scope, writes[i].Key));
                }
                else
                {
                    _entries[(writes[i].Scope, writes[i].Key)] = new StateEntry(writes[i].Key, writes[i].Value, versions[i]);
                }
            }
        }
        return ValueTask.FromResult<IReadOnlyList<long>>(versions);
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
