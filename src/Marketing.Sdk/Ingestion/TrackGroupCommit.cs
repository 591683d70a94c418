using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>
/// Group commit of <see cref="IEventCollector.TrackAsync"/>: concurrent calls are gathered into shared
/// <see cref="IEventCollector.TrackBatchAsync"/> runs, so many callers share one identity pass, one
/// store transaction per store and one listener call. Set through <see cref="IngestionOptions.GroupCommit"/>.
/// </summary>
public sealed class GroupCommitOptions
{
    /// <summary>Whether concurrent <see cref="IEventCollector.TrackAsync"/> calls share batches. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most events in one shared batch (1–10 000). Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// How long the first call of an idle collector waits for others to join its batch (0–100 ms). Default
    /// zero: a call that finds no batch running starts one at once, and the calls that arrive while a batch
    /// is written form the next one, so batches grow with the load and a lone caller never waits.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.Zero;

    internal static void Validate(GroupCommitOptions? o, List<string> errors)
    {
        if (o is null)
        {
            errors.Add("IngestionOptions.GroupCommit must be set.");
            return;
        }
        if (o.MaxBatchSize is < 1 or > 10_000)
        {
            errors.Add("IngestionOptions.GroupCommit.MaxBatchSize must be between 1 and 10 000.");
        }
        if (o.MaxDelay < TimeSpan.Zero || o.MaxDelay > TimeSpan.FromMilliseconds(100))
        {
            errors.Add("IngestionOptions.GroupCommit.MaxDelay must be between 0 and 100 ms.");
        }
    }
}

/// <summary>
/// Gathers concurrent single-event calls into shared batch runs (one at a time). A caller that finds no
/// run going leads one: it waits <see cref="GroupCommitOptions.MaxDelay"/>, runs the queued events as one
/// batch on its own thread, and hands what queued meanwhile to a background drain. Each caller's task
/// completes when the run holding its event returned, that is, after the event and its profile were
/// written and the listeners ran, exactly as a call of its own; a failure of the whole run (a store
/// failure, <see cref="Storage.MarketingStoreException"/>) completes every caller of that run with it.
/// Cancelling a caller whose event is still queued removes the event (it is not written); cancelling a
/// caller whose event is being written ends that caller's wait only: the run is never cancelled, so no
/// other caller's write is. Disposing stops new calls and waits until everything queued is written.
/// </summary>
internal sealed class TrackGroupCommit : IAsyncDisposable, IDisposable
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly Func<IReadOnlyList<MarketingEvent>, CancellationToken, ValueTask<BatchTrackResult>> _track;
    private readonly GroupCommitOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<Pending> _queue = new();
    private bool _running;
    private bool _disposed;
    private TaskCompletionSource _idle = Completed();

    // Set while a run's batch is written: a call made from inside it (a listener tracking an event of its
    // own) must not wait for the next run, which starts only after this one returned.
    private readonly AsyncLocal<bool> _insideRun = new();

    public TrackGroupCommit(Func<IReadOnlyList<MarketingEvent>, CancellationToken, ValueTask<BatchTrackResult>> track, GroupCommitOptions options, TimeProvider timeProvider)
    {
        _track = track;
        _options = options;
        _time = timeProvider;
    }

    /// <summary>Batches run so far (for tests and diagnostics).</summary>
    public int Runs { get; private set; }

    /// <summary>Whether the caller runs inside one of this instance's runs (and so must track on its own).</summary>
    public bool IsInsideRun => _insideRun.Value;

    /// <summary>Queues one event and returns its result once the shared run that held it returned.</summary>
    public async ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(marketingEvent);
        bool lead;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Enqueue(pending);
            lead = !_running;
            if (lead)
            {
                _running = true;
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((Pending)state!).Cancel(token), pending)
            : default;
        if (lead)
        {
            // Runs on this thread up to its first wait for I/O; this call then waits for its own event only.
            _ = LeadAsync();
        }
        return await pending.Result.Task.ConfigureAwait(false);
    }

    private async Task LeadAsync()
    {
        if (_options.MaxDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.MaxDelay, _time).ConfigureAwait(false);
        }
        await RunOnceAsync().ConfigureAwait(false);
        if (!StopIfIdle())
        {
            // More arrived while this batch was written: a background drain takes them, so the leader's
            // own call returns now instead of serving everyone after it.
            _ = Task.Run(DrainAsync);
        }
    }

    private async Task DrainAsync()
    {
        do
        {
            await RunOnceAsync().ConfigureAwait(false);
        }
        while (!StopIfIdle());
    }

    /// <summary>Ends the run when nothing is queued; returns whether it ended.</summary>
    private bool StopIfIdle()
    {
        TaskCompletionSource idle;
        lock (_gate)
        {
            if (_queue.Count > 0)
            {
                return false;
            }
            _running = false;
            idle = _idle;
        }
        idle.TrySetResult();
        return true;
    }

    private async Task RunOnceAsync()
    {
        var batch = new List<Pending>(Math.Min(_options.MaxBatchSize, 64));
        lock (_gate)
        {
            while (batch.Count < _options.MaxBatchSize && _queue.TryDequeue(out var p))
            {
                if (p.TryTake())
                {
                    batch.Add(p);
                }
            }
        }
        if (batch.Count == 0)
        {
            return;
        }
        Runs++;
        var events = new MarketingEvent[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            events[i] = batch[i].Event;
        }
        try
        {
            // Never a caller's token: one caller giving up must not cancel the others' writes.
            _insideRun.Value = true;
            var result = await _track(events, CancellationToken.None).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(result.Results[i]);
            }
        }
#pragma warning disable CA1031 // Every caller of the run receives the failure it would have received alone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var p in batch)
            {
                p.Result.TrySetException(ex);
            }
        }
    }

    /// <summary>Stops new calls and waits until every queued event was written.</summary>
    public async ValueTask DisposeAsync()
    {
        Task idle;
        lock (_gate)
        {
            _disposed = true;
            idle = _idle.Task;
        }
        await idle.ConfigureAwait(false);
    }

    /// <summary>Stops new calls and blocks until every queued event was written (for hosts that dispose synchronously).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    private sealed class Pending(MarketingEvent e)
    {
        private int _state = Queued;

        public MarketingEvent Event { get; } = e;

        public TaskCompletionSource<TrackResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public void Cancel(CancellationToken token)
        {
            // Still queued: the event is dropped from its run. Already taken: only this caller stops waiting.
            Interlocked.CompareExchange(ref _state, Cancelled, Queued);
            Result.TrySetCanceled(token);
        }
    }
}
