using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Segmentation;

/// <summary>
/// The republish sweep: every <see cref="SegmentationOptions.RepublishAfter"/>, on one host at a time (the lease
/// <see cref="LeaseName"/>, three periods long, renewed every tick), delivers the membership changes that were
/// recorded but not delivered to every listener within that time — their host stopped between the membership
/// write and the listeners, or a listener failed — under their original change ids.
/// </summary>
internal sealed class SegmentChangeRepublisher : BackgroundService
{
    /// <summary>The lease of the republish duty.</summary>
    public const string LeaseName = "marketing.segmentation.republish";

    private readonly ISegmentService _segments;
    private readonly ILogger<SegmentChangeRepublisher> _logger;
    private readonly LeasedSchedule? _schedule;

    public SegmentChangeRepublisher(ISegmentService segments, ILeaseStore leases, IOptions<SegmentationOptions> options, TimeProvider timeProvider, ILogger<SegmentChangeRepublisher> logger)
        : this(segments, leases, options, timeProvider, logger, HostId.Current)
    {
    }

    internal SegmentChangeRepublisher(ISegmentService segments, ILeaseStore leases, IOptions<SegmentationOptions> options, TimeProvider timeProvider, ILogger<SegmentChangeRepublisher> logger, string owner)
    {
        _segments = segments;
        _logger = logger;
        // Only the built-in service records changes; a host's own ISegmentService has nothing to republish.
        if (options.Value.RepublishAfter is { } period && segments is SegmentService)
        {
            _schedule = new LeasedSchedule(leases, timeProvider, LeaseName, owner, period, period * 3);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _schedule is null ? Task.CompletedTask : _schedule.RunAsync(RunAsync, Failed, stoppingToken);

    /// <summary>One tick: takes or renews the lease and sweeps when it holds it. Returns whether the sweep ran.</summary>
    internal ValueTask<bool> TickAsync(CancellationToken cancellationToken = default) =>
        _schedule is null ? ValueTask.FromResult(false) : _schedule.TickAsync(RunAsync, Failed, cancellationToken);

    private async ValueTask RunAsync(LeaseGrant lease, CancellationToken cancellationToken) =>
        await ((SegmentService)_segments).RepublishPendingAsync(cancellationToken).ConfigureAwait(false);

    private void Failed(Exception exception) => SegmentationLog.RepublishFailed(_logger, exception);
}
