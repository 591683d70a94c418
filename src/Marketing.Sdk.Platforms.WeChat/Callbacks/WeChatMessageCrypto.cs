using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// The message signature and encryption of the official <c>WXBizMsgCrypt</c> scheme, shared by WeCom and the
/// Official Account (WeCom "加解密方案说明", https://developer.work.weixin.qq.com/document/path/91144; the OA's
/// "消息加解密说明"; the official C#/Java/Python samples):
/// <list type="bullet">
/// <item>signature = lower-case hex SHA-1 of the ordinal-sorted concatenation of token, timestamp, nonce and (for
/// <c>msg_signature</c>) the Base64 ciphertext;</item>
/// <item>AES-256-CBC, key = Base64-decode(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding to a
/// multiple of 32 bytes;</item>
/// <item>plaintext = 16 random bytes, the message's UTF-8 length as a 4-byte big-endian integer, the message, and
/// the receive id (the corp id, or the OA's app id), which the receiver checks.</item>
/// </list>
/// Every failure is a <see cref="WeChatCallbackRefusal"/> that names a reason, never content.
/// </summary>
internal sealed class WeChatMessageCrypto
{
    /// <summary>The padding block of the scheme (PKCS#7 to 32 bytes, not AES's 16).</summary>
    public const int PaddingBlock = 32;

    private const int RandomLength = 16;
    private const int LengthPrefix = 4;

    private readonly byte[] _key;
    private readonly byte[] _receiveId;

    /// <summary>Creates the codec for one account.</summary>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey.</param>
    /// <param name="receiveId">The corp id (WeCom) or app id (Official Account).</param>
    /// <exception cref="ArgumentException">The key is not 43 Base64 letters and digits decoding to 32 bytes.</exception>
    public WeChatMessageCrypto(string encodingAesKey, string receiveId)
    {
        _key = DecodeKey(encodingAesKey);
        _receiveId = Encoding.UTF8.GetBytes(receiveId);
    }

