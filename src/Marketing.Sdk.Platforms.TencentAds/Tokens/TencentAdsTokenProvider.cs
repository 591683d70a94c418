using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.TencentAds.Tokens;

/// <summary>
/// The Tencent Ads OAuth2 token pair, rotated once per fleet. A refresh (<c>oauth/token</c>,
/// <c>grant_type=refresh_token</c>) returns a new access and refresh token and kills the old pair at once, so:
/// <list type="bullet">
/// <item>the pair lives in the shared, durable <see cref="IStateStore"/> (a cache entry could be evicted, and with it the
/// only refresh token that still works); the options' tokens only seed it the first time;</item>
/// <item>one caller per process (a semaphore) and one host per fleet (a lease from <see cref="ILeaseStore"/>) refresh; the
/// lease holder reads the stored pair again after taking the lease, so a host that lost the race uses the peer's new
/// pair instead of refreshing with a dead refresh token;</item>
/// <item>the new pair is saved (compare-and-swap on the stored version) before it is used or the lease released; a host
/// that cannot get the lease waits for the peer's pair and never refreshes on its own (it fails with a transient error
/// after <see cref="TencentAdsPlatformOptions.PeerWait"/> instead);</item>
/// <item>the refresh request is never retried by the HTTP pipeline: a lost answer to a refresh that Tencent carried out
/// cannot be repeated with the old refresh token.</item>
/// </list>
/// Tokens never appear in logs, exceptions or <see cref="object.ToString"/>.
/// </summary>
public sealed partial class TencentAdsTokenProvider : IAccessTokenProvider, IDisposable
{
    /// <summary>The state store scope of stored token pairs.</summary>
    public const string StateScope = "tencent_ads.tokens";

    private readonly Func<HttpClient> _http;
    private readonly TencentAdsPlatformOptions _options;
    private readonly IStateStore _store;
    private readonly ILeaseStore _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _owner = "tencent-ads-token-" + Guid.NewGuid().ToString("N");
    private readonly string _key;
    private StoredPair? _current;
    private int _refreshes;

