using System.Globalization;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>
/// Refuses old and repeated signed requests: the timestamp must lie within the freshness window of now (both
/// ways, for clock skew), and a signature seen within the window is refused as a replay. The cache is bounded:
/// entries leave when their timestamp leaves the window, and the oldest leave first when it is full. It is per
/// process — a replay to another host instance passes, and is then de-duplicated by its event id.
/// </summary>
internal sealed class CallbackReplayGuard(TimeProvider timeProvider, TimeSpan window, int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Expires)> _order = new();

    /// <summary>Entries held (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Checks the timestamp's format and freshness; returns it as Unix seconds.</summary>
    /// <exception cref="WeChatCallbackRefusal">Not Unix seconds, or outside the window.</exception>
    public long CheckFreshness(string timestamp)
    {
        if (timestamp.Length is 0 or > 12 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            throw WeChatCallbackRefusal.Malformed(WeChatCallbackReasons.TimestampFormat);
        }
        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)window.TotalSeconds)
        {
            throw new WeChatCallbackRefusal(403, WeChatCallbackReasons.StaleTimestamp);
        }
        return seconds;
    }

    /// <summary>Reserves a verified request's key; a key already held is a replay.</summary>
    /// <param name="key">The request's signature and timestamp.</param>
    /// <param name="timestampSeconds">The request's timestamp.</param>
    /// <exception cref="WeChatCallbackRefusal">The key is held (a replay).</exception>
    public void Reserve(string key, long timestampSeconds)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        lock (_lock)
        {
            while (_order.TryPeek(out var head) && (head.Expires < now || _seen.Count >= capacity))
            {
                _order.Dequeue();
                if (_seen.TryGetValue(head.Key, out var expires) && expires == head.Expires)
                {
                    _seen.Remove(head.Key);
                }
            }
            if (_seen.ContainsKey(key))
            {
                throw new WeChatCallbackRefusal(403, WeChatCallbackReasons.Replay);
            }
            var expiry = timestampSeconds + (long)window.TotalSeconds;
            _seen[key] = expiry;
            _order.Enqueue((key, expiry));
        }
    }

    /// <summary>Releases a key whose processing failed, so the platform's retry of the same request is processed.</summary>
    public void Release(string key)
    {
        lock (_lock)
        {
            _seen.Remove(key);
        }
    }
}
