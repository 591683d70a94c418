using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Hosting;

/// <summary>
/// Runs a background duty on a fixed interval on exactly one of the hosts sharing a store: each tick
/// takes or renews the duty's lease and runs the duty only while holding it. The duty's token is
/// cancelled shortly before the lease would lapse, so a slow run stops before another host can take
/// over; on shutdown the lease is released so another host takes the duty at once.
/// </summary>
/// <remarks>Shared source: compiled into each package that schedules a duty.</remarks>
internal sealed class LeasedSchedule
{
    private readonly ILeaseStore _leases;
    private readonly TimeProvider _time;
    private readonly string _name;
    private readonly string _owner;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _leaseDuration;
    private LeaseGrant? _grant;

    /// <param name="leases">Where leases are kept (shared by the hosts).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="name">The duty's lease name.</param>
    /// <param name="owner">This host's id (see <see cref="HostId"/>).</param>
    /// <param name="interval">Time between runs.</param>
    /// <param name="leaseDuration">How long a lease lasts; renewed every tick, so it must exceed <paramref name="interval"/>.</param>
    public LeasedSchedule(ILeaseStore leases, TimeProvider timeProvider, string name, string owner, TimeSpan interval, TimeSpan leaseDuration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, interval);
        _leases = leases;
        _time = timeProvider;
        _name = name;
        _owner = owner;
        _interval = interval;
        _leaseDuration = leaseDuration;
    }

    /// <summary>The lease held after the last tick, if any.</summary>
    public LeaseGrant? Current => _grant;

    /// <summary>Ticks until <paramref name="stoppingToken"/> is cancelled, then releases the lease.</summary>
    /// <param name="duty">The work; gets the lease (its fencing token) and a token cancelled before the lease lapses.</param>
    /// <param name="onFailure">Called with any failure of the lease store or the duty (the next tick tries again).</param>
    /// <param name="stoppingToken">Stops the schedule.</param>
    public async Task RunAsync(Func<LeaseGrant, CancellationToken, ValueTask> duty, Action<Exception> onFailure, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                await TickAsync(duty, onFailure, stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await ReleaseAsync(onFailure).ConfigureAwait(false);
        }
    }

    /// <summary>One tick: take or renew the lease, then run the duty if held. Returns whether the duty ran.</summary>
    public async ValueTask<bool> TickAsync(Func<LeaseGrant, CancellationToken, ValueTask> duty, Action<Exception> onFailure, CancellationToken stoppingToken)
    {
        try
        {
            _grant = _grant is null
                ? await _leases.TryAcquireAsync(_name, _owner, _leaseDuration, stoppingToken).ConfigureAwait(false)
                : await _leases.RenewAsync(_grant, _leaseDuration, stoppingToken).ConfigureAwait(false)
                  ?? await _leases.TryAcquireAsync(_name, _owner, _leaseDuration, stoppingToken).ConfigureAwait(false);
            if (_grant is not { } grant)
            {
                return false;
            }
            // Stop the run at three quarters of the lease, well before another host could take it.
            var budget = (grant.ExpiresAt - _time.GetUtcNow()) * 0.75;
            if (budget <= TimeSpan.Zero)
            {
                return false;
            }
            using var lapse = new CancellationTokenSource(budget, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(lapse.Token, stoppingToken);
            await duty(grant, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed tick is reported and tried again on the next one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            onFailure(ex);
            return false;
        }
    }

    private async ValueTask ReleaseAsync(Action<Exception> onFailure)
    {
        if (_grant is not { } grant)
        {
            return;
        }
        _grant = null;
        try
        {
            await _leases.ReleaseAsync(grant, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Shutting down: a lease that cannot be released lapses on its own.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            onFailure(ex);
        }
    }
}

/// <summary>This process's id as a lease owner: machine, process and a random part (no personal data).</summary>
internal static class HostId
{
    /// <summary>The id, fixed for the life of the process.</summary>
    public static string Current { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
}
