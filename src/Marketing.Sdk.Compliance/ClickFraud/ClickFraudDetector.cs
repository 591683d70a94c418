using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.ClickFraud;

/// <summary>Why a click looks fraudulent.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A flags enum named for what it is.")]
public enum ClickFraudFlags
{
    /// <summary>Nothing suspicious.</summary>
    None = 0,
    /// <summary>More clicks from one IP on one ad in one (UTC) day than allowed.</summary>
    IpDailyLimit = 1,
    /// <summary>A burst: too many clicks from one IP within a short window.</summary>
    Burst = 2,
    /// <summary>A known bot or automation user agent.</summary>
    BotUserAgent = 4,
    /// <summary>The conversion followed the click faster than a human can act.</summary>
    InhumanConversionTime = 8,
}

/// <summary>One ad click to check.</summary>
/// <param name="ClickId">The click id.</param>
/// <param name="AdId">The ad (or creative) id.</param>
/// <param name="IpAddress">The client IP (personal data: kept only as a keyed-free hash in memory, never logged).</param>
/// <param name="UserAgent">The user agent, if known.</param>
/// <param name="At">When the click happened.</param>
public sealed record AdClick(string ClickId, string AdId, string IpAddress, string? UserAgent, DateTimeOffset At)
{
    /// <summary>Describes the click without the IP address or user agent.</summary>
    public override string ToString() => $"AdClick {{ ClickId = {ClickId}, AdId = {AdId}, At = {At:O} }}";
}

/// <summary>The verdict for one click.</summary>
/// <param name="ClickId">The click id.</param>
/// <param name="Flags">The rules that fired.</param>
public sealed record ClickVerdict(string ClickId, ClickFraudFlags Flags)
{
    /// <summary>Whether any rule fired.</summary>
    public bool IsSuspicious => Flags != ClickFraudFlags.None;

    /// <summary>The event flags to set on the click's event so that attribution and platform reporting can exclude it.</summary>
    public EventFlags ToEventFlags() => IsSuspicious ? EventFlags.SuspectedBot : EventFlags.None;
}

/// <summary>Thresholds of the click-fraud rules.</summary>
public sealed class ClickFraudOptions
{
    /// <summary>Clicks allowed from one IP on one ad per UTC day; later ones are flagged. Default 5.</summary>
    public int MaxClicksPerIpPerAdPerDay { get; set; } = 5;

    /// <summary>Clicks from one IP (any ad) within <see cref="BurstWindow"/> that count as a burst. Default 3.</summary>
    public int BurstClicks { get; set; } = 3;

    /// <summary>The burst window. Default 10 seconds.</summary>
    public TimeSpan BurstWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Conversions faster than this after the click are flagged. Default 3 seconds.</summary>
    public TimeSpan MinClickToConversion { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Case-insensitive user-agent fragments of known bots and automation tools.</summary>
    public IList<string> BotUserAgentFragments { get; } =
    [
        "bot", "crawler", "spider", "slurp", "headlesschrome", "phantomjs", "selenium", "puppeteer", "playwright",
        "python-requests", "curl/", "wget/", "httpclient", "okhttp", "go-http-client", "java/", "scrapy", "axios/", "node-fetch",
    ];
}

/// <summary>
/// Rule-based click-fraud detection: one IP over N clicks per day on one ad (default 5), bursts,
/// known bot user agents, and inhumanly short click-to-conversion times. Keeps per-IP counters in
/// memory (IP addresses only as SHA-256 digests) for the current and previous day; thread-safe.
/// Set the verdict's <see cref="ClickVerdict.ToEventFlags"/> on the click event so that attribution
/// and platform reporting can leave it out.
/// </summary>
/// <param name="options">The thresholds.</param>
public sealed class ClickFraudDetector(IOptions<ClickFraudOptions> options)
{
    private readonly ClickFraudOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
    private readonly Dictionary<(string Ip, string Ad, DateOnly Day), int> _daily = [];
    private readonly Dictionary<string, Queue<DateTimeOffset>> _recent = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private DateOnly _lastPurge;

    /// <summary>Checks one click and counts it.</summary>
    /// <param name="click">The click.</param>
    public ClickVerdict Evaluate(AdClick click)
    {
        ArgumentNullException.ThrowIfNull(click);
        var flags = ClickFraudFlags.None;
        if (IsBot(click.UserAgent))
        {
            flags |= ClickFraudFlags.BotUserAgent;
        }
        var ip = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(click.IpAddress.Trim())));
        var day = DateOnly.FromDateTime(click.At.UtcDateTime);
        lock (_lock)
        {
            Purge(day);
            var key = (ip, click.AdId, day);
            var count = _daily.GetValueOrDefault(key) + 1;
            _daily[key] = count;
            if (count > _options.MaxClicksPerIpPerAdPerDay)
            {
                flags |= ClickFraudFlags.IpDailyLimit;
            }
            if (!_recent.TryGetValue(ip, out var queue))
            {
                _recent[ip] = queue = new Queue<DateTimeOffset>();
            }
            while (queue.Count > 0 && click.At - queue.Peek() >= _options.BurstWindow)
            {
                queue.Dequeue();
            }
            queue.Enqueue(click.At);
            if (queue.Count >= _options.BurstClicks)
            {
                flags |= ClickFraudFlags.Burst;
            }
        }
        return new ClickVerdict(click.ClickId, flags);
    }

    /// <summary>Checks the time from a click to its conversion.</summary>
    /// <param name="clickId">The click id.</param>
    /// <param name="clickedAt">When the click happened.</param>
    /// <param name="convertedAt">When the conversion happened.</param>
    public ClickVerdict EvaluateConversion(string clickId, DateTimeOffset clickedAt, DateTimeOffset convertedAt) =>
        new(clickId, convertedAt - clickedAt < _options.MinClickToConversion ? ClickFraudFlags.InhumanConversionTime : ClickFraudFlags.None);

    /// <summary>Whether a user agent is empty or contains a known bot fragment.</summary>
    /// <param name="userAgent">The user agent.</param>
    public bool IsBot(string? userAgent) =>
        string.IsNullOrWhiteSpace(userAgent) || _options.BotUserAgentFragments.Any(f => userAgent.Contains(f, StringComparison.OrdinalIgnoreCase));

    private void Purge(DateOnly today)
    {
        if (today <= _lastPurge)
        {
            return;
        }
        _lastPurge = today;
        foreach (var key in _daily.Keys.Where(k => k.Day < today.AddDays(-1)).ToList())
        {
            _daily.Remove(key);
        }
        foreach (var (ip, queue) in _recent.Where(kv => kv.Value.Count == 0 || DateOnly.FromDateTime(kv.Value.Last().UtcDateTime) < today.AddDays(-1)).ToList())
        {
            _recent.Remove(ip);
        }
    }
}
