using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Platforms.AliyunSms;

/// <summary>
/// Alibaba Cloud's request signature V3 (<c>ACS3-HMAC-SHA256</c>), the one the OpenAPI documentation recommends over
/// the HMAC-SHA1 RPC signature: a canonical request (method, URI, sorted RFC 3986-encoded query, sorted lower-case
/// signed headers, hex SHA-256 of the body), hashed and signed with HMAC-SHA256 under the AccessKey secret.
/// Source: https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature.
/// </summary>
public static class AcsSignature
{
    /// <summary>The algorithm name.</summary>
    public const string Algorithm = "ACS3-HMAC-SHA256";

    /// <summary>RFC 3986 percent-encoding (unreserved characters kept, space as <c>%20</c>, <c>*</c> as <c>%2A</c>, <c>~</c> kept).</summary>
    /// <param name="value">The text.</param>
    public static string Encode(string value) => Uri.EscapeDataString(value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>The canonical query string: encoded names and values, sorted by encoded name, joined with <c>&amp;</c>.</summary>
    /// <param name="query">The parameters.</param>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return string.Join('&', query.Select(p => (Name: Encode(p.Key), Value: Encode(p.Value))).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>Lower-case hex SHA-256 of a payload.</summary>
    /// <param name="payload">The bytes.</param>
    public static string HashHex(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>The canonical request.</summary>
    /// <param name="method">The upper-case method.</param>
    /// <param name="canonicalUri">The encoded path (<c>/</c> for RPC-style APIs).</param>
    /// <param name="canonicalQuery">The canonical query string.</param>
    /// <param name="headers">The signed headers (names any case): <c>host</c>, every <c>x-acs-*</c> header and <c>content-type</c> when sent.</param>
    /// <param name="hashedPayload">The hex SHA-256 of the body.</param>
    /// <param name="signedHeaders">The <c>;</c>-joined sorted lower-case header names.</param>
    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery, IEnumerable<KeyValuePair<string, string>> headers, string hashedPayload, out string signedHeaders)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var sorted = headers.Select(h => (Name: h.Key.Trim().ToLowerInvariant(), Value: h.Value.Trim())).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();
        signedHeaders = string.Join(';', sorted.Select(h => h.Name));
        var builder = new StringBuilder();
        builder.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in sorted)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }
        builder.Append('\n').Append(signedHeaders).Append('\n').Append(hashedPayload);
        return builder.ToString();
    }

    /// <summary>The signature: hex HMAC-SHA256 under the secret of <c>ACS3-HMAC-SHA256\n</c> + hex SHA-256 of the canonical request.</summary>
    /// <param name="canonicalRequest">The canonical request.</param>
    /// <param name="accessKeySecret">The AccessKey secret.</param>
    public static string Sign(string canonicalRequest, string accessKeySecret)
    {
        ArgumentNullException.ThrowIfNull(canonicalRequest);
        ArgumentNullException.ThrowIfNull(accessKeySecret);
        var stringToSign = Algorithm + "\n" + HashHex(Encoding.UTF8.GetBytes(canonicalRequest));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKeySecret), Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>The <c>Authorization</c> header value.</summary>
    /// <param name="accessKeyId">The AccessKey id.</param>
    /// <param name="signedHeaders">The signed header names.</param>
    /// <param name="signature">The signature.</param>
    public static string Authorization(string accessKeyId, string signedHeaders, string signature) =>
        $"{Algorithm} Credential={accessKeyId},SignedHeaders={signedHeaders},Signature={signature}";
}
