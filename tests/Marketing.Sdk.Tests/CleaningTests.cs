using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Tests;

public class CleaningTests
{
    [Fact]
    public async Task Exact_duplicates_are_stored_once_within_and_across_batches()
    {
        await using var host = new TestHost();
        var e = host.Event(EventType.PageView, Identity.Member("m1"));
        var first = await host.Collector.TrackBatchAsync([e, e]);
        Assert.Equal([TrackStatus.Accepted, TrackStatus.Duplicate], first.Results.Select(r => r.Status));
        var again = await host.Collector.TrackAsync(e);
        Assert.Equal(TrackStatus.Duplicate, again.Status);
        Assert.Equal(1, await host.Events.CountAsync(EventQuery.All));
        var profile = await host.Profiles.FindByIdentityAsync(Identity.Member("m1"));
        Assert.Equal(1, profile!.EventCount);
    }

    [Fact]
    public async Task Sessions_with_more_than_the_click_limit_are_flagged()
    {
        await using var host = new TestHost();
        var events = Enumerable.Range(0, 105).Select(i => host.Event(EventType.PageView, Identity.Cookie("c1")) with
        {
            SessionId = "s1",
            OccurredAt = TestHost.Now.AddMinutes(-60).AddSeconds(i * 10),
        }).ToList();
        var result = await host.Collector.TrackBatchAsync(events);
        Assert.Equal(105, result.Accepted);
        Assert.Equal(5, result.Results.Count(r => r.Flags.HasFlag(EventFlags.SuspectedBot)));
        Assert.True(result.Results.Skip(100).All(r => r.Flags.HasFlag(EventFlags.SuspectedBot)));
    }

    [Fact]
    public async Task Inhuman_gaps_flag_a_session_and_drop_mode_drops()
    {
        await using var host = new TestHost(m => m.ConfigureIngestion(o => o.BotAction = BotSessionAction.Drop));
        var events = Enumerable.Range(0, 20).Select(i => host.Event(EventType.ProductView, Identity.Cookie("c1")) with
        {
            SessionId = "fast",
            OccurredAt = TestHost.Now.AddMinutes(-1).AddMilliseconds(i * 20),
        }).ToList();
        var result = await host.Collector.TrackBatchAsync(events);
        Assert.Equal(11, result.Accepted); // the first event and ten inhuman gaps are tolerated
        Assert.Equal(9, result.Dropped);
        Assert.All(result.Results.Where(r => r.Status == TrackStatus.Dropped), r => Assert.Equal(DropReason.Bot, r.DropReason));
    }

    [Fact]
    public async Task Human_sessions_are_not_flagged()
    {
        await using var host = new TestHost();
        var events = Enumerable.Range(0, 50).Select(i => host.Event(EventType.PageView, Identity.Cookie("c1")) with
        {
            SessionId = "human",
            OccurredAt = TestHost.Now.AddHours(-2).AddSeconds(i * 7),
        }).ToList();
        var result = await host.Collector.TrackBatchAsync(events);
        Assert.DoesNotContain(result.Results, r => r.Flags.HasFlag(EventFlags.SuspectedBot));
    }

    private sealed class FixedGeo : IGeoResolver
    {
        public ValueTask<string?> ResolveRegionAsync(string ipAddress, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<string?>(ipAddress.StartsWith("203.", StringComparison.Ordinal) ? "CN-SH" : null);
    }

    [Fact]
    public async Task Missing_region_is_filled_from_the_ip_address()
    {
        await using var host = new TestHost(m => m.UseGeoResolver<FixedGeo>());
        var r = await host.Collector.TrackAsync(host.Event(EventType.PageView, Identity.Cookie("c1")) with { IpAddress = "203.0.113.7" });
        Assert.True(r.Flags.HasFlag(EventFlags.RegionInferred));
        var stored = await host.Events.ReadAsync(EventQuery.All).SingleAsync();
        Assert.Equal("CN-SH", stored.Region);
        var kept = await host.Collector.TrackAsync(host.Event(EventType.PageView, Identity.Cookie("c1")) with { IpAddress = "203.0.113.7", Region = "CN-BJ" });
        Assert.False(kept.Flags.HasFlag(EventFlags.RegionInferred));
    }

    [Theory]
    [InlineData(IdentityKind.Phone, "138 0013 8000", "+8613800138000")]
    [InlineData(IdentityKind.Phone, "+86 (138) 0013-8000", "+8613800138000")]
    [InlineData(IdentityKind.Phone, "+1 650 253 0000", "+16502530000")]
    [InlineData(IdentityKind.Email, "  Alice.Smith@Example.COM ", "alice.smith@example.com")]
    [InlineData(IdentityKind.MemberId, "  m-001 ", "m-001")]
    public async Task Identities_are_normalised(IdentityKind kind, string raw, string normalised)
    {
        await using var host = new TestHost();
        var id = await host.Track(new Identity(kind, raw));
        var stored = await host.Graph.GetIdentitiesAsync(id);
        Assert.Equal(new Identity(kind, normalised), Assert.Single(stored));
        Assert.Equal(id, (await host.Profiles.FindByIdentityAsync(new Identity(kind, normalised)))!.Id);
    }

    [Fact]
    public async Task Purchase_value_defaults_to_the_order_revenue()
    {
        await using var host = new TestHost();
        var order = new Order
        {
            OrderId = "o1", PlacedAt = TestHost.Now,
            Lines = [new OrderLine { ProductId = "a", Quantity = 2, UnitPrice = new Money(9.5m, "CNY") }],
        };
        await host.Collector.TrackAsync(host.Event(EventType.Purchase, Identity.Member("m1")) with { Order = order });
        var stored = await host.Events.ReadAsync(EventQuery.All).SingleAsync();
        Assert.Equal(new Money(19m, "CNY"), stored.Value);
    }

    private sealed class Recorder : IMarketingEventListener
    {
        public List<MarketingEvent> Seen { get; } = [];

        public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
        {
            Seen.AddRange(events);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Thrower : IMarketingEventListener
    {
        public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("listener broke");
    }

    [Fact]
    public async Task Listeners_see_accepted_events_and_a_failing_listener_does_not_undo_ingestion()
    {
        await using var host = new TestHost(m => m.AddEventListener<Thrower>().AddEventListener<Recorder>());
        var e = host.Event(EventType.PageView, Identity.Member("m1"));
        await host.Collector.TrackBatchAsync([e, e]);
        var recorder = host.Provider.GetServices<IMarketingEventListener>().OfType<Recorder>().Single();
        var seen = Assert.Single(recorder.Seen);
        Assert.NotNull(seen.CustomerId);
        Assert.Equal(1, await host.Events.CountAsync(EventQuery.All));
        Assert.Contains(host.Logs.Collector.GetSnapshot(), r => r.Id.Id == 1004);
    }
}
