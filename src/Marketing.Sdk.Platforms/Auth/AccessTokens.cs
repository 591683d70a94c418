using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.Auth;

/// <summary>An access token with its expiry. <see cref="ToString"/> never shows the value.</summary>
/// <param name="Value">The token.</param>
/// <param name="ExpiresAt">When it expires, or <see langword="null"/> for a long-lived token.</param>
public sealed record AccessToken(string Value, DateTimeOffset? ExpiresAt)
{
    /// <summary>Describes the token without its value.</summary>
    public override string ToString() => $"AccessToken {{ ExpiresAt = {ExpiresAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "never"} }}";
}

/// <summary>Supplies the access token a platform client sends.</summary>
public interface IAccessTokenProvider
{
    /// <summary>
    /// Returns a current token. When <paramref name="rejectedToken"/> is the token the caller was just
    /// refused with, a new one is obtained (once, however many callers report the same rejection).
    /// </summary>
    /// <param name="rejectedToken">The token the platform just refused, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// A long-lived token (Meta system-user token, TikTok advertiser token) read from a source on every
/// call, so rotating it in configuration takes effect without a restart. It cannot be refreshed:
/// a rejected token is reported as <see cref="PlatformErrorClass.Unauthorized"/> by the client.
/// </summary>
/// <param name="token">Reads the current token.</param>
public sealed class StaticAccessTokenProvider(Func<string> token) : IAccessTokenProvider
{
    /// <inheritdoc />
    public ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        var value = token();
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException("No access token is configured.");
        }
        return ValueTask.FromResult(new AccessToken(value, null));
    }
}

/// <summary>Settings of the OAuth 2.0 refresh-token flow (Google). Secrets are never logged.</summary>
public sealed class OAuth2RefreshTokenOptions
{
    /// <summary>The token endpoint. Default: Google's <c>https://oauth2.googleapis.com/token</c>.</summary>
    public Uri TokenEndpoint { get; set; } = new("https://oauth2.googleapis.com/token");
    /// <summary>The OAuth client id.</summary>
    public string ClientId { get; set; } = "";
    /// <summary>The OAuth client secret.</summary>
    public string ClientSecret { get; set; } = "";
    /// <summary>The long-lived refresh token.</summary>
    public string RefreshToken { get; set; } = "";
    /// <summary>Refresh this long before the token expires (default 5 minutes).</summary>
    public TimeSpan RefreshBefore { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>The key under which the token is shared through <see cref="IDistributedCache"/> by every host instance (default derived from the client id).</summary>
    public string? CacheKey { get; set; }

    /// <summary>Describes the options without secrets.</summary>
    public override string ToString() => $"OAuth2RefreshTokenOptions {{ TokenEndpoint = {TokenEndpoint} }}";
}

/// <summary>
/// The OAuth 2.0 refresh-token flow: obtains access tokens from the token endpoint, refreshes them
/// <see cref="OAuth2RefreshTokenOptions.RefreshBefore"/> ahead of expiry, lets one caller refresh
/// while the others wait (single flight), and shares the token with other host instances through an
/// optional <see cref="IDistributedCache"/> so a fleet does not refresh once per instance.
/// </summary>
public sealed partial class OAuth2RefreshTokenProvider : IAccessTokenProvider, IDisposable
{
    private readonly HttpClient _http;
    private readonly OAuth2RefreshTokenOptions _options;
    private readonly TimeProvider _time;
    private readonly IDistributedCache? _cache;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _platform;
    private AccessToken? _current;

    /// <summary>Creates the provider.</summary>
    /// <param name="http">The client that calls the token endpoint.</param>
    /// <param name="options">The settings.</param>
    /// <param name="platform">The platform name (for errors and logs).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="cache">Shares tokens between host instances, if given.</param>
    /// <param name="logger">The logger.</param>
    public OAuth2RefreshTokenProvider(HttpClient http, OAuth2RefreshTokenOptions options, string platform, TimeProvider? timeProvider = null, IDistributedCache? cache = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.ClientId) || string.IsNullOrEmpty(options.RefreshToken))
        {
            throw new MarketingValidationException(string.IsNullOrEmpty(options.ClientId) ? nameof(options.ClientId) : nameof(options.RefreshToken), ValidationReason.Missing, "the OAuth refresh-token flow needs a client id and a refresh token");
        }
        _http = http;
        _options = options;
        _platform = platform;
        _time = timeProvider ?? TimeProvider.System;
        _cache = cache;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many times a token was obtained from the token endpoint.</summary>
    public int RefreshCount { get; private set; }

