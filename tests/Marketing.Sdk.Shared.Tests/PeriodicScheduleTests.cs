using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.SharedSource.Tests;

/// <summary>
/// A duty that runs once a day (or rarer) under a short lease: the last run is a shared record, so the period is not
/// bounded by the lease store's one-day cap, a dead holder is replaced within a lease, and a new holder waits for the
/// rest of the period.
/// </summary>
public sealed class PeriodicScheduleTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(6);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 3, 0, 0, TimeSpan.Zero));
    private readonly ILeaseStore _leases;
    private readonly IStateStore _state;
    private readonly List<string> _runs = [];
    private readonly List<Exception> _failures = [];

    public PeriodicScheduleTests()
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time);
        services.AddMarketingSdk();
        var provider = services.BuildServiceProvider();
        _leases = provider.GetRequiredService<ILeaseStore>();
        _state = provider.GetRequiredService<IStateStore>();
    }

    private LeasedSchedule Schedule(string owner, TimeSpan? period = null) =>
        LeasedSchedule.Periodic(_leases, _state, _time, "recommendations.retrain", owner, period ?? Day, Lease);

    private Func<LeaseGrant, CancellationToken, ValueTask> Duty(string owner) => (_, _) =>
    {
        _runs.Add(owner);
        return ValueTask.CompletedTask;
    };

    [Fact]
    public async Task A_daily_duty_runs_once_a_day_on_one_host_and_another_takes_over_within_a_lease()
    {
        var a = Schedule("a");
        var b = Schedule("b");
        Assert.Equal(TimeSpan.FromMinutes(2), a.Tick); // a third of the lease: a dead holder is noticed quickly
        Assert.True(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
        // The rest of the day: a keeps the lease, nobody runs.
        for (var t = a.Tick; t < Day; t += a.Tick)
        {
            _time.Advance(a.Tick);
            Assert.False(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
            Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        }
        _time.Advance(a.Tick);
        Assert.True(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
        Assert.Equal(["a", "a"], _runs);

        // a dies: b holds the lease once a's short lease lapsed, minutes later, but runs only when the day is over.
        _time.Advance(Lease + a.Tick);
        Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        Assert.NotNull(b.Current);
        _time.Advance(Day - Lease - a.Tick - TimeSpan.FromMinutes(1));
        Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        Assert.Equal(["a", "a", "b"], _runs);
        Assert.Empty(_failures);
    }

    [Fact]
    public async Task A_restarted_host_waits_for_the_rest_of_the_period()
    {
        var weekly = TimeSpan.FromDays(7);
        Assert.True(await Schedule("a", weekly).TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
        _time.Advance(TimeSpan.FromDays(3));
        var restarted = Schedule("a2", weekly);
        Assert.False(await restarted.TickAsync(Duty("a2"), _failures.Add, CancellationToken.None));
        _time.Advance(TimeSpan.FromDays(4));
        Assert.True(await restarted.TickAsync(Duty("a2"), _failures.Add, CancellationToken.None));
        Assert.Equal(["a", "a2"], _runs);
    }

    [Fact]
    public async Task A_run_longer_than_the_lease_keeps_it_by_renewing_and_stops_when_it_is_lost()
    {
        var a = Schedule("a");
        var b = Schedule("b");
        var renewedThrough = false;
        var ran = await a.TickAsync(async (_, token) =>
        {
            // Three leases long: the heartbeat renews every third of the lease, so b never gets the duty.
            for (var step = 0; step < 18; step++)
            {
                _time.Advance(TimeSpan.FromMinutes(1));
                await Task.Yield();
                await Task.Yield();
                Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
                token.ThrowIfCancellationRequested();
            }
            renewedThrough = true;
        }, _failures.Add, CancellationToken.None);
        Assert.True(ran);
        Assert.True(renewedThrough);
        Assert.Empty(_runs);
        Assert.Empty(_failures);

        // The lease is taken away (released by an operator): the heartbeat's next renewal fails and the run is cancelled.
        _time.Advance(Day);
        Exception? stopped = null;
        ran = await a.TickAsync(async (grant, token) =>
        {
            await _leases.ReleaseAsync(a.Current!, CancellationToken.None);
            Assert.NotNull(await _leases.TryAcquireAsync("recommendations.retrain", "c", Lease, CancellationToken.None));
            try
            {
                for (var step = 0; step < 12 && !token.IsCancellationRequested; step++)
                {
                    _time.Advance(TimeSpan.FromMinutes(1));
                    await Task.Yield();
                    await Task.Yield();
                }
                token.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException e)
            {
                stopped = e;
                throw;
            }
        }, _failures.Add, CancellationToken.None);
        Assert.False(ran);
        Assert.NotNull(stopped);
    }

    [Fact]
    public void Periods_are_not_bounded_by_the_lease()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), Schedule("a", TimeSpan.FromDays(30)).Tick);
        Assert.Equal(TimeSpan.FromSeconds(30), Schedule("a", TimeSpan.FromSeconds(30)).Tick);
        Assert.Throws<ArgumentOutOfRangeException>(() => LeasedSchedule.Periodic(_leases, _state, _time, "x", "a", TimeSpan.Zero, Lease));
    }
}
