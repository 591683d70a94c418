using Marketing.Sdk.Hosting;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.SharedSource.Tests;

public sealed class LeasedScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(3);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private readonly ILeaseStore _leases;
    private readonly List<string> _runs = [];
    private readonly List<Exception> _failures = [];

    public LeasedScheduleTests()
    {
        // Two "hosts" share one state store (as two processes share one database).
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time);
        services.AddMarketingSdk();
        _leases = services.BuildServiceProvider().GetRequiredService<ILeaseStore>();
    }

    private LeasedSchedule Schedule(string owner) => new(_leases, _time, "segments.refresh", owner, Interval, LeaseDuration);

    private Func<LeaseGrant, CancellationToken, ValueTask> Duty(string owner) => (_, _) =>
    {
        _runs.Add(owner);
        return ValueTask.CompletedTask;
    };

    [Fact]
    public async Task Only_the_holder_runs_each_tick_and_another_host_takes_over_when_renewals_stop()
    {
        var a = Schedule("a");
        var b = Schedule("b");
        for (var tick = 0; tick < 3; tick++)
        {
            Assert.True(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
            Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
            _time.Advance(Interval);
        }
        Assert.Equal(["a", "a", "a"], _runs);

        // Host a dies (no more ticks): b is refused until a's last lease lapses, then takes the duty.
        _time.Advance(LeaseDuration - (2 * Interval));
        Assert.False(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        _time.Advance(Interval);
        Assert.True(await b.TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        Assert.True(b.Current!.FencingToken > 0);
        Assert.Empty(_failures);

        // When a comes back it finds its lease lost and does not run.
        Assert.False(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
        Assert.Equal(["a", "a", "a", "b"], _runs);
    }

    [Fact]
    public async Task Stopping_releases_the_lease_so_another_host_runs_at_once()
    {
        var a = Schedule("a");
        using var stop = new CancellationTokenSource();
        var running = a.RunAsync(async (_, _) => { _runs.Add("a"); await stop.CancelAsync(); }, _failures.Add, stop.Token);
        await running;
        Assert.Equal(["a"], _runs);
        Assert.Null(a.Current);

        Assert.True(await Schedule("b").TickAsync(Duty("b"), _failures.Add, CancellationToken.None));
        Assert.Empty(_failures);
    }

    [Fact]
    public async Task A_run_is_cancelled_before_its_lease_could_lapse()
    {
        var a = Schedule("a");
        var cancelledAt = TimeSpan.Zero;
        var started = _time.GetUtcNow();
        var ran = await a.TickAsync(async (_, token) =>
        {
            while (!token.IsCancellationRequested)
            {
                _time.Advance(TimeSpan.FromSeconds(10));
                await Task.Yield();
            }
            cancelledAt = _time.GetUtcNow() - started;
            token.ThrowIfCancellationRequested();
        }, _failures.Add, CancellationToken.None);

        Assert.False(ran);
        Assert.InRange(cancelledAt, LeaseDuration * 0.75, LeaseDuration - TimeSpan.FromSeconds(1));
        Assert.IsAssignableFrom<OperationCanceledException>(Assert.Single(_failures));
    }

    [Fact]
    public async Task A_failing_duty_is_reported_and_the_next_tick_runs_again()
    {
        var a = Schedule("a");
        Assert.False(await a.TickAsync((_, _) => throw new InvalidOperationException("store down"), _failures.Add, CancellationToken.None));
        Assert.Single(_failures);
        _time.Advance(Interval);
        Assert.True(await a.TickAsync(Duty("a"), _failures.Add, CancellationToken.None));
    }

    [Fact]
    public void The_lease_must_outlast_the_interval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeasedSchedule(_leases, _time, "x", "a", Interval, Interval));
    }
}
