using System.Collections.Concurrent;
using Marketing.Sdk.Compliance.Retention;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Compliance.Tests;

/// <summary>With several hosts on one store, retention runs on one host at a time and once per interval.</summary>
public sealed class RetentionLeaseTests
{
    private sealed class CountingEraser : IPersonalDataEraser
    {
        public ConcurrentQueue<CustomerId> Erased { get; } = new();

        public string Name => "counting";

        public ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
        {
            Erased.Enqueue(customerId);
            return ValueTask.FromResult(0L);
        }
    }

    private static RetentionBackgroundService Service(Host host, string owner) => new(
        host.Provider,
        host.Get<ILeaseStore>(),
        host.Get<IStateStore>(),
        host.Get<IOptions<ComplianceOptions>>(),
        host.Time,
        host.Get<ILogger<RetentionBackgroundService>>(),
        owner);

    private static ValueTask<CustomerProfile> StaleAsync(Host host, string id) =>
        host.Get<IProfileStore>().SaveAsync(new CustomerProfile { Id = new CustomerId(id), FirstSeen = host.Time.GetUtcNow().AddDays(-400), LastSeen = host.Time.GetUtcNow().AddDays(-400) });

    [Fact]
    public async Task One_host_runs_retention_once_per_interval_and_a_successor_keeps_the_schedule_after_a_takeover()
    {
        var eraser = new CountingEraser();
        await using var host = await Host.CreateAsync(
            configure: c => c.AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(365))),
            extra: s => s.AddSingleton<IPersonalDataEraser>(eraser));
        await StaleAsync(host, "c_first");
        var one = Service(host, "host-1");
        var two = Service(host, "host-2");

        Assert.True(await one.TickAsync());
        Assert.False(await two.TickAsync());
        Assert.Equal([new CustomerId("c_first")], eraser.Erased);

        // Hourly ticks: the holder renews, the other host never runs, and nothing runs again within the day.
        await StaleAsync(host, "c_second");
        for (var hour = 1; hour <= 5; hour++)
        {
            host.Time.Advance(TimeSpan.FromHours(1));
            Assert.False(await two.TickAsync());
            Assert.True(await one.TickAsync());
        }
        Assert.Single(eraser.Erased);

        // Host 1 stops renewing: host 2 takes over once the lease (three ticks) lapsed, and keeps the
        // recorded schedule: it does not run early, and runs when the day since the last run is over.
        var held = one.Lease!;
        host.Time.Advance(TimeSpan.FromHours(3.5));
        Assert.True(await two.TickAsync());
        Assert.True(two.Lease!.FencingToken > held.FencingToken);
        Assert.Single(eraser.Erased);
        while (host.Time.GetUtcNow() < held.ExpiresAt.AddHours(-3).AddHours(-5).AddDays(1))
        {
            host.Time.Advance(TimeSpan.FromHours(1));
            Assert.False(await one.TickAsync());
            Assert.True(await two.TickAsync());
        }
        Assert.Equal([new CustomerId("c_first"), new CustomerId("c_second")], eraser.Erased);

        // A restarted host (a new service on the same store) does not run again before the interval is over.
        await StaleAsync(host, "c_third");
        var restarted = Service(host, "host-2");
        Assert.True(await restarted.TickAsync());
        Assert.Equal(2, eraser.Erased.Count);
        var marker = await host.Get<IStateStore>().GetAsync(RetentionBackgroundService.Scope, RetentionBackgroundService.LastRunKey);
        Assert.NotNull(marker);
        Assert.Contains($"\"fencingToken\":{two.Lease!.FencingToken}", marker!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosted_retention_releases_its_lease_on_stop()
    {
        await using var host = await Host.CreateAsync(
            configure: c => c.AddRetention(new RetentionPolicy("inactive", RetentionDataKind.InactiveCustomers, TimeSpan.FromDays(365))));
        var service = Service(host, "host-1");
        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);
        Assert.NotNull(await host.Get<ILeaseStore>().TryAcquireAsync(RetentionBackgroundService.LeaseName, "host-2", TimeSpan.FromHours(3)));
    }
}
