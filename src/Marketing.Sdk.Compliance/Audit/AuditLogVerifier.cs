using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Compliance.Audit;

/// <summary>The result of verifying the audit log's hash chain.</summary>
/// <param name="Intact">Whether every entry checked out.</param>
/// <param name="EntriesChecked">How many entries were read.</param>
/// <param name="FirstBrokenSequence">The sequence of the first entry that does not match, or <see langword="null"/>.</param>
public sealed record AuditVerification(bool Intact, long EntriesChecked, long? FirstBrokenSequence);

/// <summary>
/// Verifies the append-only, hash-chained audit log (<see cref="AuditChain"/>): any change, removal,
/// insertion or reordering of an entry — down to a single byte of any field — breaks the chain at
/// that entry.
/// </summary>
/// <param name="store">The audit log.</param>
public sealed class AuditLogVerifier(IAuditLogStore store)
{
    private readonly IAuditLogStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Verifies the whole log.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) =>
        VerifyAsync(_store.ReadAsync(1, cancellationToken), cancellationToken);

    /// <summary>Verifies entries read elsewhere (e.g. an exported copy of the log).</summary>
    /// <param name="entries">The entries from sequence 1, in order.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async ValueTask<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        long count = 0;
        var broken = await AuditChain.VerifyAsync(Count(entries, c => count = c), cancellationToken).ConfigureAwait(false);
        return new AuditVerification(broken is null, count, broken);
    }

    private static async IAsyncEnumerable<AuditEntry> Count(IAsyncEnumerable<AuditEntry> entries, Action<long> report)
    {
        long n = 0;
        await foreach (var entry in entries.ConfigureAwait(false))
        {
            report(++n);
            yield return entry;
        }
    }
}
