using System.Text.Json;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketing.Sdk.Platforms.Sms;

/// <summary>
/// Erases what the SMS channels keep about a customer's numbers for a data-subject erasure: the send-ledger entries
/// that hold one of the numbers and the per-number flow-limit documents (keyed by an unsalted hash of the number,
/// which a search of the number space would reverse, so they are treated as the number itself). Each phone identity
/// is read as E.164 the way every registered SMS channel reads it (its default region). The customer's queued
/// messages are in the outbox, which the store's own erasure covers; a ledger entry it deletes can therefore no
/// longer stop a second delivery of a message that still exists.
/// </summary>
internal sealed class SmsDataEraser(IStateStore store, Func<IEnumerable<SmsMessageChannel>> channels) : IPersonalDataEraser
{
    public string Name => "sms.state";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        var regions = channels().Select(c => c.DefaultRegion).Distinct(StringComparer.Ordinal).ToList();
        var numbers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var identity in identities)
        {
            if (identity.Kind != IdentityKind.Phone)
            {
                continue;
            }
            foreach (var region in regions)
            {
                if (SmsPhone.ToE164(identity.Value, region) is { } e164)
                {
                    numbers.Add(e164);
                }
            }
        }
        if (numbers.Count == 0)
        {
            return 0;
        }
        var tags = numbers.Select(n => ":" + SmsPhone.Tag(n, 64)).ToList();
        // Collect first: deleting while a durable store streams the same scope is not safe.
        var doomed = new List<(string Scope, string Key)>();
        await foreach (var entry in store.StreamAsync(SmsSendLedger.Scope, null, cancellationToken).ConfigureAwait(false))
        {
            if (Read(entry) is { } ledger && numbers.Contains(ledger.Phone))
            {
                doomed.Add((SmsSendLedger.Scope, entry.Key));
            }
        }
        await foreach (var entry in store.StreamAsync(SmsFlowLimiter.Scope, null, cancellationToken).ConfigureAwait(false))
        {
            if (tags.Exists(t => entry.Key.EndsWith(t, StringComparison.Ordinal)))
            {
                doomed.Add((SmsFlowLimiter.Scope, entry.Key));
            }
        }
        long deleted = 0;
        foreach (var (scope, key) in doomed)
        {
            deleted += await store.DeleteAsync(scope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return deleted;
    }

    private static SmsLedgerEntry? Read(StateEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, SmsStateJsonContext.Default.SmsLedgerEntry);
        }
        catch (JsonException)
        {
            return null; // not a ledger entry this version wrote; nothing of it can be matched
        }
    }
}

/// <summary>Registration shared by the SMS provider packages.</summary>
internal static class SmsServiceRegistration
{
    /// <summary>Adds the one <see cref="SmsDataEraser"/> of every SMS channel (a second call adds nothing).</summary>
    /// <param name="services">The services.</param>
    public static void AddSmsDataEraser(this IServiceCollection services) =>
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPersonalDataEraser, SmsDataEraser>(sp =>
            new SmsDataEraser(sp.GetRequiredService<IStateStore>(), () => sp.GetServices<IMessageChannel>().OfType<SmsMessageChannel>())));
}
