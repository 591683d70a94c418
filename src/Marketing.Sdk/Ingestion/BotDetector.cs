using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>
/// Session-based bot detection: a session is treated as automated once it has more events than
/// <see cref="IngestionOptions.BotMaxEventsPerSession"/> or more than
/// <see cref="IngestionOptions.BotMaxInhumanGaps"/> consecutive events closer together than
/// <see cref="IngestionOptions.BotMinHumanGap"/>. Statistics are kept per host process, in memory,
/// bounded by <see cref="IngestionOptions.MaxTrackedSessions"/> and
/// <see cref="IngestionOptions.SessionTimeout"/>. Thread-safe.
/// </summary>
internal sealed class BotDetector
{
    private readonly IngestionOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SessionStats> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public BotDetector(IOptions<IngestionOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value;
        _time = timeProvider;
    }

    /// <summary>Records an event of a session; returns whether the session is (now) automated and whether it just became so.</summary>
    public (bool IsBot, bool BecameBot, int Events) Observe(string sessionId, DateTimeOffset occurredAt)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_sessions.TryGetValue(sessionId, out var s))
            {
                if (_sessions.Count >= _options.MaxTrackedSessions)
                {
                    Evict(now);
                }
                s = new SessionStats { Last = occurredAt };
                _sessions[sessionId] = s;
            }
            else
            {
                var gap = (occurredAt - s.Last).Duration();
                if (gap < _options.BotMinHumanGap)
                {
                    s.InhumanGaps++;
                }
                if (occurredAt > s.Last)
                {
                    s.Last = occurredAt;
                }
            }
            s.Events++;
            s.SeenAt = now;
            var wasBot = s.IsBot;
            s.IsBot |= s.Events > _options.BotMaxEventsPerSession || s.InhumanGaps > _options.BotMaxInhumanGaps;
            return (s.IsBot, s.IsBot && !wasBot, s.Events);
        }
    }

    private void Evict(DateTimeOffset now)
    {
        var expired = _sessions.Where(kv => now - kv.Value.SeenAt > _options.SessionTimeout).Select(kv => kv.Key).ToList();
        if (expired.Count == 0)
        {
            // Forget the least recently active tenth.
            expired = _sessions.OrderBy(kv => kv.Value.SeenAt).Take(Math.Max(1, _sessions.Count / 10)).Select(kv => kv.Key).ToList();
        }
        foreach (var key in expired)
        {
            _sessions.Remove(key);
        }
    }

    private sealed class SessionStats
    {
        public int Events;
        public int InhumanGaps;
        public bool IsBot;
        public DateTimeOffset Last;
        public DateTimeOffset SeenAt;
    }
}

/// <summary>
/// Resolves an IP address to a region, to fill <see cref="MarketingEvent.Region"/> when the sender
/// did not. Register an implementation (e.g. over a GeoIP database) as a singleton; none is registered
/// by default.
/// </summary>
public interface IGeoResolver
{
    /// <summary>Returns the region of an IP address (ISO 3166-2 code or a region name), or <see langword="null"/> when unknown.</summary>
    /// <param name="ipAddress">An IPv4 or IPv6 address.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<string?> ResolveRegionAsync(string ipAddress, CancellationToken cancellationToken = default);
}
