using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.AspNetCore.Callbacks;

/// <summary>The callback endpoints' log messages (event ids 10100–10149): handler names, methods, statuses and sizes, never content.</summary>
internal static partial class CallbackLog
{
    [LoggerMessage(EventId = 10100, Level = LogLevel.Debug, Message = "Callback {Method} to {Handler}: {Status} ({BodyBytes} bytes in)")]
    public static partial void Answered(ILogger logger, string method, string handler, int status, int bodyBytes);

    [LoggerMessage(EventId = 10101, Level = LogLevel.Information, Message = "Callback {Method} to {Handler} refused by the handler with {Status}")]
    public static partial void HandlerRefused(ILogger logger, string method, string handler, int status);

    [LoggerMessage(EventId = 10102, Level = LogLevel.Information, Message = "Callback {Method} to an unknown handler refused with 404")]
    public static partial void UnknownHandler(ILogger logger, string method);

    [LoggerMessage(EventId = 10103, Level = LogLevel.Warning, Message = "Callback {Method} to {Handler} refused with 413: the body is larger than {Limit} bytes")]
    public static partial void TooLarge(ILogger logger, string method, string handler, int limit);

    [LoggerMessage(EventId = 10104, Level = LogLevel.Warning, Message = "Callback {Method} to {Handler} took longer than {TimeoutMs} ms; answered 503 so the platform retries")]
    public static partial void TimedOut(ILogger logger, string method, string handler, long timeoutMs);

    [LoggerMessage(EventId = 10105, Level = LogLevel.Warning, Message = "Callback {Method} to {Handler} failed ({ExceptionType}/{HResult:X8})")]
    public static partial void Failed(ILogger logger, string method, string handler, string exceptionType, int hResult);

    [LoggerMessage(EventId = 10106, Level = LogLevel.Debug, Message = "Callback {Method} to {Handler}: the client went away before the answer")]
    public static partial void Aborted(ILogger logger, string method, string handler);
}

/// <summary>The callback endpoints' counter, on the integration's meter (<see cref="MarketingAspNetCoreTelemetry.MeterName"/>).</summary>
internal sealed class CallbackMetrics
{
    public CallbackMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MarketingAspNetCoreTelemetry.MeterName) ?? new Meter(MarketingAspNetCoreTelemetry.MeterName);
        Callbacks = meter.CreateCounter<long>("marketing.http.callbacks", "{request}", "Platform callbacks answered, by handler and status code.");
    }

    public Counter<long> Callbacks { get; }

    public void Count(string handler, int status) =>
        Callbacks.Add(1, new("marketing.handler", handler), new("http.response.status_code", status));
}
