using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// Matches <see cref="AnniversaryTrigger"/>s: finds the customers whose anniversary (a month-day trait,
/// in their own time zone) has come, at most once per <see cref="ScanInterval"/> per journey.
/// </summary>
internal sealed class AnniversaryScanner
{
    /// <summary>How often one journey's profiles are scanned.</summary>
    internal static readonly TimeSpan ScanInterval = TimeSpan.FromHours(1);

    private readonly IStateStore _store;
    private readonly JourneyOptions _options;
    private readonly IProfileStore? _profiles;

    /// <summary>Creates the scanner.</summary>
    /// <param name="store">Where the time of each journey's last scan is kept.</param>
    /// <param name="options">The default time zone and the time-zone trait.</param>
    /// <param name="profiles">The profiles to scan; without a profile store no anniversary is ever found.</param>
    public AnniversaryScanner(IStateStore store, IOptions<LifecycleOptions> options, IProfileStore? profiles = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value.Journeys;
        _profiles = profiles;
    }

    /// <summary>
    /// Streams the customers whose anniversary of <paramref name="trigger"/> is at <paramref name="now"/>;
    /// nothing when the journey was scanned less than <see cref="ScanInterval"/> ago. The scan time is
    /// recorded once the stream has been read to its end.
    /// </summary>
    internal async IAsyncEnumerable<CustomerId> DueAsync(JourneyDefinition journey, AnniversaryTrigger trigger, DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_profiles is null)
        {
            yield break;
        }
        var scan = await _store.GetAsync(JourneyEngine.ScanScope, journey.Id, cancellationToken).ConfigureAwait(false);
        if (scan is not null && JsonSerializer.Deserialize(scan.Value, LifecycleJsonContext.Default.DateTimeOffset) is var last && now - last < ScanInterval)
        {
            yield break;
        }
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!TryParseMonthDay(profile.Trait(trigger.Trait).AsString(), out var month, out var day))
            {
                continue;
            }
            var zone = QuietHoursGate.ZoneOf(profile, _options);
            var local = TimeZoneInfo.ConvertTime(now, zone);
            if (month == 2 && day == 29 && !DateTime.IsLeapYear(local.Year))
            {
                day = 28;
            }
            if (local.Month != month || local.Day != day || TimeOnly.FromTimeSpan(local.TimeOfDay) < trigger.LocalTime)
            {
                continue;
            }
            yield return profile.Id;
        }
        await _store.SaveAsync(JourneyEngine.ScanScope, journey.Id, JsonSerializer.Serialize(now, LifecycleJsonContext.Default.DateTimeOffset), scan?.Version ?? 0, cancellationToken).ConfigureAwait(false);
    }

    internal static bool TryParseMonthDay(string? text, out int month, out int day)
    {
        month = day = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            (month, day) = (date.Month, date.Day);
            return true;
        }
        if (DateOnly.TryParseExact("2000-" + text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            (month, day) = (date.Month, date.Day);
            return true;
        }
        return false;
    }
}
