using System.Collections.Concurrent;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Tests;

public class GroupCommitTests
{
    /// <summary>A batch runner whose runs wait until released; records every batch.</summary>
    private sealed class GatedRunner
    {
        private readonly ConcurrentQueue<TaskCompletionSource> _gates = new();

        public ConcurrentQueue<string[]> Batches { get; } = new();

        public TaskCompletionSource Started { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Func<string[], Exception?> Fail { get; set; } = _ => null;

        public bool Gated { get; set; } = true;

        public async ValueTask<BatchTrackResult> RunAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken)
        {
            Assert.False(cancellationToken.CanBeCanceled);
            var ids = events.Select(e => e.Id).ToArray();
            Batches.Enqueue(ids);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Gated)
            {
                _gates.Enqueue(gate);
            }
            else
            {
                gate.SetResult();
            }
            var started = Started;
            Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
            started.SetResult();
            await gate.Task;
            if (Fail(ids) is { } ex)
            {
                throw ex;
            }
            return new BatchTrackResult([.. events.Select(e => new TrackResult(e.Id, TrackStatus.Accepted, new CustomerId("c-" + e.Id)))]);
        }

        public void ReleaseOne()
        {
            Assert.True(_gates.TryDequeue(out var gate));
            gate.SetResult();
        }
    }

    private static MarketingEvent Event(int i) => new()
    {
        Id = "e" + i,
        Type = EventType.PageView,
        OccurredAt = TestHost.Now,
        CustomerId = new CustomerId("c" + i),
    };

    private static TrackGroupCommit Commit(GatedRunner runner, int maxBatch = 256, TimeSpan? delay = null, TimeProvider? time = null) =>
        new(runner.RunAsync, new GroupCommitOptions { MaxBatchSize = maxBatch, MaxDelay = delay ?? TimeSpan.Zero }, time ?? new FakeTimeProvider(TestHost.Now));

    [Fact]
    public async Task Callers_arriving_while_a_batch_is_written_share_the_next_batch_and_each_gets_its_own_result()
    {
        var runner = new GatedRunner();
        await using var commit = Commit(runner);
        var started = runner.Started.Task;
        var first = commit.TrackAsync(Event(0), CancellationToken.None).AsTask();
        await started;
        started = runner.Started.Task;
        var rest = Enumerable.Range(1, 10).Select(i => commit.TrackAsync(Event(i), CancellationToken.None).AsTask()).ToList();
        Assert.All(rest, t => Assert.False(t.IsCompleted));

        runner.ReleaseOne();
        Assert.Equal("e0", (await first).EventId);
        await started;
        Assert.All(rest, t => Assert.False(t.IsCompleted)); // not before their own batch is written
        runner.ReleaseOne();
        var results = await Task.WhenAll(rest);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => "e" + i), results.Select(r => r.EventId));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => new CustomerId("c-e" + i)), results.Select(r => r.CustomerId!.Value));
        Assert.Equal([["e0"], [.. Enumerable.Range(1, 10).Select(i => "e" + i)]], runner.Batches.ToArray());
        Assert.Equal(2, commit.Runs);
    }

    [Fact]
    public async Task Shared_batches_hold_at_most_the_configured_number_of_events()
    {
        var runner = new GatedRunner();
        await using var commit = Commit(runner, maxBatch: 2);
        var started = runner.Started.Task;
        var first = commit.TrackAsync(Event(0), CancellationToken.None).AsTask();
        await started;
        var rest = Enumerable.Range(1, 5).Select(i => commit.TrackAsync(Event(i), CancellationToken.None).AsTask()).ToList();
        runner.Gated = false;
        runner.ReleaseOne();
        await Task.WhenAll(rest.Append(first));
        Assert.Equal([1, 2, 2, 1], runner.Batches.Select(b => b.Length));
    }

    [Fact]
    public async Task A_failed_batch_fails_every_caller_in_it_and_no_caller_of_other_batches()
    {
        var runner = new GatedRunner { Fail = ids => ids.Length > 1 ? new MarketingStoreException("store down") : null };
        await using var commit = Commit(runner);
        var started = runner.Started.Task;
        var first = commit.TrackAsync(Event(0), CancellationToken.None).AsTask();
        await started;
        started = runner.Started.Task;
        var rest = Enumerable.Range(1, 3).Select(i => commit.TrackAsync(Event(i), CancellationToken.None).AsTask()).ToList();
        runner.ReleaseOne();
        await first;
        await started;
        runner.ReleaseOne();
        foreach (var t in rest)
        {
            var ex = await Assert.ThrowsAsync<MarketingStoreException>(() => t);
            Assert.Equal("store down", ex.Message);
        }
    }

    [Fact]
    public async Task A_cancelled_caller_leaves_the_queue_or_stops_waiting_without_cancelling_anyone_elses_write()
    {
        var runner = new GatedRunner();
        await using var commit = Commit(runner);
        using var inFlight = new CancellationTokenSource();
        using var queued = new CancellationTokenSource();
        var started = runner.Started.Task;
        var first = commit.TrackAsync(Event(0), inFlight.Token).AsTask();
        await started;
        started = runner.Started.Task;
        var cancelledWhileQueued = commit.TrackAsync(Event(1), queued.Token).AsTask();
        var other = commit.TrackAsync(Event(2), CancellationToken.None).AsTask();

        inFlight.Cancel();
        queued.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledWhileQueued);
        runner.ReleaseOne(); // the first batch is written all the same
        await started;
        runner.ReleaseOne();

        Assert.Equal("e2", (await other).EventId);
        Assert.Equal([["e0"], ["e2"]], runner.Batches.ToArray());
    }

    [Fact]
    public async Task Disposing_waits_until_every_queued_event_is_written_and_refuses_new_calls()
    {
        var runner = new GatedRunner();
        var commit = Commit(runner);
        var started = runner.Started.Task;
        var first = commit.TrackAsync(Event(0), CancellationToken.None).AsTask();
        await started;
        started = runner.Started.Task;
        var queued = commit.TrackAsync(Event(1), CancellationToken.None).AsTask();

        var disposed = commit.DisposeAsync().AsTask();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await commit.TrackAsync(Event(2), CancellationToken.None));
        Assert.False(disposed.IsCompleted);
        runner.ReleaseOne();
        await started;
        Assert.False(disposed.IsCompleted);
        runner.ReleaseOne();
        await disposed;

        Assert.Equal("e0", (await first).EventId);
        Assert.Equal("e1", (await queued).EventId);
        Assert.Equal(2, runner.Batches.Count);
    }

    [Fact]
    public async Task With_a_window_the_first_caller_waits_for_others_to_join_its_batch()
    {
        var runner = new GatedRunner { Gated = false };
        var time = new FakeTimeProvider(TestHost.Now);
        await using var commit = Commit(runner, delay: TimeSpan.FromMilliseconds(5), time: time);
        var calls = Enumerable.Range(0, 3).Select(i => commit.TrackAsync(Event(i), CancellationToken.None).AsTask()).ToList();
        Assert.Empty(runner.Batches);
        time.Advance(TimeSpan.FromMilliseconds(5));
        await Task.WhenAll(calls);
        Assert.Equal([["e0", "e1", "e2"]], runner.Batches.ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10_001, 0)]
    [InlineData(10, -1)]
    [InlineData(10, 101)]
    public void Group_commit_settings_out_of_range_are_refused(int maxBatch, int delayMs)
    {
        var options = new IngestionOptions { GroupCommit = { MaxBatchSize = maxBatch, MaxDelay = TimeSpan.FromMilliseconds(delayMs) } };
        var result = new IngestionOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("GroupCommit", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new IngestionOptionsValidator().Validate(null, new IngestionOptions()).Succeeded);
    }

    [Fact]
    public async Task Concurrent_TrackAsync_calls_through_the_collector_are_each_accepted_once_and_invalid_ones_fail_alone()
    {
        await using var host = new TestHost();
        var events = Enumerable.Range(0, 200).Select(i => host.Event(EventType.PageView, Identity.Cookie("ck-" + (i % 37)))).ToList();
        events[17] = events[17] with { Identities = [] };
        var outcomes = await Task.WhenAll(events.Select(e => Task.Run(async () =>
        {
            try
            {
                return (await host.Collector.TrackAsync(e)).Status.ToString();
            }
            catch (MarketingValidationException ex)
            {
                return ex.Field;
            }
        })));

        Assert.Equal(199, outcomes.Count(o => o == nameof(TrackStatus.Accepted)));
        Assert.NotEqual(nameof(TrackStatus.Accepted), outcomes[17]);
        var stored = 0;
        await foreach (var _ in host.Events.ReadAsync(EventQuery.All))
        {
            stored++;
        }
        Assert.Equal(199, stored);
        var profiles = new List<CustomerProfile>();
        await foreach (var p in host.ProfileStore.StreamAsync())
        {
            profiles.Add(p);
        }
        Assert.Equal(37, profiles.Count);
        Assert.Equal(199, profiles.Sum(p => p.EventCount));
    }

    /// <summary>Answers every page view with a follow-up event of its own, tracked from inside the listener.</summary>
    private sealed class FollowUpListener(IServiceProvider services) : IMarketingEventListener
    {
        public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
        {
            foreach (var e in events.Where(e => e.Type == EventType.PageView))
            {
                await services.GetRequiredService<IEventCollector>().TrackAsync(new MarketingEvent
                {
                    Id = e.Id + "-follow-up",
                    Type = new EventType("page_view_acknowledged"),
                    OccurredAt = e.OccurredAt,
                    CustomerId = e.CustomerId,
                }, cancellationToken);
            }
        }
    }

    [Fact]
    public async Task A_listener_that_tracks_an_event_from_inside_a_shared_batch_does_not_wait_for_the_next_batch()
    {
        await using var host = new TestHost(m => m.Services.AddSingleton<IMarketingEventListener>(sp => new FollowUpListener(sp)));
        var purchase = host.Event(EventType.PageView, Identity.Cookie("ck-follow"));

        var result = await host.Collector.TrackAsync(purchase).AsTask().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(TrackStatus.Accepted, result.Status);
        Assert.Equal(2, await host.Events.CountAsync(new EventQuery { CustomerId = result.CustomerId }));
    }

    [Fact]
    public async Task Group_commit_can_be_turned_off()
    {
        await using var host = new TestHost(m => m.ConfigureIngestion(o => o.GroupCommit.Enabled = false));
        Assert.Equal(TrackStatus.Accepted, (await host.Collector.TrackAsync(host.Event(EventType.PageView, Identity.Cookie("ck")))).Status);
        Assert.False(host.Provider.GetRequiredService<IOptions<IngestionOptions>>().Value.GroupCommit.Enabled);
    }
}
