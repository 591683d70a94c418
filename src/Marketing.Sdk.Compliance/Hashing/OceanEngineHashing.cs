using System.Security.Cryptography;


namespace Marketing.Sdk.Compliance.Hashing;

/// <summary>
/// The hashing Ocean Engine (巨量引擎) uses for its match keys — the one place it lives (see docs/platforms/ocean-engine.md
/// for the sources and what is UNVERIFIED):
/// <list type="bullet">
/// <item>DMP data sources, <c>IdItem.dataType = MOBILE_HASH_SHA256</c> (6): SHA-256 of the 11-digit mainland mobile number
/// without country code, lower-case hex (the DMP upload format requires lower-case ids);</item>
/// <item>the conversion API's <c>context.device.phone_num_blurred</c> accepts the same SHA-256 of the raw number;</item>
/// <item><c>IMEI_MD5</c> (4) and the conversion API's <c>context.device.imei</c>: MD5 of the lower-case IMEI;
/// <c>OAID_MD5</c> (8): MD5 of the raw OAID.</item>
/// </list>
/// MD5 is what the platform defines as its match key, not a security control.
/// </summary>
public static class OceanEngineHashing
{
    /// <summary>
    /// The mobile number as Ocean Engine hashes it: digits only, a <c>+86</c>/<c>0086</c>/<c>86</c> prefix removed, exactly 11
    /// digits starting with 1 (a mainland mobile number; Ocean Engine serves mainland China).
    /// </summary>
    /// <param name="phone">The phone in any common notation.</param>
    /// <exception cref="MatchNormalizationException">Not a mainland mobile number.</exception>
    public static string NormalizePhone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        // Validates the characters (digits, spaces, '+', '-', '.', brackets) the way Tencent's rule does.
        TencentAdsHashing.NormalizePhone(phone);
        var trimmed = phone.AsSpan().Trim();
        var digits = string.Concat(trimmed.ToString().Where(char.IsAsciiDigit));
        if (trimmed.StartsWith("+") || digits.StartsWith("00", StringComparison.Ordinal))
        {
            // An explicit international number is a mainland one only with the country code 86.
            var international = digits.StartsWith("00", StringComparison.Ordinal) ? digits[2..] : digits;
            digits = international.StartsWith("86", StringComparison.Ordinal)
                ? international[2..]
                : throw new MatchNormalizationException("phone", "Ocean Engine matches mainland mobile numbers (+86)");
        }
        else if (digits.Length == 13 && digits.StartsWith("86", StringComparison.Ordinal))
        {
            digits = digits[2..];
        }
        return digits.Length == 11 && digits[0] == '1'
            ? digits
            : throw new MatchNormalizationException("phone", "Ocean Engine matches mainland mobile numbers of 11 digits starting with 1");
    }

    /// <summary>SHA-256 (lower-case hex) of <see cref="NormalizePhone"/> (DMP <c>MOBILE_HASH_SHA256</c>).</summary>
    /// <param name="phone">The phone.</param>
    public static string Sha256Phone(string phone) => PlatformHasher.Sha256Hex(NormalizePhone(phone));

    /// <summary>MD5 (lower-case hex) of the lower-case IMEI (DMP <c>IMEI_MD5</c>; conversion <c>context.device.imei</c>).</summary>
    /// <param name="imei">The IMEI.</param>
    public static string Md5Imei(string imei) => TencentAdsHashing.Md5Hex(Trimmed(imei, "imei").ToLowerInvariant());

    /// <summary>MD5 (lower-case hex) of the raw OAID (DMP <c>OAID_MD5</c>).</summary>
    /// <param name="oaid">The OAID.</param>
    public static string Md5Oaid(string oaid) => TencentAdsHashing.Md5Hex(Trimmed(oaid, "oaid"));

    /// <summary>Whether a value is a SHA-256 digest in 64 lower-case hex characters.</summary>
    /// <param name="value">The value.</param>
    public static bool IsLowerSha256(ReadOnlySpan<char> value) =>
        value.Length == 64 && !value.ContainsAnyExcept(LowerHex);

    /// <summary>MD5 of bytes in lower-case hex (the DMP upload's <c>file_signature</c>).</summary>
    /// <param name="bytes">The bytes.</param>
#pragma warning disable CA5351 // Ocean Engine defines the file signature as MD5; not a security control.
    public static string Md5Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static string Trimmed(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        var t = value.Trim();
        return t.Length == 0 ? throw new MatchNormalizationException(field, "the value is empty") : t;
    }

}
