using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Compliance.Hashing;

/// <summary>
/// The hashing Tencent Ads (腾讯广告) documents for <c>user_actions/add</c> <c>user_id</c> and customer files
/// (DataNexus "加密方法"; Go SDK <c>docs/v3/UserIdDn.md</c>; see docs/platforms/tencent-ads.md):
/// <list type="bullet">
/// <item><c>hash_phone</c> = MD5 of the raw national number, digits only, no country code (<c>md5("13500000000")</c>);</item>
/// <item><c>sha256_phone</c> = SHA-256 of the same digits;</item>
/// <item><c>hash_imei</c> = MD5 of the lower-case IMEI; <c>hash_idfa</c> = MD5 of the upper-case IDFA; <c>hash_oaid</c> and
/// <c>hash_android_id</c> = MD5 of the raw value;</item>
/// <item><c>md5_sha256_*</c> = SHA-256 of the lower-case hex MD5 (of the same normalised value).</item>
/// </list>
/// Every digest is lower-case hex. MD5 is what the platform defines as its match key, not a security control.
/// </summary>
public static class TencentAdsHashing
{
    /// <summary>The national phone number as Tencent hashes it: digits only, a leading <c>+86</c>/<c>0086</c>/<c>86</c> country code removed from 13-digit Chinese numbers.</summary>
    /// <param name="phone">The phone in any common notation (E.164 with '+', spaces, dashes).</param>
    /// <exception cref="MatchNormalizationException">The value holds no digits, or letters.</exception>
    public static string NormalizePhone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var sb = new StringBuilder(phone.Length);
        foreach (var c in phone.AsSpan().Trim())
        {
            if (char.IsAsciiDigit(c))
            {
                sb.Append(c);
            }
            else if (c is not (' ' or '-' or '+' or '(' or ')' or '.'))
            {
                throw new MatchNormalizationException("phone", "a phone number may hold only digits, spaces, '+', '-', '.' and brackets");
            }
        }
        var digits = sb.ToString();
        if (digits.StartsWith("0086", StringComparison.Ordinal))
        {
            digits = digits[4..];
        }
        else if (digits.Length == 13 && digits.StartsWith("86", StringComparison.Ordinal))
        {
            digits = digits[2..];
        }
        if (digits.Length is < 5 or > 15)
        {
            throw new MatchNormalizationException("phone", "a phone number has 5 to 15 digits");
        }
        return digits;
    }

    /// <summary><c>hash_phone</c>: MD5 (lower-case hex) of <see cref="NormalizePhone"/>.</summary>
    /// <param name="phone">The phone.</param>
    public static string HashPhone(string phone) => Md5Hex(NormalizePhone(phone));

    /// <summary><c>sha256_phone</c>: SHA-256 (lower-case hex) of <see cref="NormalizePhone"/>.</summary>
    /// <param name="phone">The phone.</param>
    public static string Sha256Phone(string phone) => PlatformHasher.Sha256Hex(NormalizePhone(phone));

    /// <summary><c>hash_imei</c>: MD5 of the lower-case IMEI.</summary>
    /// <param name="imei">The IMEI.</param>
    public static string HashImei(string imei) => Md5Hex(Trimmed(imei, "imei").ToLowerInvariant());

    /// <summary><c>md5_sha256_imei</c>: SHA-256 of <see cref="HashImei"/>.</summary>
    /// <param name="imei">The IMEI.</param>
    public static string Md5Sha256Imei(string imei) => PlatformHasher.Sha256Hex(HashImei(imei));

    /// <summary><c>hash_idfa</c>: MD5 of the upper-case IDFA.</summary>
    /// <param name="idfa">The IDFA.</param>
    public static string HashIdfa(string idfa) => Md5Hex(Trimmed(idfa, "idfa").ToUpperInvariant());

    /// <summary><c>md5_sha256_idfa</c>: SHA-256 of <see cref="HashIdfa"/>.</summary>
    /// <param name="idfa">The IDFA.</param>
    public static string Md5Sha256Idfa(string idfa) => PlatformHasher.Sha256Hex(HashIdfa(idfa));

    /// <summary><c>hash_oaid</c>: MD5 of the raw OAID.</summary>
    /// <param name="oaid">The OAID.</param>
    public static string HashOaid(string oaid) => Md5Hex(Trimmed(oaid, "oaid"));

    /// <summary><c>md5_sha256_oaid</c>: SHA-256 of <see cref="HashOaid"/>.</summary>
    /// <param name="oaid">The OAID.</param>
    public static string Md5Sha256Oaid(string oaid) => PlatformHasher.Sha256Hex(HashOaid(oaid));

    /// <summary>MD5 of the UTF-8 bytes in lower-case hex.</summary>
    /// <param name="text">The text.</param>
#pragma warning disable CA5351 // Tencent Ads defines these match keys as MD5; not a security control.
    public static string Md5Hex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
    }
#pragma warning restore CA5351

    /// <summary>Whether a value is an MD5 digest in 32 lower-case hex characters.</summary>
    /// <param name="value">The value.</param>
    public static bool IsLowerMd5(ReadOnlySpan<char> value) =>
        value.Length == 32 && !value.ContainsAnyExcept(LowerHex);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Trimmed(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        var t = value.Trim();
        return t.Length == 0 ? throw new MatchNormalizationException(field, "the value is empty") : t;
    }
}
