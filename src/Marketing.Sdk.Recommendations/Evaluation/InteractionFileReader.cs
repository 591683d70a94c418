using System.Globalization;
using System.Runtime.CompilerServices;

namespace Marketing.Sdk.Recommendations.Evaluation;

/// <summary>How the time column of an interaction file is written.</summary>
public enum InteractionTimeFormat
{
    /// <summary>Unix seconds when the value is an integer, otherwise an invariant date/time (UTC unless an offset is given).</summary>
    Auto,
    /// <summary>Unix seconds.</summary>
    UnixSeconds,
    /// <summary>An invariant date/time text (ISO 8601 or <c>yyyy-MM-dd HH:mm:ss</c>), UTC unless an offset is given.</summary>
    DateTime,
}

/// <summary>The layout of a delimited user × item × rating × time file (columns are 0-based).</summary>
public sealed record InteractionFileFormat
{
    /// <summary>The MovieLens 100k <c>u.data</c> layout: tab-separated user, item, rating, Unix time; no header.</summary>
    public static InteractionFileFormat MovieLens100K { get; } = new()
    {
        Delimiter = '\t', HasHeader = false, UserColumn = 0, ItemColumn = 1, WeightColumn = 2, TimeColumn = 3, TimeFormat = InteractionTimeFormat.UnixSeconds, Kind = InteractionKind.Rating,
    };

    /// <summary>Field delimiter; default ','. Fields may be double-quoted (RFC 4180).</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>Whether the first line is a header; default <see langword="true"/>.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Column of the user id; default 0.</summary>
    public int UserColumn { get; init; }

    /// <summary>Column of the item id; default 1.</summary>
    public int ItemColumn { get; init; } = 1;

    /// <summary>Column of the rating or weight; <see langword="null"/> = every row weighs 1. Default 2.</summary>
    public int? WeightColumn { get; init; } = 2;

    /// <summary>Column of the time; <see langword="null"/> = no time (all rows at the Unix epoch). Default 3.</summary>
    public int? TimeColumn { get; init; } = 3;

    /// <summary>How the time is written; default <see cref="InteractionTimeFormat.Auto"/>.</summary>
    public InteractionTimeFormat TimeFormat { get; init; } = InteractionTimeFormat.Auto;

    /// <summary>The kind given to every row; default <see cref="InteractionKind.Rating"/>.</summary>
    public InteractionKind Kind { get; init; } = InteractionKind.Rating;

    /// <summary>Rows whose user or item is empty, or whose weight is not positive (returns, cancellations), are skipped instead of failing; default <see langword="true"/>.</summary>
    public bool SkipIncompleteRows { get; init; } = true;
}

/// <summary>Reads interactions from delimited text so any user × item × rating × time data set can be evaluated.</summary>
public static class InteractionFileReader
{
    /// <summary>Streams the interactions of a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The layout.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public static async IAsyncEnumerable<Interaction> ReadFileAsync(string path, InteractionFileFormat format, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        await foreach (var x in ReadAsync(reader, format, cancellationToken).ConfigureAwait(false))
        {
            yield return x;
        }
    }

    /// <summary>Streams the interactions of delimited text.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="format">The layout.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="RecommendationException">A row cannot be read: a missing column, a weight that is not a finite number, a time that is not a time or lies outside years 1 to 9999. <see cref="RecommendationException.Line"/> and <see cref="RecommendationException.Column"/> name the place; the message never holds the value.</exception>
    public static async IAsyncEnumerable<Interaction> ReadAsync(TextReader reader, InteractionFileFormat format, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(format);
        var line = 0;
        var fields = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if ((line == 1 && format.HasHeader) || text.Length == 0)
            {
                continue;
            }
            Split(text, format.Delimiter, fields);
            var user = Field(fields, format.UserColumn, line).Trim();
            var item = Field(fields, format.ItemColumn, line).Trim();
            var weight = 1.0;
            if (format.WeightColumn is { } wc)
            {
                if (!double.TryParse(Field(fields, wc, line), NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
                {
                    throw Invalid(line, wc, "is not a number");
                }
                if (!double.IsFinite(weight))
                {
                    // "Infinity", "NaN" and numbers beyond ±1.8e308 (which parse to infinity) are refused:
                    // one such row would turn every score and metric it reaches into NaN or infinity.
                    throw Invalid(line, wc, "is not a finite number");
                }
            }
            if (user.Length == 0 || item.Length == 0 || !(weight > 0))
            {
                if (format.SkipIncompleteRows)
                {
                    continue;
                }
                throw Invalid(line, user.Length == 0 ? format.UserColumn : item.Length == 0 ? format.ItemColumn : format.WeightColumn ?? 0, "is empty or not positive");
            }
            var at = DateTimeOffset.UnixEpoch;
            if (format.TimeColumn is { } tc)
            {
                at = ParseTime(Field(fields, tc, line).Trim(), format.TimeFormat, line, tc) ?? throw Invalid(line, tc, "is not a time");
            }
            yield return new Interaction(user, item, at, weight, format.Kind);
        }
    }

    // DateTimeOffset.FromUnixTimeSeconds accepts 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;

    private static DateTimeOffset? ParseTime(string value, InteractionTimeFormat format, int line, int column)
    {
        if (format != InteractionTimeFormat.DateTime && IsInteger(value))
        {
            if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds is < MinUnixSeconds or > MaxUnixSeconds)
            {
                throw Invalid(line, column, "is outside the supported date range (years 1 to 9999)");
            }
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        if (format != InteractionTimeFormat.UnixSeconds &&
            DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }
        return null;
    }

    /// <summary>An optional sign followed by ASCII digits only (the value is already trimmed).</summary>
    private static bool IsInteger(string value)
    {
        var digits = value.AsSpan();
        if (digits.Length > 0 && (digits[0] == '-' || digits[0] == '+'))
        {
            digits = digits[1..];
        }
        if (digits.Length == 0)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static string Field(List<string> fields, int column, int line) =>
        column < fields.Count ? fields[column] : throw Invalid(line, column, "is missing");

    private static RecommendationException Invalid(int line, int column, string what) =>
        new(RecommendationErrorReason.InvalidData, string.Create(CultureInfo.InvariantCulture, $"Line {line}, column {column} {what}."), line, column);

    /// <summary>Splits one line, honouring double quotes (the shared <c>DelimitedText</c> splitter).</summary>
    internal static void Split(string text, char delimiter, List<string> fields) => Marketing.Sdk.Text.DelimitedText.Split(text, delimiter, fields);
}
