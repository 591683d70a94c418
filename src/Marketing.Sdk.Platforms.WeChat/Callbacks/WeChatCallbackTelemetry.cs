using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Platforms.WeChat.Callbacks;

/// <summary>The meter of the WeChat callback handlers, <c>Marketing.Sdk.Platforms.WeChat.Callbacks</c>; tags carry the handler, kind and outcome — never content.</summary>
public static class WeChatCallbackTelemetry
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Marketing.Sdk.Platforms.WeChat.Callbacks";
}

/// <summary>The counters, on a meter from the host's <see cref="IMeterFactory"/> (a meter of its own when there is none).</summary>
internal sealed class WeChatCallbackMetrics
{
    public WeChatCallbackMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(WeChatCallbackTelemetry.MeterName) ?? new Meter(WeChatCallbackTelemetry.MeterName);
        Callbacks = meter.CreateCounter<long>("marketing.wechat.callbacks", "{callback}", "Callbacks handled, by handler, kind (verify, event) and outcome (accepted, ignored, or the refusal reason).");
    }

    public Counter<long> Callbacks { get; }

    public void Count(string handler, string kind, string outcome) =>
        Callbacks.Add(1, new("marketing.handler", handler), new("marketing.kind", kind), new("marketing.outcome", outcome));
}

/// <summary>The callback handlers' log messages (event ids 5580–5599): handler names, kinds, reasons and counts, never content.</summary>
internal static partial class WeChatCallbackLog
{
    [LoggerMessage(EventId = 5580, Level = LogLevel.Warning, Message = "Callback to {Handler} refused with {Status}: {Reason}")]
    public static partial void Refused(ILogger logger, string handler, int status, string reason);

    [LoggerMessage(EventId = 5581, Level = LogLevel.Information, Message = "Callback URL of {Handler} verified")]
    public static partial void UrlVerified(ILogger logger, string handler);

    [LoggerMessage(EventId = 5582, Level = LogLevel.Debug, Message = "Callback to {Handler}: {Event} recorded as {Outcome}")]
    public static partial void Recorded(ILogger logger, string handler, string @event, Marketing.Sdk.Ingestion.TrackStatus outcome);

    [LoggerMessage(EventId = 5589, Level = LogLevel.Debug, Message = "Callback to {Handler}: {Event} reported as {Status}")]
    public static partial void Reported(ILogger logger, string handler, string @event, Marketing.Sdk.Platforms.Messaging.ProviderMessageStatus status);

    [LoggerMessage(EventId = 5583, Level = LogLevel.Debug, Message = "Callback to {Handler}: {MessageType}/{Event} is not handled; answered success")]
    public static partial void Ignored(ILogger logger, string handler, string messageType, string @event);

    [LoggerMessage(EventId = 5584, Level = LogLevel.Warning, Message = "Callback to {Handler}: {Event} names no customer; nothing suppressed")]
    public static partial void NoCustomer(ILogger logger, string handler, string @event);

    [LoggerMessage(EventId = 5585, Level = LogLevel.Information, Message = "Callback to {Handler}: a send result names no message sent by this SDK ({Event})")]
    public static partial void UnknownMessage(ILogger logger, string handler, string @event);

    [LoggerMessage(EventId = 5586, Level = LogLevel.Warning, Message = "Callback to {Handler}: {Event} failed ({ExceptionType}/{HResult:X8}); the platform will retry")]
    public static partial void Failed(ILogger logger, string handler, string @event, string exceptionType, int hResult);

    [LoggerMessage(EventId = 5587, Level = LogLevel.Debug, Message = "Callback to {Handler}: send results arrived but no message status reporter is registered (add messaging)")]
    public static partial void NoReporter(ILogger logger, string handler);

    [LoggerMessage(EventId = 5588, Level = LogLevel.Information, Message = "Callback to {Handler}: the customer's {Channel} unsubscribe was lifted by a new follow")]
    public static partial void Resubscribed(ILogger logger, string handler, string channel);
}
