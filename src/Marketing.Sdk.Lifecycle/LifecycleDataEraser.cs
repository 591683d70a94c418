using System.Text.Json;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle;

/// <summary>
/// Erases a customer's lifecycle state for a data-subject erasure: the stage and its history,
/// journey enrollments, inactivity watches, the action ledger, the contact ledger and the entries of
/// the due index. Works over any <see cref="IStateStore"/>: a durable store's own erasure may already
/// have removed the customer-keyed documents (then only the due index is left to clean), the
/// process-local store relies on this eraser for all of them.
/// </summary>
internal sealed class LifecycleDataEraser(IStateStore store) : IPersonalDataEraser
{
    /// <summary>The scopes whose keys start with <c>customerId|</c>.</summary>
    private static readonly string[] CustomerScopes =
    [
        LifecycleStageTracker.Scope, JourneyEngine.EnrollmentScope, JourneyEngine.WatchScope,
        JourneyEngine.ActionScope, JourneyEngine.ContactScope,
    ];

    public string Name => "lifecycle.state";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        long deleted = 0;
        var prefix = customerId.Value + "|";
        foreach (var scope in CustomerScopes)
        {
            deleted += await DeleteAsync(scope, store.StreamAsync(scope, prefix, cancellationToken), _ => true, cancellationToken).ConfigureAwait(false);
        }
        // The due index is keyed by due time first; its entries name the customer inside.
        var marker = "|" + customerId.Value + "|";
        deleted += await DeleteAsync(JourneyEngine.DueScope, store.StreamAsync(JourneyEngine.DueScope, null, cancellationToken),
            e => e.Key.Contains(marker, StringComparison.Ordinal)
                && JsonSerializer.Deserialize(e.Value, LifecycleJsonContext.Default.DueEntry)?.CustomerId == customerId,
            cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private async ValueTask<long> DeleteAsync(string scope, IAsyncEnumerable<StateEntry> entries, Func<StateEntry, bool> match, CancellationToken cancellationToken)
    {
        // Collect first: deleting while a durable store streams the same scope is not safe.
        var keys = new List<string>();
        await foreach (var entry in entries.ConfigureAwait(false))
        {
            if (match(entry))
            {
                keys.Add(entry.Key);
            }
        }
        long deleted = 0;
        foreach (var key in keys)
        {
            deleted += await store.DeleteAsync(scope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return deleted;
    }
}
