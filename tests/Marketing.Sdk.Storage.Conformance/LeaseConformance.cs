using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>Leases (<see cref="ILeaseStore"/>) over the provider's state store: one holder at a time, across hosts.</summary>
public abstract partial class StateStoreConformance
{
    private ILeaseStore Leases()
    {
        // The registration path users take: AddMarketingSdk puts ILeaseStore over whatever IStateStore the host has.
        var services = new ServiceCollection().AddSingleton(Store.State).AddSingleton<TimeProvider>(Time);
        services.AddMarketingSdk();
        return services.BuildServiceProvider().GetRequiredService<ILeaseStore>();
    }

    [SkippableFact]
    public async Task A_lease_has_one_holder_until_it_lapses_and_the_next_holder_gets_a_higher_token()
    {
        var leases = Leases();
        var a = await leases.TryAcquireAsync("segments.refresh", "host-a", TimeSpan.FromMinutes(1));
        Assert.NotNull(a);
        Assert.Null(await leases.TryAcquireAsync("segments.refresh", "host-b", TimeSpan.FromMinutes(1)));
        Assert.NotNull(await leases.TryAcquireAsync("other.duty", "host-b", TimeSpan.FromMinutes(1)));

        Time.Advance(TimeSpan.FromSeconds(61));
        var b = await leases.TryAcquireAsync("segments.refresh", "host-b", TimeSpan.FromMinutes(1));
        Assert.NotNull(b);
        Assert.True(b.FencingToken > a.FencingToken);
        Assert.Null(await leases.RenewAsync(a, TimeSpan.FromMinutes(1)));
        Assert.False(await leases.ReleaseAsync(a));
        Assert.Null(await leases.TryAcquireAsync("segments.refresh", "host-a", TimeSpan.FromMinutes(1)));
    }

    [SkippableFact]
    public async Task Renewal_extends_the_lease_and_keeps_its_token_and_release_frees_it_at_once()
    {
        var leases = Leases();
        var a = (await leases.TryAcquireAsync("retention", "host-a", TimeSpan.FromMinutes(1)))!;
        Time.Advance(TimeSpan.FromSeconds(50));
        var renewed = await leases.RenewAsync(a, TimeSpan.FromMinutes(1));
        Assert.NotNull(renewed);
        Assert.Equal(a.FencingToken, renewed.FencingToken);
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Null(await leases.TryAcquireAsync("retention", "host-b", TimeSpan.FromMinutes(1)));

        var again = await leases.TryAcquireAsync("retention", "host-a", TimeSpan.FromMinutes(1));
        Assert.Equal(a.FencingToken, again!.FencingToken);
        Assert.True(await leases.ReleaseAsync(again));
        var b = await leases.TryAcquireAsync("retention", "host-b", TimeSpan.FromMinutes(1));
        Assert.NotNull(b);
        Assert.True(b.FencingToken > a.FencingToken);
        // The released grant cannot be used again.
        Assert.Null(await leases.RenewAsync(again, TimeSpan.FromMinutes(1)));
    }

    [SkippableFact]
    public async Task Concurrent_takers_of_a_free_lease_have_exactly_one_winner()
    {
        var leases = Leases();
        var takers = Enumerable.Range(0, 8)
            .Select(i => Task.Run(async () => await leases.TryAcquireAsync("journeys.scheduler", $"host-{i}", TimeSpan.FromMinutes(1))))
            .ToArray();
        var grants = await Task.WhenAll(takers);
        Assert.Single(grants, g => g is not null);
    }

    [SkippableFact]
    public async Task An_unreadable_lease_document_counts_as_lapsed_and_is_replaced()
    {
        await Store.State.SaveAsync("marketing.leases", "models.retrain", "not a lease", 0);
        var leases = Leases();
        var grant = await leases.TryAcquireAsync("models.retrain", "host-a", TimeSpan.FromMinutes(1));
        Assert.NotNull(grant);
        Assert.Null(await leases.TryAcquireAsync("models.retrain", "host-b", TimeSpan.FromMinutes(1)));
    }
}
