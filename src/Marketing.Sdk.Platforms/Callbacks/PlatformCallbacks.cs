namespace Marketing.Sdk.Platforms.Callbacks;

/// <summary>
/// One inbound callback from a platform (a WeChat event push, an SMS receipt or reply, an email bounce
/// webhook) as the web host received it. Everything in it is hostile until the handler verified it.
/// </summary>
/// <param name="Method">The HTTP method (<c>GET</c> for URL verification, <c>POST</c> for pushes).</param>
/// <param name="Query">The query-string parameters (first value of each name).</param>
/// <param name="Headers">The request headers the handler may need for signatures (first value of each name, names case-insensitive).</param>
/// <param name="Body">The raw body, already bounded by <see cref="IPlatformCallbackHandler.MaxBodyBytes"/>.</param>
/// <param name="ContentType">The body's content type, if any.</param>
public sealed record PlatformCallbackRequest(
    string Method,
    [property: PersonalData] IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    [property: PersonalData] ReadOnlyMemory<byte> Body,
    string? ContentType)
{
    /// <summary>Describes the request without its content.</summary>
    public override string ToString() => $"PlatformCallbackRequest {{ Method = {Method}, Query = {Query.Count}, Body = {Body.Length} bytes }}";
}

/// <summary>What the host answers the platform.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="Body">The body the platform expects (e.g. <c>success</c>, an echoed challenge, an encrypted XML reply).</param>
/// <param name="ContentType">The body's content type.</param>
public sealed record PlatformCallbackResponse(int StatusCode, string Body, string ContentType = "text/plain; charset=utf-8")
{
    /// <summary>A 200 answer with the given body.</summary>
    /// <param name="body">The body.</param>
    public static PlatformCallbackResponse Ok(string body = "success") => new(200, body);

    /// <summary>A refusal (bad signature, tampered or malformed content); the body names no content of the request.</summary>
    /// <param name="statusCode">The status code (400 malformed, 401/403 signature).</param>
    /// <param name="reason">A short reason without personal data.</param>
    public static PlatformCallbackResponse Refused(int statusCode, string reason) => new(statusCode, reason);
}

/// <summary>
/// Handles the callbacks of one platform account. Register any number as singletons; the web host maps
/// them all with one line (<c>app.MapMarketingCallbacks()</c> in <c>Marketing.Sdk.AspNetCore</c>), each
/// under its <see cref="Name"/>. A handler verifies the request (signature, decryption) before it reads
/// anything from it, turns what it carries into SDK events or status reports, and answers what the
/// platform expects; it never logs or echoes content it refused.
/// </summary>
public interface IPlatformCallbackHandler
{
    /// <summary>The handler's name: the last path segment it is mapped under (lower case letters, digits, <c>-</c>, <c>_</c>), unique among handlers.</summary>
    string Name { get; }

    /// <summary>The largest body accepted; a longer one is refused with 413 before the handler runs.</summary>
    int MaxBodyBytes { get; }

    /// <summary>Verifies and handles one callback.</summary>
    /// <param name="request">The callback.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer to send back.</returns>
    ValueTask<PlatformCallbackResponse> HandleAsync(PlatformCallbackRequest request, CancellationToken cancellationToken = default);
}
