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
                LogRunFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Error, Message = "A journey scheduler run failed; it is retried on the next tick.")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
