using System.Diagnostics;
using System.Diagnostics.Metrics;
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
    private readonly PlatformRequestMetrics _metrics;

    /// <summary>The <see cref="PlatformApiException.PlatformCode"/> of an answer the client could not understand (wrong shape, unreadable JSON, out-of-range values).</summary>
    public const string MalformedAnswerCode = "malformed_answer";

    /// <summary>The <see cref="PlatformApiException.PlatformCode"/> of a paged read stopped by <see cref="PlatformClientOptions.MaxPages"/>.</summary>
    public const string PageLimitCode = "page_limit";

    /// <summary>The <see cref="PlatformApiException.PlatformCode"/> of a paged read stopped because the platform repeated a cursor or page.</summary>
    public const string RepeatedCursorCode = "repeated_cursor";

    /// <summary>The longest wait hint taken from a platform (<c>Retry-After</c>, <c>retryDelay</c>…); longer ones are clamped to it, negative ones to zero.</summary>
    public static TimeSpan MaxRetryAfter { get; } = TimeSpan.FromHours(24);

    /// <summary>Creates the client.</summary>
    /// <param name="httpClientFactory">Creates the client for each call (e.g. <c>() =&gt; factory.CreateClient(name)</c> for a client registered with <see cref="PlatformHttpClientRegistration.AddPlatformHttpClient{TOptions}"/>), so handler rotation works in a long-lived singleton.</param>
    /// <param name="tokens">The token provider.</param>
    /// <param name="platform">The platform name (<c>meta</c>, <c>google</c>, <c>tiktok</c>…).</param>
    /// <param name="rateLimiter">The client-side limiter for the platform's quota, if any.</param>
    /// <param name="timeProvider">The clock (<c>Retry-After</c> dates).</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Platforms</c> meter of the request metrics (the host's, so each service provider has its own).</param>
    /// <param name="logger">The logger.</param>
    protected PlatformApiClient(Func<HttpClient> httpClientFactory, IAccessTokenProvider tokens, string platform, RateLimiter? rateLimiter = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger? logger = null)
    {
        _metrics = new PlatformRequestMetrics(meterFactory);
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(tokens);
        _httpClientFactory = httpClientFactory;
        Tokens = tokens;
        PlatformName = platform;
        _rateLimiter = rateLimiter;
        Clock = timeProvider ?? TimeProvider.System;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The clock.</summary>
    protected TimeProvider Clock { get; }

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
                var response = await SendOnceAsync(operation, build, token, cancellationToken).ConfigureAwait(false);
                var error = SafeClassify(operation, response);
                if (error is null)
                {
                    return response;
                }
                if (error.ErrorClass == PlatformErrorClass.AuthenticationExpired && attempt == 0)
                {
                    _metrics.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("marketing.platform", PlatformName));
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
            _metrics.Requests.Add(1, tags);
            _metrics.RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    /// <summary>Classifies an answer; a classifier that cannot read the answer makes it a malformed answer, never an escaping exception.</summary>
    private PlatformApiException? SafeClassify(string operation, PlatformResponse response)
    {
        try
        {
            return Classify(response);
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            return Malformed(operation, response, "the answer could not be classified", ex);
        }
    }

    /// <summary>
    /// The error for an answer the client cannot understand: <see cref="PlatformErrorClass.Transient"/> for a
    /// success status (the request may have been processed; every retried call is idempotent or deduplicated),
    /// otherwise the class of the status. Never counts as success.
    /// </summary>
    /// <param name="operation">The operation.</param>
    /// <param name="response">The answer, if any.</param>
    /// <param name="what">What is wrong (no values from the answer).</param>
    /// <param name="innerException">The parse error, if any.</param>
    protected PlatformApiException Malformed(string operation, PlatformResponse? response, string what, Exception? innerException = null)
    {
        var status = response?.StatusCode;
        var errorClass = status is null || (int)status is >= 200 and < 300 ? PlatformErrorClass.Transient : ClassifyStatus(status.Value);
        if (errorClass == PlatformErrorClass.AuthenticationExpired)
        {
            errorClass = PlatformErrorClass.Unauthorized;
        }
        return new PlatformApiException(PlatformName, errorClass, status, $"{operation}: {what}", MalformedAnswerCode, innerException: innerException);
    }

    /// <summary>
    /// Reads a successful answer with <paramref name="read"/>; any failure to read it (wrong JSON shape, values out
    /// of range, a missing required field, <see langword="null"/>) becomes a malformed-answer <see cref="PlatformApiException"/>.
    /// </summary>
    /// <typeparam name="T">What is read.</typeparam>
    /// <param name="operation">The operation.</param>
    /// <param name="response">The answer.</param>
    /// <param name="read">Reads it.</param>
    protected T ReadAnswer<T>(string operation, PlatformResponse response, Func<PlatformResponse, T?> read) where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read(response) ?? throw Malformed(operation, response, "the answer is empty");
        }
        catch (Exception ex) when (IsMalformation(ex))
        {
            throw Malformed(operation, response, "the answer could not be read", ex);
        }
    }

    /// <summary>Whether an exception is one that reading a hostile or broken answer can raise.</summary>
    /// <param name="exception">The exception.</param>
    protected internal static bool IsMalformation(Exception exception) =>
        exception is System.Text.Json.JsonException or FormatException or OverflowException or InvalidOperationException or ArgumentException
            or MarketingValidationException or KeyNotFoundException or NotSupportedException or InvalidCastException or IndexOutOfRangeException
        && exception is not OperationCanceledException and not ObjectDisposedException;

    /// <summary>Starts a bounded paged read (<see cref="PlatformClientOptions.MaxPages"/> pages, no cursor twice).</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="maxPages">The page limit.</param>
    protected PageGuard StartPaging(string operation, int maxPages) => new(PlatformName, operation, maxPages);

    /// <summary>A wait hint clamped to [0, <see cref="MaxRetryAfter"/>].</summary>
    /// <param name="hint">The hint.</param>
    public static TimeSpan? ClampRetryAfter(TimeSpan? hint) => hint switch
    {
        null => null,
        { } h when h < TimeSpan.Zero => TimeSpan.Zero,
        { } h when h > MaxRetryAfter => MaxRetryAfter,
        { } h => h,
    };

    private async Task<PlatformResponse> SendOnceAsync(string operation, Func<HttpRequestMessage> build, AccessToken token, CancellationToken cancellationToken)
    {
        using var request = build();
        Authorize(request, token);
        var client = CreateHttpClient();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return await ReceiveAsync(operation, client, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads an answer sent with <see cref="HttpCompletionOption.ResponseHeadersRead"/>: at most the client's
    /// <see cref="HttpClient.MaxResponseContentBufferSize"/> bytes (set from <see cref="PlatformClientOptions.MaxResponseBytes"/>;
    /// a longer body is a <see cref="MalformedAnswerCode"/> error) within the client's <see cref="HttpClient.Timeout"/>
    /// (a stalled body is a transport failure, as a buffered read would be).
    /// </summary>
    /// <param name="operation">The operation.</param>
    /// <param name="client">The client that sent the request.</param>
    /// <param name="response">The answer, headers read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    protected async Task<PlatformResponse> ReceiveAsync(string operation, HttpClient client, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(response);
        using var bodyTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (client.Timeout != Timeout.InfiniteTimeSpan)
        {
            bodyTimeout.CancelAfter(client.Timeout);
        }
        byte[]? body;
        try
        {
            body = await ReadBoundedAsync(response.Content, client.MaxResponseContentBufferSize, bodyTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TaskCanceledException("the answer body did not arrive within the client's timeout", ex);
        }
        return body is null
            ? throw Malformed(operation, new PlatformResponse(response.StatusCode, response.Headers, ReadOnlyMemory<byte>.Empty), "the answer is larger than MaxResponseBytes")
            : new PlatformResponse(response.StatusCode, response.Headers, body);
    }

    /// <summary>
    /// Reads an answer body of at most <paramref name="maxBytes"/>, never buffering more than that;
    /// <see langword="null"/> when the body (or its declared <c>Content-Length</c>) is longer.
    /// </summary>
    /// <param name="content">The body.</param>
    /// <param name="maxBytes">The limit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<byte[]?> ReadBoundedAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Headers.ContentLength is { } length && length > maxBytes)
        {
            return null;
        }
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
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

    /// <summary>The <c>Retry-After</c> header as a duration (a date is measured on <see cref="Clock"/>), clamped to [0, <see cref="MaxRetryAfter"/>], if present.</summary>
    /// <param name="response">The answer.</param>
    protected TimeSpan? RetryAfter(PlatformResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var header = response.Headers.RetryAfter;
        return ClampRetryAfter(header?.Delta ?? (header?.Date is { } date ? date - Clock.GetUtcNow() : null));
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Platform} refused the access token during {Operation}; refreshing and retrying once")]
    private static partial void LogTokenRejected(ILogger logger, string platform, string operation);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Platform} {Operation} answered {Status} ({ErrorClass}, code {Code}, request {RequestId})")]
    private static partial void LogPlatformError(ILogger logger, string platform, string operation, int status, PlatformErrorClass errorClass, string? code, string? requestId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Platform} {Operation} did not complete: {ExceptionType}")]
    private static partial void LogUnreachable(ILogger logger, string platform, string operation, string exceptionType);
}
