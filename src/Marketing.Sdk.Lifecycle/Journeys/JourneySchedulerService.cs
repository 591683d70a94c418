using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>Runs <see cref="JourneyEngine.RunDueAsync"/> every <see cref="JourneyOptions.PollInterval"/> on the configured <see cref="TimeProvider"/>.</summary>
internal sealed partial class JourneySchedulerService(JourneyEngine engine, IOptions<LifecycleOptions> options, TimeProvider timeProvider, ILogger<JourneySchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.Journeys;
        if (!o.RunScheduler || o.Definitions.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(o.PollInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await engine.RunDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The scheduler keeps running; the failed run is logged and retried on the next tick.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // The run calls host code (gates, handlers, stores): log the code, the redacted form at Debug.
                var code = RedactedException.Code(ex);
                LogRunFailed(logger, code);
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    var redacted = RedactedException.From(ex);
                    LogRunFailedDetail(logger, redacted);
                }
            }
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "A journey scheduler run failed ({ErrorCode}); it is retried on the next tick.")]
    private static partial void LogRunFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Journey scheduler run failure, redacted")]
    private static partial void LogRunFailedDetail(ILogger logger, Exception exception);
}
