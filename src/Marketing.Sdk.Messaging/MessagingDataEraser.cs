using System.Text.Json;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Messaging;

/// <summary>
/// Erases a customer's messaging state for a data-subject erasure: the idempotency ledger of their messages,
/// the links from providers' message ids to them (found through the ledger, which keeps each provider id),
/// their contact ledger for the caps and their suppressions. The messages themselves wait in the outbox,
/// which the store's own erasure covers.
/// </summary>
internal sealed class MessagingDataEraser(IStateStore store) : IPersonalDataEraser
{
    public string Name => "messaging.state";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        var prefix = customerId.Value + "|";
        // Collect first: deleting while a durable store streams the same scope is not safe.
        var doomed = new List<(string Scope, string Key)>();
        await foreach (var entry in store.StreamAsync(MessageSender.SendScope, prefix, cancellationToken).ConfigureAwait(false))
        {
            doomed.Add((MessageSender.SendScope, entry.Key));
            if (JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.SendRecord) is { ProviderMessageId: { } providerId } record)
            {
                doomed.Add((MessageStatusReporter.ProviderScope, record.Channel + "|" + providerId));
            }
        }
        foreach (var scope in new[] { MessageSender.ContactScope, StateStoreSuppressionList.Scope })
        {
            await foreach (var entry in store.StreamAsync(scope, prefix, cancellationToken).ConfigureAwait(false))
            {
                doomed.Add((scope, entry.Key));
            }
        }
        long deleted = 0;
        foreach (var (scope, key) in doomed)
        {
            deleted += await store.DeleteAsync(scope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return deleted;
    }
}
