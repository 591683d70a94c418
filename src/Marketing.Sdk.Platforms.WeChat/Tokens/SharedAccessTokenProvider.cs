using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Platforms.Auth;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.WeChat.Tokens;

/// <summary>Obtains a new access token from the platform (WeCom <c>gettoken</c>, the Official Account's <c>stable_token</c>).</summary>
/// <param name="forceRefresh">
/// <see langword="true"/> when the platform refused the previous token: a platform with a force flag (the OA's
/// <c>stable_token</c> <c>force_refresh</c>) may use it; WeCom's <c>gettoken</c> ignores it.
/// </param>
/// <param name="cancellationToken">Cancels the call.</param>
/// <returns>The token with its expiry.</returns>
public delegate ValueTask<AccessToken> FetchAccessToken(bool forceRefresh, CancellationToken cancellationToken);

/// <summary>Settings of a <see cref="SharedAccessTokenProvider"/>.</summary>
public sealed class SharedAccessTokenOptions
{
    /// <summary>
    /// The key the token is shared under by every host instance (in <see cref="IDistributedCache"/>) and the name
    /// of the refresh lease (in <see cref="ILeaseStore"/>). Make it unique per credential: WeCom tokens are per
    /// corp id and application secret, so derive it with <see cref="KeyOf"/> (never put the secret itself in it).
    /// </summary>
    public required string CacheKey { get; init; }

    /// <summary>Refresh this long before the token expires (default 5 minutes).</summary>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the refresh lease is held at most (default 30 s; a crashed holder blocks the others that long).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a host that waits for another host's refresh looks at the shared cache (default 100 ms).</summary>
    public TimeSpan PeerPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a host waits for another host's refresh before it refreshes itself (default 15 s).</summary>
    public TimeSpan PeerWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A cache key from parts that identify a credential: <c>marketing-sdk:token:{platform}:{id}:{sha256(secret)[..16]}</c>.</summary>
    /// <param name="platform">The platform (e.g. <c>wecom</c>).</param>
    /// <param name="id">The public id (corp id, app id).</param>
    /// <param name="secret">The secret (only a hash prefix enters the key, so two secrets of one corp get two tokens).</param>
    public static string KeyOf(string platform, string id, string secret)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? ""));
        return $"marketing-sdk:token:{platform}:{id}:{Convert.ToHexStringLower(hash.AsSpan(0, 8))}";
    }

    /// <summary>Describes the options (the key carries no secret).</summary>
    public override string ToString() => $"SharedAccessTokenOptions {{ CacheKey = {CacheKey}, RefreshBefore = {RefreshBefore} }}";
}

/// <summary>
/// An <see cref="IAccessTokenProvider"/> for platforms whose tokens are fetched with a credential and shared by every
/// host instance (WeCom, the WeChat Official Account): the token lives in the process, then in the shared
/// <see cref="IDistributedCache"/>; it is refreshed <see cref="SharedAccessTokenOptions.RefreshBefore"/> ahead of
/// expiry by one caller per process (single flight) and one host per fleet (a lease from <see cref="ILeaseStore"/>,
/// taken before the fetch and checked again after: a host that got the lease re-reads the cache, so two hosts
/// refreshing at once make one platform call). A token the platform refused is replaced once, however many callers
/// report the same rejection. Without a cache and lease store it still works in one process.
/// </summary>
public sealed partial class SharedAccessTokenProvider : IAccessTokenProvider, IDisposable
{
    private readonly FetchAccessToken _fetch;
    private readonly SharedAccessTokenOptions _options;
    private readonly string _platform;
    private readonly IDistributedCache? _cache;
    private readonly ILeaseStore? _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _owner = "token-" + Guid.NewGuid().ToString("N");
    private SharedToken? _current;
    private int _fetches;

