namespace Marketing.Sdk.Segmentation;

/// <summary>Base type of the errors the segmentation package throws on purpose.</summary>
public class SegmentationException : MarketingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A message without personal data.</param>
    public SegmentationException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">A message without personal data.</param>
    /// <param name="innerException">The cause.</param>
    public SegmentationException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// The rule text is not valid. <see cref="Line"/> and <see cref="Column"/> (1-based) point at the
/// offending token, <see cref="Expected"/> lists what the parser would have accepted there.
/// Messages describe tokens by kind and never repeat the content of string literals.
/// </summary>
public sealed class SegmentParseException : SegmentationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="line">1-based line of the offending token.</param>
    /// <param name="column">1-based column of the offending token.</param>
    /// <param name="position">0-based character offset of the offending token.</param>
    /// <param name="expected">What would have been accepted.</param>
    /// <param name="found">A description of what was found.</param>
    /// <param name="detail">An extra explanation, if any.</param>
    public SegmentParseException(int line, int column, int position, IReadOnlyList<string> expected, string found, string? detail = null)
        : base(FormatMessage(line, column, expected, found, detail))
    {
        Line = line;
        Column = column;
        Position = position;
        Expected = expected;
        Found = found;
        Detail = detail;
    }

    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending token.</summary>
    public int Column { get; }

    /// <summary>0-based character offset of the offending token.</summary>
    public int Position { get; }

    /// <summary>What the parser would have accepted at that point (e.g. <c>')'</c>, <c>a number</c>).</summary>
    public IReadOnlyList<string> Expected { get; }

    /// <summary>A description of the token found (kind, never a string literal's content).</summary>
    public string Found { get; }

    /// <summary>An extra explanation (e.g. why a number was rejected), if any.</summary>
    public string? Detail { get; }

    private static string FormatMessage(int line, int column, IReadOnlyList<string> expected, string found, string? detail)
    {
        var text = expected.Count switch
        {
            0 => $"Line {line}, column {column}: unexpected {found}.",
            1 => $"Line {line}, column {column}: expected {expected[0]} but found {found}.",
            _ => $"Line {line}, column {column}: expected {string.Join(", ", expected.Take(expected.Count - 1))} or {expected[^1]} but found {found}.",
        };
        return detail is null ? text : text + " " + detail;
    }
}

/// <summary>A segment referenced by a rule is not defined, or references form a cycle.</summary>
public sealed class SegmentReferenceException : SegmentationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="segmentId">The segment whose reference failed.</param>
    /// <param name="message">What went wrong.</param>
    public SegmentReferenceException(string segmentId, string message) : base(message) => SegmentId = segmentId;

    /// <summary>The segment id concerned.</summary>
    public string SegmentId { get; }
}
