using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Recommendations;

/// <summary>
/// Loads the current model version when the host starts, checks for a newer one every
/// <see cref="RecommendationOptions.ModelCheckInterval"/>, and — with
/// <see cref="RecommendationOptions.RetrainInterval"/> set — retrains on one host at a time under
/// the lease <see cref="RetrainLeaseName"/> and publishes the new version for all. The schedule is periodic: the last
/// run is recorded in the state store, and the lease is short (renewed while a run goes on), so intervals of a day or
/// more work and a host that dies is replaced within a lease.
/// </summary>
internal sealed class RecommendationModelHostedService : IHostedService, IDisposable
{
    internal const string RetrainLeaseName = "recommendations.retrain";
    private readonly RecommendationModelSync _sync;
    private readonly RecommendationTrainer _trainer;
    private readonly RecommendationModelHolder _holder;
    private readonly ILeaseStore _leases;
    private readonly TimeProvider _time;
    private readonly RecommendationOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private PeriodicTimer? _checkTimer;
    private Task? _checkLoop;
    private Task? _retrainLoop;

    public RecommendationModelHostedService(RecommendationModelSync sync, RecommendationTrainer trainer, RecommendationModelHolder holder, ILeaseStore leases,
        IStateStore state, TimeProvider time, IOptions<RecommendationOptions> options, ILogger<RecommendationModelHostedService> logger)
    {
        _sync = sync;
        _trainer = trainer;
        _holder = holder;
        _leases = leases;
        _time = time;
        _options = options.Value;
        _logger = logger;
        Schedule = _options.RetrainInterval is { } interval
            // One owner per service provider: two hosts in one process are two lease holders too.
            // A recorded last run and a short lease renewed while training: any interval (daily, weekly) fits under the lease cap.
            ? LeasedSchedule.Periodic(leases, state, time, RetrainLeaseName, HostId.Current + "/" + Guid.NewGuid().ToString("N")[..8], interval, _options.EffectiveRetrainLeaseDuration)
            : null;
    }

    /// <summary>The retraining schedule, or <see langword="null"/> when retraining is off.</summary>
    internal LeasedSchedule? Schedule { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Load before the host takes traffic; a store failure is logged and the checks try again.
        await _sync.CheckAsync(cancellationToken).ConfigureAwait(false);
        _checkTimer = new PeriodicTimer(_options.ModelCheckInterval, _time);
        _checkLoop = CheckLoopAsync(_checkTimer, _stopping.Token);
        if (Schedule is { } schedule)
        {
            _retrainLoop = schedule.RunAsync(RetrainDutyAsync, OnRetrainFailure, _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _checkLoop, _retrainLoop })
        {
            if (loop is not null)
            {
                await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CheckLoopAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await _sync.CheckAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One retraining run under the lease: skipped while the current version is younger than the interval.</summary>
    internal async ValueTask RetrainDutyAsync(LeaseGrant grant, CancellationToken cancellationToken)
    {
        // Catch up with what other hosts published first, so the age check sees the newest version.
        await _sync.CheckAsync(cancellationToken).ConfigureAwait(false);
        if (_holder.CurrentVersion is { } current && _time.GetUtcNow() - current.TrainedAt < _options.RetrainInterval)
        {
            Log.RetrainSkipped(_logger, current.Version);
            return;
        }
        await _trainer.RetrainAsync(grant.FencingToken, cancellationToken).ConfigureAwait(false);
    }

    private void OnRetrainFailure(Exception ex)
    {
        Log.RetrainFailed(_logger, RedactedException.Code(ex));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(ex);
            Log.RetrainFailedDetail(_logger, redacted);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _checkTimer?.Dispose();
    }
}
