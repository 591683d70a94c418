namespace Marketing.Sdk.Storage;

/// <summary>A versioned state document.</summary>
/// <param name="Key">The document's key within its scope.</param>
/// <param name="Value">The document (JSON text).</param>
/// <param name="Version">Optimistic-concurrency version; incremented by each write, starting at 1.</param>
public sealed record StateEntry(string Key, string Value, long Version);

/// <summary>One write of <see cref="IStateStore.SaveManyAsync"/>: an insert, a replacement or (<see cref="Deletion"/>) a deletion.</summary>
/// <param name="Scope">The scope.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The document (empty for a deletion).</param>
/// <param name="ExpectedVersion">The version the write is based on (0 for a new document; 0 for a deletion, which is unconditional).</param>
public readonly record struct StateWrite(string Scope, string Key, string Value, long ExpectedVersion)
{
    /// <summary>Whether this write deletes the document (as <see cref="IStateStore.DeleteAsync"/>: whatever its version, and nothing when there is none).</summary>
    public bool IsDeletion { get; init; }

    /// <summary>A deletion of the document at <paramref name="scope"/> and <paramref name="key"/>, written with the batch's other writes.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    public static StateWrite Deletion(string scope, string key) => new(scope, key, string.Empty, 0) { IsDeletion = true };
}

/// <summary>
/// Stores small, versioned state documents of the domain packages (lifecycle stage per customer,
/// journey enrollments, contact ledgers) grouped by scope (e.g. <c>lifecycle.stage</c>), so that
/// they survive restarts and are shared by several host instances. Keys that concern one customer
/// start with the customer id followed by <c>'|'</c>, so erasure can find them by prefix.
/// </summary>
public interface IStateStore
{
    /// <summary>Reads a document, or <see langword="null"/> when there is none.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts (<paramref name="expectedVersion"/> 0) or replaces (the stored version) a document
    /// atomically; returns the new version.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The document.</param>
    /// <param name="expectedVersion">The version the write is based on (0 for a new document).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConcurrencyConflictException">The stored version differs.</exception>
    ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads several documents of one scope; the answer holds the documents that exist, by key (keys
    /// without a document are absent). Durable stores read them in one round trip; the default calls
    /// <see cref="GetAsync"/> per key.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <param name="keys">The keys (duplicates are read once).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyDictionary<string, StateEntry>> GetManyAsync(string scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<string, StateEntry>(keys.Count, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!found.ContainsKey(key) && await GetAsync(scope, key, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                found[key] = entry;
            }
        }
        return found;
    }

    /// <summary>
    /// Inserts, replaces or deletes several documents (each as <see cref="SaveAsync"/>, or as
    /// <see cref="DeleteAsync"/> for a <see cref="StateWrite.Deletion"/>) and returns their new versions
    /// in the order of <paramref name="writes"/> (0 for a deletion). The built-in stores write the batch
    /// atomically: when any write's <see cref="StateWrite.ExpectedVersion"/> differs from the stored
    /// version, nothing is written and a <see cref="ConcurrencyConflictException"/> names the first
    /// conflicting write (<see cref="ConcurrencyConflictException.Key"/>, <see cref="ConcurrencyConflictException.Index"/>).
    /// The default (for stores that do not override it) calls <see cref="SaveAsync"/> or <see cref="DeleteAsync"/>
    /// per write in order and is not atomic: the writes before a conflict stay written. A (scope, key) may
    /// appear once per batch.
    /// </summary>
    /// <param name="writes">The writes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConcurrencyConflictException">A stored version differs from the expected one.</exception>
    /// <exception cref="MarketingValidationException">A (scope, key) appears twice, or a value or version is invalid.</exception>
    async ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        StateWrites.EnsureDistinct(writes);
        var versions = new long[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            if (w.IsDeletion)
            {
                await DeleteAsync(w.Scope, w.Key, cancellationToken).ConfigureAwait(false);
                continue;
            }
            try
            {
                versions[i] = await SaveAsync(w.Scope, w.Key, w.Value, w.ExpectedVersion, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                throw new ConcurrencyConflictException(w.Scope, w.Key, i, w.ExpectedVersion);
            }
        }
        return versions;
    }

    /// <summary>Deletes a document; returns whether it existed.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Streams the documents of a scope in key order, optionally only keys with a prefix.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="keyPrefix">Only keys that start with this (ordinal), or every key when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default);
}

/// <summary>Checks shared by every <see cref="IStateStore.SaveManyAsync"/> implementation.</summary>
public static class StateWrites
{
    /// <summary>Throws when <paramref name="writes"/> is null, holds a null value, or names one (scope, key) twice.</summary>
    /// <param name="writes">The writes.</param>
    /// <exception cref="MarketingValidationException">A value is missing or a (scope, key) appears twice (the index is named).</exception>
    public static void EnsureDistinct(IReadOnlyList<StateWrite> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var seen = new HashSet<(string, string)>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            if (w.Scope is null || w.Key is null || w.Value is null)
            {
                throw new MarketingValidationException("writes", ValidationReason.Missing, $"Write {i} has no scope, key or value.", i);
            }
            if (w.ExpectedVersion < 0)
            {
                throw new MarketingValidationException("expectedVersion", ValidationReason.Negative, $"Write {i} expects a negative version; versions are never negative.", i);
            }
            if (!seen.Add((w.Scope, w.Key)))
            {
                throw new MarketingValidationException("writes", ValidationReason.Inconsistent, $"Write {i} names a scope and key an earlier write of the batch already names.", i);
            }
        }
    }
}
