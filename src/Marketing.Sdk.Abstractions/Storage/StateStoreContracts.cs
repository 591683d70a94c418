namespace Marketing.Sdk.Storage;

/// <summary>A versioned state document.</summary>
/// <param name="Key">The document's key within its scope.</param>
/// <param name="Value">The document (JSON text).</param>
/// <param name="Version">Optimistic-concurrency version; incremented by each write, starting at 1.</param>
public sealed record StateEntry(string Key, string Value, long Version);

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
