using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Storage;

/// <summary>
/// A thread-safe in-memory <see cref="IOutboxStore"/> with the same lease semantics as the durable
/// stores (one lock, so claims never overlap). Messages are lost when the process ends: use a durable
/// store in production.
/// </summary>
public sealed class InMemoryOutboxStore : IOutboxStore
{
    private readonly SortedDictionary<long, OutboxEntry> _entries = [];
    private readonly HashSet<(string Destination, string Key)> _keys = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private long _nextId;

    /// <summary>Creates the store.</summary>
    /// <param name="timeProvider">The clock for enqueue, lease and completion times; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public InMemoryOutboxStore(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public ValueTask<OutboxEnqueueResult> EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        Validate(messages);
        lock (_lock)
        {
            return ValueTask.FromResult(EnqueueLocked(messages));
        }
    }

    internal static void Validate(IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            ArgumentNullException.ThrowIfNull(m);
            StoreLimits.EnsureKey(m.Destination, "destination", i);
            StoreLimits.EnsureKey(m.IdempotencyKey, "idempotencyKey", i);
            StoreLimits.EnsureKey(m.ContentType, "contentType", i);
            foreach (var (k, v) in m.Headers)
            {
                StoreLimits.EnsureKey(k, "headers", i);
                StoreLimits.EnsureText(v, "headers", i);
            }
        }
    }

    internal OutboxEnqueueResult EnqueueLocked(IReadOnlyList<OutboxMessage> messages)
    {
        var now = _time.GetUtcNow();
        var duplicates = new List<OutboxMessage>();
        var enqueued = 0;
        foreach (var m in messages)
        {
            if (!_keys.Add((m.Destination, m.IdempotencyKey)))
            {
                duplicates.Add(m);
                continue;
            }
            var id = ++_nextId;
            _entries[id] = new OutboxEntry
            {
                Id = id,
                Message = m with { Payload = m.Payload.ToArray(), Headers = new Dictionary<string, string>(m.Headers, StringComparer.Ordinal) },
                State = OutboxState.Pending,
                EnqueuedAt = now,
                NextAttemptAt = (m.NotBefore ?? now).ToUniversalTime(),
            };
            enqueued++;
        }
        return new OutboxEnqueueResult(enqueued, duplicates);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OutboxEntry>> ClaimAsync(string workerId, int maxCount, TimeSpan leaseDuration, string? destination = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.EnsureKey(workerId, "workerId");
        if (maxCount < 1)
        {
            throw new MarketingValidationException("maxCount", ValidationReason.OutOfRange, "Claim at least one message.");
        }
        if (leaseDuration <= TimeSpan.Zero)
        {
            throw new MarketingValidationException("leaseDuration", ValidationReason.OutOfRange, "Leases must be positive.");
        }
        if (destination is not null)
        {
            StoreLimits.EnsureKey(destination, "destination");
        }
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var due = _entries.Values
                .Where(e => (e.State == OutboxState.Pending && e.NextAttemptAt <= now) || (e.State == OutboxState.Leased && e.LeaseExpiresAt <= now))
                .Where(e => destination is null || string.Equals(e.Message.Destination, destination, StringComparison.Ordinal))
                .OrderBy(e => e.NextAttemptAt).ThenBy(e => e.Id)
                .Take(maxCount)
                .ToList();
            var token = Guid.NewGuid();
            var claimed = new List<OutboxEntry>(due.Count);
            foreach (var e in due)
            {
                var leased = e with
                {
                    State = OutboxState.Leased,
                    AttemptCount = e.AttemptCount + 1,
                    LeaseOwner = workerId,
                    LeaseToken = token,
                    LeaseExpiresAt = now + leaseDuration,
                };
                _entries[e.Id] = leased;
                claimed.Add(leased);
            }
            claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
            return ValueTask.FromResult<IReadOnlyList<OutboxEntry>>(claimed);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> AckAsync(long id, Guid leaseToken, CancellationToken cancellationToken = default) =>
        Complete(id, leaseToken, e => e with { State = OutboxState.Delivered, CompletedAt = _time.GetUtcNow() });

    /// <inheritdoc />
    public ValueTask<bool> RetryAsync(long id, Guid leaseToken, DateTimeOffset nextAttemptAt, string reason, CancellationToken cancellationToken = default)
    {
        CheckReason(reason);
        return Complete(id, leaseToken, e => e with { State = OutboxState.Pending, NextAttemptAt = nextAttemptAt.ToUniversalTime(), LastError = reason });
    }

    /// <inheritdoc />
    public ValueTask<bool> DeadLetterAsync(long id, Guid leaseToken, string reason, CancellationToken cancellationToken = default)
    {
        CheckReason(reason);
        return Complete(id, leaseToken, e => e with { State = OutboxState.DeadLettered, LastError = reason, CompletedAt = _time.GetUtcNow() });
    }

    /// <inheritdoc />
    public ValueTask<bool> RequeueDeadLetterAsync(long id, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var e) || e.State != OutboxState.DeadLettered)
            {
                return ValueTask.FromResult(false);
            }
            _entries[id] = e with { State = OutboxState.Pending, AttemptCount = 0, NextAttemptAt = nextAttemptAt.ToUniversalTime(), CompletedAt = null };
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DiscardDeadLetterAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var e) || e.State != OutboxState.DeadLettered)
            {
                return ValueTask.FromResult(false);
            }
            _entries.Remove(id);
            return ValueTask.FromResult(true);
        }
    }

    private static void CheckReason(string reason)
    {
        StoreLimits.EnsureText(reason, "reason");
        if (reason is not null && reason.Contains('\0', StringComparison.Ordinal))
        {
            throw new MarketingValidationException("reason", ValidationReason.InvalidCharacters, "The text must not contain NUL characters.");
        }
    }

    private ValueTask<bool> Complete(long id, Guid token, Func<OutboxEntry, OutboxEntry> change)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var e) || e.State != OutboxState.Leased || e.LeaseToken != token)
            {
                return ValueTask.FromResult(false);
            }
            _entries[id] = Released(change(e));
            return ValueTask.FromResult(true);
        }
    }

    private static OutboxEntry Released(OutboxEntry e) => e with { LeaseOwner = null, LeaseToken = Guid.Empty, LeaseExpiresAt = null };

    /// <inheritdoc />
    public ValueTask<long> ReclaimExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var expired = _entries.Values.Where(e => e.State == OutboxState.Leased && e.LeaseExpiresAt <= now).ToList();
            foreach (var e in expired)
            {
                _entries[e.Id] = Released(e with { State = OutboxState.Pending, NextAttemptAt = now });
            }
            return ValueTask.FromResult((long)expired.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask<OutboxCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long Count(OutboxState s) => _entries.Values.LongCount(e => e.State == s);
            return ValueTask.FromResult(new OutboxCounts(Count(OutboxState.Pending), Count(OutboxState.Leased), Count(OutboxState.Delivered), Count(OutboxState.DeadLettered)));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OutboxDestinationBacklog>> GetBacklogAsync(DateTimeOffset deadLetteredSince, string? ignoredReasonPrefix = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<OutboxDestinationBacklog> result = [.. _entries.Values
                .GroupBy(e => e.Message.Destination, StringComparer.Ordinal)
                .Select(g =>
                {
                    var waiting = g.Where(e => e.State is OutboxState.Pending or OutboxState.Leased).ToList();
                    var dead = g.LongCount(e => e.State == OutboxState.DeadLettered && e.CompletedAt >= deadLetteredSince
                        && (ignoredReasonPrefix is null || e.LastError is null || !e.LastError.StartsWith(ignoredReasonPrefix, StringComparison.Ordinal)));
                    return new OutboxDestinationBacklog(g.Key, waiting.Count, waiting.Count == 0 ? null : waiting.Min(e => e.EnqueuedAt), dead);
                })
                .Where(b => b.Pending > 0 || b.DeadLettered > 0)
                .OrderBy(b => b.Destination, StringComparer.Ordinal)];
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<OutboxEntry?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_entries.TryGetValue(id, out var e) ? e : null);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<OutboxEntry> ReadAsync(OutboxState state, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        OutboxEntry[] snapshot;
        lock (_lock)
        {
            snapshot = [.. _entries.Values.Where(e => e.State == state)];
        }
        foreach (var e in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<long> PurgeDeliveredAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var old = _entries.Values.Where(e => e.State == OutboxState.Delivered && e.CompletedAt < completedBefore).ToList();
            foreach (var e in old)
            {
                _entries.Remove(e.Id);
                _keys.Remove((e.Message.Destination, e.Message.IdempotencyKey));
            }
            return ValueTask.FromResult((long)old.Count);
        }
    }

    /// <summary>Deletes every message about a customer; returns how many.</summary>
    /// <param name="customerId">The customer.</param>
    public long DeleteCustomer(CustomerId customerId)
    {
        lock (_lock)
        {
            var owned = _entries.Values.Where(e => e.Message.CustomerId == customerId).ToList();
            foreach (var e in owned)
            {
                _entries.Remove(e.Id);
                _keys.Remove((e.Message.Destination, e.Message.IdempotencyKey));
            }
            return owned.Count;
        }
    }

}
