using System.Globalization;
using System.Text.Json;

namespace Marketing.Sdk.Platforms.Http;

/// <summary>
/// Reads the values of a report row that a platform sends as a name → JSON value map (TikTok, Tencent Ads): text as
/// sent, and metrics as numbers whether sent as numbers or numeric strings.
/// </summary>
internal static class ReportMetricReader
{
    /// <summary>A value as text (a string, or a number's digits as sent); <see langword="null"/> when absent or of another kind.</summary>
    /// <param name="values">The row.</param>
    /// <param name="name">The field.</param>
    public static string? Text(Dictionary<string, JsonElement> values, string name) =>
        values.TryGetValue(name, out var e) ? e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            _ => null,
        } : null;

    /// <summary>
    /// A metric as a number; <see langword="null"/> when absent, empty or <c>"-"</c> (not available). A value that is
    /// not a number in range (or negative, when <paramref name="nonNegative"/>) throws <see cref="FormatException"/>,
    /// which makes the page a malformed answer, never a silent zero.
    /// </summary>
    /// <param name="values">The row.</param>
    /// <param name="name">The field.</param>
    /// <param name="nonNegative">Whether a negative value is malformed.</param>
    public static decimal? Number(Dictionary<string, JsonElement> values, string name, bool nonNegative = false)
    {
        var text = Text(values, name);
        if (text is null || text.Length == 0 || text == "-")
        {
            return null;
        }
        return decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var n) && (!nonNegative || n >= 0)
            ? n
            : throw new FormatException(nonNegative ? $"the metric {name} is not a non-negative number in range" : $"the metric {name} is not a number in range");
    }
}
