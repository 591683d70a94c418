using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Platforms.TencentCloudSms;

/// <summary>
/// Tencent Cloud API 3.0 signature <c>TC3-HMAC-SHA256</c>: a canonical request (method, URI <c>/</c>, query, sorted
/// lower-case signed headers, hex SHA-256 of the payload), a string to sign (algorithm, timestamp, credential scope
/// <c>{date}/{service}/tc3_request</c>, hex SHA-256 of the canonical request) and a key derived by HMAC-SHA256 from
/// <c>"TC3" + SecretKey</c> through the UTC date, the service and <c>tc3_request</c>.
/// Source: https://www.tencentcloud.com/document/api/382/40467 (Signature v3).
/// </summary>
public static class Tc3Signature
{
    /// <summary>The algorithm name.</summary>
    public const string Algorithm = "TC3-HMAC-SHA256";

    /// <summary>Lower-case hex SHA-256.</summary>
    /// <param name="payload">The bytes.</param>
    public static string HashHex(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>The canonical request.</summary>
    /// <param name="method">The method (<c>POST</c>).</param>
    /// <param name="canonicalQuery">The query (empty for POST).</param>
    /// <param name="headers">The signed headers (at least <c>content-type</c> and <c>host</c>).</param>
    /// <param name="hashedPayload">The hex SHA-256 of the body.</param>
    /// <param name="signedHeaders">The <c>;</c>-joined sorted lower-case header names.</param>
    public static string CanonicalRequest(string method, string canonicalQuery, IEnumerable<KeyValuePair<string, string>> headers, string hashedPayload, out string signedHeaders)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var sorted = headers.Select(h => (Name: h.Key.Trim().ToLowerInvariant(), Value: h.Value.Trim().ToLowerInvariant())).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();
        signedHeaders = string.Join(';', sorted.Select(h => h.Name));
        var builder = new StringBuilder();
        builder.Append(method).Append("\n/\n").Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in sorted)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }
        builder.Append('\n').Append(signedHeaders).Append('\n').Append(hashedPayload);
        return builder.ToString();
    }

    /// <summary>The UTC date of a timestamp, as the credential scope wants it (<c>yyyy-MM-dd</c>).</summary>
    /// <param name="timestamp">Unix seconds.</param>
    public static string Date(long timestamp) => DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The string to sign.</summary>
    /// <param name="timestamp">Unix seconds (<c>X-TC-Timestamp</c>).</param>
    /// <param name="service">The service (<c>sms</c>).</param>
    /// <param name="canonicalRequest">The canonical request.</param>
    public static string StringToSign(long timestamp, string service, string canonicalRequest)
    {
        ArgumentNullException.ThrowIfNull(canonicalRequest);
        return $"{Algorithm}\n{timestamp.ToString(CultureInfo.InvariantCulture)}\n{Date(timestamp)}/{service}/tc3_request\n{HashHex(Encoding.UTF8.GetBytes(canonicalRequest))}";
    }

    /// <summary>The signature: hex HMAC-SHA256 of the string to sign under the derived key.</summary>
    /// <param name="secretKey">The SecretKey.</param>
    /// <param name="timestamp">Unix seconds.</param>
    /// <param name="service">The service.</param>
    /// <param name="stringToSign">The string to sign.</param>
    public static string Sign(string secretKey, long timestamp, string service, string stringToSign)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(stringToSign);
        var secretDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("TC3" + secretKey), Encoding.UTF8.GetBytes(Date(timestamp)));
        var secretService = HMACSHA256.HashData(secretDate, Encoding.UTF8.GetBytes(service));
        var secretSigning = HMACSHA256.HashData(secretService, "tc3_request"u8);
        return Convert.ToHexStringLower(HMACSHA256.HashData(secretSigning, Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>The <c>Authorization</c> header value.</summary>
    /// <param name="secretId">The SecretId.</param>
    /// <param name="timestamp">Unix seconds.</param>
    /// <param name="service">The service.</param>
    /// <param name="signedHeaders">The signed header names.</param>
    /// <param name="signature">The signature.</param>
    public static string Authorization(string secretId, long timestamp, string service, string signedHeaders, string signature) =>
        $"{Algorithm} Credential={secretId}/{Date(timestamp)}/{service}/tc3_request, SignedHeaders={signedHeaders}, Signature={signature}";
}
