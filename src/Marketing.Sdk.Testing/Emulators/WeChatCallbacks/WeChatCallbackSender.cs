using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Marketing.Sdk.Testing.Emulators.WeChatCallbacks;

/// <summary>Which platform a <see cref="WeChatCallbackSender"/> speaks for.</summary>
public enum WeChatCallbackPlatform
{
    /// <summary>WeCom: <c>msg_signature</c> on every request, the URL check's <c>echostr</c> encrypted.</summary>
    WeCom = 1,
    /// <summary>The Official Account in safe mode: <c>signature</c> on the URL check, <c>encrypt_type=aes</c> and <c>msg_signature</c> on pushes.</summary>
    OfficialAccount = 2,
}

/// <summary>What the host answered.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body.</param>
public sealed record WeChatCallbackAnswer(HttpStatusCode Status, string Body);

/// <summary>
/// Sends WeCom and Official Account callbacks to a host under test over real HTTP, signed and encrypted as the
/// platforms do (the official <c>WXBizMsgCrypt</c> scheme: SHA-1 over the sorted token, timestamp, nonce and
/// ciphertext; AES-256-CBC with the EncodingAESKey, PKCS#7 to 32 bytes, random + length + message + receive id).
/// An implementation of its own, so a host's handler is tested against an independent encoder. Faults for tests:
/// a wrong token signs badly, <see cref="ReceiveId"/> can name another account, requests can be replayed as sent.
/// </summary>
public sealed class WeChatCallbackSender
{
    private readonly HttpClient _http;
    private readonly byte[] _key;
    private readonly TimeProvider _timeProvider;
    private long _nonce;

