using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Compliance.Pii;

/// <summary>A secret key with the id that names it (for rotation).</summary>
public sealed class KeyMaterial
{
    /// <summary>Creates key material.</summary>
    /// <param name="keyId">A short id (letters, digits, '-', '_'); stored with every output so that old outputs keep working after rotation.</param>
    /// <param name="key">The key bytes (32 bytes for AES-256-GCM; at least 32 for HMAC).</param>
    public KeyMaterial(string keyId, byte[] key)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(key);
        if (!keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException("Key ids are ASCII letters, digits, '-' or '_'.", nameof(keyId));
        }
        if (key.Length < 32)
        {
            throw new ArgumentException("Keys are at least 32 bytes.", nameof(key));
        }
        KeyId = keyId;
        Key = key;
    }

    /// <summary>The key id.</summary>
    public string KeyId { get; }

    /// <summary>The key bytes.</summary>
    internal byte[] Key { get; }

    /// <summary>Shows only the key id.</summary>
    public override string ToString() => $"KeyMaterial {{ KeyId = {KeyId} }}";
}

/// <summary>Supplies keys by purpose (e.g. <c>pseudonymisation</c>, <c>field-encryption</c>): the current one for new outputs and any older one by id. Back it with a KMS or a secret store.</summary>
public interface IKeyProvider
{
    /// <summary>The key to use for new outputs.</summary>
    /// <param name="purpose">The purpose.</param>
    KeyMaterial GetCurrentKey(string purpose);

    /// <summary>A key by id, or <see langword="null"/> when unknown.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="keyId">The key id.</param>
    KeyMaterial? GetKey(string purpose, string keyId);
}

/// <summary>An <see cref="IKeyProvider"/> over keys held in memory (load them from configuration or a secret store at start).</summary>
public sealed class InMemoryKeyProvider : IKeyProvider
{
    private readonly Dictionary<string, (KeyMaterial Current, Dictionary<string, KeyMaterial> All)> _keys = new(StringComparer.Ordinal);

    /// <summary>Adds a key for a purpose; the last key added for a purpose is its current key.</summary>
    /// <param name="purpose">The purpose.</param>
    /// <param name="key">The key.</param>
    /// <returns>This provider.</returns>
    public InMemoryKeyProvider Add(string purpose, KeyMaterial key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var all = _keys.TryGetValue(purpose, out var entry) ? entry.All : new Dictionary<string, KeyMaterial>(StringComparer.Ordinal);
        all[key.KeyId] = key;
        _keys[purpose] = (key, all);
        return this;
    }

    /// <inheritdoc />
    public KeyMaterial GetCurrentKey(string purpose) =>
        _keys.TryGetValue(purpose, out var entry) ? entry.Current : throw new ComplianceException($"No key is configured for purpose '{purpose}'.");

    /// <inheritdoc />
    public KeyMaterial? GetKey(string purpose, string keyId) =>
        _keys.TryGetValue(purpose, out var entry) && entry.All.TryGetValue(keyId, out var key) ? key : null;
}

/// <summary>
/// Keyed pseudonymisation: HMAC-SHA256 of the value under the current key of purpose
/// <see cref="KeyPurpose"/>, as <c>keyId:hex</c>. The same value gives the same pseudonym under one
/// key (joins keep working); without the key it cannot be reversed or brute-forced from a dictionary.
/// </summary>
/// <param name="keys">The key provider.</param>
public sealed class Pseudonymizer(IKeyProvider keys)
{
    /// <summary>The key purpose used.</summary>
    public const string KeyPurpose = "pseudonymisation";

    private readonly IKeyProvider _keys = keys ?? throw new ArgumentNullException(nameof(keys));

    /// <summary>The pseudonym of a value under the current key.</summary>
    /// <param name="value">The value.</param>
    public string Pseudonymize(string value) => Compute(value, _keys.GetCurrentKey(KeyPurpose));

    /// <summary>Whether <paramref name="pseudonym"/> is the pseudonym of <paramref name="value"/> under the key it names (any known key).</summary>
    /// <param name="value">The value.</param>
    /// <param name="pseudonym">A pseudonym from <see cref="Pseudonymize"/>.</param>
    public bool Matches(string value, string pseudonym)
    {
        ArgumentNullException.ThrowIfNull(pseudonym);
        var colon = pseudonym.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || _keys.GetKey(KeyPurpose, pseudonym[..colon]) is not { } key)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(value, key)), Encoding.ASCII.GetBytes(pseudonym));
    }

    private static string Compute(string value, KeyMaterial key)
    {
        ArgumentNullException.ThrowIfNull(value);
        return key.KeyId + ":" + Convert.ToHexStringLower(HMACSHA256.HashData(key.Key, Encoding.UTF8.GetBytes(value)));
    }
}

/// <summary>
/// Field encryption with AES-256-GCM under keys from an <see cref="IKeyProvider"/> (purpose
/// <see cref="KeyPurpose"/>). Output: <c>v1:keyId:base64(nonce ‖ ciphertext ‖ tag)</c>; the key id and
/// optional associated data (e.g. the customer id and field name) are authenticated.
/// </summary>
/// <param name="keys">The key provider.</param>
public sealed class FieldEncryptor(IKeyProvider keys)
{
    /// <summary>The key purpose used.</summary>
    public const string KeyPurpose = "field-encryption";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly IKeyProvider _keys = keys ?? throw new ArgumentNullException(nameof(keys));

    /// <summary>Encrypts a value under the current key.</summary>
    /// <param name="plaintext">The value.</param>
    /// <param name="associatedData">Context bound to the ciphertext (must be the same to decrypt), or <see langword="null"/>.</param>
    public string Encrypt(string plaintext, string? associatedData = null)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var key = _keys.GetCurrentKey(KeyPurpose);
        var input = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + input.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Key.AsSpan(0, 32), TagSize);
        aes.Encrypt(nonce, input, output.AsSpan(NonceSize, input.Length), output.AsSpan(NonceSize + input.Length), Aad(key.KeyId, associatedData));
        return "v1:" + key.KeyId + ":" + Convert.ToBase64String(output);
    }

    /// <summary>Decrypts a value from <see cref="Encrypt"/>.</summary>
    /// <param name="ciphertext">The encrypted value.</param>
    /// <param name="associatedData">The same associated data as at encryption.</param>
    /// <exception cref="ComplianceException">The value is malformed, the key is unknown or authentication failed.</exception>
    public string Decrypt(string ciphertext, string? associatedData = null)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        var parts = ciphertext.Split(':');
        if (parts.Length != 3 || parts[0] != "v1")
        {
            throw new ComplianceException("The encrypted value is not in the v1 format.");
        }
        var key = _keys.GetKey(KeyPurpose, parts[1]) ?? throw new ComplianceException($"The encryption key '{parts[1]}' is unknown.");
        byte[] data;
        try
        {
            data = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException ex)
        {
            throw new ComplianceException("The encrypted value is not valid base64.", ex);
        }
        if (data.Length < NonceSize + TagSize)
        {
            throw new ComplianceException("The encrypted value is too short.");
        }
        var plain = new byte[data.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key.Key.AsSpan(0, 32), TagSize);
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, plain.Length), data.AsSpan(NonceSize + plain.Length), plain, Aad(key.KeyId, associatedData));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ComplianceException("The encrypted value failed authentication (tampered, or wrong associated data).", ex);
        }
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] Aad(string keyId, string? associatedData) => Encoding.UTF8.GetBytes(keyId + "\n" + (associatedData ?? ""));
}
