namespace Marketing.Sdk.Testing.Emulators;

/// <summary>What an emulator's check of a presented access token found.</summary>
internal enum AccessTokenCheck
{
    /// <summary>A live token.</summary>
    Valid,

    /// <summary>No token was presented.</summary>
    Missing,

    /// <summary>An unknown token, or one a rotation killed (counted in <see cref="RotatingTokenPairState.DeadAccessTokenUses"/>).</summary>
    Invalid,

    /// <summary>A token past its expiry (counted in <see cref="RotatingTokenPairState.ExpiredTokenRefusals"/>).</summary>
    Expired,
}

/// <summary>
/// The token pair of a platform whose refresh rotates it (Tencent Ads, Ocean Engine): a refresh with the live refresh token
/// issues a new pair and kills the old access and refresh token at once. Counts what a rotation race test asserts (refreshes,
/// uses of dead tokens, expired-token refusals) and stages races (<see cref="HoldRefreshes"/>, <see cref="RefreshArrived"/>).
/// Shared by the emulators; each keeps its own wire format, codes and public surface.
/// </summary>
internal sealed class RotatingTokenPairState
{
    private readonly Lock _gate = new();
    private readonly string _prefix;
    private readonly TimeSpan _accessLifetime;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DateTimeOffset> _access = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deadAccess = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deadRefresh = new(StringComparer.Ordinal);
    private readonly List<(int Count, TaskCompletionSource Waiter)> _expiredWaiters = [];
    private readonly TaskCompletionSource _refreshArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _refreshHold;
    private string _refresh;
    private int _refreshes, _deadRefreshUses, _deadAccessUses, _expiredRefusals;

    /// <param name="prefix">The prefix of issued tokens (<c>{prefix}-access-{n}</c>, <c>{prefix}-refresh-{n}</c>).</param>
    /// <param name="accessToken">The first access token.</param>
    /// <param name="refreshToken">The first refresh token.</param>
    /// <param name="accessLifetime">The lifetime of an issued access token.</param>
    /// <param name="time">The emulator's clock.</param>
    public RotatingTokenPairState(string prefix, string accessToken, string refreshToken, TimeSpan accessLifetime, TimeProvider time)
    {
        _prefix = prefix;
        _accessLifetime = accessLifetime;
        _time = time;
        _access[accessToken] = time.GetUtcNow() + accessLifetime;
        _refresh = refreshToken;
    }

    public string CurrentAccessToken { get { lock (_gate) { return _access.OrderByDescending(a => a.Value).First().Key; } } }

    public string CurrentRefreshToken { get { lock (_gate) { return _refresh; } } }

    public int Refreshes { get { lock (_gate) { return _refreshes; } } }

    public int DeadRefreshTokenUses { get { lock (_gate) { return _deadRefreshUses; } } }

    public int DeadAccessTokenUses { get { lock (_gate) { return _deadAccessUses; } } }

    public int ExpiredTokenRefusals { get { lock (_gate) { return _expiredRefusals; } } }

    public Task RefreshArrived => _refreshArrived.Task;

    public Task WhenExpiredTokenRefusals(int count)
    {
        lock (_gate)
        {
            if (_expiredRefusals >= count)
            {
                return Task.CompletedTask;
            }
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _expiredWaiters.Add((count, waiter));
            return waiter.Task;
        }
    }

    public Action HoldRefreshes()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _refreshHold = hold;
        }
        return () => hold.TrySetResult();
    }

    public void ExpireAccessTokens()
    {
        lock (_gate)
        {
            foreach (var key in _access.Keys.ToList())
            {
                _access[key] = DateTimeOffset.MinValue;
            }
        }
    }

    /// <summary>Signals <see cref="RefreshArrived"/> and waits while refreshes are held.</summary>
    public async Task RefreshTurnAsync(CancellationToken cancellationToken)
    {
        _refreshArrived.TrySetResult();
        Task? hold;
        lock (_gate)
        {
            hold = _refreshHold?.Task;
        }
        if (hold is not null)
        {
            await hold.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rotates the pair if <paramref name="presented"/> is the live refresh token: the old access and refresh tokens die at
    /// once. Returns the new pair, or <see langword="null"/> for any other refresh token (a dead one is counted).
    /// </summary>
    public (string AccessToken, string RefreshToken)? Rotate(string presented)
    {
        lock (_gate)
        {
            if (presented != _refresh)
            {
                if (_deadRefresh.Contains(presented))
                {
                    _deadRefreshUses++;
                }
                return null;
            }
            var n = ++_refreshes;
            _deadAccess.UnionWith(_access.Keys);
            _access.Clear();
            _deadRefresh.Add(_refresh);
            var access = $"{_prefix}-access-{n}";
            _refresh = $"{_prefix}-refresh-{n}";
            _access[access] = _time.GetUtcNow() + _accessLifetime;
            return (access, _refresh);
        }
    }

    /// <summary>Checks a presented access token, counting dead and expired ones.</summary>
    public AccessTokenCheck Check(string? token)
    {
        lock (_gate)
        {
            if (string.IsNullOrEmpty(token))
            {
                return AccessTokenCheck.Missing;
            }
            if (!_access.TryGetValue(token, out var expires))
            {
                if (_deadAccess.Contains(token))
                {
                    _deadAccessUses++;
                }
                return AccessTokenCheck.Invalid;
            }
            if (expires > _time.GetUtcNow())
            {
                return AccessTokenCheck.Valid;
            }
            _expiredRefusals++;
            foreach (var w in _expiredWaiters.Where(w => w.Count <= _expiredRefusals).ToList())
            {
                w.Waiter.TrySetResult();
                _expiredWaiters.Remove(w);
            }
            return AccessTokenCheck.Expired;
        }
    }
}
