namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// A callback the handler will not process, with the HTTP status to answer and a reason code. Internal control
/// flow of the callback handlers: it never leaves them (they answer <see cref="Platforms.Callbacks.PlatformCallbackResponse.Refused"/>)
/// and its message is the reason code only, never content of the request.
/// </summary>
internal sealed class WeChatCallbackRefusal : Exception
{
    public WeChatCallbackRefusal(int status, string reason)
        : base(reason)
    {
        Status = status;
        Reason = reason;
    }

    public WeChatCallbackRefusal()
        : this(400, WeChatCallbackReasons.Malformed)
    {
    }

    public WeChatCallbackRefusal(string message)
        : this(400, message)
    {
    }

    public WeChatCallbackRefusal(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        Reason = message;
    }

    /// <summary>The HTTP status to answer.</summary>
    public int Status { get; }

    /// <summary>The reason code (one of <see cref="WeChatCallbackReasons"/>).</summary>
    public string Reason { get; }

    public static WeChatCallbackRefusal Malformed(string reason) => new(400, reason);
}

/// <summary>The reason codes callbacks are refused with (answered, logged and counted; never content).</summary>
public static class WeChatCallbackReasons
{
    /// <summary>A required query parameter is missing or too long (400).</summary>
    public const string MissingParameter = "missing_parameter";
    /// <summary>The timestamp is not Unix seconds (400).</summary>
    public const string TimestampFormat = "timestamp_format";
    /// <summary>The timestamp lies outside the freshness window (403): an old request replayed, or a clock far off.</summary>
    public const string StaleTimestamp = "stale_timestamp";
    /// <summary>The signature does not match (401).</summary>
    public const string Signature = "signature";
    /// <summary>The same signed request was already processed (403).</summary>
    public const string Replay = "replay";
    /// <summary>The body is not well-formed XML, declares a DTD, or lacks a required element (400).</summary>
    public const string Malformed = "malformed_xml";
    /// <summary>The ciphertext is not Base64 (400).</summary>
    public const string CiphertextEncoding = "ciphertext_encoding";
    /// <summary>The ciphertext is not a whole number of AES blocks (400).</summary>
    public const string CiphertextLength = "ciphertext_length";
    /// <summary>The decrypted padding is not the scheme's PKCS#7 (400): tampered, or the wrong key.</summary>
    public const string Padding = "padding";
    /// <summary>The decrypted layout (random, length, message, receive id) does not hold (400).</summary>
    public const string Layout = "layout";
    /// <summary>The decrypted message is not UTF-8 (400).</summary>
    public const string Encoding = "encoding";
    /// <summary>The message is meant for another corp or app (403).</summary>
    public const string ReceiveId = "receive_id";
    /// <summary>A plaintext callback reached a handler that requires encryption (403).</summary>
    public const string PlaintextNotAllowed = "plaintext_not_allowed";
    /// <summary>The echo string of a URL verification is not a plain token (400).</summary>
    public const string EchoFormat = "echo_format";
    /// <summary>A verified message cannot be recorded as an SDK event (an identifier too long, a field out of range) (400).</summary>
    public const string InvalidEvent = "invalid_event";
    /// <summary>The method is neither GET nor POST (405).</summary>
    public const string Method = "method";
}
