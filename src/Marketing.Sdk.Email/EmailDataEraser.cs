using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Email;

/// <summary>
/// Erases what the email channel keeps about a customer's addresses for a data-subject erasure: the send-ledger entries
/// whose recipient tag (an unsalted hash of the address, treated as the address itself) is one of the customer's email
/// identities. The per-domain rate counters name domains and counts only. The customer's queued messages are in the
/// outbox, which the store's own erasure covers.
/// </summary>
internal sealed class EmailDataEraser(IStateStore store) : IPersonalDataEraser
{
    public string Name => "email.state";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var tags = identities.Where(i => i.Kind == IdentityKind.Email).Select(i => EmailSendLedger.Tag(i.Value)).ToHashSet(StringComparer.Ordinal);
        if (tags.Count == 0)
        {
            return 0;
        }
        // Collect first: deleting while a durable store streams the same scope is not safe.
        var doomed = new List<string>();
        await foreach (var entry in store.StreamAsync(EmailSendLedger.Scope, null, cancellationToken).ConfigureAwait(false))
        {
            if (EmailSendLedger.Read(entry) is { } ledger && tags.Contains(ledger.RecipientTag))
            {
                doomed.Add(entry.Key);
            }
        }
        long deleted = 0;
        foreach (var key in doomed)
        {
            deleted += await store.DeleteAsync(EmailSendLedger.Scope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return deleted;
    }
}
