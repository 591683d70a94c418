using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Export.Parquet;

/// <summary>
/// The keyed pseudonym of an identity: lower-case hex of HMAC-SHA256(key, UTF-8 of <c>"&lt;kind number&gt;:&lt;value&gt;"</c>),
/// the value as stored (normalised on ingestion), so the same key gives the same pseudonym in every export.
/// </summary>
internal sealed class IdentityPseudonymiser
{
    private readonly byte[]? _key;

    public IdentityPseudonymiser(string? base64Key, bool raw)
    {
        Raw = raw;
        _key = raw ? null : Decode(base64Key) ?? throw new ParquetExportException("The pseudonymisation key is missing or shorter than 32 bytes.");
    }

    /// <summary>Whether values are written as they are.</summary>
    public bool Raw { get; }

    public string Apply(Identity identity) => _key is null ? identity.Value : Pseudonym(_key, identity);

    /// <summary>The pseudonym of <paramref name="identity"/> under <paramref name="key"/> (as written to the <c>identities</c> files).</summary>
    public static string Pseudonym(byte[] key, Identity identity)
    {
        var input = Encoding.UTF8.GetBytes((int)identity.Kind + ":" + identity.Value);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, input));
    }

    public static bool IsValidKey(string? base64Key) => Decode(base64Key) is not null;

    private static byte[]? Decode(string? base64Key)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
        {
            return null;
        }
        var buffer = new byte[base64Key.Length];
        return Convert.TryFromBase64String(base64Key, buffer, out var written) && written >= 32 ? buffer[..written] : null;
    }
}
