using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Email;

/// <summary>What a valid unsubscribe token names.</summary>
/// <param name="MessageId">The SDK's message id the link was sent with.</param>
/// <param name="CustomerId">The customer (a pseudonymous id, never the address).</param>
/// <param name="ExpiresAt">When the link stops working.</param>
public sealed record EmailUnsubscribeClaim(string MessageId, [property: PseudonymousData] CustomerId CustomerId, DateTimeOffset ExpiresAt);

/// <summary>
/// The tokens of one-click unsubscribe links: <c>base64url(message id, customer id, expiry)</c> <c>.</c>
/// <c>base64url(HMAC-SHA256)</c> under <see cref="EmailOptions.UnsubscribeSecret"/>, checked in constant time and
/// refused once expired. The token carries no address.
/// </summary>
public sealed class EmailUnsubscribeTokens
{
    private const int MaxTokenLength = 1024;
    private readonly byte[] _key;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    /// <summary>Creates the token service.</summary>
    /// <param name="secret">The HMAC key (at least 32 characters).</param>
    /// <param name="lifetime">How long a link works.</param>
    /// <param name="timeProvider">The clock.</param>
    public EmailUnsubscribeTokens(string secret, TimeSpan lifetime, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("The unsubscribe secret must be at least 32 characters.", nameof(secret));
        }
        _key = Encoding.UTF8.GetBytes(secret);
        _lifetime = lifetime;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the token of a message's unsubscribe link.</summary>
    /// <param name="messageId">The SDK's message id.</param>
    /// <param name="customerId">The customer.</param>
    public string Create(string messageId, CustomerId customerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var expires = _time.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var payload = Encoding.UTF8.GetBytes(messageId + "\n" + customerId.Value + "\n" + expires);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Mac(payload));
    }

    /// <summary>Checks a token: its claim, or <see langword="null"/> when it is malformed, forged or expired.</summary>
    /// <param name="token">The token from the link.</param>
    public EmailUnsubscribeClaim? Verify(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == token.Length - 1)
        {
            return null;
        }
        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            mac = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(Mac(payload), mac))
        {
            return null;
        }
        var parts = Encoding.UTF8.GetString(payload).Split('\n');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return null;
        }
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expires);
        return _time.GetUtcNow() >= expiresAt ? null : new EmailUnsubscribeClaim(parts[0], new CustomerId(parts[1]), expiresAt);
    }

    private byte[] Mac(byte[] payload)
    {
        var input = new byte[payload.Length + 3];
        "v1\n"u8.CopyTo(input);
        payload.CopyTo(input, 3);
        return HMACSHA256.HashData(_key, input);
    }
}
