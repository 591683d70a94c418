using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// The built-in hosted refresh: every <see cref="SegmentationOptions.RefreshInterval"/> it evaluates the
/// segments with rolling windows, on one host at a time (a lease named <see cref="LeaseName"/> lasting
/// three intervals, renewed every tick). Exits from windows that rolled past are published once: the
/// membership documents decide each change by compare-and-swap, so even a run overlapping a takeover
/// publishes nothing twice.
/// </summary>
internal sealed class SegmentRefreshService : BackgroundService
{
    /// <summary>The lease of the refresh duty.</summary>
    public const string LeaseName = "marketing.segmentation.refresh";

    private readonly ISegmentService _segments;
    private readonly ILogger<SegmentRefreshService> _logger;
    private readonly LeasedSchedule? _schedule;

    public SegmentRefreshService(ISegmentService segments, ILeaseStore leases, IOptions<SegmentationOptions> options, TimeProvider timeProvider, ILogger<SegmentRefreshService> logger)
        : this(segments, leases, options, timeProvider, logger, HostId.Current)
    {
    }

    internal SegmentRefreshService(ISegmentService segments, ILeaseStore leases, IOptions<SegmentationOptions> options, TimeProvider timeProvider, ILogger<SegmentRefreshService> logger, string owner)
    {
        _segments = segments;
        _logger = logger;
        if (options.Value.RefreshInterval is { } interval)
        {
            _schedule = new LeasedSchedule(leases, timeProvider, LeaseName, owner, interval, LeaseDuration(interval));
        }
    }

    /// <summary>Three intervals (at most a day): a holder that misses two ticks keeps the duty; one that stops renewing loses it.</summary>
    internal static TimeSpan LeaseDuration(TimeSpan interval) => TimeSpan.FromTicks(Math.Min(interval.Ticks * 3, TimeSpan.FromDays(1).Ticks));

    /// <summary>The lease held after the last tick, if any.</summary>
    internal LeaseGrant? Lease => _schedule?.Current;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _schedule is null ? Task.CompletedTask : _schedule.RunAsync(RunAsync, Failed, stoppingToken);

    /// <summary>One tick: takes or renews the lease and refreshes when it holds it. Returns whether the refresh ran.</summary>
    internal ValueTask<bool> TickAsync(CancellationToken cancellationToken = default) =>
        _schedule is null ? ValueTask.FromResult(false) : _schedule.TickAsync(RunAsync, Failed, cancellationToken);

    private async ValueTask RunAsync(LeaseGrant lease, CancellationToken cancellationToken)
    {
        IReadOnlyList<SegmentEvaluationResult> results;
        if (_segments is SegmentService service)
        {
            results = await service.RefreshRollingAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // A host's own ISegmentService: evaluate every segment (it cannot tell which ones roll).
            var list = new List<SegmentEvaluationResult>();
            await foreach (var d in _segments.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(await _segments.EvaluateAsync(d.Id, cancellationToken).ConfigureAwait(false));
            }
            results = list;
        }
        int entered = 0, exited = 0;
        foreach (var r in results)
        {
            entered += r.Entered;
            exited += r.Exited;
        }
        SegmentationLog.Refreshed(_logger, results.Count, entered, exited, lease.FencingToken);
    }

    private void Failed(Exception exception) => SegmentationLog.RefreshFailed(_logger, exception);
}
