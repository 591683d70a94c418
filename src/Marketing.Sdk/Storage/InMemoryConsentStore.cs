using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IConsentStore"/>: the default when no durable store is
/// configured, and a fast fake for tests. Data is lost when the process ends.
/// </summary>
public sealed class InMemoryConsentStore : IConsentStore
{
    private readonly List<ConsentRecord> _records = [];
    private readonly Lock _lock = new();
    private long _sequence;

    /// <inheritdoc />
    public ValueTask<ConsentRecord> AppendAsync(ConsentRecord record, CancellationToken cancellationToken = default)
    {
        Validate(record);
        lock (_lock)
        {
            return ValueTask.FromResult(AppendLocked(record));
        }
    }

    internal static void Validate(ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        StoreLimits.EnsureKey(record.Source, "source");
        if (record.PolicyVersion is not null)
        {
            StoreLimits.EnsureKey(record.PolicyVersion, "policyVersion");
        }
        if (record.ProofHash is not null)
        {
            StoreLimits.EnsureKey(record.ProofHash, "proofHash");
        }
    }

    private ConsentRecord AppendLocked(ConsentRecord record)
    {
        var stored = record with { Sequence = ++_sequence };
        _records.Add(stored);
        return stored;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>> GetCurrentAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var current = new Dictionary<ConsentPurpose, ConsentRecord>();
        foreach (var r in Snapshot(customerId, null))
        {
            if (!current.TryGetValue(r.Purpose, out var existing) || r.RecordedAt >= existing.RecordedAt)
            {
                current[r.Purpose] = r;
            }
        }
        return ValueTask.FromResult<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>>(current);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CurrentConsent>> GetCurrentManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var wanted = customerIds as ISet<CustomerId> ?? new HashSet<CustomerId>(customerIds);
        var purposeSet = purposes is null ? null : purposes as ISet<ConsentPurpose> ?? new HashSet<ConsentPurpose>(purposes);
        // Per customer and purpose: the current record and whether a withdrawal shares its instant.
        var current = new Dictionary<(CustomerId, ConsentPurpose), (ConsentRecord Record, bool WithdrawalAtInstant)>();
        lock (_lock)
        {
            foreach (var r in _records)
            {
                if (!wanted.Contains(r.CustomerId) || (purposeSet is not null && !purposeSet.Contains(r.Purpose)))
                {
                    continue;
                }
                var key = (r.CustomerId, r.Purpose);
                if (!current.TryGetValue(key, out var existing) || r.RecordedAt > existing.Record.RecordedAt)
                {
                    current[key] = (r, !r.Granted);
                }
                else if (r.RecordedAt == existing.Record.RecordedAt)
                {
                    // Append order: the later record is current; a withdrawal at the instant is remembered.
                    current[key] = (r, existing.WithdrawalAtInstant || !r.Granted);
                }
            }
        }
        var result = new List<CurrentConsent>(current.Count);
        foreach (var (record, withdrawalAtInstant) in current.Values)
        {
            result.Add(new CurrentConsent(record, record.Granted && withdrawalAtInstant));
        }
        return ValueTask.FromResult<IReadOnlyList<CurrentConsent>>(result);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentStatus>> GetCurrentStatusManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        // In memory the full current records cost nothing extra to find; the flags are taken from them.
        var current = await GetCurrentManyAsync(customerIds, purposes, cancellationToken).ConfigureAwait(false);
        return [.. current.Select(ConsentStatus.From)];
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentRecord> ReadHistoryAsync(CustomerId customerId, ConsentPurpose? purpose = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var r in Snapshot(customerId, purpose))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return r;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long moved = 0;
            for (var i = 0; i < _records.Count; i++)
            {
                if (_records[i].CustomerId == source && source != target)
                {
                    _records[i] = _records[i] with { CustomerId = target };
                    moved++;
                }
            }
            return ValueTask.FromResult(moved);
        }
    }

    /// <summary>Deletes every record of a customer; returns how many.</summary>
    /// <param name="customerId">The customer.</param>
    public long DeleteCustomer(CustomerId customerId)
    {
        lock (_lock)
        {
            return _records.RemoveAll(r => r.CustomerId == customerId);
        }
    }

    private List<ConsentRecord> Snapshot(CustomerId customerId, ConsentPurpose? purpose)
    {
        lock (_lock)
        {
            return _records.Where(r => r.CustomerId == customerId && (purpose is null || r.Purpose == purpose)).ToList();
        }
    }
}
