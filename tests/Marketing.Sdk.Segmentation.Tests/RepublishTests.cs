using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>
/// A state store that commits a batch and then fails, as a host does when it dies (or loses its connection)
/// right after the membership write committed and before any listener heard of it.
/// </summary>
internal sealed class CrashAfterCommitStore(IStateStore inner) : IStateStore
{
    public bool CrashAfterNextBatch { get; set; }

    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.GetAsync(scope, key, cancellationToken);

    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default) =>
        inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);

    public async ValueTask<IReadOnlyList<long>> SaveManyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        var versions = await inner.SaveManyAsync(writes, cancellationToken);
        if (CrashAfterNextBatch)
        {
            CrashAfterNextBatch = false;
            throw new IOException("The host stopped after the write committed.");
        }
        return versions;
    }

    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(scope, key, cancellationToken);

    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) =>
        inner.StreamAsync(scope, keyPrefix, cancellationToken);
}

/// <summary>A listener that fails its first call (host code that throws), then records.</summary>
internal sealed class FailingOnceListener : ISegmentMembershipListener
{
    public List<SegmentMembershipChange> Changes { get; } = [];

    public int Calls { get; private set; }

    public ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
    {
        if (Calls++ == 0)
        {
            throw new InvalidOperationException("listener down");
        }
        Changes.AddRange(changes);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Each membership change is recorded with its membership write and delivered at least once under one
/// stable id: a host that stops between the write and its listeners, or a listener that fails, leaves the
/// change to the republish sweep of any host.
/// </summary>
public sealed class RepublishTests
{
    private readonly FakeTimeProvider _time = new(TestData.Now);
    private readonly InMemoryStateStore _state = new();
    private readonly MemoryProfileStore _profiles = new();
    private readonly MemoryEventStore _events = new();

    public RepublishTests()
    {
        _profiles.Put(new CustomerProfile { Id = TestData.Id(1), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
        _profiles.Put(new CustomerProfile { Id = TestData.Id(2), Traits = new Dictionary<string, PropertyValue> { ["gender"] = "female" } });
    }

    private Task<SegmentHost> StartAsync(IStateStore state, Action<IServiceCollection>? extra = null) =>
        SegmentHost.StartAsync(_time, _ => { }, s =>
        {
            s.AddSingleton(state);
            s.AddSingleton<IProfileStore>(_profiles);
            s.AddSingleton<IEventStore>(_events);
            extra?.Invoke(s);
        });

    private static SegmentChangeRepublisher Sweep(SegmentHost host, string owner) => new(
        host.Segments,
        host.Provider.GetRequiredService<ILeaseStore>(),
        host.Provider.GetRequiredService<IOptions<SegmentationOptions>>(),
        host.Provider.GetRequiredService<TimeProvider>(),
        NullLogger<SegmentChangeRepublisher>.Instance,
        owner);

    private async Task<List<StateEntry>> PendingAsync() => await _state.StreamAsync("segmentation.changes").ToListAsync();

    [Fact]
    public async Task Every_change_has_its_own_id_and_leaves_no_pending_record_once_delivered()
    {
        await using var host = await StartAsync(_state);
        await host.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await host.Segments.DefineAsync(SegmentDefinition.Parse("all", "gender != \"none\""));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(1));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(2));
        Assert.Equal(4, host.Listener.Changes.Count);
        Assert.Equal(4, host.Listener.Changes.Select(c => c.ChangeId).Distinct().Count());
        Assert.All(host.Listener.Changes, c => Assert.Matches("^[0-9a-f]{32}$", c.ChangeId));
        Assert.Empty(await PendingAsync());

        // Nothing is left for the sweep.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await Sweep(host, "a").TickAsync());
        Assert.Equal(4, host.Listener.Changes.Count);
    }

    [Fact]
    public async Task A_host_that_stops_between_the_membership_write_and_its_listeners_loses_no_change()
    {
        var crashing = new CrashAfterCommitStore(_state);
        SegmentMembershipChange recorded;
        await using (var doomed = await StartAsync(crashing))
        {
            await doomed.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
            crashing.CrashAfterNextBatch = true;
            await Assert.ThrowsAsync<IOException>(async () => await doomed.Segments.EvaluateCustomerAsync(TestData.Id(1)));
            Assert.Empty(doomed.Listener.Changes);
            var pending = Assert.Single(await PendingAsync());
            Assert.StartsWith(TestData.Id(1).Value + "|", pending.Key, StringComparison.Ordinal);
            var id = pending.Key[(TestData.Id(1).Value.Length + 1)..];
            recorded = new SegmentMembershipChange("women", TestData.Id(1), true, _time.GetUtcNow()) { ChangeId = id };
        }

        // Another host: the membership is recorded, so evaluating again publishes nothing new.
        await using var survivor = await StartAsync(_state);
        Assert.Empty(await survivor.Segments.EvaluateCustomerAsync(TestData.Id(1)));
        var sweep = Sweep(survivor, "b");
        // Younger than RepublishAfter: the recording host may still be delivering it.
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(await sweep.TickAsync());
        Assert.Empty(survivor.Listener.Changes);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(await sweep.TickAsync());
        Assert.Equal([recorded], survivor.Listener.Changes);
        Assert.Empty(await PendingAsync());

        // Delivered once: later sweeps and evaluations publish nothing more.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await sweep.TickAsync());
        Assert.Empty(await survivor.Segments.EvaluateCustomerAsync(TestData.Id(1)));
        Assert.Equal([recorded], survivor.Listener.Changes);
    }

    [Fact]
    public async Task A_failed_listener_gets_the_change_again_under_the_same_id_and_only_one_host_sweeps()
    {
        var failing = new FailingOnceListener();
        await using var a = await StartAsync(_state, s => s.AddSingleton<ISegmentMembershipListener>(failing));
        await using var b = await StartAsync(_state, s => s.AddSingleton<ISegmentMembershipListener>(new FailingOnceListener()));
        await a.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        await Assert.ThrowsAsync<SegmentationException>(async () => await a.Segments.EvaluateCustomerAsync(TestData.Id(1)));
        var first = Assert.Single(a.Listener.Changes);
        Assert.NotNull(first.ChangeId);
        Assert.Single(await PendingAsync());

        _time.Advance(TimeSpan.FromMinutes(1));
        var sweepA = Sweep(a, "a");
        var sweepB = Sweep(b, "b");
        Assert.True(await sweepA.TickAsync());
        Assert.False(await sweepB.TickAsync()); // a holds the duty
        // Every listener of the sweeping host gets it again, with the same id.
        Assert.Equal([first, first], a.Listener.Changes);
        Assert.Equal([first], failing.Changes);
        Assert.Empty(b.Listener.Changes);
        Assert.Empty(await PendingAsync());
    }

    [Fact]
    public async Task Erasing_a_customer_drops_the_changes_still_waiting_for_delivery()
    {
        var crashing = new CrashAfterCommitStore(_state);
        await using var host = await StartAsync(crashing);
        await host.Segments.DefineAsync(SegmentDefinition.Parse("women", "gender = \"female\""));
        crashing.CrashAfterNextBatch = true;
        await Assert.ThrowsAsync<IOException>(async () => await host.Segments.EvaluateCustomerAsync(TestData.Id(1)));
        await host.Segments.EvaluateCustomerAsync(TestData.Id(2));
        var eraser = host.Provider.GetServices<IPersonalDataEraser>().Single(e => e.Name == "segmentation.memberships");
        Assert.Equal(2, await eraser.EraseAsync(TestData.Id(1), []));
        Assert.Empty(await PendingAsync());

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Sweep(host, "a").TickAsync());
        Assert.Equal([TestData.Id(2)], host.Listener.Changes.Select(c => c.CustomerId));
    }

    [Fact]
    public void The_sweep_period_is_validated_and_can_be_turned_off()
    {
        var validator = new SegmentationOptionsValidator();
        Assert.True(validator.Validate(null, new SegmentationOptions()).Succeeded);
        Assert.True(validator.Validate(null, new SegmentationOptions { RepublishAfter = null }).Succeeded);
        Assert.False(validator.Validate(null, new SegmentationOptions { RepublishAfter = TimeSpan.FromMilliseconds(10) }).Succeeded);
        Assert.False(validator.Validate(null, new SegmentationOptions { RepublishAfter = TimeSpan.FromHours(2) }).Succeeded);
    }
}
