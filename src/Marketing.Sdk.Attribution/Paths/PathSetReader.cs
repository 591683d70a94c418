using System.Globalization;

namespace Marketing.Sdk.Attribution;

/// <summary>
/// Reads aggregated journeys from delimited text in the common exchange layout
/// <c>path;total_conversions;total_conversion_value;total_null</c> (a header line, channels joined
/// by <c>&gt;</c>). The value and null columns are optional.
/// </summary>
public static class PathSetReader
{
    /// <summary>Reads a delimited path table.</summary>
    /// <param name="reader">The text to read; the first line is a header.</param>
    /// <param name="columnSeparator">Column separator (default <c>;</c>).</param>
    /// <param name="channelSeparator">Separator between channels within a path (default <c>&gt;</c>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="MarketingValidationException">A line is malformed, holds a number that is not finite (<c>Infinity</c>, <c>NaN</c>, <c>1e309</c>),
    /// or makes a total exceed the largest finite number; <see cref="MarketingValidationException.Index"/> is its 0-based data line number
    /// (the line after the header is 0; empty lines count), <see cref="MarketingValidationException.Field"/> names the column.</exception>
    public static async Task<PathSet> ReadAsync(TextReader reader, char columnSeparator = ';', char channelSeparator = '>',
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var builder = new PathSetBuilder();
        var header = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (header is null)
        {
            return builder.Build();
        }
        var line = 0;
        var channels = new List<Channel>();
        for (; await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text; line++)
        {
            if (text.Length == 0)
            {
                continue;
            }
            var columns = text.Split(columnSeparator);
            try
            {
                if (columns.Length < 2)
                {
                    throw new MarketingValidationException("path", ValidationReason.InvalidFormat, "Expected at least a path and a conversions column.");
                }
                channels.Clear();
                foreach (var part in columns[0].Split(channelSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    channels.Add(new Channel(part));
                }
                builder.Add(channels.ToArray(), Number(columns, 1, "total_conversions"),
                    columns.Length > 2 ? Number(columns, 2, "total_conversion_value") : 0,
                    columns.Length > 3 ? Number(columns, 3, "total_null") : 0);
            }
            catch (MarketingValidationException ex)
            {
                throw ex.WithIndex(line);
            }
        }
        return builder.Build();
    }

    private static double Number(string[] columns, int index, string field) =>
        double.TryParse(columns[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new MarketingValidationException(field, ValidationReason.InvalidFormat, "Expected a number.");
}
