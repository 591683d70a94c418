using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketing.Sdk.Tests;

/// <summary>
/// Another writer acting between the steps of one ingestion: a merge between resolution and append, a failing
/// write between a claim and the profile. Decided by the stored state afterwards.
/// </summary>
public sealed class MergeRaceTests
{
    /// <summary>After the first resolution of <see cref="Trigger"/>'s event, runs <see cref="Between"/> once, then lets the append go on.</summary>
    private sealed class RacingResolver(IIdentityResolver inner) : IIdentityResolver
    {
        public string? Trigger { get; set; }
        public Func<Task>? Between { get; set; }

        public async ValueTask<IdentityResolution> ResolveAsync(IReadOnlyList<Identity> identities, string? eventId = null, CancellationToken cancellationToken = default)
        {
            var resolution = await inner.ResolveAsync(identities, eventId, cancellationToken);
            if (eventId is not null && eventId == Trigger && Between is { } between)
            {
                Between = null;
                await between();
            }
            return resolution;
        }
    }

    private static TestHost RacingHost(out Func<RacingResolver> resolver)
    {
        RacingResolver? racing = null;
        var host = new TestHost(m => m.Services.Replace(ServiceDescriptor.Singleton<IIdentityResolver>(sp =>
            racing = new RacingResolver(ActivatorUtilities.CreateInstance<IdentityResolver>(sp)))));
        var provider = host.Provider;
        resolver = () =>
        {
            provider.GetRequiredService<IIdentityResolver>();
            return racing!;
        };
        return host;
    }

    [Fact]
    public async Task An_event_resolved_to_a_customer_merged_away_before_its_append_is_stored_under_the_survivor()
    {
        await using var host = RacingHost(out var resolver);
        var email = Identity.Email("a@example.com");
        var phone = Identity.Phone("+8613800138000");
        var y = await host.Track(email);
        var x = await host.Track(phone);
        Assert.True(y < x);

        // "Host A" resolves its event to x; before it appends, "host B" links the two and merges x into y.
        var racing = resolver();
        var late = host.Event(EventType.PageView, phone);
        racing.Trigger = late.Id;
        racing.Between = async () => Assert.Equal(y, await host.Track(email, phone));
        var result = await host.Collector.TrackAsync(late);

        Assert.Equal(TrackStatus.Accepted, result.Status);
        Assert.Equal(y, result.CustomerId);
        Assert.Equal(0, await host.Events.CountAsync(new EventQuery { CustomerId = x }));
        Assert.Null(await host.ProfileStore.GetAsync(x));
        Assert.Equal(4, await host.Events.CountAsync(new EventQuery { CustomerId = y }));
        Assert.Equal(4, (await host.ProfileStore.GetAsync(y))!.EventCount);

        // The survivor's export and erasure cover the late event.
        var exported = new List<string>();
        await foreach (var e in host.Events.ReadAsync(new EventQuery { CustomerId = (await host.Profiles.FindByIdentityAsync(phone))!.Id }))
        {
            exported.Add(e.Id);
        }
        Assert.Contains(late.Id, exported);
        await host.Provider.GetRequiredService<ICustomerDataEraser>().EraseAsync(y);
        Assert.Equal(0, await host.Events.CountAsync(EventQuery.All));
    }

    [Fact]
    public async Task A_merge_between_a_claim_and_its_append_leaves_no_identity_on_the_merged_customer()
    {
        await using var host = RacingHost(out var resolver);
        var email = Identity.Email("b@example.com");
        var phone = Identity.Phone("+8613800138001");
        var y = await host.Track(email);
        var x = await host.Track(phone);

        var racing = resolver();
        var late = host.Event(EventType.PageView, phone, Identity.Member("m-late"));
        racing.Trigger = late.Id;
        racing.Between = async () => await host.Track(email, phone);
        var result = await host.Collector.TrackAsync(late);

        Assert.Equal(y, result.CustomerId);
        var owners = await host.Graph.FindAsync([email, phone, Identity.Member("m-late")]);
        Assert.All(owners.Values, o => Assert.Equal(y, o));
        Assert.Null(await host.ProfileStore.GetAsync(x));
        var profile = await host.Profiles.FindByIdentityAsync(Identity.Member("m-late"));
        Assert.Equal(y, profile?.Id);
    }

