namespace Marketing.Sdk.Dashboard.Data;

/// <summary>A day flagged by <see cref="RobustAnomaly"/>: its value and the band it left.</summary>
/// <param name="Index">The day's position in the series.</param>
/// <param name="Median">The median of the trailing window.</param>
/// <param name="Low">The band's lower bound.</param>
/// <param name="High">The band's upper bound.</param>
internal readonly record struct AnomalyBand(int Index, double Median, double Low, double High);

/// <summary>
/// The overview's anomaly rule, simple and robust to the outliers it looks for: a day is flagged when its value lies
/// outside <c>median ± k · s</c> of the <c>w</c> days before it, where <c>s = 1.4826 · MAD</c> (the median absolute
/// deviation scaled to a standard deviation for normal data). When more than half the window equals its median the
/// MAD is 0, and <c>s</c> falls back to 1.2533 times the mean absolute deviation from the median; either way it is
/// floored at 10 % of the median's size so a near-flat window does not flag ordinary wobble. A window that is
/// exactly flat at zero flags any non-zero day. Days with
/// fewer than <c>w</c> days before them are not judged. Neither the median nor the MAD moves with one wild day, which
/// is why they are used rather than the mean and standard deviation.
/// </summary>
internal static class RobustAnomaly
{
    /// <summary>The factor turning a MAD into a standard deviation for normally distributed data.</summary>
    public const double MadToSigma = 1.4826;

    /// <summary>The factor turning a mean absolute deviation into a standard deviation for normally distributed data (√(π/2)).</summary>
    public const double MeanAbsToSigma = 1.2533;

    public static List<AnomalyBand> Detect(IReadOnlyList<double> series, int window, double k)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var flagged = new List<AnomalyBand>();
        var trailing = new double[window];
        var deviations = new double[window];
        for (var i = window; i < series.Count; i++)
        {
            for (var j = 0; j < window; j++)
            {
                trailing[j] = series[i - window + j];
            }
            var median = Median(trailing);
            for (var j = 0; j < window; j++)
            {
                deviations[j] = Math.Abs(trailing[j] - median);
            }
            var spread = MadToSigma * Median(deviations);
            if (spread == 0)
            {
                // More than half the window sits on the median (small counts do): the mean absolute deviation,
                // scaled to a standard deviation for normal data, still measures the wobble of the rest.
                spread = MeanAbsToSigma * deviations.Average();
            }
            spread = Math.Max(spread, 0.1 * Math.Abs(median));
            var low = median - k * spread;
            var high = median + k * spread;
            var value = series[i];
            if (spread == 0 ? value != median : value < low || value > high)
            {
                flagged.Add(new AnomalyBand(i, median, low, high));
            }
        }
        return flagged;
    }

    /// <summary>The median (the mean of the middle two for an even count); sorts a copy.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
