using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Platforms.Auth;

/// <summary>An OAuth2 access and refresh token with their expiries. <see cref="ToString"/> never shows the tokens.</summary>
/// <param name="AccessToken">The access token.</param>
/// <param name="RefreshToken">The refresh token issued with it.</param>
/// <param name="AccessExpiresAt">When the access token expires, if known.</param>
/// <param name="RefreshExpiresAt">When the refresh token expires, if known.</param>
public sealed record TokenPair(string AccessToken, string RefreshToken, DateTimeOffset? AccessExpiresAt, DateTimeOffset? RefreshExpiresAt)
{
    /// <summary>The access token as the HTTP pipeline uses it.</summary>
    public AccessToken ToAccessToken() => new(AccessToken, AccessExpiresAt);

    /// <summary>Describes the pair without the tokens.</summary>
    public override string ToString() => $"TokenPair {{ AccessExpiresAt = {AccessExpiresAt}, RefreshExpiresAt = {RefreshExpiresAt} }}";
}

/// <summary>Settings shared by every <see cref="RotatingTokenPairProvider"/>.</summary>
public sealed record RotatingTokenPairSettings
{
    /// <summary>The platform id (for errors and the lease name), e.g. <c>tencent_ads</c>.</summary>
    public required string Platform { get; init; }

    /// <summary>The <see cref="IStateStore"/> scope of the stored pairs, e.g. <c>tencent_ads.tokens</c>.</summary>
    public required string StateScope { get; init; }

    /// <summary>The key of this credential's pair in the scope (never a secret: see <see cref="RotatingTokenPairProvider.CredentialKey"/>).</summary>
    public required string Key { get; init; }

    /// <summary>The first access token; seeds the store when it holds no pair yet.</summary>
    public required string SeedAccessToken { get; init; }

    /// <summary>The first refresh token; seeds the store when it holds no pair yet.</summary>
    public required string SeedRefreshToken { get; init; }

    /// <summary>Refresh the access token this long before it expires.</summary>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a host waits for another host's rotation before failing with a transient error.</summary>
    public TimeSpan PeerWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long the refresh lease is held at most (default 60 s).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Describes the settings without tokens.</summary>
    public override string ToString() => $"RotatingTokenPairSettings {{ Platform = {Platform}, StateScope = {StateScope}, Key = {Key} }}";
}

/// <summary>
/// An OAuth2 token pair that the platform rotates on every refresh (the old access and refresh token die at once, as
/// Tencent Ads and Ocean Engine do), refreshed once per fleet:
/// <list type="bullet">
/// <item>the pair lives in the shared, durable <see cref="IStateStore"/> (a cache entry could be evicted, and with it the
/// only refresh token that still works); the seed tokens are stored the first time only;</item>
/// <item>one caller per process (a semaphore) and one host per fleet (a lease from <see cref="ILeaseStore"/>) refresh; the
/// lease holder reads the stored pair again after taking the lease, so a host that lost the race uses the peer's new
/// pair instead of refreshing with a dead refresh token;</item>
/// <item>the new pair is saved (compare-and-swap on the stored version) before it is used or the lease released; a host
/// that cannot get the lease waits for the peer's pair and never refreshes on its own (it fails with a transient error
/// after <see cref="RotatingTokenPairSettings.PeerWait"/> instead);</item>
/// <item><see cref="RefreshPairAsync"/> must not be retried by the HTTP pipeline: a lost answer to a refresh the platform
/// carried out cannot be repeated with the old refresh token.</item>
/// </list>
/// A platform package derives from it and implements only the refresh call. Tokens never appear in logs, exceptions or
/// <see cref="object.ToString"/>.
/// </summary>
public abstract class RotatingTokenPairProvider : IAccessTokenProvider, IDisposable
{
    private readonly RotatingTokenPairSettings _settings;
    private readonly IStateStore _store;
    private readonly ILeaseStore _leases;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _owner;
    private TokenPair? _current;
    private int _refreshes;

