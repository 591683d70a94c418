using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.AspNetCore;

/// <summary>The integration's log messages (event ids 10000-10999). They carry kinds, fields, reasons and counts, never values.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 10000, Level = LogLevel.Information, Message = "Tracking batch: {Accepted} accepted, {Duplicates} duplicate, {Dropped} dropped, {Rejected} rejected")]
    public static partial void BatchTracked(ILogger logger, int accepted, int duplicates, int dropped, int rejected);

    [LoggerMessage(EventId = 10001, Level = LogLevel.Information, Message = "Tracking request refused: {Field} ({Reason})")]
    public static partial void RequestRefused(ILogger logger, string field, string reason);

    [LoggerMessage(EventId = 10002, Level = LogLevel.Debug, Message = "Tracking item {Index} rejected: {Field} ({Reason})")]
    public static partial void ItemRejected(ILogger logger, int index, string field, string reason);

    [LoggerMessage(EventId = 10010, Level = LogLevel.Warning, Message = "Answered {Status} {ProblemType} for {ExceptionCode}")]
    public static partial void ProblemWritten(ILogger logger, int status, string problemType, string exceptionCode);

    [LoggerMessage(EventId = 10011, Level = LogLevel.Error, Message = "Answered {Status} {ProblemType} for an unexpected {ExceptionCode}")]
    public static partial void UnexpectedProblem(ILogger logger, int status, string problemType, string exceptionCode);

    [LoggerMessage(EventId = 10012, Level = LogLevel.Debug, Message = "Redacted exception behind a {ProblemType} answer")]
    public static partial void ProblemException(ILogger logger, string problemType, Exception redacted);

    [LoggerMessage(EventId = 10020, Level = LogLevel.Warning, Message = "Health check {Check} could not read its data: {ExceptionCode}")]
    public static partial void HealthCheckFailed(ILogger logger, string check, string exceptionCode);

    [LoggerMessage(EventId = 10021, Level = LogLevel.Debug, Message = "Redacted exception behind health check {Check}")]
    public static partial void HealthCheckException(ILogger logger, string check, Exception redacted);
}
