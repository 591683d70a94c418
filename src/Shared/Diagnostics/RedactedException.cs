using System.Globalization;

namespace Marketing.Sdk.Diagnostics;

/// <summary>
/// An exception from host or provider code, stripped of its messages for logging. Messages of
/// third-party exceptions routinely hold personal data (an email provider's "recipient a@b.c
/// rejected", a geo database's "address 203.0.113.7 not found"), so the SDK logs an exception's
/// type and a stable code at the usual level, and this redacted form — types, HResults and stack
/// frames of the exception and its inner exceptions, no message — at Debug.
/// </summary>
internal sealed class RedactedException : Exception
{
    private readonly string? _stackTrace;

    private RedactedException(Exception original, Exception? redactedInner)
        : base(Describe(original), redactedInner)
    {
        _stackTrace = original.StackTrace;
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        HResult = original.HResult;
    }

    /// <summary>The full name of the original exception's type.</summary>
    public string OriginalType { get; }

    /// <inheritdoc />
    public override string? StackTrace => _stackTrace;

    /// <summary>Redacts an exception and its inner exceptions (aggregates keep their first inner exception).</summary>
    /// <param name="exception">The exception to redact.</param>
    public static RedactedException From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var inner = exception is AggregateException { InnerExceptions.Count: > 0 } aggregate
            ? aggregate.InnerExceptions[0]
            : exception.InnerException;
        return new RedactedException(exception, inner is null ? null : From(inner));
    }

    /// <summary>
    /// A stable, value-free code for an exception: its type name and HResult
    /// (e.g. <c>InvalidOperationException/0x80131509</c>).
    /// </summary>
    /// <param name="exception">The exception.</param>
    public static string Code(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.GetType().Name + "/0x" + exception.HResult.ToString("X8", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = Message + " (message redacted)";
        if (InnerException is { } inner)
        {
            text += " ---> " + inner + Environment.NewLine + "   --- End of inner exception stack trace ---";
        }
        return StackTrace is { } stack ? text + Environment.NewLine + stack : text;
    }

    private static string Describe(Exception exception) => exception.GetType().FullName + " " + Code(exception);
}