    /// <summary>Creates the provider.</summary>
    /// <param name="fetch">Obtains a new token from the platform.</param>
    /// <param name="options">The settings.</param>
    /// <param name="platform">The platform name (errors, logs).</param>
    /// <param name="cache">The cache shared by every host, if any.</param>
    /// <param name="leases">The lease store shared by every host, if any (one refresh per fleet).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public SharedAccessTokenProvider(FetchAccessToken fetch, SharedAccessTokenOptions options, string platform, IDistributedCache? cache = null, ILeaseStore? leases = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.CacheKey);
        ArgumentException.ThrowIfNullOrEmpty(platform);
        _fetch = fetch;
        _options = options;
        _platform = platform;
        _cache = cache;
        _leases = leases;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many tokens this instance fetched from the platform.</summary>
    public int FetchCount => Volatile.Read(ref _fetches);

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
            _current = await ReadSharedAsync(rejectedToken, cancellationToken).ConfigureAwait(false)
                ?? await RefreshAcrossHostsAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
            return _current.ToAccessToken();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SharedToken> RefreshAcrossHostsAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        if (_leases is null || _cache is null)
        {
            return await FetchAndShareAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
        }
        var leaseName = "token-refresh:" + _options.CacheKey;
        var deadline = _time.GetUtcNow() + _options.PeerWait;
        while (true)
        {
            var grant = await _leases.TryAcquireAsync(leaseName, _owner, _options.LeaseDuration, cancellationToken).ConfigureAwait(false);
            if (grant is not null)
            {
                try
                {
                    // Another host may have refreshed between our read and our lease.
                    if (await ReadSharedAsync(rejectedToken, cancellationToken).ConfigureAwait(false) is { } fresh)
                    {
                        return fresh;
                    }
                    return await FetchAndShareAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await _leases.ReleaseAsync(grant, CancellationToken.None).ConfigureAwait(false);
                }
            }
            LogWaitingForPeer(_logger, _platform);
            await Task.Delay(_options.PeerPollInterval, _time, cancellationToken).ConfigureAwait(false);
            if (await ReadSharedAsync(rejectedToken, cancellationToken).ConfigureAwait(false) is { } byPeer)
            {
                return byPeer;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                // The lease holder is stuck or gone: a token now beats a perfect count.
                LogPeerTimedOut(_logger, _platform);
                return await FetchAndShareAsync(rejectedToken, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<SharedToken> FetchAndShareAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        var token = await _fetch(rejectedToken is not null, cancellationToken).ConfigureAwait(false);
        if (token is null || string.IsNullOrEmpty(token.Value))
        {
            throw new PlatformApiException(_platform, PlatformErrorClass.Transient, null, "the token endpoint answered no token", Http.PlatformApiClient.MalformedAnswerCode);
        }
        Interlocked.Increment(ref _fetches);
        LogFetched(_logger, _platform, token.ExpiresAt);
        var now = _time.GetUtcNow();
        // Refresh RefreshBefore ahead of expiry, but never in the first half of the token's life: a platform that
        // returns the same token until it expires (WeCom's gettoken) answers a late refresh with a short-lived token,
        // which must not be fetched again on every call.
        var lifetime = token.ExpiresAt is { } e ? e - now : TimeSpan.MaxValue;
        var refreshAt = token.ExpiresAt is { } expiry
            ? expiry - (lifetime / 2 < _options.RefreshBefore ? lifetime / 2 : _options.RefreshBefore)
            : DateTimeOffset.MaxValue;
        var shared = new SharedToken(token.Value, token.ExpiresAt, refreshAt);
        if (_cache is not null && token.ExpiresAt is { } expires && expires > now)
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(shared, SharedTokenJsonContext.Default.SharedToken);
            await _cache.SetAsync(_options.CacheKey, payload, new DistributedCacheEntryOptions { AbsoluteExpiration = expires }, cancellationToken).ConfigureAwait(false);
        }
        return shared;
    }

    private async ValueTask<SharedToken?> ReadSharedAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        if (_cache is null)
        {
            return null;
        }
        var bytes = await _cache.GetAsync(_options.CacheKey, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }
        try
        {
            var cached = JsonSerializer.Deserialize(bytes, SharedTokenJsonContext.Default.SharedToken);
            return cached is not null && !string.IsNullOrEmpty(cached.Token) && Usable(cached, rejectedToken) ? cached : null;
        }
        catch (JsonException)
        {
            return null; // a broken entry is replaced by the next refresh
        }
    }

    private bool Usable(SharedToken token, string? rejected) =>
        !string.Equals(token.Token, rejected, StringComparison.Ordinal) && token.RefreshAt > _time.GetUtcNow();

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 5500, Level = LogLevel.Information, Message = "Obtained a new {Platform} access token (expires {ExpiresAt})")]
    private static partial void LogFetched(ILogger logger, string platform, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 5501, Level = LogLevel.Debug, Message = "Another host is refreshing the {Platform} access token; waiting for it")]
    private static partial void LogWaitingForPeer(ILogger logger, string platform);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "The host refreshing the {Platform} access token did not finish in time; refreshing here")]
    private static partial void LogPeerTimedOut(ILogger logger, string platform);
}

/// <summary>A token as kept in the process and in the shared cache: value, expiry and when to refresh it.</summary>
internal sealed record SharedToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("refresh_at")] DateTimeOffset RefreshAt)
{
    public AccessToken ToAccessToken() => new(Token, ExpiresAt);

    /// <summary>Describes the entry without the token.</summary>
    public override string ToString() => $"SharedToken {{ ExpiresAt = {ExpiresAt}, RefreshAt = {RefreshAt} }}";
}

[JsonSerializable(typeof(SharedToken))]
internal sealed partial class SharedTokenJsonContext : JsonSerializerContext;
