using System.Text.Json;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Messaging;

/// <summary>
/// The suppression list over the host's <see cref="IStateStore"/> (scope <c>messaging.suppression</c>,
/// key <c>customer|channel</c>, <c>*</c> for every channel), so it is durable and shared by every host on
/// the same store (SQLite, PostgreSQL).
/// </summary>
internal sealed class StateStoreSuppressionList(IStateStore store, TimeProvider timeProvider) : ISuppressionList
{
    internal const string Scope = "messaging.suppression";
    private const string AllChannels = "*";

    public async ValueTask<SuppressionEntry> AddAsync(CustomerId customerId, Channel? channel, SuppressionReason reason, CancellationToken cancellationToken = default)
    {
        Check(customerId);
        if (!Enum.IsDefined(reason))
        {
            throw new MarketingValidationException("reason", ValidationReason.OutOfRange, "Not a suppression reason.");
        }
        var key = Key(customerId, channel);
        var value = JsonSerializer.Serialize(new StoredSuppression(reason, timeProvider.GetUtcNow()), MessagingJsonContext.Default.StoredSuppression);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            try
            {
                await store.SaveAsync(Scope, key, value, existing?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return new SuppressionEntry(customerId, channel, reason, timeProvider.GetUtcNow());
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another host wrote the same entry meanwhile: the last writer's reason wins.
            }
        }
    }

    public ValueTask<bool> RemoveAsync(CustomerId customerId, Channel? channel, CancellationToken cancellationToken = default)
    {
        Check(customerId);
        return store.DeleteAsync(Scope, Key(customerId, channel), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<SuppressionEntry>> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        Check(customerId);
        var prefix = customerId.Value + "|";
        var result = new List<SuppressionEntry>();
        await foreach (var entry in store.StreamAsync(Scope, prefix, cancellationToken).ConfigureAwait(false))
        {
            var name = entry.Key[prefix.Length..];
            if (Read(entry) is { } s)
            {
                result.Add(new SuppressionEntry(customerId, name == AllChannels ? null : (Channel?)Channel.Create(name), s.Reason, s.Since));
            }
        }
        return result;
    }

    public async ValueTask<SuppressionEntry?> FindBlockingAsync(CustomerId customerId, Channel channel, MessagePurpose purpose, CancellationToken cancellationToken = default)
    {
        Check(customerId);
        foreach (var c in new Channel?[] { channel, null })
        {
            var entry = await store.GetAsync(Scope, Key(customerId, c), cancellationToken).ConfigureAwait(false);
            if (entry is not null && Read(entry) is { } s && (s.Reason != SuppressionReason.Unsubscribed || purpose == MessagePurpose.Marketing))
            {
                return new SuppressionEntry(customerId, c, s.Reason, s.Since);
            }
        }
        return null;
    }

    private static StoredSuppression? Read(StateEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.StoredSuppression);
        }
        catch (JsonException)
        {
            // An unreadable entry still suppresses: failing closed never contacts a customer who asked not to be.
            return new StoredSuppression(SuppressionReason.Blocked, DateTimeOffset.MinValue);
        }
    }

    private static string Key(CustomerId customerId, Channel? channel) => customerId.Value + "|" + (channel?.Value ?? AllChannels);

    private static void Check(CustomerId customerId)
    {
        if (string.IsNullOrEmpty(customerId.Value))
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "A customer id is required.");
        }
    }
}
