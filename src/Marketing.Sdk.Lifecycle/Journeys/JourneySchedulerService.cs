using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// Runs <see cref="JourneyEngine.RunDueAsync"/> every <see cref="JourneyOptions.PollInterval"/> on the configured
/// <see cref="TimeProvider"/>, on one host at a time: each tick takes or renews the lease <see cref="LeaseName"/>
/// (lasting three intervals, at most a day) and runs only while holding it, so with N hosts on one store one
/// runs each tick and another takes over when the holder stops renewing. The journey action ledger stays the
/// second line of defence: a step that two runs reach (a run cut short by a takeover) is still performed once.
/// </summary>
internal sealed partial class JourneySchedulerService : BackgroundService
{
    /// <summary>The lease of the scheduler duty.</summary>
    public const string LeaseName = "marketing.lifecycle.journey-scheduler";

    /// <summary>The longest tick: a lease lasts three ticks and a lease lasts at most a day.</summary>
    private static readonly TimeSpan MaxTick = TimeSpan.FromHours(8);

    private readonly JourneyEngine _engine;
    private readonly ILogger<JourneySchedulerService> _logger;
    private readonly LeasedSchedule? _schedule;

    public JourneySchedulerService(JourneyEngine engine, ILeaseStore leases, IOptions<LifecycleOptions> options, TimeProvider timeProvider, ILogger<JourneySchedulerService> logger)
        : this(engine, leases, options, timeProvider, logger, HostId.Current)
    {
    }

    internal JourneySchedulerService(JourneyEngine engine, ILeaseStore leases, IOptions<LifecycleOptions> options, TimeProvider timeProvider, ILogger<JourneySchedulerService> logger, string owner)
    {
        _engine = engine;
        _logger = logger;
        var o = options.Value.Journeys;
        if (o.RunScheduler && o.Definitions.Count > 0)
        {
            var tick = o.PollInterval < MaxTick ? o.PollInterval : MaxTick;
            _schedule = new LeasedSchedule(leases, timeProvider, LeaseName, owner, tick, tick * 3);
        }
    }

    /// <summary>The lease held after the last tick, if any.</summary>
    internal LeaseGrant? Lease => _schedule?.Current;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _schedule is null ? Task.CompletedTask : _schedule.RunAsync(RunAsync, Failed, stoppingToken);

    /// <summary>One tick: takes or renews the lease and runs the due steps when it holds it. Returns whether they ran.</summary>
    internal ValueTask<bool> TickAsync(CancellationToken cancellationToken = default) =>
        _schedule is null ? ValueTask.FromResult(false) : _schedule.TickAsync(RunAsync, Failed, cancellationToken);

    private async ValueTask RunAsync(LeaseGrant lease, CancellationToken cancellationToken) =>
        await _engine.RunDueAsync(cancellationToken).ConfigureAwait(false);

    private void Failed(Exception ex)
    {
        // The run calls host code (gates, handlers, stores): log the code, the redacted form at Debug.
        var code = RedactedException.Code(ex);
        LogRunFailed(_logger, code);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(ex);
            LogRunFailedDetail(_logger, redacted);
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "A journey scheduler run failed ({ErrorCode}); it is retried on the next tick.")]
    private static partial void LogRunFailed(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Journey scheduler run failure, redacted")]
    private static partial void LogRunFailedDetail(ILogger logger, Exception exception);
}