    /// <summary>A profile store whose writes fail while <see cref="Failing"/> is set: the process dying at that point.</summary>
    private sealed class CrashingProfileStore(IProfileStore inner) : IProfileStore
    {
        public bool Failing { get; set; }

        public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) =>
            Failing ? throw new MarketingStoreException("Simulated crash.") : inner.SaveAsync(profile, cancellationToken);

        public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) => inner.DeleteAsync(id, cancellationToken);

        public IAsyncEnumerable<CustomerProfile> StreamAsync(CancellationToken cancellationToken = default) => inner.StreamAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }

    [Fact]
    public async Task A_crash_before_the_profile_is_written_leaves_no_identity_without_a_profile()
    {
        var crashing = new CrashingProfileStore(new InMemoryProfileStore());
        await using var host = new TestHost(m => m.Services.Replace(ServiceDescriptor.Singleton<IProfileStore>(crashing)));
        var email = Identity.Email("c@example.com");

        crashing.Failing = true;
        await Assert.ThrowsAnyAsync<MarketingStoreException>(async () => await host.Collector.TrackAsync(host.Event(EventType.Login, email)));

        // Whatever was written, no identity points to a customer without a profile.
        foreach (var (_, owner) in await host.Graph.FindAsync([email]))
        {
            Assert.NotNull(await host.ProfileStore.GetAsync(owner));
        }

        // The restarted host ingests the event again: one profile, found by the identity, counting it once.
        crashing.Failing = false;
        var again = await host.Collector.TrackAsync(host.Event(EventType.Login, email) with { Id = "evt-retry" });
        var profile = await host.Profiles.FindByIdentityAsync(email);
        Assert.Equal(again.CustomerId, profile?.Id);
        Assert.Equal(1, profile!.EventCount);
        Assert.Equal(1, await host.ProfileStore.CountAsync());
    }

    [Fact]
    public async Task Concurrent_batches_of_linked_identities_keep_counters_equal_to_stored_events()
    {
        await using var host = new TestHost();
        var people = Enumerable.Range(0, 6).Select(p => (Email: Identity.Email($"p{p}@example.com"), Phone: Identity.Phone($"+86138000001{p:D2}"), Member: Identity.Member($"m{p}"))).ToList();
        var batches = Enumerable.Range(0, 24).Select(b => (IReadOnlyList<MarketingEvent>)[.. people.Select((p, i) =>
            host.Event(EventType.PageView, (b + i) % 3 == 0 ? [p.Email] : (b + i) % 3 == 1 ? [p.Phone] : [p.Email, p.Phone, p.Member]) with { Id = $"b{b}-p{i}" })]).ToList();
        await Task.WhenAll(batches.Select(batch => Task.Run(async () => await host.Collector.TrackBatchAsync(batch))));

        var merged = new HashSet<CustomerId>();
        await foreach (var m in host.Graph.ReadMergesAsync())
        {
            merged.Add(m.Merged);
        }
        await foreach (var profile in host.ProfileStore.StreamAsync())
        {
            Assert.Equal(await host.Events.CountAsync(new EventQuery { CustomerId = profile.Id }), profile.EventCount);
        }
        await foreach (var e in host.Events.ReadAsync(EventQuery.All))
        {
            Assert.DoesNotContain(e.CustomerId!.Value, merged);
        }
        Assert.Equal(6 * 24, await host.Events.CountAsync(EventQuery.All));
        foreach (var p in people)
        {
            var profile = await host.Profiles.FindByIdentityAsync(p.Member);
            Assert.Equal(24, profile!.EventCount);
        }
    }
}