    /// <summary>Creates the provider.</summary>
    /// <param name="settings">The platform, store scope and key, seed tokens and timings.</param>
    /// <param name="store">The durable store shared by every host.</param>
    /// <param name="leases">The lease store shared by every host.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    protected RotatingTokenPairProvider(RotatingTokenPairSettings settings, IStateStore store, ILeaseStore leases, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(leases);
        if (string.IsNullOrWhiteSpace(settings.SeedAccessToken) || string.IsNullOrWhiteSpace(settings.SeedRefreshToken))
        {
            throw new MarketingValidationException("RefreshToken", ValidationReason.Missing, "token rotation needs a first access token and refresh token");
        }
        _settings = settings;
        _store = store;
        _leases = leases;
        Time = timeProvider ?? TimeProvider.System;
        Logger = logger ?? NullLogger.Instance;
        _owner = settings.Platform + "-token-" + Guid.NewGuid().ToString("N");
    }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>The settings.</summary>
    protected RotatingTokenPairSettings Settings => _settings;

    /// <summary>How many refreshes this instance made at the platform.</summary>
    public int RefreshCount => Volatile.Read(ref _refreshes);

    /// <summary>A state store key for a credential: the given public parts and a hash prefix of the secret (never the secret).</summary>
    /// <param name="secret">The app secret.</param>
    /// <param name="parts">Public parts (app id, account).</param>
    public static string CredentialKey(string secret, params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? ""));
        return string.Join(':', parts) + ":" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
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

    /// <summary>
    /// Calls the platform's refresh endpoint with <paramref name="refreshToken"/> and returns the new pair. Mark the request
    /// not retriable (<see cref="Http.PlatformRetry.Retriable"/> = <see langword="false"/>); throw
    /// <see cref="PlatformApiException"/> (<see cref="PlatformErrorClass.Unauthorized"/> when the refresh token is refused).
    /// </summary>
    /// <param name="refreshToken">The current refresh token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected abstract Task<TokenPair> RefreshPairAsync(string refreshToken, CancellationToken cancellationToken);

    /// <summary>Called after a rotation was stored (log it with the platform's event id).</summary>
    /// <param name="pair">The new pair.</param>
    protected virtual void OnRotated(TokenPair pair)
    {
    }

    /// <summary>Called each time this host waits for a peer's rotation.</summary>
    protected virtual void OnWaitingForPeer()
    {
    }

    private async Task<TokenPair> RefreshAcrossHostsAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        var leaseName = _settings.Platform + "-token-refresh:" + _settings.Key;
        var deadline = Time.GetUtcNow() + _settings.PeerWait;
        while (true)
        {
            var grant = await _leases.TryAcquireAsync(leaseName, _owner, _settings.LeaseDuration, cancellationToken).ConfigureAwait(false);
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
                    var fresh = await RefreshPairAsync(stored.RefreshToken, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _refreshes);
                    // Durable before use: the old pair is dead now, so the new one must not live only in this process.
                    await _store.SaveAsync(_settings.StateScope, _settings.Key, JsonSerializer.Serialize(fresh, PlatformJsonContext.Default.TokenPair), version, CancellationToken.None).ConfigureAwait(false);
                    OnRotated(fresh);
                    return fresh;
                }
                finally
                {
                    await _leases.ReleaseAsync(grant, CancellationToken.None).ConfigureAwait(false);
                }
            }
            OnWaitingForPeer();
            await Task.Delay(TimeSpan.FromMilliseconds(50), Time, cancellationToken).ConfigureAwait(false);
            var (byPeer, _) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Usable(byPeer, rejectedToken))
            {
                return byPeer;
            }
            if (Time.GetUtcNow() >= deadline)
            {
                throw new PlatformApiException(_settings.Platform, PlatformErrorClass.Transient, null, "another host holds the token refresh lease and has not stored a new pair yet");
            }
        }
    }

    /// <summary>The stored pair and its version; seeds the store when it holds none.</summary>
    private async Task<(TokenPair Pair, long Version)> ReadAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(_settings.StateScope, _settings.Key, cancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                TokenPair? pair = null;
                try
                {
                    pair = JsonSerializer.Deserialize(entry.Value, PlatformJsonContext.Default.TokenPair);
                }
                catch (JsonException)
                {
                    // handled below
                }
                return pair is { AccessToken.Length: > 0, RefreshToken.Length: > 0 }
                    ? (pair, entry.Version)
                    : throw new PlatformApiException(_settings.Platform, PlatformErrorClass.Unauthorized, null, "the stored token pair is unreadable; authorise the app again");
            }
            var seed = new TokenPair(_settings.SeedAccessToken, _settings.SeedRefreshToken, null, null);
            try
            {
                var version = await _store.SaveAsync(_settings.StateScope, _settings.Key, JsonSerializer.Serialize(seed, PlatformJsonContext.Default.TokenPair), 0, cancellationToken).ConfigureAwait(false);
                return (seed, version);
            }
            catch (ConcurrencyConflictException) when (attempt == 0)
            {
                // another host seeded it first: read theirs
            }
        }
    }

    private bool Usable(TokenPair pair, string? rejected) =>
        !string.Equals(pair.AccessToken, rejected, StringComparison.Ordinal)
        && (pair.AccessExpiresAt is null || pair.AccessExpiresAt.Value - _settings.RefreshBefore > Time.GetUtcNow());

    /// <summary>Releases the semaphore.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">Called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gate.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name} {{ Key = {_settings.Key} }}";
}
