using System.Text.Json;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Messaging;

/// <summary>The decisions of one channel: how many sends ended in each status.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Sent">Handed to the outbox to go now (and delivered or on their way).</param>
/// <param name="Deferred">Waiting for the end of quiet hours or a cap window.</param>
/// <param name="Suppressed">Not sent and never will be.</param>
/// <param name="Failed">Refused by the channel for good, or out of attempts.</param>
public sealed record MessageChannelCounts(Channel Channel, long Sent, long Deferred, long Suppressed, long Failed);

/// <summary>How many sends of a channel were suppressed or deferred for one reason.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Status">Suppressed or deferred.</param>
/// <param name="Reason">Why.</param>
/// <param name="Count">How many.</param>
public sealed record MessageReasonCount(Channel Channel, MessageSendStatus Status, MessageSkipReason Reason, long Count);

/// <summary>Counts of send decisions per channel and per suppression or deferral reason; no customer, address or message id.</summary>
/// <param name="Channels">One row per channel, by channel name.</param>
/// <param name="Reasons">Suppressions and deferrals by reason, most frequent first.</param>
/// <param name="Records">Send records counted.</param>
/// <param name="Truncated">Whether counting stopped at the record limit.</param>
public sealed record MessageSummary(IReadOnlyList<MessageChannelCounts> Channels, IReadOnlyList<MessageReasonCount> Reasons, long Records, bool Truncated);

/// <summary>
/// Reports what the <see cref="IMessageSender"/> decided, from its idempotency ledger in the <see cref="IStateStore"/>
/// (so every host sharing the store sees the same numbers): each send's current status (a deferred message that went
/// out later counts as sent) by channel, and suppressions and deferrals by reason. Meant for dashboards and reports.
/// </summary>
public sealed class MessageReport
{
    private readonly IStateStore _store;

    /// <summary>Creates the report over the store the sender writes.</summary>
    /// <param name="store">The state store.</param>
    public MessageReport(IStateStore store) => _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Counts the send decisions made at or after <paramref name="since"/> (every one when <see langword="null"/>).</summary>
    /// <param name="since">The earliest decision time counted.</param>
    /// <param name="maxRecords">The most send records read (at least 1); the answer says when it stopped there.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<MessageSummary> SummarizeAsync(DateTimeOffset? since = null, int maxRecords = 200_000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        var channels = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        var reasons = new Dictionary<(string Channel, MessageSendStatus Status, MessageSkipReason Reason), long>();
        long records = 0;
        var truncated = false;
        await foreach (var entry in _store.StreamAsync(MessageSender.SendScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (records == maxRecords)
            {
                truncated = true;
                break;
            }
            if (JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.SendRecord) is not { } record || (since is { } s && record.At < s))
            {
                continue;
            }
            records++;
            if (!channels.TryGetValue(record.Channel, out var counts))
            {
                channels[record.Channel] = counts = new long[4];
            }
            var index = record.Status switch
            {
                MessageSendStatus.Sent => 0,
                MessageSendStatus.Deferred => 1,
                MessageSendStatus.Suppressed => 2,
                _ => 3,
            };
            counts[index]++;
            if (record.Reason is { } reason && record.Status is MessageSendStatus.Suppressed or MessageSendStatus.Deferred)
            {
                var key = (record.Channel, record.Status, reason);
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }
        }
        return new MessageSummary(
            [.. channels.Select(kv => new MessageChannelCounts(new Channel(kv.Key), kv.Value[0], kv.Value[1], kv.Value[2], kv.Value[3]))],
            [.. reasons.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Channel, StringComparer.Ordinal).ThenBy(kv => kv.Key.Reason)
                .Select(kv => new MessageReasonCount(new Channel(kv.Key.Channel), kv.Key.Status, kv.Key.Reason, kv.Value))],
            records,
            truncated);
    }
}