    /// <summary>Creates a sender for one account.</summary>
    /// <param name="http">The client (its base address, if any, is combined with <see cref="SendAsync"/>'s URL).</param>
    /// <param name="platform">WeCom or the Official Account.</param>
    /// <param name="token">The callback token.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey.</param>
    /// <param name="receiveId">The corp id or app id the messages are encrypted for.</param>
    /// <param name="timeProvider">The clock of the timestamps (default the system clock).</param>
    public WeChatCallbackSender(HttpClient http, WeChatCallbackPlatform platform, string token, string encodingAesKey, string receiveId, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(encodingAesKey);
        ArgumentException.ThrowIfNullOrEmpty(receiveId);
        _http = http;
        Platform = platform;
        Token = token;
        _key = Convert.FromBase64String(encodingAesKey + "=");
        ReceiveId = receiveId;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The platform spoken.</summary>
    public WeChatCallbackPlatform Platform { get; }

    /// <summary>The token requests are signed with (set a wrong one to test refusals).</summary>
    public string Token { get; set; }

    /// <summary>The receive id put into encrypted messages (set another to test refusals).</summary>
    public string ReceiveId { get; set; }

    /// <summary>Builds a signed URL verification (GET) for <paramref name="callbackUrl"/>; the host must answer <paramref name="echo"/>.</summary>
    /// <param name="callbackUrl">The host's callback URL.</param>
    /// <param name="echo">The plaintext challenge (digits, as the platforms send).</param>
    public HttpRequestMessage BuildVerification(Uri callbackUrl, string echo)
    {
        ArgumentNullException.ThrowIfNull(callbackUrl);
        ArgumentException.ThrowIfNullOrEmpty(echo);
        var (timestamp, nonce) = Fresh();
        string query;
        if (Platform == WeChatCallbackPlatform.WeCom)
        {
            var encrypted = Encrypt(echo);
            query = $"msg_signature={Sign(Token, timestamp, nonce, encrypted)}&timestamp={timestamp}&nonce={nonce}&echostr={Uri.EscapeDataString(encrypted)}";
        }
        else
        {
            query = $"signature={Sign(Token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&echostr={Uri.EscapeDataString(echo)}";
        }
        return new HttpRequestMessage(HttpMethod.Get, Append(callbackUrl, query));
    }

    /// <summary>Builds a signed, encrypted push (POST) of a plaintext message XML.</summary>
    /// <param name="callbackUrl">The host's callback URL.</param>
    /// <param name="messageXml">The message as the platform writes it (<c>&lt;xml&gt;…&lt;/xml&gt;</c>).</param>
    public HttpRequestMessage BuildPush(Uri callbackUrl, string messageXml)
    {
        ArgumentNullException.ThrowIfNull(callbackUrl);
        ArgumentException.ThrowIfNullOrEmpty(messageXml);
        var (timestamp, nonce) = Fresh();
        var encrypted = Encrypt(messageXml);
        var signature = Sign(Token, timestamp, nonce, encrypted);
        string query;
        string body;
        if (Platform == WeChatCallbackPlatform.WeCom)
        {
            query = $"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}";
            body = $"<xml><ToUserName><![CDATA[{ReceiveId}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        }
        else
        {
            query = $"signature={Sign(Token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid=o&encrypt_type=aes&msg_signature={signature}";
            body = $"<xml><ToUserName><![CDATA[gh_emulator]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        }
        return new HttpRequestMessage(HttpMethod.Post, Append(callbackUrl, query))
        {
            Content = new StringContent(body, Encoding.UTF8, "text/xml"),
        };
    }

    /// <summary>Sends a request built here (or a copy of one, to replay it) and returns the answer.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeChatCallbackAnswer> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return new WeChatCallbackAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Copies a request (method, URL, body), to send it again as a replay or a platform redelivery.</summary>
    /// <param name="request">A request built here.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async Task<HttpRequestMessage> CopyAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var copy = new HttpRequestMessage(request.Method, request.RequestUri);
        if (request.Content is { } content)
        {
            var bytes = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            copy.Content = new ByteArrayContent(bytes);
            copy.Content.Headers.ContentType = content.Headers.ContentType;
        }
        return copy;
    }

    /// <summary>Sends a verification and returns the answer.</summary>
    /// <param name="callbackUrl">The host's callback URL.</param>
    /// <param name="echo">The challenge.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeChatCallbackAnswer> VerifyAsync(Uri callbackUrl, string echo, CancellationToken cancellationToken = default)
    {
        using var request = BuildVerification(callbackUrl, echo);
        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a push and returns the answer.</summary>
    /// <param name="callbackUrl">The host's callback URL.</param>
    /// <param name="messageXml">The plaintext message XML.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WeChatCallbackAnswer> PushAsync(Uri callbackUrl, string messageXml, CancellationToken cancellationToken = default)
    {
        using var request = BuildPush(callbackUrl, messageXml);
        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message signature: lower-case hex SHA-1 of the ordinal-sorted concatenation of the parts.</summary>
    /// <param name="parts">Token, timestamp, nonce and, for <c>msg_signature</c>, the ciphertext.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The platform's scheme is SHA-1.")]
    public static string Sign(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var ordered = parts.Order(StringComparer.Ordinal);
        var builder = new StringBuilder();
        foreach (var part in ordered)
        {
            builder.Append(part);
        }
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <summary>Encrypts a message for <see cref="ReceiveId"/> as the platform does.</summary>
    /// <param name="message">The message.</param>
    public string Encrypt(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = Encoding.UTF8.GetBytes(message);
        var receiver = Encoding.UTF8.GetBytes(ReceiveId);
        using var plain = new MemoryStream();
        plain.Write(RandomNumberGenerator.GetBytes(16));
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)text.Length);
        plain.Write(length);
        plain.Write(text);
        plain.Write(receiver);
        var padding = 32 - (int)(plain.Length % 32);
        for (var i = 0; i < padding; i++)
        {
            plain.WriteByte((byte)padding);
        }
        using var aes = Aes.Create();
        aes.Key = _key;
        return Convert.ToBase64String(aes.EncryptCbc(plain.ToArray(), _key[..16], PaddingMode.None));
    }

    private (string Timestamp, string Nonce) Fresh() =>
        (_timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
         (1_000_000_000 + Interlocked.Increment(ref _nonce)).ToString(CultureInfo.InvariantCulture));

    private static Uri Append(Uri url, string query) =>
        new(url.OriginalString + (url.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query, url.IsAbsoluteUri ? UriKind.Absolute : UriKind.Relative);
}
