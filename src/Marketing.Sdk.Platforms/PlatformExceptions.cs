using System.Net;

namespace Marketing.Sdk.Platforms;

/// <summary>How a platform error should be handled, derived from the HTTP status <em>and</em> the platform's business code in the body.</summary>
public enum PlatformErrorClass
{
    /// <summary>A temporary failure (5xx, timeout, "system busy"): retry with backoff.</summary>
    Transient = 1,
    /// <summary>The platform throttled the caller: retry after <see cref="PlatformApiException.RetryAfter"/> (or backoff).</summary>
    RateLimited = 2,
    /// <summary>The access token expired or was revoked: refresh it and retry once.</summary>
    AuthenticationExpired = 3,
    /// <summary>The credentials lack a permission or the account is not set up (a configuration problem an operator must fix): retry later, do not drop data.</summary>
    Unauthorized = 4,
    /// <summary>The request itself is invalid: retrying the same request cannot help.</summary>
    Permanent = 5,
}

/// <summary>The base of every exception thrown by the platform packages.</summary>
public class PlatformException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="platform">The platform (e.g. <c>meta</c>).</param>
    /// <param name="message">A message without personal data or secrets.</param>
    /// <param name="innerException">The cause, if any.</param>
    public PlatformException(string platform, string message, Exception? innerException = null) : base(message, innerException)
        => Platform = platform;

    /// <summary>The platform the error concerns.</summary>
    public string Platform { get; }
}

/// <summary>
/// A platform answered with an error (an HTTP error status, or HTTP 200/400 with a business error
/// code in the body). Carries everything needed to decide what to do and to open a ticket with the
/// platform: status, code, sub-code, the platform's request/trace id and the error class.
/// </summary>
public sealed class PlatformApiException : PlatformException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="platform">The platform.</param>
    /// <param name="errorClass">How to handle the error.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="message">The platform's message (platforms do not echo personal data in errors; never add any).</param>
    /// <param name="platformCode">The platform's error code, if any.</param>
    /// <param name="platformSubCode">The platform's sub-code, if any.</param>
    /// <param name="requestId">The platform's request or trace id, if any.</param>
    /// <param name="retryAfter">The platform's wait hint, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public PlatformApiException(string platform, PlatformErrorClass errorClass, HttpStatusCode? statusCode, string message,
        string? platformCode = null, string? platformSubCode = null, string? requestId = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(platform, Format(platform, errorClass, statusCode, message, platformCode, platformSubCode, requestId), innerException)
    {
        ErrorClass = errorClass;
        StatusCode = statusCode;
        PlatformCode = platformCode;
        PlatformSubCode = platformSubCode;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>How to handle the error.</summary>
    public PlatformErrorClass ErrorClass { get; }

    /// <summary>The HTTP status, or <see langword="null"/> when no response arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The platform's error code (e.g. Meta <c>17</c>, TikTok <c>40100</c>, Google <c>RESOURCE_EXHAUSTED</c>).</summary>
    public string? PlatformCode { get; }

    /// <summary>The platform's sub-code (e.g. Meta <c>error_subcode</c>, Google's <c>GoogleAdsFailure</c> error code).</summary>
    public string? PlatformSubCode { get; }

    /// <summary>The platform's request or trace id (Meta <c>fbtrace_id</c>, TikTok and Google <c>request_id</c>).</summary>
    public string? RequestId { get; }

    /// <summary>How long the platform asked the caller to wait, if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether retrying (after a refresh for <see cref="PlatformErrorClass.AuthenticationExpired"/>) can help.</summary>
    public bool IsRetryable => ErrorClass != PlatformErrorClass.Permanent;

    private static string Format(string platform, PlatformErrorClass errorClass, HttpStatusCode? status, string message, string? code, string? subCode, string? requestId)
    {
        var text = $"{platform} answered {(status is null ? "nothing" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture))} ({errorClass})";
        if (code is not null)
        {
            text += $", code {code}";
        }

        if (subCode is not null)
        {
            text += $"/{subCode}";
        }

        if (requestId is not null)
        {
            text += $", request {requestId}";
        }

        return $"{text}: {message}";
    }
}

/// <summary>A value cannot be sent to a platform as given (e.g. a batch above the platform's limit, an event older than the platform accepts).</summary>
public sealed class PlatformRequestException : PlatformException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="platform">The platform.</param>
    /// <param name="field">The offending field or parameter.</param>
    /// <param name="reason">Why (no personal data).</param>
    public PlatformRequestException(string platform, string field, string reason) : base(platform, $"{platform}: {field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>The offending field or parameter.</summary>
    public string Field { get; }

    /// <summary>Why it was refused.</summary>
    public string Reason { get; }
}
