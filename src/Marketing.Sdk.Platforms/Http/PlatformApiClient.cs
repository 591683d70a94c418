using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.RateLimiting;
using Marketing.Sdk.Platforms.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Marketing.Sdk.Platforms.Http;

/// <summary>A platform's answer: status, headers and the whole body.</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Headers">The response headers.</param>
/// <param name="Body">The body bytes.</param>
public sealed record PlatformResponse(HttpStatusCode StatusCode, HttpResponseHeaders Headers, ReadOnlyMemory<byte> Body);

/// <summary>
/// The shared request path of every platform client: waits for the client-side rate limiter, adds
/// the access token, sends through the resilient <see cref="HttpClient"/> (retries of 5xx/429 and
/// timeouts by <c>AddStandardResilienceHandler</c>), reads the body, lets the platform classify
/// business errors from the <em>body</em>, refreshes the token and retries once when it expired,
/// and records metrics and a trace span without personal data or tokens.
/// </summary>
public abstract partial class PlatformApiClient
{
    private readonly RateLimiter? _rateLimiter;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the client for each call (e.g. <c>() =&gt; factory.CreateClient(name)</c> for a client registered with <see cref="PlatformHttpClientRegistration.AddPlatformHttpClient{TOptions}"/>), so handler rotation works in a long-lived singleton.</param>
    /// <param name="tokens">The token provider.</param>
    /// <param name="platform">The platform name (<c>meta</c>, <c>google</c>, <c>tiktok</c>…).</param>
    /// <param name="rateLimiter">The client-side limiter for the platform's quota, if any.</param>
    /// <param name="logger">The logger.</param>
    protected PlatformApiClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, string platform, RateLimiter? rateLimiter = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(tokens);
        _httpClientFactory = httpClientFactory;
        Tokens = tokens;
        PlatformName = platform;
        _rateLimiter = rateLimiter;
        Logger = logger ?? NullLogger.Instance;
    }

    private readonly Func<HttpClient> _httpClientFactory;

    /// <summary>Creates the HTTP client for one call (base address set; do not dispose the factory's handlers).</summary>
    protected HttpClient CreateHttpClient() => _httpClientFactory();

    /// <summary>The token provider.</summary>
    protected IAccessTokenProvider Tokens { get; }

    /// <summary>The platform name.</summary>
    public string PlatformName { get; }

    /// <summary>The logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>
    /// Classifies an answer: returns the exception to throw for an error (HTTP or business code in the
    /// body), or <see langword="null"/> for success. Called for every answer, whatever its status.
    /// </summary>
    /// <param name="response">The answer.</param>
    protected abstract PlatformApiException? Classify(PlatformResponse response);

    /// <summary>Adds the access token to a request (header or query, as the platform wants).</summary>
    /// <param name="request">The request.</param>
    /// <param name="token">The token.</param>
    protected abstract void Authorize(HttpRequestMessage request, AccessToken token);

    /// <summary>
    /// Sends a request built by <paramref name="build"/> (called again for the one retry after a token
    /// refresh, so build a fresh message each time) and returns the successful answer.
    /// </summary>
    /// <param name="operation">A short operation name for metrics and traces (e.g. <c>conversions.send</c>).</param>
    /// <param name="build">Builds the request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PlatformApiException">The platform answered with an error, or could not be reached.</exception>
    protected async Task<PlatformResponse> SendAsync(string operation, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        using var activity = PlatformTelemetry.ActivitySource.StartActivity($"{PlatformName} {operation}", ActivityKind.Client);
        activity?.SetTag("marketing.platform", PlatformName);
        activity?.SetTag("marketing.operation", operation);
        var started = Stopwatch.GetTimestamp();
        string outcome = "ok";
        try
        {
            if (_rateLimiter is not null)
            {
                using var lease = await _rateLimiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                if (!lease.IsAcquired)
                {
                    outcome = "rate_limited_locally";
                    throw new PlatformApiException(PlatformName, PlatformErrorClass.RateLimited, null, "the client-side rate limit queue is full",
                        retryAfter: lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null);
                }
            }
            var token = await Tokens.GetTokenAsync(null, cancellationToken).ConfigureAwait(false);
            for (var attempt = 0; ; attempt++)
            {
                var response = await SendOnceAsync(build, token, cancellationToken).ConfigureAwait(false);
                var error = Classify(response);
                if (error is null)
                {
                    return response;
                }
                if (error.ErrorClass == PlatformErrorClass.AuthenticationExpired && attempt == 0)
                {
                    PlatformTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("marketing.platform", PlatformName));
                    LogTokenRejected(Logger, PlatformName, operation);
                    token = await Tokens.GetTokenAsync(token.Value, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (error.ErrorClass == PlatformErrorClass.AuthenticationExpired)
                {
                    error = new PlatformApiException(PlatformName, PlatformErrorClass.Unauthorized, error.StatusCode,
                        "the access token was refused again after a refresh", error.PlatformCode, error.PlatformSubCode, error.RequestId, innerException: error);
                }
                outcome = error.ErrorClass.ToString();
                activity?.SetStatus(ActivityStatusCode.Error, error.ErrorClass.ToString());
                LogPlatformError(Logger, PlatformName, operation, (int)response.StatusCode, error.ErrorClass, error.PlatformCode, error.RequestId);
                throw error;
            }
        }
        catch (PlatformApiException)
        {
            if (outcome == "ok")
            {
                outcome = "error";
            }

            throw;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsTransport(ex))
        {
            outcome = "unreachable";
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            LogUnreachable(Logger, PlatformName, operation, ex.GetType().Name);
            throw new PlatformApiException(PlatformName, PlatformErrorClass.Transient, null, $"{operation} did not complete ({ex.GetType().Name})", innerException: ex);
        }
        finally
        {
            var tags = new TagList { { "marketing.platform", PlatformName }, { "marketing.operation", operation }, { "marketing.outcome", outcome } };
            PlatformTelemetry.Requests.Add(1, tags);
            PlatformTelemetry.RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    private async Task<PlatformResponse> SendOnceAsync(Func<HttpRequestMessage> build, AccessToken token, CancellationToken cancellationToken)
    {
        using var request = build();
        Authorize(request, token);
        using var response = await CreateHttpClient().SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new PlatformResponse(response.StatusCode, response.Headers, body);
    }

    private static bool IsTransport(Exception ex) =>
        ex is HttpRequestException or TaskCanceledException or TimeoutRejectedException or BrokenCircuitException or IOException;

    /// <summary>The class of an HTTP status when the body says nothing more: 5xx/408 transient, 429 rate limited, 401 expired token, 403 unauthorized, other 4xx permanent.</summary>
    /// <param name="status">The status.</param>
    protected static PlatformErrorClass ClassifyStatus(HttpStatusCode status) => (int)status switch
    {
        408 or >= 500 => PlatformErrorClass.Transient,
        429 => PlatformErrorClass.RateLimited,
        401 => PlatformErrorClass.AuthenticationExpired,
        403 => PlatformErrorClass.Unauthorized,
        _ => PlatformErrorClass.Permanent,
    };

    /// <summary>The <c>Retry-After</c> header as a duration, if present.</summary>
    /// <param name="response">The answer.</param>
    protected static TimeSpan? RetryAfter(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var header = response.Headers.RetryAfter;
        return header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Platform} refused the access token during {Operation}; refreshing and retrying once")]
    private static partial void LogTokenRejected(ILogger logger, string platform, string operation);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Platform} {Operation} answered {Status} ({ErrorClass}, code {Code}, request {RequestId})")]
    private static partial void LogPlatformError(ILogger logger, string platform, string operation, int status, PlatformErrorClass errorClass, string? code, string? requestId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Platform} {Operation} did not complete: {ExceptionType}")]
    private static partial void LogUnreachable(ILogger logger, string platform, string operation, string exceptionType);
}
