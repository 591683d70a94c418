using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.OfficialAccount;

/// <summary>
/// The Official Account's access token from <c>POST /cgi-bin/stable_token</c> — never the classic
/// <c>/cgi-bin/token</c>, whose every call invalidates the token the other host instances hold. The token is
/// shared by every host through <see cref="IDistributedCache"/>; one host at a time fetches it, under a lease
/// from <see cref="ILeaseStore"/>, while the others wait for it to appear in the cache; it is fetched again
/// <see cref="OfficialAccountOptions.TokenRefreshBefore"/> ahead of expiry. A token the platform refused
/// (40001, 40014, 42001) is fetched again once in normal mode and, only when the platform answers with the same
/// refused token, with <c>force_refresh</c> (limited by the platform to 20 a day, 30 s apart).
/// </summary>
public sealed partial class OfficialAccountTokenProvider : IAccessTokenProvider, IDisposable
{
    private const string Platform = OfficialAccountClient.PlatformId;
    private readonly Func<HttpClient> _http;
    private readonly OfficialAccountOptions _options;
    private readonly IDistributedCache? _cache;
    private readonly ILeaseStore? _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _owner = "wechat-oa-token:" + Guid.NewGuid().ToString("N");
    private OaCachedToken? _current;
    private int _fetches;

    /// <summary>Creates the provider.</summary>
    /// <param name="httpClientFactory">Creates the HTTP client per call (base address set).</param>
    /// <param name="options">The settings (AppID, AppSecret, refresh timing).</param>
    /// <param name="cache">Shares the token with the other host instances, if given.</param>
    /// <param name="leases">Lets one host at a time fetch the token, if given.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public OfficialAccountTokenProvider(Func<HttpClient> httpClientFactory, OfficialAccountOptions options, IDistributedCache? cache = null, ILeaseStore? leases = null, TimeProvider? timeProvider = null, ILogger<OfficialAccountTokenProvider>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.AppId) || string.IsNullOrEmpty(options.AppSecret))
        {
            throw new MarketingValidationException(string.IsNullOrEmpty(options.AppId) ? nameof(options.AppId) : nameof(options.AppSecret), ValidationReason.Missing, "stable_token needs an AppID and an AppSecret");
        }
        _http = httpClientFactory;
        _options = options;
        _cache = cache;
        _leases = leases;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How many <c>stable_token</c> calls this instance made.</summary>
    public int FetchCount => Volatile.Read(ref _fetches);

    private string LeaseName => "wechat-oa-token:" + _options.AppId;

