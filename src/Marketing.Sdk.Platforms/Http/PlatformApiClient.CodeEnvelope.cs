using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Marketing.Sdk.Platforms.Http;

/// <summary>
/// The parts shared by clients of platforms whose every answer is a JSON envelope <c>{code, message, …, data}</c> with a
/// numeric business code, usually under HTTP 200 (Tencent Ads, Ocean Engine). Assembly-private: each platform keeps its own
/// envelope model, code table and request id.
/// </summary>
public abstract partial class PlatformApiClient
{
    /// <summary>The longest platform message kept on an exception (platform messages name the refused field, never our values).</summary>
    private const int MaxEnvelopeMessageLength = 200;

    /// <summary>
    /// Classifies a code-envelope answer: a non-zero <paramref name="code"/> by the platform's table (any code under a 5xx is
    /// transient), a rate limit waiting <c>Retry-After</c> or else <paramref name="throttleRetryAfter"/>; code 0 under a non-2xx
    /// status by the status; no envelope under 2xx is a malformed answer (transient: the request may have been processed),
    /// otherwise the status decides.
    /// </summary>
    /// <param name="response">The answer.</param>
    /// <param name="code">The envelope's code, or <see langword="null"/> when the body held no envelope.</param>
    /// <param name="message">The envelope's message (cut to 200 characters).</param>
    /// <param name="requestId">The platform's request or trace id.</param>
    /// <param name="classifyCode">The platform's code table (<see langword="null"/> for success).</param>
    /// <param name="throttleRetryAfter">The wait of a rate limit without <c>Retry-After</c>.</param>
    private protected PlatformApiException? ClassifyCodeEnvelope(PlatformResponse response, long? code, string? message, string? requestId, Func<long, PlatformErrorClass?> classifyCode, TimeSpan throttleRetryAfter)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(classifyCode);
        var status = (int)response.StatusCode;
        if (code is { } c)
        {
            var errorClass = status >= 500 ? PlatformErrorClass.Transient : classifyCode(c);
            if (errorClass is null)
            {
                return status is >= 200 and < 300 ? null
                    : new PlatformApiException(PlatformName, ClassifyStatus(response.StatusCode), response.StatusCode, "HTTP error", c.ToString(CultureInfo.InvariantCulture), requestId: requestId);
            }
            return new PlatformApiException(PlatformName, errorClass.Value, response.StatusCode, ShortenMessage(message) ?? "no message",
                c.ToString(CultureInfo.InvariantCulture), requestId: requestId,
                retryAfter: errorClass == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? throttleRetryAfter : RetryAfter(response));
        }
        if (status is >= 200 and < 300)
        {
            // A success status with an unreadable body: the request may have been processed.
            return new PlatformApiException(PlatformName, PlatformErrorClass.Transient, response.StatusCode, "the answer could not be read", MalformedAnswerCode);
        }
        var fallback = ClassifyStatus(response.StatusCode);
        return new PlatformApiException(PlatformName, fallback, response.StatusCode, $"HTTP {status}",
            retryAfter: fallback == PlatformErrorClass.RateLimited ? RetryAfter(response) ?? throttleRetryAfter : RetryAfter(response));
    }

    /// <summary>A platform message cut to 200 characters (platform messages name the refused field, never our values).</summary>
    /// <param name="message">The message.</param>
    private protected static string? ShortenMessage(string? message) =>
        message is null ? null : message.Length <= MaxEnvelopeMessageLength ? message : message[..MaxEnvelopeMessageLength];

    /// <summary>Reads an envelope's <c>data</c> object; an unreadable one is a malformed (transient) answer.</summary>
    /// <typeparam name="T">The data model.</typeparam>
    /// <param name="data">The envelope's <c>data</c>.</param>
    /// <param name="requestId">The platform's request or trace id.</param>
    /// <param name="typeInfo">The source-generated type info.</param>
    /// <returns>The data, or <see langword="null"/> when <c>data</c> is not an object.</returns>
    private protected T? EnvelopeData<T>(JsonElement? data, string? requestId, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (data is not { ValueKind: JsonValueKind.Object } value)
        {
            return null;
        }
        try
        {
            return value.Deserialize(typeInfo);
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            throw new PlatformApiException(PlatformName, PlatformErrorClass.Transient, null, "the answer's data could not be read", MalformedAnswerCode, requestId: requestId, innerException: ex);
        }
    }
}
