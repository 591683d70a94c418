using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>With several hosts on one store, the journey scheduler runs on one of them per tick, under a lease.</summary>
public sealed class SchedulerLeaseTests
{
    private static void CartAbandonment(LifecycleOptions o) =>
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart)
            .ExitOn(EventType.Purchase)
            .Wait(TimeSpan.FromHours(1))
            .IssueCoupon("CART10", Channel.Email));

    private sealed class Hosts : IDisposable
    {
        public Hosts()
        {
            One = new Harness(CartAbandonment, Store, Time, Handler, Profiles, s => s.AddMarketingSdk());
            Two = new Harness(CartAbandonment, Store, Time, Handler, Profiles, s => s.AddMarketingSdk());
        }

        public IStateStore Store { get; } = new InMemoryStateStore();
        public FakeTimeProvider Time { get; } = new(Harness.Start);
        public RecordingHandler Handler { get; } = new();
        public FakeProfileStore Profiles { get; } = new();
        public Harness One { get; }
        public Harness Two { get; }

        public static JourneySchedulerService Scheduler(Harness host, string owner)
        {
            var options = new LifecycleOptions();
            CartAbandonment(options);
            options.Journeys.PollInterval = TimeSpan.FromMinutes(1);
            return new JourneySchedulerService(host.Engine, host.Provider.GetRequiredService<ILeaseStore>(), Options.Create(options), host.Time,
                NullLogger<JourneySchedulerService>.Instance, owner);
        }

        public void Dispose()
        {
            One.Dispose();
            Two.Dispose();
        }
    }

    [Fact]
    public async Task One_host_runs_the_due_steps_per_tick_and_another_takes_over_when_the_holder_stops_renewing()
    {
        using var hosts = new Hosts();
        hosts.One.AddCustomer(Harness.Alice);
        await hosts.One.Track(EventType.AddToCart);
        var first = Hosts.Scheduler(hosts.One, "host-1");
        var second = Hosts.Scheduler(hosts.Two, "host-2");

        Assert.True(await first.TickAsync());
        Assert.False(await second.TickAsync());

        // Every minute for an hour both hosts tick: host 2 never runs (the lease is held and renewed), host 1
        // always does, and performs the step once it is due.
        for (var minute = 1; minute <= 60; minute++)
        {
            hosts.Time.Advance(TimeSpan.FromMinutes(1));
            Assert.False(await second.TickAsync());
            Assert.True(await first.TickAsync());
            Assert.Equal(minute < 60 ? 0 : 1, hosts.Handler.Calls.Count);
        }
        Assert.False(await second.TickAsync());

        // Host 1 stops renewing; after its lease (three ticks) lapses, host 2 takes over with a newer fencing token.
        var held = first.Lease!;
        hosts.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await second.TickAsync());
        hosts.Time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.True(await second.TickAsync());
        Assert.True(second.Lease!.FencingToken > held.FencingToken);
        Assert.False(await first.TickAsync());
        Assert.Single(hosts.Handler.Calls);
        Assert.Equal(EnrollmentStatus.Completed, (await hosts.Two.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task Runs_overlapping_a_takeover_still_perform_each_due_action_once()
    {
        using var hosts = new Hosts();
        var customers = Enumerable.Range(0, 20).Select(i => new CustomerId($"c_{i:D2}")).ToList();
        foreach (var c in customers)
        {
            hosts.One.AddCustomer(c);
            await hosts.One.Track(EventType.AddToCart, c);
        }
        hosts.Time.Advance(TimeSpan.FromHours(1));

        // The second line of defence: both engines run the due steps at once (as a run cut short by a takeover may).
        await Task.WhenAll(
            Task.Run(async () => await hosts.One.Engine.RunDueAsync()),
            Task.Run(async () => await hosts.Two.Engine.RunDueAsync()));

        Assert.Equal(customers.Order(), hosts.Handler.Effects.Select(e => e.CustomerId).Order());
    }

    [Fact]
    public async Task The_hosted_scheduler_releases_its_lease_on_stop()
    {
        using var hosts = new Hosts();
        var scheduler = Hosts.Scheduler(hosts.One, "host-1");
        await ((IHostedService)scheduler).StartAsync(CancellationToken.None);
        await ((IHostedService)scheduler).StopAsync(CancellationToken.None);
        // Released: another host takes the duty at once instead of waiting for the lease to lapse.
        var leases = hosts.Two.Provider.GetRequiredService<ILeaseStore>();
        Assert.NotNull(await leases.TryAcquireAsync(JourneySchedulerService.LeaseName, "host-2", TimeSpan.FromMinutes(3)));
    }
}
