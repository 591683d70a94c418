using System.Text.Json;
using Marketing.Sdk.Platforms.WeChat.OfficialAccount;
using Marketing.Sdk.Platforms.WeChat.WeCom;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketing.Sdk.Platforms.WeChat;

/// <summary>
/// Erases what the WeCom and Official Account clients keep about a customer for a data-subject erasure, matched by
/// the customer's WeCom external contact ids and WeChat openids:
/// <list type="bullet">
/// <item>the WeCom monthly mass-message counts (<c>wecom.mass_cap</c>, keyed by the contact's pseudonym);</item>
/// <item>the contact's provider ids in the WeCom sent ledger (<c>wecom.sent</c>) and in the results already reported
/// of tracked mass tasks (<c>wecom.mass_tasks</c>), which are removed from the task and no longer reported;</item>
/// <item>an Official Account follower-sync checkpoint that stopped at the customer's openid
/// (<c>wechat.oa.follower_sync</c>): the next sync starts from the beginning, and its events de-duplicate.</item>
/// </list>
/// The customer's queued messages are in the outbox, which the store's own erasure covers.
/// </summary>
internal sealed class WeChatDataEraser(IStateStore store) : IPersonalDataEraser
{
    public string Name => "wechat.state";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        var pseudonyms = identities.Where(i => i.Kind == IdentityKind.WeComExternalUserId).Select(i => WeComClient.Pseudonym(i.Value)).ToHashSet(StringComparer.Ordinal);
        var openIds = identities.Where(i => i.Kind == IdentityKind.WeChatOpenId).Select(i => i.Value).ToHashSet(StringComparer.Ordinal);
        if (pseudonyms.Count == 0 && openIds.Count == 0)
        {
            return 0;
        }
        bool OfContact(string? providerId) =>
            providerId is not null && providerId.LastIndexOf(':') is var colon and >= 0 && pseudonyms.Contains(providerId[(colon + 1)..]);

        // Collect first: deleting while a durable store streams the same scope is not safe.
        var doomed = new List<(string Scope, string Key)>();
        var trimmed = new List<(StateEntry Entry, WeComTrackedTask Task)>();
        if (pseudonyms.Count > 0)
        {
            await foreach (var entry in store.StreamAsync(WeComMonthlyCap.Scope, null, cancellationToken).ConfigureAwait(false))
            {
                // corp|pseudonym|month
                if (entry.Key.Split('|') is [_, var pseudonym, _] && pseudonyms.Contains(pseudonym))
                {
                    doomed.Add((WeComMonthlyCap.Scope, entry.Key));
                }
            }
            await foreach (var entry in store.StreamAsync(WeComSentLedger.Scope, null, cancellationToken).ConfigureAwait(false))
            {
                if (OfContact(Read(entry, WeComJsonContext.Default.WeComSentRecord)?.ProviderId))
                {
                    doomed.Add((WeComSentLedger.Scope, entry.Key));
                }
            }
            await foreach (var entry in store.StreamAsync(WeComMassTaskTracker.Scope, null, cancellationToken).ConfigureAwait(false))
            {
                if (Read(entry, WeComJsonContext.Default.WeComTrackedTask) is { Reported: { } reported } task && reported.Exists(OfContact))
                {
                    trimmed.Add((entry, task));
                }
            }
        }
        if (openIds.Count > 0)
        {
            await foreach (var entry in store.StreamAsync(OfficialAccountFollowerSync.CheckpointScope, null, cancellationToken).ConfigureAwait(false))
            {
                if (Read(entry, OfficialAccountJsonContext.Default.FollowerSyncCheckpoint)?.After is { } after && openIds.Contains(after))
                {
                    doomed.Add((OfficialAccountFollowerSync.CheckpointScope, entry.Key));
                }
            }
        }
        long erased = 0;
        foreach (var (scope, key) in doomed)
        {
            erased += await store.DeleteAsync(scope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        foreach (var (entry, task) in trimmed)
        {
            erased += await TrimAsync(entry, task, OfContact, cancellationToken).ConfigureAwait(false);
        }
        return erased;
    }

    /// <summary>Removes the contact's results from a tracked task; a concurrent poll's write is read again and trimmed.</summary>
    private async ValueTask<long> TrimAsync(StateEntry entry, WeComTrackedTask task, Predicate<string> ofContact, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var removed = task.Reported.RemoveAll(ofContact);
            if (removed == 0)
            {
                return 0;
            }
            try
            {
                await store.SaveAsync(WeComMassTaskTracker.Scope, entry.Key, JsonSerializer.Serialize(task, WeComJsonContext.Default.WeComTrackedTask), entry.Version, cancellationToken).ConfigureAwait(false);
                return removed;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                if (await store.GetAsync(WeComMassTaskTracker.Scope, entry.Key, cancellationToken).ConfigureAwait(false) is not { } current
                    || Read(current, WeComJsonContext.Default.WeComTrackedTask) is not { Reported: not null } again)
                {
                    return 0;
                }
                (entry, task) = (current, again);
            }
        }
    }

    private static T? Read<T>(StateEntry entry, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, type);
        }
        catch (JsonException)
        {
            return null; // not a document this version wrote; nothing of it can be matched
        }
    }
}

/// <summary>Registration shared by the WeCom and Official Account entry points.</summary>
internal static class WeChatServiceRegistration
{
    /// <summary>Adds the one <see cref="WeChatDataEraser"/> (a second call adds nothing).</summary>
    /// <param name="services">The services.</param>
    public static void AddWeChatDataEraser(this IServiceCollection services) =>
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, WeChatDataEraser>(sp => new WeChatDataEraser(sp.GetRequiredService<IStateStore>())));
}
