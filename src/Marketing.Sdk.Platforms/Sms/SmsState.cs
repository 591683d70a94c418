using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Platforms.Sms;

/// <summary>The answer of <see cref="SmsFlowLimiter.TryReserveAsync"/>.</summary>
/// <param name="Allowed">Whether the message may go out now.</param>
/// <param name="RetryAfter">When it is not allowed: how long until the tightest window has room.</param>
public readonly record struct SmsFlowDecision(bool Allowed, TimeSpan? RetryAfter);

/// <summary>
/// Per-number flow limits shared by every host through <see cref="IStateStore"/>: one document per provider and
/// number (keyed by a SHA-256 of the number, never the number) holding the reservations of the last day. A
/// reservation names the message, so a retried message does not count twice; writes are optimistic (version checked).
/// </summary>
public sealed class SmsFlowLimiter
{
    internal const string Scope = "sms.flow";
    private readonly IStateStore _store;
    private readonly TimeProvider _time;

    /// <summary>Creates the limiter.</summary>
    /// <param name="store">The shared state store.</param>
    /// <param name="timeProvider">The clock.</param>
    public SmsFlowLimiter(IStateStore store, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Reserves a send of <paramref name="messageId"/> to <paramref name="e164"/>, or answers how long to wait.</summary>
    /// <param name="provider">The provider (<c>aliyun</c>, <c>tencent</c>).</param>
    /// <param name="e164">The number in E.164.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="limits">The windows.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<SmsFlowDecision> TryReserveAsync(string provider, string e164, string messageId, IReadOnlyList<SmsFlowWindow> limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.Count == 0)
        {
            return new SmsFlowDecision(true, null);
        }
        var key = Key(provider, e164);
        for (var attempt = 0; ; attempt++)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var entry = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            var list = Read(entry).Where(r => now - r.At < TimeSpan.FromDays(1).TotalMilliseconds).ToList();
            if (list.Any(r => r.Id == messageId))
            {
                return new SmsFlowDecision(true, null);
            }
            long wait = 0;
            foreach (var w in limits)
            {
                var windowMs = (long)w.Window.TotalMilliseconds;
                var inside = list.Where(r => now - r.At < windowMs).OrderBy(r => r.At).ToList();
                if (inside.Count >= w.MaxMessages)
                {
                    // room opens when the oldest reservation that keeps the window full leaves it
                    var blocking = inside[inside.Count - w.MaxMessages];
                    wait = Math.Max(wait, blocking.At + windowMs - now);
                }
            }
            if (wait > 0)
            {
                return new SmsFlowDecision(false, TimeSpan.FromMilliseconds(wait));
            }
            list.Add(new SmsReservation(messageId, now));
            try
            {
                await _store.SaveAsync(Scope, key, Write(list), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return new SmsFlowDecision(true, null);
            }
            catch (ConcurrencyConflictException) when (attempt < 8)
            {
                // another host reserved for the same number meanwhile: read again
            }
        }
    }

    /// <summary>Gives back the reservation of a message the provider did not send.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="e164">The number in E.164.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask ReleaseAsync(string provider, string e164, string messageId, CancellationToken cancellationToken = default)
    {
        var key = Key(provider, e164);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var entry = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            var list = Read(entry);
            if (entry is null || list.RemoveAll(r => r.Id == messageId) == 0)
            {
                return;
            }
            try
            {
                await _store.SaveAsync(Scope, key, Write(list), entry.Version, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException)
            {
                // read again
            }
        }
    }

    internal static string Key(string provider, string e164) => provider + ":" + SmsPhone.Tag(e164, 64);

    private static List<SmsReservation> Read(StateEntry? entry) =>
        entry is null ? [] : JsonSerializer.Deserialize(entry.Value, SmsStateJsonContext.Default.ListSmsReservation) ?? [];

    private static string Write(List<SmsReservation> list) => JsonSerializer.Serialize(list, SmsStateJsonContext.Default.ListSmsReservation);
}

/// <summary>A message's state at its provider in the send ledger.</summary>
public enum SmsLedgerState
{
    /// <summary>A send was started and its answer is not known (a crash or a timeout may have hidden an acceptance).</summary>
    Pending = 1,
    /// <summary>The provider accepted it.</summary>
    Sent = 2,
    /// <summary>The provider's final receipt was reported.</summary>
    Final = 3,
}

