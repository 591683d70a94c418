using System.Runtime.CompilerServices;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// One batch's view of an <see cref="IStateStore"/>: reads come from a cache filled by
/// <see cref="PrefetchAsync"/> (one <see cref="IStateStore.GetManyAsync"/> per scope) or, for keys not
/// prefetched, from the store once; writes are checked against the view (optimistic concurrency as the
/// store would) and held until <see cref="FlushAsync"/> writes them with one atomic
/// <see cref="IStateStore.SaveManyAsync"/> (deletes follow it). Several writes of one key in a batch
/// become one write. Not thread-safe: one batch, one caller, under the customers' locks.
/// </summary>
/// <param name="inner">The store.</param>
internal sealed class StateWriteBuffer(IStateStore inner) : IStateStore
{
    private readonly Dictionary<(string Scope, string Key), Slot> _slots = [];

    private enum Pending
    {
        None,
        Upsert,
        AddIfAbsent,
        Delete,
    }

    /// <summary>What the store holds (when <see cref="Known"/>) and what the batch will write over it.</summary>
    private sealed class Slot
    {
        public bool Known;
        public StateEntry? Stored;
        public Pending Pending;
        public string? Value;

        public long BaseVersion => Stored?.Version ?? 0;

        public StateEntry? View(string key) => Pending switch
        {
            Pending.Upsert => new StateEntry(key, Value!, BaseVersion + 1),
            Pending.Delete => null,
            Pending.AddIfAbsent => Stored ?? new StateEntry(key, Value!, 1),
            _ => Stored,
        };
    }

    /// <summary>The store under the buffer.</summary>
    public IStateStore Inner => inner;

    /// <summary>Whether writes are waiting for <see cref="FlushAsync"/>.</summary>
    public bool HasPending => _slots.Values.Any(s => s.Pending != Pending.None);

    /// <summary>Reads the documents of <paramref name="keys"/> not read yet, in one call.</summary>
    public async ValueTask PrefetchAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var missing = keys.Where(k => !_slots.TryGetValue((scope, k), out var s) || !s.Known).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return;
        }
        var found = await inner.GetManyAsync(scope, missing, cancellationToken).ConfigureAwait(false);
        foreach (var key in missing)
        {
            var slot = SlotOf(scope, key);
            slot.Known = true;
            slot.Stored = found.GetValueOrDefault(key);
            Settle(slot);
        }
    }

    public async ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        var slot = await KnownSlotAsync(scope, key, cancellationToken).ConfigureAwait(false);
        return slot.View(key);
    }

    public async ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slot = await KnownSlotAsync(scope, key, cancellationToken).ConfigureAwait(false);
        if ((slot.View(key)?.Version ?? 0) != expectedVersion)
        {
            throw new ConcurrencyConflictException(scope, expectedVersion);
        }
        slot.Pending = Pending.Upsert;
        slot.Value = value;
        return slot.BaseVersion + 1;
    }

    /// <summary>Inserts the document unless one exists (a document whose value follows from its key, such as an index entry).</summary>
    public void AddIfAbsent(string scope, string key, string value)
    {
        var slot = SlotOf(scope, key);
        if (slot.Pending == Pending.Upsert)
        {
            return;
        }
        if (slot.Known)
        {
            (slot.Pending, slot.Value) = slot.Stored is null ? (Pending.Upsert, value) : (Pending.None, null);
        }
        else
        {
            (slot.Pending, slot.Value) = (Pending.AddIfAbsent, value);
        }
    }

    public async ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        var slot = await KnownSlotAsync(scope, key, cancellationToken).ConfigureAwait(false);
        var existed = slot.View(key) is not null;
        Delete(scope, key);
        return existed;
    }

    /// <summary>Deletes the document with the batch, without reading it first (a document not stored is not deleted twice).</summary>
    public void Delete(string scope, string key)
    {
        var slot = SlotOf(scope, key);
        slot.Pending = slot.Known && slot.Stored is null ? Pending.None : Pending.Delete;
        slot.Value = null;
    }

    /// <summary>Streams the store's documents (writes still held in the buffer are not included).</summary>
    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) =>
        inner.StreamAsync(scope, keyPrefix, cancellationToken);

    /// <summary>
    /// Writes what the batch changed (inserts, replacements and deletions) in one atomic
    /// <see cref="IStateStore.SaveManyAsync"/>. On a <see cref="ConcurrencyConflictException"/> nothing of the
    /// held writes was written.
    /// </summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var unknown = _slots.Where(kv => kv.Value.Pending == Pending.AddIfAbsent && !kv.Value.Known).GroupBy(kv => kv.Key.Scope, StringComparer.Ordinal);
        foreach (var scope in unknown.ToList())
        {
            await PrefetchAsync(scope.Key, scope.Select(kv => kv.Key.Key).ToList(), cancellationToken).ConfigureAwait(false);
        }
        var writes = new List<StateWrite>();
        var written = new List<Slot>();
        foreach (var ((scope, key), slot) in _slots)
        {
            if (slot.Pending == Pending.Upsert)
            {
                writes.Add(new StateWrite(scope, key, slot.Value!, slot.BaseVersion));
                written.Add(slot);
            }
            else if (slot.Pending == Pending.Delete)
            {
                writes.Add(StateWrite.Deletion(scope, key));
                written.Add(slot);
            }
        }
        if (writes.Count == 0)
        {
            return;
        }
        var versions = await inner.SaveManyAsync(writes, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < writes.Count; i++)
        {
            var slot = written[i];
            slot.Known = true;
            slot.Stored = writes[i].IsDeletion ? null : new StateEntry(writes[i].Key, writes[i].Value, versions[i]);
            slot.Pending = Pending.None;
            slot.Value = null;
        }
    }

    private Slot SlotOf(string scope, string key)
    {
        if (!_slots.TryGetValue((scope, key), out var slot))
        {
            slot = new Slot();
            _slots[(scope, key)] = slot;
        }
        return slot;
    }

    private async ValueTask<Slot> KnownSlotAsync(string scope, string key, CancellationToken cancellationToken)
    {
        var slot = SlotOf(scope, key);
        if (!slot.Known)
        {
            slot.Stored = await inner.GetAsync(scope, key, cancellationToken).ConfigureAwait(false);
            slot.Known = true;
            Settle(slot);
        }
        return slot;
    }

    /// <summary>Turns an insert-if-absent into a plain insert or nothing once the store's answer is known.</summary>
    private static void Settle(Slot slot)
    {
        if (slot.Pending == Pending.AddIfAbsent)
        {
            (slot.Pending, slot.Value) = slot.Stored is null ? (Pending.Upsert, slot.Value) : (Pending.None, null);
        }
    }
}
