namespace Marketing.Sdk.Campaigns;

/// <summary>
/// Send-time choice and throttled scheduling. Hours are hours of the day in the shop's time zone
/// (<see cref="CampaignOptions.TimeZone"/>): a customer who buys at 09:00 local time does so at 08:00 UTC in winter and
/// at 07:00 UTC in summer where the zone keeps daylight-saving time, and is sent to at 09:00 local time in either.
/// </summary>
internal static class SendTime
{
    /// <summary>Counts per hour of the day in <paramref name="zone"/> (24 bins; UTC when <see langword="null"/>).</summary>
    public static int[] Histogram(IEnumerable<DateTimeOffset> occurrences, TimeZoneInfo? zone = null)
    {
        var bins = new int[24];
        foreach (var at in occurrences)
        {
            bins[LocalHour(at, zone)]++;
        }
        return bins;
    }

    /// <summary>The hour of the day of an instant in <paramref name="zone"/> (UTC when <see langword="null"/>).</summary>
    public static int LocalHour(DateTimeOffset at, TimeZoneInfo? zone) =>
        zone is null ? at.UtcDateTime.Hour : TimeZoneInfo.ConvertTime(at, zone).Hour;

    /// <summary>The hour with most observations (the earliest on a tie), or <see langword="null"/> with fewer than <paramref name="minimumObservations"/> in all.</summary>
    public static int? BestHour(int[] histogram, int minimumObservations)
    {
        var total = 0;
        var best = 0;
        for (var h = 0; h < 24; h++)
        {
            total += histogram[h];
            if (histogram[h] > histogram[best])
            {
                best = h;
            }
        }
        return total >= Math.Max(1, minimumObservations) ? best : null;
    }
}

/// <summary>
/// The hour slots of a send window, each holding at most the hourly limit: slot i covers the UTC clock hour
/// that starts i hours after the window's first clock hour (the first slot starts at the window's start). A slot's hour
/// of the day is read in the shop's time zone, so across a daylight-saving change the same local hour is a different
/// UTC hour (for zones offset by a fraction of an hour, the local hour in which the slot starts).
/// </summary>
internal sealed class SlotPlanner
{
    private readonly DateTimeOffset _start;
    private readonly DateTimeOffset _firstHour;
    private readonly int[] _used;
    private readonly int _max;
    private readonly int[][] _byPreference = new int[24][];
    private readonly TimeZoneInfo? _zone;

    public SlotPlanner(DateTimeOffset windowStart, DateTimeOffset windowEnd, int maxPerHour, TimeZoneInfo? zone = null)
    {
        _zone = zone;
        _start = windowStart.ToUniversalTime();
        _firstHour = new DateTimeOffset(_start.Year, _start.Month, _start.Day, _start.Hour, 0, 0, TimeSpan.Zero);
        var count = (int)Math.Ceiling((windowEnd.ToUniversalTime() - _firstHour).TotalHours);
        _used = new int[Math.Max(0, count)];
        _max = maxPerHour;
        for (var h = 0; h < 24; h++)
        {
            var hour = h;
            // Nearest hour of the day first (circular distance), then the earliest such slot.
            _byPreference[h] = [.. Enumerable.Range(0, _used.Length).OrderBy(i => Distance(HourOf(i), hour)).ThenBy(i => i)];
        }
    }

    /// <summary>How many recipients the window can take.</summary>
    public long Capacity => (long)_used.Length * _max;

    /// <summary>When slot i starts.</summary>
    public DateTimeOffset StartOf(int slot) => slot == 0 ? _start : _firstHour.AddHours(slot);

    /// <summary>
    /// Takes a place in the slot nearest the preferred hour of day (the earliest one among equals), or in the earliest
    /// free slot without a preference; returns its start, or <see langword="null"/> when the window is full.
    /// </summary>
    public DateTimeOffset? Take(int? preferredHour)
    {
        IEnumerable<int> order = preferredHour is { } h ? _byPreference[h] : Enumerable.Range(0, _used.Length);
        foreach (var i in order)
        {
            if (_used[i] < _max)
            {
                _used[i]++;
                return StartOf(i);
            }
        }
        return null;
    }

    private int HourOf(int slot) => SendTime.LocalHour(_firstHour.AddHours(slot), _zone);

    private static int Distance(int a, int b)
    {
        var d = Math.Abs(a - b);
        return Math.Min(d, 24 - d);
    }
}
