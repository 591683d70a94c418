using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>The built-in refresh of rolling windows runs on one host at a time, under a lease.</summary>
public sealed class RefreshTests
{
    private readonly FakeTimeProvider _time = new(TestData.Now);
    private readonly MemoryProfileStore _profiles = new();
    private readonly MemoryEventStore _events = new();

    private async Task<SegmentHost> StartAsync(IStateStore state, TimeSpan? refresh = null) =>
        await SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton(state);
            s.AddSingleton<IProfileStore>(_profiles);
            s.AddSingleton<IEventStore>(_events);
        }, o => o.RefreshInterval = refresh ?? TimeSpan.FromMinutes(1));

    private static SegmentRefreshService Schedule(SegmentHost host, string owner) => new(
        host.Segments,
        host.Provider.GetRequiredService<ILeaseStore>(),
        host.Provider.GetRequiredService<IOptions<SegmentationOptions>>(),
        host.Provider.GetRequiredService<TimeProvider>(),
        NullLogger<SegmentRefreshService>.Instance,
        owner);

    /// <summary>Three customers who viewed a page just inside a 7-day window, one who viewed recently.</summary>
    private async Task SeedAsync()
    {
        for (var i = 0; i < 4; i++)
        {
            _profiles.Put(new CustomerProfile { Id = TestData.Id(i) });
            var at = i < 3 ? TestData.Now.AddDays(-7).AddSeconds(30) : TestData.Now.AddDays(-1);
            await _events.AppendAsync([TestData.Event(i, EventType.PageView, at)]);
        }
    }

    [Fact]
    public async Task Two_hosts_on_one_store_refresh_on_one_host_per_tick_publish_rolled_exits_once_and_the_other_takes_over_when_renewals_stop()
    {
        await SeedAsync();
        var state = new InMemoryStateStore();
        await using var a = await StartAsync(state);
        await using var b = await StartAsync(state);
        await a.Segments.DefineAsync(SegmentDefinition.Parse("recent", "exists(page_view) within 7d"));
        await a.Segments.DefineAsync(SegmentDefinition.Parse("ever", "exists(page_view)"));
        for (var i = 0; i < 4; i++)
        {
            await a.Segments.EvaluateCustomerAsync(TestData.Id(i));
        }
        Assert.Equal(8, a.Listener.Changes.Count(c => c.Entered));
        var refreshA = Schedule(a, "host-a");
        var refreshB = Schedule(b, "host-b");

        // Tick 1: a takes the lease and refreshes (nothing rolled yet); b finds it held.
        Assert.True(await refreshA.TickAsync());
        Assert.False(await refreshB.TickAsync());
        Assert.Equal(8, a.Listener.Changes.Count + b.Listener.Changes.Count);

        // Tick 2: the window rolled past three customers' views. Only the holder runs, and publishes each exit once.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await refreshB.TickAsync());
        Assert.True(await refreshA.TickAsync());
        Assert.False(await refreshB.TickAsync());
        Assert.Empty(b.Listener.Changes);
        Assert.Equal(
            [TestData.Id(0), TestData.Id(1), TestData.Id(2)],
            a.Listener.Changes.Where(c => !c.Entered).Select(c => c.CustomerId).Order());
        Assert.All(a.Listener.Changes.Where(c => !c.Entered), c => Assert.Equal("recent", c.SegmentId));
        Assert.Equal([TestData.Id(3)], await b.Segments.GetMembersAsync("recent").ToListAsync());

        // A second refresh (even an overlapping one) finds nothing new to publish.
        Assert.True(await refreshA.TickAsync());
        await ((SegmentService)b.Segments).RefreshRollingAsync(CancellationToken.None);
        Assert.Equal(11, a.Listener.Changes.Count + b.Listener.Changes.Count);

        // a stops renewing (its host hangs or died): once its lease lapsed, b takes over with a newer fencing token.
        var held = refreshA.Lease!;
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await refreshB.TickAsync()); // a's lease (3 minutes) is still current
        _time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.True(await refreshB.TickAsync());
        Assert.True(refreshB.Lease!.FencingToken > held.FencingToken);
        Assert.False(await refreshA.TickAsync()); // the old holder cannot renew a lapsed lease, nor take the current one
    }

    [Fact]
    public async Task The_hosted_refresh_is_off_without_an_interval_and_runs_once_started_with_one()
    {
        await SeedAsync();
        var state = new InMemoryStateStore();
        await using var off = await SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton<IStateStore>(state);
            s.AddSingleton<IProfileStore>(_profiles);
            s.AddSingleton<IEventStore>(_events);
        });
        var idle = Assert.Single(off.Provider.GetServices<IHostedService>().OfType<SegmentRefreshService>());
        Assert.False(await idle.TickAsync());
        Assert.Null(idle.Lease);

        await using var on = await StartAsync(state);
        await on.Segments.DefineAsync(SegmentDefinition.Parse("recent", "exists(page_view) within 7d"));
        var hosted = Assert.Single(on.Provider.GetServices<IHostedService>().OfType<SegmentRefreshService>());
        await hosted.StartAsync(CancellationToken.None);
        // The first tick runs at start: the lease is taken and the members recorded.
        await on.Listener.WaitForAsync(4);
        await hosted.StopAsync(CancellationToken.None);
        Assert.Equal(4, on.Listener.Changes.Count(c => c.Entered));
        // Stopping released the lease: another host takes it at once, with a new token.
        var leases = on.Provider.GetRequiredService<ILeaseStore>();
        var next = await leases.TryAcquireAsync(SegmentRefreshService.LeaseName, "host-b", TimeSpan.FromMinutes(3));
        Assert.NotNull(next);
    }

    [Fact]
    public void The_lease_lasts_three_intervals_and_at_most_a_day()
    {
        Assert.Equal(TimeSpan.FromMinutes(15), SegmentRefreshService.LeaseDuration(TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromDays(1), SegmentRefreshService.LeaseDuration(TimeSpan.FromHours(8)));
    }
}
