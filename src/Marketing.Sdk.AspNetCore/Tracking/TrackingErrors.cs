using System.Text;
using System.Text.Json;

namespace Marketing.Sdk.AspNetCore.Tracking;

/// <summary>A request value the tracking endpoints refuse (field, reason, detail; never the value).</summary>
internal sealed class TrackingInputException(string field, string reason, string detail) : Exception(detail)
{
    public string Field { get; } = field;

    public string Reason { get; } = reason;

    public string Detail { get; } = detail;

    public TrackingError ToError() => TrackingErrors.Create(Field, Reason, Detail);
}

/// <summary>Builds <see cref="TrackingError"/> values and reads the field and reason out of JSON errors.</summary>
internal static class TrackingErrors
{
    public const string InvalidJson = "InvalidJson";
    public const string UnknownMember = "UnknownMember";
    public const string DuplicateMember = "DuplicateMember";
    public const string NullNotAllowed = "NullNotAllowed";
    public const string NotAllowed = "NotAllowed";
    public const string InvalidValue = "InvalidValue";

    public static TrackingError Create(string field, string reason, string detail) => new(field, reason, "validation." + Snake(reason), detail);

    public static TrackingError From(MarketingValidationException ex) => Create(ex.Field, ex.Reason.ToString(), ex.Detail);

    /// <summary>
    /// The field path and reason of a JSON error. The serializer's message is not passed on (it can
    /// quote a character of the input); the reason is derived from its kind and the detail is ours.
    /// </summary>
    public static TrackingError From(JsonException ex, string? itemPrefix = null)
    {
        var path = FieldFromPath(ex.Path);
        var message = ex.Message;
        var (reason, detail) =
            message.Contains("could not be mapped", StringComparison.Ordinal)
                ? (UnknownMember, "This member is not accepted here; server-owned fields (customerId, flags, receivedAt) and unknown members are refused.")
            : message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                ? (DuplicateMember, "A member appears more than once in the same object.")
            : message.Contains("null", StringComparison.OrdinalIgnoreCase) && (message.Contains("nullable", StringComparison.OrdinalIgnoreCase) || message.Contains("allow", StringComparison.OrdinalIgnoreCase))
                ? (NullNotAllowed, "JSON null is not accepted for this member; omit it instead.")
            : IsEncodingError(ex)
                ? (nameof(ValidationReason.InvalidCharacters), "The text is not valid UTF-8/UTF-16 (e.g. an unpaired surrogate).")
            : (InvalidJson, "The body is not valid JSON for this endpoint at this path (malformed JSON, or a value of the wrong type or out of range).");
        if (reason == UnknownMember && ExtractQuoted(message) is { } member && IsSafeName(member))
        {
            path = path is "" or "$" ? member : path;
            if (!path.EndsWith(member, StringComparison.Ordinal))
            {
                path = path + "." + member;
            }
        }
        if (itemPrefix is not null)
        {
            path = path.Length == 0 ? itemPrefix : itemPrefix + "." + path;
        }
        return Create(path.Length == 0 ? "$" : path, reason, detail);
    }

    /// <summary>Turns a JSON path (<c>$.order.lines[0].quantity</c>) into a field path (<c>order.lines[0].quantity</c>).</summary>
    public static string FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }
        var p = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.StartsWith('$') ? path[1..] : path;
        // Member names the caller chose are only echoed when they look like names (no personal data in paths).
        return p.Length <= 200 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '[' or ']') ? p : "$";
    }

    private static bool IsEncodingError(JsonException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains("UTF", StringComparison.Ordinal) || e.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("transcode", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsSafeName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static string? ExtractQuoted(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 ? message[(start + 1)..end] : null;
    }

    private static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    sb.Append('_');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
