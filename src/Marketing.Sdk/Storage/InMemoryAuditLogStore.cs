using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IAuditLogStore"/> with the same hash chain as the durable
/// stores. Data is lost when the process ends.
/// </summary>
public sealed class InMemoryAuditLogStore : IAuditLogStore
{
    private readonly List<AuditEntry> _entries = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        StoreLimits.EnsureKey(record.Actor, "actor");
        StoreLimits.EnsureKey(record.Action, "action");
        StoreLimits.EnsureText(record.Details, "details");
        if (record.Details is not null && record.Details.Contains('\0', StringComparison.Ordinal))
        {
            throw new MarketingValidationException("details", ValidationReason.InvalidCharacters, "The text must not contain NUL characters.");
        }
        lock (_lock)
        {
            var previous = _entries.Count == 0 ? AuditChain.GenesisHash : _entries[^1].Hash;
            var sequence = _entries.Count + 1L;
            var entry = new AuditEntry(sequence, record, previous, AuditChain.ComputeHash(previous, sequence, record));
            _entries.Add(entry);
            return ValueTask.FromResult(entry);
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditEntry?> GetLastAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_entries.Count == 0 ? null : _entries[^1]);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditEntry> ReadAsync(long fromSequence = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        AuditEntry[] snapshot;
        lock (_lock)
        {
            snapshot = [.. _entries.Where(e => e.Sequence >= fromSequence)];
        }
        foreach (var e in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