    private string CacheKey => _options.CacheKey ?? $"marketing-sdk:oauth:{_platform}:{_options.ClientId}";

    /// <inheritdoc />
    public async ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        var current = _current;
        if (current is not null && Usable(current, rejectedToken))
        {
            return current;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _current;
            if (current is not null && Usable(current, rejectedToken))
            {
                return current;
            }
            if (_cache is not null)
            {
                var shared = await ReadCacheAsync(cancellationToken).ConfigureAwait(false);
                if (shared is not null && Usable(shared, rejectedToken))
                {
                    return _current = shared;
                }
            }
            var fresh = await RefreshAsync(cancellationToken).ConfigureAwait(false);
            if (_cache is not null && fresh.ExpiresAt is { } expires)
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(new CachedToken(fresh.Value, expires), PlatformJsonContext.Default.CachedToken);
                await _cache.SetAsync(CacheKey, payload, new DistributedCacheEntryOptions { AbsoluteExpiration = expires }, cancellationToken).ConfigureAwait(false);
            }
            return _current = fresh;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Usable(AccessToken token, string? rejected) =>
        !string.Equals(token.Value, rejected, StringComparison.Ordinal)
        && (token.ExpiresAt is null || token.ExpiresAt.Value - _options.RefreshBefore > _time.GetUtcNow());

    private async ValueTask<AccessToken?> ReadCacheAsync(CancellationToken cancellationToken)
    {
        var bytes = await _cache!.GetAsync(CacheKey, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }
        try
        {
            var cached = JsonSerializer.Deserialize(bytes, PlatformJsonContext.Default.CachedToken);
            return cached is null ? null : new AccessToken(cached.Token, cached.ExpiresAt);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<AccessToken> RefreshAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "refresh_token"),
                new("client_id", _options.ClientId),
                new("client_secret", _options.ClientSecret),
                new("refresh_token", _options.RefreshToken),
            ]),
        };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PlatformApiException(_platform, PlatformErrorClass.Transient, null, "the token endpoint could not be reached", innerException: ex);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            OAuthTokenResponse? parsed = null;
            try
            {
                parsed = JsonSerializer.Deserialize(body, PlatformJsonContext.Default.OAuthTokenResponse);
            }
            catch (JsonException)
            {
                // handled below
            }
            if (!response.IsSuccessStatusCode || parsed?.AccessToken is null)
            {
                var error = parsed?.Error ?? "malformed_response";
                var errorClass = (int)response.StatusCode >= 500 ? PlatformErrorClass.Transient
                    : error is "invalid_grant" or "invalid_client" or "unauthorized_client" ? PlatformErrorClass.Unauthorized
                    : response.StatusCode == HttpStatusCode.TooManyRequests ? PlatformErrorClass.RateLimited
                    : PlatformErrorClass.Permanent;
                LogRefreshFailed(_logger, _platform, (int)response.StatusCode, error);
                throw new PlatformApiException(_platform, errorClass, response.StatusCode, $"the token endpoint refused the refresh ({error})", error);
            }
            RefreshCount++;
            var expiresAt = parsed.ExpiresIn is > 0 ? _time.GetUtcNow().AddSeconds(parsed.ExpiresIn.Value) : (DateTimeOffset?)null;
            LogRefreshed(_logger, _platform, parsed.ExpiresIn ?? 0);
            return new AccessToken(parsed.AccessToken, expiresAt);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Obtained a new {Platform} access token valid for {ExpiresIn} s")]
    private static partial void LogRefreshed(ILogger logger, string platform, int expiresIn);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Warning, Message = "The {Platform} token endpoint answered {Status} ({Error})")]
    private static partial void LogRefreshFailed(ILogger logger, string platform, int status, string error);
}

internal sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);

internal sealed record OAuthTokenResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] int? ExpiresIn,
    [property: JsonPropertyName("token_type")] string? TokenType,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_description")] string? ErrorDescription);