/// <summary>One message in the send ledger.</summary>
/// <param name="MessageId">The SDK's message id.</param>
/// <param name="State">Pending, sent or final.</param>
/// <param name="ProviderMessageId">The provider's id once accepted.</param>
/// <param name="Phone">The number as sent to the provider (needed to query receipts; personal data, never logged).</param>
/// <param name="At">When the state was written (Unix milliseconds).</param>
/// <param name="BatchId">The provider's batch id (Alibaba Cloud <c>BizId</c>), if any.</param>
public sealed record SmsLedgerEntry(string MessageId, SmsLedgerState State, string? ProviderMessageId, [property: PersonalData] string Phone, long At, string? BatchId = null)
{
    /// <summary>Describes the entry without the number.</summary>
    public override string ToString() => $"SmsLedgerEntry {{ MessageId = {MessageId}, State = {State}, ProviderMessageId = {ProviderMessageId} }}";
}

/// <summary>
/// The durable record of what was handed to a provider, by message id, shared by every host: the guard that keeps a
/// retried message from reaching the number twice (a pending entry without an answer is reconciled with the provider's
/// records before anything is sent again) and the list of accepted messages whose receipts are still to be pulled.
/// </summary>
public sealed class SmsSendLedger
{
    internal const string Scope = "sms.sent";
    private readonly IStateStore _store;
    private readonly TimeProvider _time;

    /// <summary>Creates the ledger.</summary>
    /// <param name="store">The shared state store.</param>
    /// <param name="timeProvider">The clock.</param>
    public SmsSendLedger(IStateStore store, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The entry of a message, or <see langword="null"/>.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<SmsLedgerEntry?> GetAsync(string provider, string messageId, CancellationToken cancellationToken = default)
    {
        var entry = await _store.GetAsync(Scope, provider + ":" + messageId, cancellationToken).ConfigureAwait(false);
        return entry is null ? null : JsonSerializer.Deserialize(entry.Value, SmsStateJsonContext.Default.SmsLedgerEntry);
    }

    /// <summary>Writes (or replaces) the entry of a message.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="state">The state.</param>
    /// <param name="phone">The number as sent.</param>
    /// <param name="providerMessageId">The provider's id, once known.</param>
    /// <param name="batchId">The provider's batch id, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask SetAsync(string provider, string messageId, SmsLedgerState state, string phone, string? providerMessageId = null, string? batchId = null, CancellationToken cancellationToken = default)
    {
        var key = provider + ":" + messageId;
        var value = JsonSerializer.Serialize(new SmsLedgerEntry(messageId, state, providerMessageId, phone, _time.GetUtcNow().ToUnixTimeMilliseconds(), batchId), SmsStateJsonContext.Default.SmsLedgerEntry);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await _store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            try
            {
                await _store.SaveAsync(Scope, key, value, existing?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 8)
            {
                // read the version again
            }
        }
    }

    /// <summary>Forgets a message the provider did not take (so a later attempt starts clean).</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public ValueTask<bool> RemoveAsync(string provider, string messageId, CancellationToken cancellationToken = default) =>
        _store.DeleteAsync(Scope, provider + ":" + messageId, cancellationToken);

    /// <summary>The accepted messages of a provider whose final receipt is not reported yet.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<SmsLedgerEntry> OpenAsync(string provider, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in _store.StreamAsync(Scope, provider + ":", cancellationToken).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize(entry.Value, SmsStateJsonContext.Default.SmsLedgerEntry) is { State: SmsLedgerState.Sent } open)
            {
                yield return open;
            }
        }
    }
}

/// <summary>Phone numbers as the SMS providers want them, through the one libphonenumber normaliser (<see cref="MatchDataNormalization"/>).</summary>
public static class SmsPhone
{
    /// <summary>E.164 of a number (a national number completed with <paramref name="defaultRegion"/>), or <see langword="null"/> when it is not a phone number.</summary>
    /// <param name="phone">The number.</param>
    /// <param name="defaultRegion">The region of a number without a country code.</param>
    public static string? ToE164(string phone, string defaultRegion)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var trimmed = phone.Trim();
        // Mainland numbers are often written 86138…, 0086138… or +86138… by the providers' pushes.
        if (trimmed.Length == 13 && trimmed.StartsWith("86", StringComparison.Ordinal) && trimmed.All(char.IsAsciiDigit))
        {
            trimmed = "+" + trimmed;
        }
        return MatchDataNormalization.ToE164(trimmed, defaultRegion);
    }

    /// <summary>A pseudonymous tag of a number (hex of its SHA-256, <paramref name="length"/> characters): used in keys and provider message ids instead of the number.</summary>
    /// <param name="e164">The number in E.164.</param>
    /// <param name="length">Characters of hex (default 16).</param>
    public static string Tag(string e164, int length = 16) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e164)))[..length];
}

/// <summary>One reservation of the flow limiter.</summary>
/// <param name="Id">The message id.</param>
/// <param name="At">When (Unix milliseconds).</param>
internal sealed record SmsReservation(string Id, long At);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<SmsReservation>))]
[JsonSerializable(typeof(SmsLedgerEntry))]
internal sealed partial class SmsStateJsonContext : JsonSerializerContext;
