using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Messaging;

/// <summary>
/// The SDK's <see cref="IMessageSender"/>: validates the template and parameters, checks consent (marketing),
/// the suppression list, the caps and the quiet hours (marketing), and stores the message in the outbox under
/// its idempotency key; <see cref="MessageDeliveryWorker"/> delivers it through the channel.
/// </summary>
internal sealed partial class MessageSender : IMessageSender
{
    internal const string SendScope = "messaging.sends";
    internal const string ContactScope = "messaging.contacts";
    internal const string DestinationPrefix = "messaging.";

    private readonly Dictionary<Channel, IMessageChannel> _channels;
    private readonly IMessageTemplateRegistry _templates;
    private readonly ISuppressionList _suppressions;
    private readonly IStateStore _store;
    private readonly IOutboxStore _outbox;
    private readonly IProfileStore? _profiles;
    private readonly IConsentGate? _consent;
    private readonly MessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly MessagingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeZoneInfo _shopZone;

    public MessageSender(IEnumerable<IMessageChannel> channels, IMessageTemplateRegistry templates, ISuppressionList suppressions, IStateStore store, IOutboxStore outbox,
        IOptions<MessagingOptions> options, TimeProvider timeProvider, MessagingMetrics metrics, IProfileStore? profiles = null, IConsentGate? consent = null, ILogger<MessageSender>? logger = null)
    {
        _channels = [];
        foreach (var c in channels)
        {
            _channels.TryAdd(c.Name, c);
        }
        _templates = templates;
        _suppressions = suppressions;
        _store = store;
        _outbox = outbox;
        _profiles = profiles;
        _consent = consent;
        _options = options.Value;
        _time = timeProvider;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _shopZone = _options.ResolveShopZone();
    }

