using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Storage;

/// <summary>What to write to the audit log; the store adds the sequence and the hash chain.</summary>
public sealed record AuditRecord
{
    /// <summary>When the audited action happened.</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>Who acted: a service, a job or an operator id (no personal data).</summary>
    [PersonalData]
    public required string Actor { get; init; }

    /// <summary>What was done, e.g. <c>consent.withdrawn</c>, <c>dsr.erased</c>, <c>audience.synced</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The customer concerned, if any (a pseudonymous id).</summary>
    [PseudonymousData]
    public CustomerId? Subject { get; init; }

    /// <summary>Further details (e.g. JSON without personal data), if any.</summary>
    public string? Details { get; init; }
}

/// <summary>
/// One stored audit-log entry. <see cref="Hash"/> is <see cref="AuditChain.ComputeHash"/> over the
/// entry's fields and <see cref="PreviousHash"/>, so changing, removing or reordering any entry breaks
/// the chain from that point on (see <see cref="AuditChain.VerifyAsync"/>).
/// </summary>
/// <param name="Sequence">Position in the log, starting at 1, without gaps.</param>
/// <param name="Record">The audited action.</param>
/// <param name="PreviousHash">Hash of the previous entry (<see cref="AuditChain.GenesisHash"/> for the first).</param>
/// <param name="Hash">Hash of this entry (lower-case hex SHA-256).</param>
public sealed record AuditEntry(long Sequence, AuditRecord Record, string PreviousHash, string Hash);

/// <summary>
/// Append-only, tamper-evident audit log: each entry carries the hash of the previous one. Appends
/// are serialised by the store so that the chain has no forks, even across hosts.
/// </summary>
public interface IAuditLogStore
{
    /// <summary>Appends an entry at the end of the chain; returns the stored entry.</summary>
    /// <param name="record">The audited action.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default);

    /// <summary>The last entry, or <see langword="null"/> when the log is empty.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AuditEntry?> GetLastAsync(CancellationToken cancellationToken = default);

    /// <summary>Streams entries in sequence order, starting at <paramref name="fromSequence"/>.</summary>
    /// <param name="fromSequence">The first sequence to return.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<AuditEntry> ReadAsync(long fromSequence = 1, CancellationToken cancellationToken = default);
}

/// <summary>The hash chain of the audit log: how entry hashes are computed and verified.</summary>
public static class AuditChain
{
    /// <summary>The previous-hash of the first entry: 64 zeros.</summary>
    public static string GenesisHash { get; } = new('0', 64);

    /// <summary>
    /// SHA-256 (lower-case hex) over the previous hash, the sequence, the UTC ticks and offset minutes
    /// of <see cref="AuditRecord.RecordedAt"/>, and actor, action, subject and details, each field
    /// length-prefixed (UTF-8) so that no two different entries share an encoding.
    /// </summary>
    /// <param name="previousHash">The previous entry's hash.</param>
    /// <param name="sequence">The entry's sequence.</param>
    /// <param name="record">The entry's content.</param>
    public static string ComputeHash(string previousHash, long sequence, AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(record);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        AppendText(hash, previousHash);
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, record.RecordedAt.UtcTicks);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, (long)record.RecordedAt.Offset.TotalMinutes);
        hash.AppendData(number);
        AppendText(hash, record.Actor);
        AppendText(hash, record.Action);
        AppendText(hash, record.Subject?.Value);
        AppendText(hash, record.Details);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Checks a stream of entries (from sequence 1, in order): sequences without gaps, each previous
    /// hash equal to the hash before it, each hash recomputed. Returns the sequence of the first
    /// broken entry, or <see langword="null"/> when the chain is intact.
    /// </summary>
    /// <param name="entries">The entries, as read from <see cref="IAuditLogStore.ReadAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async ValueTask<long?> VerifyAsync(IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var expectedSequence = 1L;
        var previous = GenesisHash;
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (entry.Sequence != expectedSequence
                || !string.Equals(entry.PreviousHash, previous, StringComparison.Ordinal)
                || !string.Equals(entry.Hash, ComputeHash(previous, entry.Sequence, entry.Record), StringComparison.Ordinal))
            {
                return expectedSequence;
            }
            previous = entry.Hash;
            expectedSequence++;
        }
        return null;
    }

    private static void AppendText(IncrementalHash hash, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hash.AppendData(length);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
