using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Diagnostics;

/// <summary>
/// Source-generated log messages of the core package (event ids 1000-1999). Never log identity values,
/// property values or the exceptions of host code (listeners, resolvers): their messages may hold
/// personal data. Such failures are logged with <see cref="RedactedException.Code"/> at the usual level
/// and <see cref="RedactedException.From"/> at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Ingested batch: {Accepted} accepted, {Duplicates} duplicate, {Dropped} dropped, {Rejected} rejected")]
    public static partial void BatchIngested(ILogger logger, int accepted, int duplicates, int dropped, int rejected);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Event rejected at {Field} ({Reason})")]
    public static partial void EventRejected(ILogger logger, string field, ValidationReason reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Session flagged as automated after {Events} events")]
    public static partial void SessionFlaggedAsBot(ILogger logger, int events);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Event listener {Listener} failed ({ExceptionCode})")]
    public static partial void ListenerFailed(ILogger logger, string listener, string exceptionCode);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Geo resolver failed ({ExceptionCode}); the region stays empty")]
    public static partial void GeoResolverFailed(ILogger logger, string exceptionCode);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Event at batch index {Index} rejected: {Step} failed unexpectedly ({ExceptionCode})")]
    public static partial void EventFailed(ILogger logger, int index, string step, string exceptionCode);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "Redacted exception of a failed {Source}")]
    public static partial void RedactedFailure(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Merged profile {Merged} into {Survivor} (linked by {LinkKind})")]
    public static partial void ProfilesMerged(ILogger logger, CustomerId merged, CustomerId survivor, IdentityKind linkKind);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Merge refused by rule {Rule} for identity kind {Kind}")]
    public static partial void MergeRefused(ILogger logger, string rule, IdentityKind kind);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Identity of kind {Kind} treated as shared: seen with {Count} people")]
    public static partial void SharedIdentity(ILogger logger, IdentityKind kind, int count);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Profile merge listener {Listener} failed ({ExceptionCode}); the merge stands")]
    public static partial void MergeListenerFailed(ILogger logger, string listener, string exceptionCode);

    /// <summary>Logs a host-code failure: its code at the usual level (by <paramref name="log"/>) and its redacted form at Debug.</summary>
    public static void HostFailure(ILogger logger, string source, Exception exception, Action<ILogger, string> log)
    {
        log(logger, RedactedException.Code(exception));
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(exception);
            RedactedFailure(logger, source, redacted);
        }
    }
}
