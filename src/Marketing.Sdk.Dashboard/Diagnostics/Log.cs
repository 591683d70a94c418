using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Dashboard;

/// <summary>The dashboard's log messages (event ids 5900–5919). They carry page names, counts and outbox ids, never personal data.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5900, Level = LogLevel.Information, Message = "Dashboard mounted at {Prefix} ({Access})")]
    public static partial void Mounted(ILogger logger, string prefix, string access);

    [LoggerMessage(EventId = 5901, Level = LogLevel.Warning, Message = "Dashboard page {Page} stopped reading at {Limit} records; its numbers cover the first {Limit} only")]
    public static partial void Truncated(ILogger logger, string page, int limit);

    [LoggerMessage(EventId = 5902, Level = LogLevel.Information, Message = "Dead letter {OutboxId} for {Destination} requeued from the dashboard")]
    public static partial void DeadLetterRequeued(ILogger logger, long outboxId, string destination);

    [LoggerMessage(EventId = 5903, Level = LogLevel.Warning, Message = "Dashboard write refused: {Reason}")]
    public static partial void WriteRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 5904, Level = LogLevel.Information, Message = "Dead letter {OutboxId} for {Destination} discarded from the dashboard")]
    public static partial void DeadLetterDiscarded(ILogger logger, long outboxId, string destination);

    [LoggerMessage(EventId = 5905, Level = LogLevel.Information, Message = "Journey {JourneyId} {Change} from the dashboard")]
    public static partial void JourneyToggled(ILogger logger, string journeyId, string change);

    [LoggerMessage(EventId = 5906, Level = LogLevel.Warning, Message = "Spend of {Platform} could not be read ({ExceptionType}); the dashboard shows spend as unknown")]
    public static partial void SpendUnavailable(ILogger logger, string platform, string exceptionType);

}
