using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Diagnostics;

/// <summary>Source-generated log messages of the core package. Never log identity values or property values.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Ingested batch: {Accepted} accepted, {Duplicates} duplicate, {Dropped} dropped, {Rejected} rejected")]
    public static partial void BatchIngested(ILogger logger, int accepted, int duplicates, int dropped, int rejected);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Event rejected at {Field} ({Reason})")]
    public static partial void EventRejected(ILogger logger, string field, ValidationReason reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Session flagged as automated after {Events} events")]
    public static partial void SessionFlaggedAsBot(ILogger logger, int events);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Event listener {Listener} failed")]
    public static partial void ListenerFailed(ILogger logger, string listener, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Geo resolver failed; the region stays empty")]
    public static partial void GeoResolverFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Merged profile {Merged} into {Survivor} (linked by {LinkKind})")]
    public static partial void ProfilesMerged(ILogger logger, CustomerId merged, CustomerId survivor, IdentityKind linkKind);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Merge refused by rule {Rule} for identity kind {Kind}")]
    public static partial void MergeRefused(ILogger logger, string rule, IdentityKind kind);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Profile merge listener {Listener} failed; the merge stands")]
    public static partial void MergeListenerFailed(ILogger logger, string listener, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Identity of kind {Kind} treated as shared: seen with {Count} people")]
    public static partial void SharedIdentity(ILogger logger, IdentityKind kind, int count);
}
