using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Messaging;

/// <summary>What one delivery round of a channel did.</summary>
/// <param name="Claimed">Messages claimed.</param>
/// <param name="Accepted">Accepted (or de-duplicated) by the provider.</param>
/// <param name="Retried">Scheduled for another attempt.</param>
/// <param name="Failed">Dead-lettered: refused for good, unreadable, or out of attempts.</param>
/// <param name="Suppressed">Dead-lettered because consent, the suppression list or the address stopped them at delivery time.</param>
public sealed record MessageDeliveryRound(int Claimed, int Accepted, int Retried, int Failed, int Suppressed);

/// <summary>
/// Drains the outbox per channel: claims due messages under a lease, checks again what may have changed since
/// they were stored (consent, the suppression list, the address), sends them through the channel and records each
/// one's fate — acknowledged (<c>message_sent</c>) when the provider accepted it, retried with backoff when the
/// channel calls the failure retryable, dead-lettered (<c>message_failed</c>) with error class and platform code
/// when it is permanent or the attempts run out.
/// </summary>
public sealed partial class MessageDeliveryWorker
{
    /// <summary>The dead-letter reason prefix of messages stopped at delivery time.</summary>
    public const string SuppressedPrefix = "suppressed:";

    private readonly Dictionary<Channel, IMessageChannel> _channels;
    private readonly IMessageTemplateRegistry _templates;
    private readonly ISuppressionList _suppressions;
    private readonly IOutboxStore _outbox;
    private readonly IStateStore _store;
    private readonly IProfileStore? _profiles;
    private readonly MessageSender _sender;
    private readonly MessageEventRecorder _events;
    private readonly MessageDeliveryOptions _options;
    private readonly TimeProvider _time;
    private readonly MessagingMetrics _metrics;
    private readonly ILogger _logger;