    /// <inheritdoc />
    public async ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        if (_current is { } current && Usable(current, rejectedToken))
        {
            return ToToken(current);
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && Usable(again, rejectedToken))
            {
                return ToToken(again);
            }
            var deadline = _time.GetUtcNow() + _options.TokenLeaseDuration + _options.TokenLeaseDuration;
            while (true)
            {
                if (await ReadCacheAsync(cancellationToken).ConfigureAwait(false) is { } shared && Usable(shared, rejectedToken))
                {
                    return ToToken(_current = shared);
                }
                var lease = _leases is null ? null : await _leases.TryAcquireAsync(LeaseName, _owner, _options.TokenLeaseDuration, cancellationToken).ConfigureAwait(false);
                if (_leases is null || lease is not null)
                {
                    try
                    {
                        // Another host may have published a token between the read above and the lease.
                        if (lease is not null && await ReadCacheAsync(cancellationToken).ConfigureAwait(false) is { } published && Usable(published, rejectedToken))
                        {
                            return ToToken(_current = published);
                        }
                        var fresh = await FetchAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
                        await WriteCacheAsync(fresh, cancellationToken).ConfigureAwait(false);
                        return ToToken(_current = fresh);
                    }
                    finally
                    {
                        if (lease is not null)
                        {
                            await ReleaseAsync(lease).ConfigureAwait(false);
                        }
                    }
                }
                if (_time.GetUtcNow() >= deadline)
                {
                    throw new PlatformApiException(Platform, PlatformErrorClass.Transient, null, "another host holds the token lease and published no token in time");
                }
                LogWaiting(_logger);
                await Task.Delay(_options.TokenPollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Usable(OaCachedToken token, string? rejected) =>
        !string.Equals(token.Token, rejected, StringComparison.Ordinal) && token.RefreshAt > _time.GetUtcNow();

    private static AccessToken ToToken(OaCachedToken token) => new(token.Token, token.ExpiresAt);

    private async Task ReleaseAsync(LeaseGrant lease)
    {
        try
        {
            await _leases!.ReleaseAsync(lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MarketingException or TimeoutException or IOException)
        {
            // The lease lapses by itself; other hosts only wait longer.
            LogReleaseFailed(_logger, ex.GetType().Name);
        }
    }

    private async ValueTask<OaCachedToken?> ReadCacheAsync(CancellationToken cancellationToken)
    {
        if (_cache is null)
        {
            return null;
        }
        var bytes = await _cache.GetAsync(_options.EffectiveTokenCacheKey, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(bytes, OfficialAccountJsonContext.Default.OaCachedToken) is { Token.Length: > 0 } cached ? cached : null;
        }
        catch (JsonException)
        {
            return null; // an unreadable entry is replaced by the next fetch
        }
    }

    private async Task WriteCacheAsync(OaCachedToken token, CancellationToken cancellationToken)
    {
        if (_cache is null)
        {
            return;
        }
        var payload = JsonSerializer.SerializeToUtf8Bytes(token, OfficialAccountJsonContext.Default.OaCachedToken);
        await _cache.SetAsync(_options.EffectiveTokenCacheKey, payload, new DistributedCacheEntryOptions { AbsoluteExpiration = token.ExpiresAt }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<OaCachedToken> FetchAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        var token = await CallAsync(forceRefresh: false, cancellationToken).ConfigureAwait(false);
        if (rejectedToken is not null && string.Equals(token.Token, rejectedToken, StringComparison.Ordinal))
        {
            // Normal mode answers the current token while it is valid; the platform refused it, so only a forced
            // refresh can replace it (the old one stays valid five more minutes for the other hosts).
            token = await CallAsync(forceRefresh: true, cancellationToken).ConfigureAwait(false);
        }
        return token;
    }

    private async Task<OaCachedToken> CallAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new StableTokenRequest("client_credential", _options.AppId, _options.AppSecret, forceRefresh), OfficialAccountJsonContext.Default.StableTokenRequest);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("cgi-bin/stable_token", UriKind.Relative))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        // Normal mode returns the same token however often it is called, so the resilience handler may repeat it;
        // a forced refresh rotates the token and counts against the daily limit, so it is sent once.
        request.Options.Set(PlatformRetry.Retriable, !forceRefresh);
        Interlocked.Increment(ref _fetches);
        HttpStatusCode status;
        byte[] bytes;
        try
        {
            using var response = await _http().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            bytes = await PlatformApiClient.ReadBoundedAsync(response.Content, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false)
                ?? throw new PlatformApiException(Platform, PlatformErrorClass.Transient, status, "stable_token: the answer is larger than MaxResponseBytes", PlatformApiClient.MalformedAnswerCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PlatformApiException(Platform, PlatformErrorClass.Transient, null, $"stable_token did not complete ({ex.GetType().Name})", innerException: ex);
        }
        StableTokenResponse? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize(bytes, OfficialAccountJsonContext.Default.StableTokenResponse);
        }
        catch (JsonException)
        {
            // handled below
        }
        if (parsed?.ErrCode is { } code && code != OfficialAccountErrorCodes.Ok)
        {
            var errorClass = OfficialAccountErrorCodes.Classify(code) ?? PlatformErrorClass.Permanent;
            if (errorClass == PlatformErrorClass.AuthenticationExpired)
            {
                errorClass = PlatformErrorClass.Unauthorized; // the token endpoint itself takes no token
            }
            var codeText = code.ToString(CultureInfo.InvariantCulture);
            LogFetchFailed(_logger, (int)status, codeText, forceRefresh);
            throw new PlatformApiException(Platform, errorClass, status, "stable_token was refused", codeText,
                retryAfter: code == OfficialAccountErrorCodes.DailyQuota ? _options.DailyQuotaRetryAfter : code == OfficialAccountErrorCodes.MinuteQuota ? _options.MinuteQuotaRetryAfter : null);
        }
        if ((int)status >= 300 || parsed?.AccessToken is not { Length: > 0 and <= 2048 } value || parsed.ExpiresIn is not { } expiresIn || expiresIn <= 0 || expiresIn > 86_400 * 30)
        {
            var errorClass = (int)status is >= 200 and < 300 or >= 500 or 408 ? PlatformErrorClass.Transient : (int)status == 429 ? PlatformErrorClass.RateLimited : PlatformErrorClass.Permanent;
            LogFetchFailed(_logger, (int)status, PlatformApiClient.MalformedAnswerCode, forceRefresh);
            throw new PlatformApiException(Platform, errorClass, status, "stable_token: the answer has no usable access_token and expires_in", PlatformApiClient.MalformedAnswerCode);
        }
        var now = _time.GetUtcNow();
        var lifetime = TimeSpan.FromSeconds(expiresIn);
        var expiresAt = now + lifetime;
        // Refresh ahead of expiry, but never so early that a short remaining lifetime makes every call fetch again.
        var refreshAt = expiresAt - (_options.TokenRefreshBefore < lifetime / 2 ? _options.TokenRefreshBefore : lifetime / 2);
        LogFetched(_logger, expiresIn, forceRefresh);
        return new OaCachedToken(value, expiresAt, refreshAt);
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 5550, Level = LogLevel.Information, Message = "Obtained an Official Account access token valid for {ExpiresIn} s (force_refresh {ForceRefresh})")]
    private static partial void LogFetched(ILogger logger, int expiresIn, bool forceRefresh);

    [LoggerMessage(EventId = 5551, Level = LogLevel.Warning, Message = "stable_token answered HTTP {Status}, code {Code} (force_refresh {ForceRefresh})")]
    private static partial void LogFetchFailed(ILogger logger, int status, string code, bool forceRefresh);

    [LoggerMessage(EventId = 5552, Level = LogLevel.Debug, Message = "Another host is fetching the Official Account access token; waiting for it")]
    private static partial void LogWaiting(ILogger logger);

    [LoggerMessage(EventId = 5553, Level = LogLevel.Warning, Message = "The Official Account token lease could not be released ({ExceptionType}); it lapses by itself")]
    private static partial void LogReleaseFailed(ILogger logger, string exceptionType);
}
