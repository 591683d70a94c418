using System.Text.Json;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.WeChat.WeCom;

/// <summary>
/// The durable record of what the WeCom channels (and the Official Account's template channel, under
/// <see cref="OfficialAccountScope"/>) sent, by SDK message id (shared by every host through the
/// <see cref="IStateStore"/>): <c>sending</c> is written before the platform call, <c>sent</c> with the provider id
/// after it. A message found <c>sent</c> is answered as a duplicate; one found <c>sending</c> may have reached the
/// platform and is sent again only while the platform's own de-duplication still covers it (never by a WeCom mass
/// task: <c>add_msg_template</c> has no de-duplication key).
/// </summary>
internal sealed class WeComSentLedger(IStateStore store, TimeProvider timeProvider, string scope = WeComSentLedger.Scope)
{
    public const string Scope = "wecom.sent";
    public const string OfficialAccountScope = "wechat.oa.sent";
    public const string Sending = "sending";
    public const string Sent = "sent";

    public async ValueTask<(WeComSentRecord? Record, DateTimeOffset? Since)> GetAsync(string channel, string messageId, CancellationToken cancellationToken)
    {
        var entry = await store.GetAsync(scope, channel + "|" + messageId, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return (null, null);
        }
        try
        {
            var record = JsonSerializer.Deserialize(entry.Value, WeComJsonContext.Default.WeComSentRecord);
            return (record ?? new WeComSentRecord(Sending, null), record?.Since);
        }
        catch (JsonException)
        {
            return (new WeComSentRecord(Sending, null), null); // unreadable: treat as possibly sent
        }
    }

    public ValueTask MarkSendingAsync(string channel, string messageId, CancellationToken cancellationToken) =>
        WriteAsync(channel, messageId, new WeComSentRecord(Sending, null) { Since = timeProvider.GetUtcNow() }, cancellationToken);

    public ValueTask MarkSentAsync(string channel, string messageId, string? providerId, CancellationToken cancellationToken) =>
        WriteAsync(channel, messageId, new WeComSentRecord(Sent, providerId) { Since = timeProvider.GetUtcNow() }, cancellationToken);

    public async ValueTask ForgetAsync(string channel, string messageId, CancellationToken cancellationToken) =>
        await store.DeleteAsync(scope, channel + "|" + messageId, cancellationToken).ConfigureAwait(false);

    private async ValueTask WriteAsync(string channel, string messageId, WeComSentRecord record, CancellationToken cancellationToken)
    {
        var key = channel + "|" + messageId;
        var json = JsonSerializer.Serialize(record, WeComJsonContext.Default.WeComSentRecord);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await store.GetAsync(scope, key, cancellationToken).ConfigureAwait(false);
            try
            {
                await store.SaveAsync(scope, key, json, existing?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // written meanwhile: write over the newer version
            }
        }
    }
}
