using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Hosting;

/// <summary>
/// Runs a background duty on a fixed interval on exactly one of the hosts sharing a store: each tick
/// takes or renews the duty's lease and runs the duty only while holding it. The duty's token is
/// cancelled shortly before the lease would lapse, so a slow run stops before another host can take
/// over; on shutdown the lease is released so another host takes the duty at once.
/// </summary>
/// <remarks>
/// <para>Two modes. <b>Interval</b> (the constructor without a state store): the duty runs on every tick of the
/// holder, and the lease outlasts a few ticks. <b>Period</b> (<see cref="Periodic"/>): for duties that run rarely
/// (daily retraining, weekly reports) a lease as long as the period would be both impossible (leases are capped at a
/// day) and harmful (a dead holder would block the duty for a whole period). The hosts then tick often with a short
/// lease, and the time of the last run is a shared state document (scope <see cref="RunsScope"/>, key = the lease
/// name): the holder runs the duty only once the period since the last recorded run has passed, renews the lease
/// every third of its duration while the run goes on (a run is cancelled when a renewal fails), and records the run
/// when it ends. A restarted or new holder therefore waits for the rest of the period instead of running at once.</para>
/// </remarks>
/// <remarks>Shared source: compiled into each package that schedules a duty.</remarks>
internal sealed class LeasedSchedule
{
    private readonly ILeaseStore _leases;
    private readonly TimeProvider _time;
    private readonly string _name;
    private readonly string _owner;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _leaseDuration;
    private readonly IStateStore? _runs;
    private readonly TimeSpan _period;
    private LeaseGrant? _grant;

    /// <summary>The scope of the documents that record each periodic duty's last run.</summary>
    public const string RunsScope = "marketing.schedules";

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
        _period = interval;
    }

    private LeasedSchedule(ILeaseStore leases, IStateStore runs, TimeProvider timeProvider, string name, string owner, TimeSpan period, TimeSpan leaseDuration)
    {
        _leases = leases;
        _runs = runs;
        _time = timeProvider;
        _name = name;
        _owner = owner;
        _period = period;
        _leaseDuration = leaseDuration;
        // Check often enough that a lapsed holder is replaced within a lease, and never less often than the period.
        _interval = TimeSpan.FromTicks(Math.Min(period.Ticks, leaseDuration.Ticks / 3));
    }

    /// <summary>
    /// A schedule that runs the duty once per <paramref name="period"/> (any length) on one host, recording each run in
    /// <paramref name="runs"/> and holding a short <paramref name="leaseDuration"/> lease, renewed while the run goes on.
    /// </summary>
    /// <param name="leases">Where leases are kept (shared by the hosts).</param>
    /// <param name="runs">Where the last run is recorded (shared by the hosts).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="name">The duty's lease name (also the key of its run record).</param>
    /// <param name="owner">This host's id (see <see cref="HostId"/>).</param>
    /// <param name="period">Time between runs (positive).</param>
    /// <param name="leaseDuration">How long the lease lasts (at least 3 ticks of 1 ms; at most what the lease store allows).</param>
    public static LeasedSchedule Periodic(ILeaseStore leases, IStateStore runs, TimeProvider timeProvider, string name, string owner, TimeSpan period, TimeSpan leaseDuration)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(leaseDuration, TimeSpan.FromMilliseconds(3));
        return new LeasedSchedule(leases, runs, timeProvider, name, owner, period, leaseDuration);
    }

    /// <summary>How often the hosts check (the timer period of <see cref="RunAsync"/>).</summary>
    public TimeSpan Tick => _interval;

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
            if (_runs is not null)
            {
                return await RunPeriodicAsync(grant, duty, stoppingToken).ConfigureAwait(false);
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

    /// <summary>Runs the duty when its period since the last recorded run has passed, renewing the lease meanwhile.</summary>
    private async ValueTask<bool> RunPeriodicAsync(LeaseGrant grant, Func<LeaseGrant, CancellationToken, ValueTask> duty, CancellationToken stoppingToken)
    {
        var started = _time.GetUtcNow();
        var record = await _runs!.GetAsync(RunsScope, _name, stoppingToken).ConfigureAwait(false);
        if (record is not null
            && long.TryParse(record.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lastTicks)
            && lastTicks <= started.UtcTicks && started.UtcTicks - lastTicks < _period.Ticks)
        {
            return false; // Not due yet (a record that cannot be read, or lies in the future, counts as due).
        }
        using var lapse = new CancellationTokenSource(LapseBudget(grant), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(lapse.Token, stoppingToken);
        using var done = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(lapse, done.Token);
        try
        {
            await duty(grant, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }
        var value = started.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await _runs.SaveAsync(RunsScope, _name, value, record?.Version ?? 0, stoppingToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // Another holder recorded a run meanwhile (this one overlapped a takeover): its record stands.
        }
        return true;
    }

    /// <summary>Three quarters of what is left of the lease: a run stops well before another host could take over.</summary>
    private TimeSpan LapseBudget(LeaseGrant grant)
    {
        var left = (grant.ExpiresAt - _time.GetUtcNow()) * 0.75;
        return left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
    }

    /// <summary>While a periodic run goes on, renews the lease every third of its duration; a lost lease cancels the run.</summary>
    private async Task HeartbeatAsync(CancellationTokenSource lapse, CancellationToken done)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_leaseDuration / 3, _time, done).ConfigureAwait(false);
                var renewed = _grant is { } g ? await _leases.RenewAsync(g, _leaseDuration, done).ConfigureAwait(false) : null;
                _grant = renewed;
                if (renewed is null)
                {
                    await lapse.CancelAsync().ConfigureAwait(false);
                    return;
                }
                lapse.CancelAfter(LapseBudget(renewed));
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A renewal that fails leaves the lease to lapse: the run is cut short, the next tick decides again.
        catch (Exception)
#pragma warning restore CA1031
        {
            await lapse.CancelAsync().ConfigureAwait(false);
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