    public async ValueTask<MessageSendResult> SendAsync(MessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.CustomerId.Value))
        {
            throw new MarketingValidationException("customerId", ValidationReason.Missing, "A customer id is required.");
        }
        if (string.IsNullOrEmpty(request.IdempotencyKey) || request.IdempotencyKey.Length > 200 || request.IdempotencyKey.Any(char.IsControl))
        {
            throw new MarketingValidationException("idempotencyKey", ValidationReason.InvalidFormat, "An idempotency key is 1-200 characters without control characters.");
        }
        if (request.Channel.Value is null || !_channels.TryGetValue(request.Channel, out var channel))
        {
            throw new MarketingValidationException("channel", ValidationReason.Inconsistent, "No message channel of that name is registered.");
        }
        var template = _templates.Find(request.Channel, request.TemplateId)
            ?? throw new MarketingValidationException("templateId", ValidationReason.Inconsistent, "No template of that id is registered for the channel.");
        var purpose = request.Purpose ?? template.DefaultPurpose;
        if (!Enum.IsDefined(purpose))
        {
            throw new MarketingValidationException("purpose", ValidationReason.OutOfRange, "Not a message purpose.");
        }
        var customer = request.CustomerId;
        var ledgerKey = customer.Value + "|" + request.IdempotencyKey;
        var messageId = MessageIdOf(customer, request.IdempotencyKey);

        var existing = await _store.GetAsync(SendScope, ledgerKey, cancellationToken).ConfigureAwait(false);
        var profile = _profiles is null ? null : await _profiles.GetAsync(customer, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            var record = JsonSerializer.Deserialize(existing.Value, MessagingJsonContext.Default.SendRecord)!;
            if (record.Status is MessageSendStatus.Sent or MessageSendStatus.Deferred && !record.Enqueued)
            {
                // The first send stored its decision but stopped before the outbox took the message: finish it
                // (the outbox de-duplicates on the message id, so this never stores it twice).
                var again = MessagingTemplateParameters(template, channel, request, profile);
                await EnqueueAsync(customer, request, template, purpose, messageId, again, record.DeferredUntil, cancellationToken).ConfigureAwait(false);
                await MarkEnqueuedAsync(ledgerKey, existing, record, cancellationToken).ConfigureAwait(false);
            }
            LogReplayed(_logger, channel.Name.Value, messageId, record.Status);
            return record.ToResult();
        }

        var parameters = MessagingTemplateParameters(template, channel, request, profile);
        var now = _time.GetUtcNow();
        var (status, reason, due) = await DecideAsync(customer, channel, purpose, request.AllowDeferral, messageId, profile, now, cancellationToken).ConfigureAwait(false);
        var decided = new SendRecord(messageId, channel.Name.Value, template.Id, status, reason, status == MessageSendStatus.Deferred ? due : null, null, false, now);
        long version;
        try
        {
            version = await _store.SaveAsync(SendScope, ledgerKey, JsonSerializer.Serialize(decided, MessagingJsonContext.Default.SendRecord), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // A concurrent send with the same key decided first: its result is the result.
            var winner = await _store.GetAsync(SendScope, ledgerKey, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize(winner!.Value, MessagingJsonContext.Default.SendRecord)!.ToResult();
        }
        var tags = new KeyValuePair<string, object?>("marketing.channel", channel.Name.Value);
        switch (status)
        {
            case MessageSendStatus.Suppressed:
                _metrics.Suppressed.Add(1, tags, new KeyValuePair<string, object?>("marketing.reason", reason.ToString()));
                LogSuppressed(_logger, channel.Name.Value, template.Id, messageId, reason!.Value);
                return decided.ToResult();
            case MessageSendStatus.Deferred:
                _metrics.Deferred.Add(1, tags, new KeyValuePair<string, object?>("marketing.reason", reason.ToString()));
                LogDeferred(_logger, channel.Name.Value, template.Id, messageId, reason!.Value, due);
                break;
            default:
                _metrics.Sent.Add(1, tags);
                LogAccepted(_logger, channel.Name.Value, template.Id, messageId);
                break;
        }
        await EnqueueAsync(customer, request, template, purpose, messageId, parameters, status == MessageSendStatus.Deferred ? due : null, cancellationToken).ConfigureAwait(false);
        await MarkEnqueuedAsync(ledgerKey, new StateEntry(ledgerKey, "", version), decided, cancellationToken).ConfigureAwait(false);
        return decided.ToResult();
    }

    private static Dictionary<string, string> MessagingTemplateParameters(MessageTemplate template, IMessageChannel channel, MessageRequest request, CustomerProfile? profile) =>
        MessageTemplateRegistry.ResolveParameters(template, channel.TemplateRules, request.Parameters, profile);

    /// <summary>Consent (marketing), suppression, address, then caps and quiet hours (marketing): sent now, deferred to a time, or suppressed.</summary>
    private async ValueTask<(MessageSendStatus Status, MessageSkipReason? Reason, DateTimeOffset Due)> DecideAsync(CustomerId customer, IMessageChannel channel, MessagePurpose purpose, bool allowDeferral, string messageId, CustomerProfile? profile, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (purpose == MessagePurpose.Marketing && !await HasConsentAsync(customer, channel.Name, profile, cancellationToken).ConfigureAwait(false))
        {
            return (MessageSendStatus.Suppressed, MessageSkipReason.NoConsent, now);
        }
        if (await _suppressions.FindBlockingAsync(customer, channel.Name, purpose, cancellationToken).ConfigureAwait(false) is { } suppression)
        {
            return (MessageSendStatus.Suppressed, SkipReasonOf(suppression.Reason), now);
        }
        if (AddressOf(profile, channel) is null)
        {
            return (MessageSendStatus.Suppressed, MessageSkipReason.NoAddress, now);
        }
        if (purpose == MessagePurpose.Transactional)
        {
            return (MessageSendStatus.Sent, null, now);
        }
        var zone = ZoneOf(profile);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(ContactScope, customer.Value + "|", cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new ContactLedger([]) : JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
            if (ledger.Entries.Find(e => e.MessageId == messageId) is { } reserved)
            {
                // Reserved by an earlier try of this very message that stopped before its decision was stored.
                return reserved.At > now ? (MessageSendStatus.Deferred, MessageSkipReason.QuietHours, reserved.At) : (MessageSendStatus.Sent, null, now);
            }
            var due = now;
            MessageSkipReason? reason = null;
            for (var step = 0; step < 64; step++)
            {
                if (QuietUntil(due, zone) is { } quietEnd)
                {
                    reason ??= MessageSkipReason.QuietHours;
                    due = quietEnd;
                    continue;
                }
                if (CapFreeAt(ledger, channel.Name, due) is { } free && free > due)
                {
                    reason ??= MessageSkipReason.FrequencyCap;
                    due = free;
                    continue;
                }
                break;
            }
            if (reason is { } r && !allowDeferral)
            {
                return (MessageSendStatus.Suppressed, r, now);
            }
            var longest = LongestWindow(channel.Name);
            var kept = ledger.Entries.Where(e => e.At > now - longest).Append(new ContactEntry(messageId, channel.Name.Value, due)).ToList();
            try
            {
                await _store.SaveAsync(ContactScope, customer.Value + "|", JsonSerializer.Serialize(new ContactLedger(kept), MessagingJsonContext.Default.ContactLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return reason is null ? (MessageSendStatus.Sent, null, now) : (MessageSendStatus.Deferred, reason, due);
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another host contacted this customer meanwhile: read the ledger again and decide again.
            }
        }
    }

    /// <summary>
    /// At delivery of a marketing message, what the decision at send time could not see: the message may have waited
    /// (retries, deferrals, a stopped worker) into the customer's quiet hours, or past messages that went out later
    /// than planned may fill a cap now. Counts the messages actually handed to a channel in each cap's window (not the
    /// planned ones) and, when this one may go, records it as handed over now — so no customer receives more than a
    /// cap allows, measured by when messages really went out. Returns <see langword="null"/> when it may go now, else
    /// when it may go and why.
    /// </summary>
    internal async ValueTask<(DateTimeOffset Until, MessageSkipReason Reason)?> HoldAtDeliveryAsync(CustomerId customer, Channel channel, string messageId, CustomerProfile? profile, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var zone = ZoneOf(profile);
        if (QuietUntil(now, zone) is { } quietEnd)
        {
            return (quietEnd, MessageSkipReason.QuietHours);
        }
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(ContactScope, customer.Value + "|", cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new ContactLedger([]) : JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
            var handedOver = new ContactLedger([.. ledger.Entries.Where(e => e.Sent && e.MessageId != messageId && e.At <= now)]);
            if (CapFreeAt(handedOver, channel, now) is { } free && free > now)
            {
                return (QuietUntil(free, zone) ?? free, MessageSkipReason.FrequencyCap);
            }
            var longest = LongestWindow(channel);
            var kept = ledger.Entries.Where(e => e.MessageId != messageId && e.At > now - longest).Append(new ContactEntry(messageId, channel.Value, now, Sent: true)).ToList();
            try
            {
                await _store.SaveAsync(ContactScope, customer.Value + "|", JsonSerializer.Serialize(new ContactLedger(kept), MessagingJsonContext.Default.ContactLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another channel handed a message of this customer over meanwhile: count again.
            }
        }
    }

    /// <summary>Whether marketing on the channel is consented now (the worker asks again at delivery time).</summary>
    internal ValueTask<bool> HasConsentForDeliveryAsync(CustomerId customer, Channel channel, CustomerProfile? profile, CancellationToken cancellationToken) =>
        HasConsentAsync(customer, channel, profile, cancellationToken);

    private async ValueTask<bool> HasConsentAsync(CustomerId customer, Channel channel, CustomerProfile? profile, CancellationToken cancellationToken)
    {
        if (PurposeOf(channel) is not { } purpose)
        {
            return false; // A channel without a consent purpose fails closed for marketing.
        }
        if (_consent is not null)
        {
            var decision = await _consent.CheckAsync(customer, purpose, channel, cancellationToken).ConfigureAwait(false);
            return decision.Allowed;
        }
        return profile is not null && profile.HasConsent(purpose);
    }

    internal ConsentPurpose? PurposeOf(Channel channel) =>
        _options.ConsentPurposes.TryGetValue(channel, out var configured) ? configured : ContactRules.DefaultPurposeOf(channel);

    internal static Identity? AddressOf(CustomerProfile? profile, IMessageChannel channel)
    {
        if (profile is null)
        {
            return null;
        }
        foreach (var kind in channel.AddressKinds)
        {
            foreach (var identity in profile.Identities)
            {
                if (identity.Kind == kind && !string.IsNullOrEmpty(identity.Value))
                {
                    return identity;
                }
            }
        }
        return null;
    }

    internal static MessageSkipReason SkipReasonOf(SuppressionReason reason) => reason switch
    {
        SuppressionReason.Unsubscribed => MessageSkipReason.Unsubscribed,
        SuppressionReason.Bounced => MessageSkipReason.Bounced,
        SuppressionReason.Complained => MessageSkipReason.Complained,
        _ => MessageSkipReason.Blocked,
    };

    /// <summary>The customer's time zone: the profile's zone trait, else its region's zone, else the shop's.</summary>
    internal TimeZoneInfo ZoneOf(CustomerProfile? profile) =>
        ContactRules.ZoneOf(profile, _options.TimeZoneTrait, _options.RegionTrait, _options.RegionTimeZones, _shopZone);

    /// <summary>When the quiet hours that contain <paramref name="at"/> end, or <see langword="null"/> outside them.</summary>
    internal DateTimeOffset? QuietUntil(DateTimeOffset at, TimeZoneInfo zone) =>
        ContactRules.QuietUntil(at, zone, _options.QuietHoursStart, _options.QuietHoursEnd);

    /// <summary>The earliest instant at or after <paramref name="at"/> when one more message fits every cap, or <see langword="null"/> when it fits now.</summary>
    private DateTimeOffset? CapFreeAt(ContactLedger ledger, Channel channel, DateTimeOffset at)
    {
        DateTimeOffset? latest = null;
        foreach (var (cap, counts) in new (FrequencyCap? Cap, Func<ContactEntry, bool> Counts)[]
        {
            (_options.ChannelCaps.TryGetValue(channel, out var c) ? c : _options.DefaultChannelCap, e => e.Channel == channel.Value),
            (_options.CustomerCap, _ => true),
        })
        {
            if (cap is null)
            {
                continue;
            }
            // Every counted message from a window before the new one on (deferred ones may lie ahead): one more
            // fits once all but MaxMessages - 1 of them have left the window.
            var near = ledger.Entries.Where(e => counts(e) && e.At > at - cap.Window).Select(e => e.At).Order().ToList();
            if (near.Count < cap.MaxMessages)
            {
                continue;
            }
            var free = near[near.Count - cap.MaxMessages] + cap.Window;
            if (free <= at)
            {
                continue;
            }
            latest = latest is { } l && l > free ? l : free;
        }
        return latest;
    }

    private TimeSpan LongestWindow(Channel channel)
    {
        var caps = new[] { _options.ChannelCaps.TryGetValue(channel, out var c) ? c : _options.DefaultChannelCap, _options.CustomerCap }
            .Concat(_options.ChannelCaps.Values);
        var longest = caps.Where(x => x is not null).Select(x => x!.Window).DefaultIfEmpty(TimeSpan.Zero).Max();
        return longest + longest; // deferred entries may lie up to a window ahead
    }

    private async ValueTask EnqueueAsync(CustomerId customer, MessageRequest request, MessageTemplate template, MessagePurpose purpose, string messageId, Dictionary<string, string> parameters, DateTimeOffset? notBefore, CancellationToken cancellationToken)
    {
        var stored = new StoredMessage(messageId, customer.Value, request.Channel.Value, template.Id, parameters, purpose, request.IdempotencyKey);
        var message = new OutboxMessage
        {
            Destination = DestinationPrefix + request.Channel.Value,
            IdempotencyKey = messageId,
            Payload = JsonSerializer.SerializeToUtf8Bytes(stored, MessagingJsonContext.Default.StoredMessage),
            CustomerId = customer,
            NotBefore = notBefore,
        };
        await _outbox.EnqueueAsync([message], cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask MarkEnqueuedAsync(string ledgerKey, StateEntry entry, SendRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SaveAsync(SendScope, ledgerKey, JsonSerializer.Serialize(record with { Enqueued = true }, MessagingJsonContext.Default.SendRecord), entry.Version, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // The delivery worker already recorded the channel's answer: that is newer than "enqueued".
        }
    }

    /// <summary>The message id: a hash of the customer and idempotency key, the same on every retry (and usable as a provider's de-duplication id).</summary>
    internal static string MessageIdOf(CustomerId customer, string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(customer.Value + "\n" + idempotencyKey));
        return "m" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    internal static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 5400, Level = LogLevel.Information, Message = "Message {MessageId} ({Channel}, template {TemplateId}) stored for delivery.")]
    private static partial void LogAccepted(ILogger logger, string channel, string templateId, string messageId);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "Message {MessageId} ({Channel}, template {TemplateId}) deferred until {Until} ({Reason}).")]
    private static partial void LogDeferred(ILogger logger, string channel, string templateId, string messageId, MessageSkipReason reason, DateTimeOffset until);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Information, Message = "Message {MessageId} ({Channel}, template {TemplateId}) suppressed ({Reason}).")]
    private static partial void LogSuppressed(ILogger logger, string channel, string templateId, string messageId, MessageSkipReason reason);

    [LoggerMessage(EventId = 5403, Level = LogLevel.Debug, Message = "Message {MessageId} ({Channel}) was sent before under the same idempotency key: {Status}.")]
    private static partial void LogReplayed(ILogger logger, string channel, string messageId, MessageSendStatus status);
}
