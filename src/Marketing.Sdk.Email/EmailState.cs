using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Email;

/// <summary>A message's state in the email send ledger.</summary>
public enum EmailLedgerState
{
    /// <summary>The SMTP transaction was started and its answer is not known (the relay may have taken the message).</summary>
    Pending = 1,
    /// <summary>The relay accepted it (250 to the end of DATA).</summary>
    Sent = 2,
}

/// <summary>One message in the email send ledger.</summary>
/// <param name="MessageId">The SDK's message id.</param>
/// <param name="State">Pending or sent.</param>
/// <param name="ProviderMessageId">The stable Message-ID (without angle brackets).</param>
/// <param name="RecipientTag">The SHA-256 of the lower-cased address (hex): matched on erasure, never the address itself.</param>
/// <param name="At">When the state was written (Unix milliseconds).</param>
public sealed record EmailLedgerEntry(string MessageId, EmailLedgerState State, string ProviderMessageId, [property: PersonalData] string RecipientTag, long At)
{
    /// <summary>Describes the entry without the recipient tag.</summary>
    public override string ToString() => $"EmailLedgerEntry {{ MessageId = {MessageId}, State = {State}, ProviderMessageId = {ProviderMessageId} }}";
}

/// <summary>
/// The durable record of what was handed to the SMTP relay, by message id, shared by every host: the guard that keeps a
/// retried message from reaching the mailbox twice. SMTP has no way to ask the relay whether it took a message, so an
/// attempt whose answer was lost after the message data went out stays pending and is never sent again.
/// </summary>
internal sealed class EmailSendLedger(IStateStore store, TimeProvider time)
{
    internal const string Scope = "email.sent";

    public async ValueTask<EmailLedgerEntry?> GetAsync(string messageId, CancellationToken cancellationToken)
    {
        var entry = await store.GetAsync(Scope, messageId, cancellationToken).ConfigureAwait(false);
        return entry is null ? null : Read(entry);
    }

    public async ValueTask SetAsync(string messageId, EmailLedgerState state, string providerMessageId, string recipientTag, CancellationToken cancellationToken)
    {
        var value = JsonSerializer.Serialize(new EmailLedgerEntry(messageId, state, providerMessageId, recipientTag, time.GetUtcNow().ToUnixTimeMilliseconds()), EmailStateJsonContext.Default.EmailLedgerEntry);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await store.GetAsync(Scope, messageId, cancellationToken).ConfigureAwait(false);
            try
            {
                await store.SaveAsync(Scope, messageId, value, existing?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < 8)
            {
                // read the version again
            }
        }
    }

    public ValueTask<bool> RemoveAsync(string messageId) => store.DeleteAsync(Scope, messageId, CancellationToken.None);

    internal static EmailLedgerEntry? Read(StateEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Value, EmailStateJsonContext.Default.EmailLedgerEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The pseudonymous tag of an address (hex SHA-256 of the lower-cased address).</summary>
    public static string Tag(string address) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(address.Trim().ToLowerInvariant())));
}

/// <summary>
/// Per-domain rate limits shared by every host: one counter per domain and fixed window in the state store, reserved
/// with optimistic concurrency before a message goes out and given back when the relay refused it.
/// </summary>
internal sealed class EmailDomainLimiter(IStateStore store, TimeProvider time)
{
    internal const string Scope = "email.domain";

    /// <summary>Reserves one message to <paramref name="domain"/> in every window in force; the wait until room opens when a window is full.</summary>
    public async ValueTask<TimeSpan?> TryReserveAsync(string domain, IReadOnlyList<EmailDomainRateLimit> limits, CancellationToken cancellationToken)
    {
        var reserved = new List<string>();
        foreach (var limit in limits)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var windowMs = (long)limit.Window.TotalMilliseconds;
            var index = now / windowMs;
            var key = Key(domain, windowMs, index);
            if (!await TryIncrementAsync(key, limit.MaxMessages, cancellationToken).ConfigureAwait(false))
            {
                foreach (var k in reserved)
                {
                    await DecrementAsync(k, cancellationToken).ConfigureAwait(false);
                }
                return TimeSpan.FromMilliseconds(((index + 1) * windowMs) - now);
            }
            reserved.Add(key);
            // the window before the previous one can no longer matter
            await store.DeleteAsync(Scope, Key(domain, windowMs, index - 2), cancellationToken).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Gives back the reservation of a message the relay did not take.</summary>
    public async ValueTask ReleaseAsync(string domain, IReadOnlyList<EmailDomainRateLimit> limits, long reservedAt)
    {
        foreach (var limit in limits)
        {
            var windowMs = (long)limit.Window.TotalMilliseconds;
            await DecrementAsync(Key(domain, windowMs, reservedAt / windowMs), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string Key(string domain, long windowMs, long index) =>
        domain + "|" + windowMs.ToString(CultureInfo.InvariantCulture) + "|" + index.ToString(CultureInfo.InvariantCulture);

    private async ValueTask<bool> TryIncrementAsync(string key, int max, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entry = await store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            var count = entry is null ? 0 : int.Parse(entry.Value, CultureInfo.InvariantCulture);
            if (count >= max)
            {
                return false;
            }
            try
            {
                await store.SaveAsync(Scope, key, (count + 1).ToString(CultureInfo.InvariantCulture), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException) when (attempt < 16)
            {
                // another host counted meanwhile: read again
            }
        }
    }

    private async ValueTask DecrementAsync(string key, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var entry = await store.GetAsync(Scope, key, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return;
            }
            var count = int.Parse(entry.Value, CultureInfo.InvariantCulture);
            try
            {
                await store.SaveAsync(Scope, key, Math.Max(0, count - 1).ToString(CultureInfo.InvariantCulture), entry.Version, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException)
            {
                // read again
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(EmailLedgerEntry))]
internal sealed partial class EmailStateJsonContext : JsonSerializerContext;