    /// <summary>Whether <paramref name="encodingAesKey"/> is a well-formed EncodingAESKey.</summary>
    /// <param name="encodingAesKey">The key.</param>
    public static bool IsValidKey(string? encodingAesKey)
    {
        if (encodingAesKey is not { Length: 43 } || !encodingAesKey.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(encodingAesKey + "=", buffer, out var written) && written == 32;
    }

    /// <summary>Decodes an EncodingAESKey into the 32-byte AES key.</summary>
    /// <param name="encodingAesKey">The key.</param>
    public static byte[] DecodeKey(string encodingAesKey)
    {
        if (!IsValidKey(encodingAesKey))
        {
            throw new ArgumentException("An EncodingAESKey is 43 ASCII letters and digits (the Base64 form of a 32-byte key without its '=').", nameof(encodingAesKey));
        }
        return Convert.FromBase64String(encodingAesKey + "=");
    }

    /// <summary>The signature of the parts: lower-case hex SHA-1 of their ordinal-sorted concatenation.</summary>
    /// <param name="parts">Token, timestamp, nonce and, for <c>msg_signature</c>, the ciphertext.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The platform's signature scheme is SHA-1; the SDK verifies it, it does not choose it.")]
    public static string Sign(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var sorted = (string[])parts.Clone();
        Array.Sort(sorted, StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    /// <summary>Compares a received signature with the expected one in constant time (hex case ignored).</summary>
    /// <param name="expected">The computed signature (lower-case hex).</param>
    /// <param name="received">The signature from the request.</param>
    public static bool SignatureMatches(string expected, string? received)
    {
        if (received is null || received.Length != expected.Length)
        {
            return false;
        }
        Span<byte> a = stackalloc byte[expected.Length];
        Span<byte> b = stackalloc byte[received.Length];
        for (var i = 0; i < expected.Length; i++)
        {
            a[i] = (byte)expected[i];
            var c = received[i];
            b[i] = (byte)(c is >= 'A' and <= 'F' ? c + 32 : c > 0x7F ? 0 : c);
        }
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>Decrypts a Base64 ciphertext and checks its receive id; returns the message.</summary>
    /// <param name="ciphertext">The Base64 ciphertext (<c>Encrypt</c> or <c>echostr</c>).</param>
    /// <exception cref="WeChatCallbackRefusal">The ciphertext is malformed, does not decrypt to the scheme's layout, or is meant for another account.</exception>
    public string Decrypt(string ciphertext)
    {
        var maxBytes = ciphertext.Length / 4 * 3 + 3;
        var cipher = new byte[maxBytes];
        if (!Convert.TryFromBase64String(ciphertext, cipher, out var written))
        {
            throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.CiphertextEncoding);
        }
        if (written == 0 || written % 16 != 0)
        {
            throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.CiphertextLength);
        }
        byte[] plain;
        using (var aes = Aes.Create())
        {
            aes.Key = _key;
            plain = aes.DecryptCbc(cipher.AsSpan(0, written), _key.AsSpan(0, 16), PaddingMode.None);
        }
        try
        {
            var pad = plain[^1];
            if (pad is < 1 or > PaddingBlock || pad > plain.Length || plain.AsSpan(plain.Length - pad).ContainsAnyExcept(pad))
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Padding);
            }
            var content = plain.AsSpan(0, plain.Length - pad);
            if (content.Length < RandomLength + LengthPrefix)
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Layout);
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(content.Slice(RandomLength, LengthPrefix));
            var rest = content[(RandomLength + LengthPrefix)..];
            if (length < 0 || length > rest.Length)
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Layout);
            }
            if (!CryptographicOperations.FixedTimeEquals(rest[length..], _receiveId))
            {
                throw new WeChatCallbackRefusal(403, WeChatCallbackReasons.ReceiveId);
            }
            try
            {
                return StrictUtf8.GetString(rest[..length]);
            }
            catch (DecoderFallbackException)
            {
                throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.Encoding);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Encrypts a message for this account with fresh random bytes.</summary>
    /// <param name="message">The message (an XML reply, an echo).</param>
    public string Encrypt(string message)
    {
        Span<byte> random = stackalloc byte[RandomLength];
        RandomNumberGenerator.Fill(random);
        return Encrypt(message, random);
    }

    /// <summary>Encrypts a message with the given 16 random bytes (tests pin them).</summary>
    /// <param name="message">The message.</param>
    /// <param name="random">16 random bytes.</param>
    public string Encrypt(string message, ReadOnlySpan<byte> random)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (random.Length != RandomLength)
        {
            throw new ArgumentException("The scheme takes 16 random bytes.", nameof(random));
        }
        var messageBytes = Encoding.UTF8.GetBytes(message);
        var length = RandomLength + LengthPrefix + messageBytes.Length + _receiveId.Length;
        var pad = PaddingBlock - length % PaddingBlock;
        var plain = new byte[length + pad];
        random.CopyTo(plain);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(RandomLength), messageBytes.Length);
        messageBytes.CopyTo(plain.AsSpan(RandomLength + LengthPrefix));
        _receiveId.CopyTo(plain.AsSpan(RandomLength + LengthPrefix + messageBytes.Length));
        plain.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = _key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, _key.AsSpan(0, 16), PaddingMode.None));
    }

    /// <summary>
    /// The encrypted passive reply of the scheme: <c>&lt;xml&gt;</c> with <c>Encrypt</c>, <c>MsgSignature</c>,
    /// <c>TimeStamp</c> and <c>Nonce</c>.
    /// </summary>
    /// <param name="token">The callback token.</param>
    /// <param name="reply">The reply message (XML).</param>
    /// <param name="timestamp">The timestamp (Unix seconds).</param>
    /// <param name="nonce">A nonce.</param>
    public string EncryptReply(string token, string reply, string timestamp, string nonce)
    {
        var encrypted = Encrypt(reply);
        var signature = Sign(token, timestamp, nonce, encrypted);
        return $"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>";
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