    internal MessageDeliveryWorker(IEnumerable<IMessageChannel> channels, IMessageTemplateRegistry templates, ISuppressionList suppressions, IOutboxStore outbox, IStateStore store,
        MessageSender sender, MessageEventRecorder events, IOptions<MessagingOptions> options, TimeProvider timeProvider, MessagingMetrics metrics, IProfileStore? profiles = null, ILogger<MessageDeliveryWorker>? logger = null)
    {
        _channels = [];
        foreach (var c in channels)
        {
            _channels.TryAdd(c.Name, c);
        }
        _templates = templates;
        _suppressions = suppressions;
        _outbox = outbox;
        _store = store;
        _sender = sender;
        _events = events;
        _options = options.Value.Delivery;
        _time = timeProvider;
        _metrics = metrics;
        _profiles = profiles;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The channels this worker drains.</summary>
    public IReadOnlyCollection<Channel> Channels => _channels.Keys;

    /// <summary>Claims and delivers one batch of a channel's due messages (all zero when none is due).</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="cancellationToken">Cancels the round (the lease then expires and the batch is claimed again).</param>
    public async Task<MessageDeliveryRound> DeliverOnceAsync(Channel channel, CancellationToken cancellationToken = default)
    {
        if (!_channels.TryGetValue(channel, out var sink))
        {
            throw new ArgumentException("No message channel of that name is registered.", nameof(channel));
        }
        var claimed = await _outbox.ClaimAsync(_options.WorkerId, Math.Max(1, sink.MaxBatchSize), _options.LeaseDuration, MessageSender.DestinationPrefix + channel.Value, cancellationToken).ConfigureAwait(false);
        var tally = new Tally();
        if (claimed.Count == 0)
        {
            return tally.ToRound(0);
        }
        var batch = new List<(OutboxEntry Entry, StoredMessage Stored, PreparedMessage Prepared)>(claimed.Count);
        foreach (var entry in claimed)
        {
            StoredMessage? stored = null;
            try
            {
                stored = JsonSerializer.Deserialize(entry.Message.Payload.Span, MessagingJsonContext.Default.StoredMessage);
            }
            catch (JsonException)
            {
                // dead-lettered below
            }
            if (stored is null || stored.Parameters is null || string.IsNullOrEmpty(stored.CustomerId) || string.IsNullOrEmpty(stored.IdempotencyKey))
            {
                await DeadLetterAsync(entry, "malformed_payload", channel, tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var customer = new CustomerId(stored.CustomerId);
            var template = _templates.Find(channel, stored.TemplateId);
            if (template is null)
            {
                await FailAsync(entry, stored, channel, "unknown_template", "unknown_template", tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var profile = _profiles is null ? null : await _profiles.GetAsync(customer, cancellationToken).ConfigureAwait(false);
            var skip = await RecheckAsync(customer, sink, stored.Purpose, profile, cancellationToken).ConfigureAwait(false);
            if (skip is { } reason)
            {
                await SuppressAsync(entry, stored, channel, reason, tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (stored.Purpose == MessagePurpose.Marketing
                && await _sender.HoldAtDeliveryAsync(customer, channel, stored.MessageId, profile, cancellationToken).ConfigureAwait(false) is { } hold)
            {
                await DeferAsync(entry, stored, channel, "held:" + hold.Reason, hold.Until - _time.GetUtcNow(), tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            batch.Add((entry, stored, new PreparedMessage
            {
                MessageId = stored.MessageId,
                CustomerId = customer,
                Recipient = MessageSender.AddressOf(profile, sink)!.Value,
                Template = template,
                Parameters = stored.Parameters,
                Purpose = stored.Purpose,
                Attempt = entry.AttemptCount,
            }));
        }
        if (batch.Count > 0)
        {
            await SendAsync(sink, batch, tally, cancellationToken).ConfigureAwait(false);
        }
        var round = tally.ToRound(claimed.Count);
        LogRound(_logger, channel.Value, round.Claimed, round.Accepted, round.Retried, round.Failed, round.Suppressed);
        return round;
    }

    /// <summary>What may have changed since the message was stored: consent (marketing), the suppression list, the address.</summary>
    private async ValueTask<MessageSkipReason?> RecheckAsync(CustomerId customer, IMessageChannel channel, MessagePurpose purpose, CustomerProfile? profile, CancellationToken cancellationToken)
    {
        if (purpose == MessagePurpose.Marketing && !await _sender.HasConsentForDeliveryAsync(customer, channel.Name, profile, cancellationToken).ConfigureAwait(false))
        {
            return MessageSkipReason.NoConsent;
        }
        if (await _suppressions.FindBlockingAsync(customer, channel.Name, purpose, cancellationToken).ConfigureAwait(false) is { } s)
        {
            return MessageSender.SkipReasonOf(s.Reason);
        }
        return MessageSender.AddressOf(profile, channel) is null ? MessageSkipReason.NoAddress : null;
    }

    private async Task SendAsync(IMessageChannel channel, List<(OutboxEntry Entry, StoredMessage Stored, PreparedMessage Prepared)> batch, Tally tally, CancellationToken cancellationToken)
    {
        IReadOnlyList<RecipientResult>? results;
        try
        {
            results = await channel.SendAsync([.. batch.Select(b => b.Prepared)], cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex)
        {
            var code = $"{ex.ErrorClass}:{ex.PlatformCode ?? (ex.StatusCode is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : "no_answer")}";
            foreach (var (entry, stored, _) in batch)
            {
                if (ex.ErrorClass == PlatformErrorClass.Permanent)
                {
                    await FailAsync(entry, stored, channel.Name, "rejected:" + code, "rejected:" + code, tally, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await RetryAsync(entry, stored, channel.Name, "retry:" + code, ex.RetryAfter, tally, cancellationToken).ConfigureAwait(false);
                }
            }
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A channel is third-party code whose exceptions may carry the recipient: only the type is kept.
            var code = RedactedException.Code(ex);
            LogChannelFault(_logger, channel.Name.Value, batch.Count, code);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = RedactedException.From(ex);
                LogChannelFaultDetail(_logger, channel.Name.Value, redacted);
            }
            foreach (var (entry, stored, _) in batch)
            {
                await RetryAsync(entry, stored, channel.Name, "channel_fault:" + code, null, tally, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        var byIndex = new RecipientResult?[batch.Count];
        foreach (var r in results ?? [])
        {
            if (r is not null && r.Index >= 0 && r.Index < batch.Count && byIndex[r.Index] is null)
            {
                byIndex[r.Index] = r;
            }
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var (entry, stored, _) = batch[i];
            var result = byIndex[i];
            if (result is null)
            {
                // The channel said nothing about this message: it may or may not have gone out, so it is retried
                // (a channel that de-duplicates on the message id makes that harmless).
                await RetryAsync(entry, stored, channel.Name, "channel_fault:no_result", null, tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var code = SafeCode(result.PlatformCode);
            switch (result.Outcome)
            {
                case RecipientOutcome.Accepted or RecipientOutcome.Duplicate:
                    await AcceptAsync(entry, stored, channel.Name, SafeProviderId(result.ProviderMessageId), tally, cancellationToken).ConfigureAwait(false);
                    break;
                case RecipientOutcome.Suppressed:
                    await SuppressAsync(entry, stored, channel.Name, result.SkipReason ?? MessageSkipReason.FrequencyCap, tally, cancellationToken).ConfigureAwait(false);
                    break;
                case RecipientOutcome.Rejected when result is { Retryable: true, IsDeferral: true, RetryAfter: { } wait }:
                    await DeferAsync(entry, stored, channel.Name, "deferred:" + code, wait, tally, cancellationToken).ConfigureAwait(false);
                    break;
                case RecipientOutcome.Rejected when result.Retryable:
                    await RetryAsync(entry, stored, channel.Name, "retry:Transient:" + code, result.RetryAfter, tally, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await FailAsync(entry, stored, channel.Name, "rejected:Permanent:" + code, "rejected:Permanent:" + code, tally, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task AcceptAsync(OutboxEntry entry, StoredMessage stored, Channel channel, string? providerMessageId, Tally tally, CancellationToken cancellationToken)
    {
        if (!await _outbox.AckAsync(entry.Id, entry.LeaseToken, cancellationToken).ConfigureAwait(false))
        {
            return; // another worker reclaimed the lease and owns the outcome
        }
        tally.Accepted++;
        _metrics.Delivered.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value));
        var customer = new CustomerId(stored.CustomerId);
        if (providerMessageId is not null)
        {
            var link = JsonSerializer.Serialize(new ProviderLink(stored.MessageId, stored.CustomerId, stored.TemplateId, stored.IdempotencyKey), MessagingJsonContext.Default.ProviderLink);
            var key = channel.Value + "|" + providerMessageId;
            var existing = await _store.GetAsync(MessageStatusReporter.ProviderScope, key, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                try
                {
                    await _store.SaveAsync(MessageStatusReporter.ProviderScope, key, link, 0, cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyConflictException)
                {
                    // already linked by a redelivery
                }
            }
        }
        await UpdateLedgerAsync(stored, MessageSendStatus.Sent, null, null, cancellationToken, providerMessageId).ConfigureAwait(false);
        await _events.RecordAsync(MessageEventTypes.Sent, "sent", customer, channel, stored.TemplateId, stored.MessageId, null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Holds a message that a limit stops for now (quiet hours or a cap at delivery, a provider's per-number limit) until
    /// <paramref name="wait"/> has passed, at most <see cref="MessageDeliveryOptions.MaxDeferral"/>. The claim that found
    /// it held is not a failed attempt: the deferrals are counted in the send ledger and subtracted from the attempts,
    /// and bounded by <see cref="MessageDeliveryOptions.MaxDeferrals"/> of their own.
    /// </summary>
    private async Task DeferAsync(OutboxEntry entry, StoredMessage stored, Channel channel, string reason, TimeSpan wait, Tally tally, CancellationToken cancellationToken)
    {
        var deferrals = await CountDeferralAsync(stored, cancellationToken).ConfigureAwait(false);
        if (deferrals > _options.MaxDeferrals)
        {
            var gaveUp = $"gave_up_deferred:{_options.MaxDeferrals.ToString(CultureInfo.InvariantCulture)}:{reason}";
            await FailAsync(entry, stored, channel, gaveUp, "gave_up_deferred", tally, cancellationToken).ConfigureAwait(false);
            return;
        }
        var delay = wait < _options.PollInterval ? _options.PollInterval : wait > _options.MaxDeferral ? _options.MaxDeferral : wait;
        if (await _outbox.RetryAsync(entry.Id, entry.LeaseToken, _time.GetUtcNow() + delay, reason, cancellationToken).ConfigureAwait(false))
        {
            tally.Retried++;
            _metrics.Deferred.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value), new KeyValuePair<string, object?>("marketing.reason", ReasonTag(reason)));
        }
    }

    private static string ReasonTag(string reason) => reason.StartsWith("held:", StringComparison.Ordinal) ? reason["held:".Length..] : "provider_limit";

    /// <summary>Adds one deferral to the message's send record; returns the deferrals so far, this one included.</summary>
    private async ValueTask<int> CountDeferralAsync(StoredMessage stored, CancellationToken cancellationToken)
    {
        var key = stored.CustomerId + "|" + stored.IdempotencyKey;
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(MessageSender.SendScope, key, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return 1; // erased meanwhile: nothing to count in
            }
            var record = JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.SendRecord)!;
            var updated = record with { Deferrals = record.Deferrals + 1 };
            try
            {
                await _store.SaveAsync(MessageSender.SendScope, key, JsonSerializer.Serialize(updated, MessagingJsonContext.Default.SendRecord), entry.Version, cancellationToken).ConfigureAwait(false);
                return updated.Deferrals;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // the sender marked it enqueued meanwhile: read again
            }
        }
    }

    /// <summary>The claims of a message that were failed attempts: every claim but those that found it held by a limit.</summary>
    private async ValueTask<int> FailedAttemptsAsync(OutboxEntry entry, StoredMessage stored, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(MessageSender.SendScope, stored.CustomerId + "|" + stored.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        var deferrals = record is null ? 0 : JsonSerializer.Deserialize(record.Value, MessagingJsonContext.Default.SendRecord)?.Deferrals ?? 0;
        return Math.Max(1, entry.AttemptCount - deferrals);
    }

    private async Task RetryAsync(OutboxEntry entry, StoredMessage stored, Channel channel, string reason, TimeSpan? retryAfter, Tally tally, CancellationToken cancellationToken)
    {
        // The deferrals are read only when the claims alone reach the limit (deferred messages are the rare case).
        var attempts = entry.AttemptCount >= _options.MaxAttempts ? await FailedAttemptsAsync(entry, stored, cancellationToken).ConfigureAwait(false) : entry.AttemptCount;
        if (attempts >= _options.MaxAttempts)
        {
            var gaveUp = $"gave_up:{attempts.ToString(CultureInfo.InvariantCulture)}:{reason}";
            await FailAsync(entry, stored, channel, gaveUp, "gave_up", tally, cancellationToken).ConfigureAwait(false);
            return;
        }
        var delay = Backoff(attempts);
        if (retryAfter is { } hint && hint > delay && hint <= _options.RetryMaxDelay)
        {
            delay = hint;
        }
        if (await _outbox.RetryAsync(entry.Id, entry.LeaseToken, _time.GetUtcNow() + delay, reason, cancellationToken).ConfigureAwait(false))
        {
            tally.Retried++;
            _metrics.Retried.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value));
        }
    }

    private async Task FailAsync(OutboxEntry entry, StoredMessage stored, Channel channel, string reason, string errorTag, Tally tally, CancellationToken cancellationToken)
    {
        if (!await _outbox.DeadLetterAsync(entry.Id, entry.LeaseToken, reason, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        tally.Failed++;
        _metrics.Failed.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value), new KeyValuePair<string, object?>("marketing.error", errorTag));
        LogFailed(_logger, channel.Value, stored.MessageId, reason);
        await UpdateLedgerAsync(stored, MessageSendStatus.Failed, null, reason, cancellationToken).ConfigureAwait(false);
        await _events.RecordAsync(MessageEventTypes.Failed, "failed", new CustomerId(stored.CustomerId), channel, stored.TemplateId, stored.MessageId, null, reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task SuppressAsync(OutboxEntry entry, StoredMessage stored, Channel channel, MessageSkipReason reason, Tally tally, CancellationToken cancellationToken)
    {
        if (!await _outbox.DeadLetterAsync(entry.Id, entry.LeaseToken, SuppressedPrefix + reason, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        tally.Suppressed++;
        _metrics.Suppressed.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value), new KeyValuePair<string, object?>("marketing.reason", reason.ToString()));
        LogSuppressedAtDelivery(_logger, channel.Value, stored.MessageId, reason);
        await UpdateLedgerAsync(stored, MessageSendStatus.Suppressed, reason, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(OutboxEntry entry, string reason, Channel channel, Tally tally, CancellationToken cancellationToken)
    {
        if (await _outbox.DeadLetterAsync(entry.Id, entry.LeaseToken, reason, cancellationToken).ConfigureAwait(false))
        {
            tally.Failed++;
            _metrics.Failed.Add(1, new KeyValuePair<string, object?>("marketing.channel", channel.Value), new KeyValuePair<string, object?>("marketing.error", reason));
        }
    }

    /// <summary>
    /// Records the channel's outcome in the idempotency ledger, so a later send with the same key answers it; the
    /// provider's message id is kept there so an erasure finds the provider link (keyed by that id) from the customer.
    /// </summary>
    private async Task UpdateLedgerAsync(StoredMessage stored, MessageSendStatus status, MessageSkipReason? reason, string? errorCode, CancellationToken cancellationToken, string? providerMessageId = null)
    {
        var key = stored.CustomerId + "|" + stored.IdempotencyKey;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var entry = await _store.GetAsync(MessageSender.SendScope, key, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return;
            }
            var record = JsonSerializer.Deserialize(entry.Value, MessagingJsonContext.Default.SendRecord)!;
            var updated = record with { Status = status, Reason = reason ?? record.Reason, ErrorCode = errorCode, Enqueued = true, ProviderMessageId = providerMessageId ?? record.ProviderMessageId };
            try
            {
                await _store.SaveAsync(MessageSender.SendScope, key, JsonSerializer.Serialize(updated, MessagingJsonContext.Default.SendRecord), entry.Version, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException)
            {
                // the sender marked it enqueued meanwhile: read again
            }
        }
    }

    internal TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 20);
        var ticks = Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryBaseDelay.Ticks * (double)(1L << exponent));
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)Math.Min(_options.RetryMaxDelay.Ticks, ticks * jitter));
    }

    /// <summary>A provider's code as stored: at most 32 ASCII letters, digits, '-', '_' or '.', else <c>invalid</c> (a code, never text).</summary>
    internal static string SafeCode(string? code) =>
        string.IsNullOrEmpty(code) ? "none" : code.Length <= 32 && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? code : "invalid";

    private static string? SafeProviderId(string? id) =>
        string.IsNullOrEmpty(id) || id.Length > 256 || id.Any(char.IsControl) ? null : id;

    private sealed class Tally
    {
        public int Accepted;
        public int Retried;
        public int Failed;
        public int Suppressed;

        public MessageDeliveryRound ToRound(int claimed) => new(claimed, Accepted, Retried, Failed, Suppressed);
    }

    [LoggerMessage(EventId = 5410, Level = LogLevel.Debug, Message = "{Channel}: claimed {Claimed}, accepted {Accepted}, retried {Retried}, failed {Failed}, suppressed {Suppressed}")]
    private static partial void LogRound(ILogger logger, string channel, int claimed, int accepted, int retried, int failed, int suppressed);

    [LoggerMessage(EventId = 5411, Level = LogLevel.Warning, Message = "The {Channel} channel failed a batch of {Count} ({ExceptionCode}); the messages are retried")]
    private static partial void LogChannelFault(ILogger logger, string channel, int count, string exceptionCode);

    [LoggerMessage(EventId = 5412, Level = LogLevel.Debug, Message = "The {Channel} channel's failure (redacted)")]
    private static partial void LogChannelFaultDetail(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 5413, Level = LogLevel.Warning, Message = "Message {MessageId} on {Channel} dead-lettered ({Reason})")]
    private static partial void LogFailed(ILogger logger, string channel, string messageId, string reason);

    [LoggerMessage(EventId = 5414, Level = LogLevel.Information, Message = "Message {MessageId} on {Channel} stopped at delivery ({Reason})")]
    private static partial void LogSuppressedAtDelivery(ILogger logger, string channel, string messageId, MessageSkipReason reason);
}

/// <summary>Runs <see cref="MessageDeliveryWorker"/> in the background: one loop per channel, polling when idle.</summary>
internal sealed partial class MessageDeliveryService(MessageDeliveryWorker worker, IOptions<MessagingOptions> options, TimeProvider timeProvider, ILogger<MessageDeliveryService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.Delivery.RunInBackground ? Task.WhenAll(worker.Channels.Select(c => RunAsync(c, stoppingToken))) : Task.CompletedTask;

    private async Task RunAsync(Channel channel, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.Delivery.PollInterval;
            try
            {
                var round = await worker.DeliverOnceAsync(channel, stoppingToken).ConfigureAwait(false);
                failures = 0;
                if (round.Claimed > 0)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                wait = TimeSpan.FromTicks((long)Math.Min(TimeSpan.FromMinutes(5).Ticks, wait.Ticks * Math.Pow(2, Math.Min(failures, 20))));
                LogRoundFailed(logger, channel.Value, RedactedException.Code(ex), failures);
            }
            try
            {
                await Task.Delay(wait, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 5415, Level = LogLevel.Error, Message = "A delivery round for {Channel} failed ({ExceptionCode}, {Failures} in a row); the channel waits and the batch's lease expires for a retry")]
    private static partial void LogRoundFailed(ILogger logger, string channel, string exceptionCode, int failures);
}