    /// <summary>Creates the provider.</summary>
    /// <param name="http">Creates the client that calls <c>oauth/token</c> (base address = the API host).</param>
    /// <param name="options">The settings (client id and secret; the first pair).</param>
    /// <param name="store">The durable store shared by every host.</param>
    /// <param name="leases">The lease store shared by every host.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public TencentAdsTokenProvider(Func<HttpClient> http, TencentAdsPlatformOptions options, IStateStore store, ILeaseStore leases, TimeProvider? timeProvider = null, ILogger<TencentAdsTokenProvider>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(leases);
        if (!options.RotatesTokens)
        {
            throw new MarketingValidationException(nameof(options.ClientSecret), ValidationReason.Missing, "token rotation needs a client id, a client secret and a refresh token");
        }
        _http = http;
        _options = options;
        _store = store;
        _leases = leases;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _key = KeyOf(options.ClientId!, options.AccountId, options.ClientSecret!);
    }

    /// <summary>How many refreshes this instance made at <c>oauth/token</c>.</summary>
    public int RefreshCount => Volatile.Read(ref _refreshes);

    /// <summary>The state store key of a credential: app id, account and a hash prefix of the secret (never the secret).</summary>
    /// <param name="clientId">The app id.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="secret">The app secret.</param>
    public static string KeyOf(string clientId, string accountId, string secret)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? ""));
        return $"{clientId}:{accountId}:{Convert.ToHexStringLower(hash.AsSpan(0, 8))}";
    }

    /// <inheritdoc />
    public async ValueTask<AccessToken> GetTokenAsync(string? rejectedToken = null, CancellationToken cancellationToken = default)
    {
        if (_current is { } current && Usable(current, rejectedToken))
        {
            return current.ToAccessToken();
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && Usable(again, rejectedToken))
            {
                return again.ToAccessToken();
            }
            var (stored, _) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Usable(stored, rejectedToken))
            {
                _current = stored;
                return stored.ToAccessToken();
            }
            _current = await RefreshAcrossHostsAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
            return _current.ToAccessToken();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<StoredPair> RefreshAcrossHostsAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        var leaseName = "tencent-ads-token-refresh:" + _key;
        var deadline = _time.GetUtcNow() + _options.PeerWait;
        while (true)
        {
            var grant = await _leases.TryAcquireAsync(leaseName, _owner, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (grant is not null)
            {
                try
                {
                    // Read again under the lease: a peer may have rotated the pair since our read.
                    var (stored, version) = await ReadAsync(cancellationToken).ConfigureAwait(false);
                    if (Usable(stored, rejectedToken))
                    {
                        return stored;
                    }
                    var fresh = await RefreshAsync(stored, cancellationToken).ConfigureAwait(false);
                    // Durable before use: the old pair is dead now, so the new one must not live only in this process.
                    await _store.SaveAsync(StateScope, _key, JsonSerializer.Serialize(fresh, TokenPairJsonContext.Default.StoredPair), version, CancellationToken.None).ConfigureAwait(false);
                    return fresh;
                }
                finally
                {
                    await _leases.ReleaseAsync(grant, CancellationToken.None).ConfigureAwait(false);
                }
            }
            LogWaitingForPeer(_logger);
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
            var (byPeer, _) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Usable(byPeer, rejectedToken))
            {
                return byPeer;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Transient, null, "another host holds the token refresh lease and has not stored a new pair yet");
            }
        }
    }

    /// <summary>The stored pair and its version; seeds the store from the options when it holds none.</summary>
    private async Task<(StoredPair Pair, long Version)> ReadAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(StateScope, _key, cancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                StoredPair? pair = null;
                try
                {
                    pair = JsonSerializer.Deserialize(entry.Value, TokenPairJsonContext.Default.StoredPair);
                }
                catch (JsonException)
                {
                    // handled below
                }
                return pair is { AccessToken.Length: > 0, RefreshToken.Length: > 0 }
                    ? (pair, entry.Version)
                    : throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Unauthorized, null, "the stored Tencent Ads token pair is unreadable; authorise the app again");
            }
            var seed = new StoredPair(_options.AccessToken, _options.RefreshToken!, null, null);
            try
            {
                var version = await _store.SaveAsync(StateScope, _key, JsonSerializer.Serialize(seed, TokenPairJsonContext.Default.StoredPair), 0, cancellationToken).ConfigureAwait(false);
                return (seed, version);
            }
            catch (ConcurrencyConflictException) when (attempt == 0)
            {
                // another host seeded it first: read theirs
            }
        }
    }

    private async Task<StoredPair> RefreshAsync(StoredPair stored, CancellationToken cancellationToken)
    {
        var path = "oauth/token?client_id=" + Uri.EscapeDataString(_options.ClientId!)
            + "&client_secret=" + Uri.EscapeDataString(_options.ClientSecret!)
            + "&grant_type=refresh_token&refresh_token=" + Uri.EscapeDataString(stored.RefreshToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Options.Set(PlatformRetry.Retriable, false);
        HttpResponseMessage response;
        try
        {
            response = await _http().SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Transient, null, "oauth/token could not be reached", innerException: ex);
        }
        using (response)
        {
            var body = await PlatformApiClient.ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
            var envelope = body is null ? null : TencentAdsPlatformClient.TryParseEnvelope(body);
            if (envelope?.Code is not { } code)
            {
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, (int)response.StatusCode >= 500 || response.IsSuccessStatusCode ? PlatformErrorClass.Transient : PlatformErrorClass.Permanent,
                    response.StatusCode, "oauth/token answered without a Tencent Ads envelope", PlatformApiClient.MalformedAnswerCode);
            }
            if (code != 0)
            {
                var errorClass = TencentAdsErrorCodes.Classify(code) switch
                {
                    PlatformErrorClass.AuthenticationExpired => PlatformErrorClass.Unauthorized, // a refresh token refused is not cured by another refresh
                    { } c => c,
                    null => PlatformErrorClass.Permanent,
                };
                LogRefreshFailed(_logger, code);
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, errorClass, response.StatusCode,
                    code == TencentAdsErrorCodes.RefreshTokenExpired ? "the refresh token expired or was used: authorise the app again" : "oauth/token refused the refresh",
                    code.ToString(CultureInfo.InvariantCulture), requestId: envelope.TraceId);
            }
            OAuthData? data = null;
            if (envelope.Data is { ValueKind: JsonValueKind.Object } d)
            {
                try
                {
                    data = d.Deserialize(TencentAdsJsonContext.Default.OAuthData);
                }
                catch (JsonException)
                {
                    // handled below
                }
            }
            if (data is not { AccessToken.Length: > 0, RefreshToken.Length: > 0 })
            {
                // Tencent may have rotated the pair already; nothing here can recover it.
                throw new PlatformApiException(TencentAdsPlatformClient.PlatformId, PlatformErrorClass.Unauthorized, response.StatusCode, "oauth/token answered without a new token pair; authorise the app again", PlatformApiClient.MalformedAnswerCode);
            }
            Interlocked.Increment(ref _refreshes);
            var now = _time.GetUtcNow();
            LogRefreshed(_logger, data.AccessTokenExpiresIn ?? 0);
            return new StoredPair(data.AccessToken!, data.RefreshToken!,
                data.AccessTokenExpiresIn is > 0 ? now.AddSeconds(data.AccessTokenExpiresIn.Value) : null,
                data.RefreshTokenExpiresIn is > 0 ? now.AddSeconds(data.RefreshTokenExpiresIn.Value) : null);
        }
    }

    private bool Usable(StoredPair pair, string? rejected) =>
        !string.Equals(pair.AccessToken, rejected, StringComparison.Ordinal)
        && (pair.AccessExpiresAt is null || pair.AccessExpiresAt.Value - _options.RefreshBefore > _time.GetUtcNow());

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"TencentAdsTokenProvider {{ Key = {_key} }}";

    [LoggerMessage(EventId = 5810, Level = LogLevel.Information, Message = "Rotated the Tencent Ads token pair; the new access token is valid for {ExpiresIn} s")]
    private static partial void LogRefreshed(ILogger logger, long expiresIn);

    [LoggerMessage(EventId = 5811, Level = LogLevel.Debug, Message = "Another host is rotating the Tencent Ads token pair; waiting for it")]
    private static partial void LogWaitingForPeer(ILogger logger);

    [LoggerMessage(EventId = 5812, Level = LogLevel.Warning, Message = "oauth/token refused the Tencent Ads refresh with code {Code}")]
    private static partial void LogRefreshFailed(ILogger logger, int code);
}

/// <summary>The stored token pair with the expiries.</summary>
internal sealed record StoredPair(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("access_expires_at")] DateTimeOffset? AccessExpiresAt,
    [property: JsonPropertyName("refresh_expires_at")] DateTimeOffset? RefreshExpiresAt)
{
    public AccessToken ToAccessToken() => new(AccessToken, AccessExpiresAt);

    /// <summary>Describes the pair without the tokens.</summary>
    public override string ToString() => $"StoredPair {{ AccessExpiresAt = {AccessExpiresAt}, RefreshExpiresAt = {RefreshExpiresAt} }}";
}

[JsonSerializable(typeof(StoredPair))]
internal sealed partial class TokenPairJsonContext : JsonSerializerContext;
