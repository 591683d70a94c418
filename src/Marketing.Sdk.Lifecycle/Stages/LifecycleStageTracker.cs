using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Stages;

/// <summary>
/// Moves customers through lifecycle stages as their events arrive (an <see cref="IMarketingEventListener"/>),
/// keeps the current stage and history per customer in the <see cref="IStateStore"/>, and reports each
/// stage change to the <see cref="ISegmentMembershipListener"/>s as leaving segment
/// <c>lifecycle.&lt;old&gt;</c> and entering <c>lifecycle.&lt;new&gt;</c>. When profiles merge (an
/// <see cref="IProfileMergeListener"/>), the merged-away customers' records move to the survivor
/// (see <see cref="OnMergedAsync"/> for the rule).
/// </summary>
public sealed partial class LifecycleStageTracker : IMarketingEventListener, IProfileMergeListener, IDisposable
{
    internal const string Scope = "lifecycle.stage";
    private const int RecentIds = 16;

    private readonly IStateStore _store;
    private readonly StageModelOptions _model;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly KeyedLock _locks = new();
    private readonly Counter<long> _transitions;

    /// <summary>Creates the tracker (normally resolved from DI).</summary>
    /// <param name="store">Where stages are kept.</param>
    /// <param name="options">The stage model.</param>
    /// <param name="services">Resolves the membership listeners lazily.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Lifecycle</c> meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    public LifecycleStageTracker(IStateStore store, IOptions<LifecycleOptions> options, IServiceProvider services, IMeterFactory? meterFactory = null, ILogger<LifecycleStageTracker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _model = options.Value.StageModel;
        _services = services;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _transitions = LifecycleTelemetry.CreateMeter(meterFactory).CreateCounter<long>("marketing.lifecycle.stage_transitions", description: "Lifecycle stage changes.");
    }

    /// <summary>Reads a customer's stage, or <see langword="null"/> when the customer has not been staged.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<CustomerStage?> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var entry = await _store.GetAsync(Scope, Key(customerId), cancellationToken).ConfigureAwait(false);
        return entry is null ? null : Deserialize(entry.Value);
    }

    /// <summary>Streams every customer's stage (for reports).</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<CustomerStage> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in _store.StreamAsync(Scope, null, cancellationToken).ConfigureAwait(false))
        {
            yield return Deserialize(entry.Value);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The batch is applied with one read of every customer's stage record (<see cref="IStateStore.GetManyAsync"/>)
    /// and one atomic write of the changed ones (<see cref="IStateStore.SaveManyAsync"/>). When another instance
    /// changed one of them meanwhile, nothing was written: the batch is read and applied again, and after repeated
    /// conflicts each customer is applied on its own.
    /// </remarks>
    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var groups = new Dictionary<CustomerId, List<MarketingEvent>>();
        foreach (var e in events)
        {
            if (e.CustomerId is { } customer)
            {
                if (!groups.TryGetValue(customer, out var list))
                {
                    list = [];
                    groups[customer] = list;
                }
                list.Add(e);
            }
        }
        if (groups.Count == 0)
        {
            return;
        }
        var batch = new List<(CustomerId Customer, List<MarketingEvent> Events)>(groups.Count);
        foreach (var (customer, list) in groups)
        {
            list.Sort(static (a, b) => a.OccurredAt != b.OccurredAt ? a.OccurredAt.CompareTo(b.OccurredAt) : string.CompareOrdinal(a.Id, b.Id));
            batch.Add((customer, list));
        }
        List<SegmentMembershipChange>? changes = null;
        using (await _locks.AcquireAllAsync(groups.Keys.Select(c => c.Value), cancellationToken).ConfigureAwait(false))
        {
            for (var attempt = 0; attempt < 3 && changes is null; attempt++)
            {
                try
                {
                    changes = await ApplyBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyConflictException)
                {
                    // Another instance changed a stage meanwhile; nothing of the batch was written: read again.
                }
            }
            if (changes is null)
            {
                changes = [];
                foreach (var (customer, ordered) in batch)
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            changes.AddRange(await ApplyAsync(customer, ordered, cancellationToken).ConfigureAwait(false));
                            break;
                        }
                        catch (ConcurrencyConflictException) when (attempt < 5)
                        {
                            // Another instance changed the stage meanwhile: read again and re-apply.
                        }
                    }
                }
            }
        }
        if (changes.Count == 0)
        {
            return;
        }
        foreach (var listener in _services.GetServices<ISegmentMembershipListener>())
        {
            await listener.OnMembershipChangedAsync(changes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<List<SegmentMembershipChange>> ApplyBatchAsync(List<(CustomerId Customer, List<MarketingEvent> Events)> batch, CancellationToken cancellationToken)
    {
        var keys = new string[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            keys[i] = Key(batch[i].Customer);
        }
        var stored = await _store.GetManyAsync(Scope, keys, cancellationToken).ConfigureAwait(false);
        var changes = new List<SegmentMembershipChange>();
        var transitions = new List<(CustomerId Customer, string From, string To)>();
        var writes = new List<StateWrite>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = stored.GetValueOrDefault(keys[i]);
            var (state, changed) = Advance(batch[i].Customer, entry is null ? null : Deserialize(entry.Value), batch[i].Events, changes, transitions);
            if (changed && state is not null)
            {
                writes.Add(new StateWrite(Scope, keys[i], JsonSerializer.Serialize(state, LifecycleJsonContext.Default.CustomerStage), entry?.Version ?? 0));
            }
        }
        if (writes.Count > 0)
        {
            await _store.SaveManyAsync(writes, cancellationToken).ConfigureAwait(false);
        }
        Report(transitions);
        return changes;
    }

    private async ValueTask<List<SegmentMembershipChange>> ApplyAsync(CustomerId customer, List<MarketingEvent> events, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(Scope, Key(customer), cancellationToken).ConfigureAwait(false);
        var changes = new List<SegmentMembershipChange>();
        var transitions = new List<(CustomerId Customer, string From, string To)>();
        var (state, changed) = Advance(customer, entry is null ? null : Deserialize(entry.Value), events, changes, transitions);
        if (changed && state is not null)
        {
            await _store.SaveAsync(Scope, Key(customer), JsonSerializer.Serialize(state, LifecycleJsonContext.Default.CustomerStage), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
        Report(transitions);
        return changes;
    }

    /// <summary>Applies a customer's events (in time order) to their stage record; adds the segment changes and transitions made.</summary>
    private (CustomerStage? State, bool Changed) Advance(CustomerId customer, CustomerStage? state, List<MarketingEvent> events, List<SegmentMembershipChange> changes, List<(CustomerId Customer, string From, string To)> transitions)
    {
        var changed = false;
        foreach (var e in events)
        {
            if (state is not null && state.RecentEventIds.Contains(e.Id, StringComparer.Ordinal))
            {
                continue;
            }
            state ??= new CustomerStage { CustomerId = customer, Stage = LifecycleStages.New, EnteredAt = e.OccurredAt, FirstSeen = e.OccurredAt };
            var purchases = state.Purchases + (e.Type == _model.PurchaseEventType ? 1 : 0);
            var recent = Recent(state.RecentEventIds, e.Id);
            var rule = _model.Rules.FirstOrDefault(r => r.Matches(state.Stage, e.Type, purchases));
            if (rule is not null)
            {
                var transition = new StageTransition(state.Stage, rule.To, e.OccurredAt, e.Type);
                if (state.Stage != LifecycleStages.New)
                {
                    changes.Add(new SegmentMembershipChange(LifecycleStages.SegmentId(state.Stage), customer, false, e.OccurredAt));
                }
                changes.Add(new SegmentMembershipChange(LifecycleStages.SegmentId(rule.To), customer, true, e.OccurredAt));
                transitions.Add((customer, state.Stage, rule.To));
                state = state with { Stage = rule.To, EnteredAt = e.OccurredAt, History = [.. state.History, transition] };
            }
            state = state with
            {
                Purchases = purchases,
                RecentEventIds = recent,
                FirstSeen = e.OccurredAt < state.FirstSeen ? e.OccurredAt : state.FirstSeen,
            };
            changed = true;
        }
        return (state, changed);
    }

    /// <summary>The last <see cref="RecentIds"/> event ids after appending <paramref name="id"/>.</summary>
    private static string[] Recent(IReadOnlyList<string> current, string id)
    {
        var keep = Math.Min(current.Count, RecentIds - 1);
        var recent = new string[keep + 1];
        for (var i = 0; i < keep; i++)
        {
            recent[i] = current[current.Count - keep + i];
        }
        recent[keep] = id;
        return recent;
    }

    /// <summary>Counts and logs the transitions of a write that succeeded.</summary>
    private void Report(List<(CustomerId Customer, string From, string To)> transitions)
    {
        foreach (var (customer, from, to) in transitions)
        {
            _transitions.Add(1, new KeyValuePair<string, object?>("to", to));
            LogTransition(_logger, customer, from, to);
        }
    }

    /// <summary>
    /// Moves the stage records of <paramref name="merged"/> to <paramref name="survivor"/>. The rule: the
    /// current stage is the most advanced of the records (by position in <see cref="StageModelOptions.Stages"/>;
    /// stages not listed rank below listed ones), with the time that record entered it (the earliest of
    /// the two when both are in the same stage); first seen is the earliest; purchases add up; the
    /// histories are interleaved by time. A merge is not a stage transition: no segment change is
    /// reported, so a merge never triggers a journey; the rules run again on the survivor's next event.
    /// Repeating a merge changes nothing.
    /// </summary>
    /// <param name="survivor">The profile that remains.</param>
    /// <param name="merged">The profiles merged into it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(merged);
        foreach (var loser in merged.Where(m => m != survivor))
        {
            using (await _locks.AcquireAllAsync([survivor.Value, loser.Value], cancellationToken).ConfigureAwait(false))
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await MergeAsync(survivor, loser, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (ConcurrencyConflictException) when (attempt < 5)
                    {
                        // Another instance changed the survivor's stage meanwhile: read again.
                    }
                }
            }
        }
    }

    private async ValueTask MergeAsync(CustomerId survivor, CustomerId loser, CancellationToken cancellationToken)
    {
        var gone = await _store.GetAsync(Scope, Key(loser), cancellationToken).ConfigureAwait(false);
        if (gone is null)
        {
            return;
        }
        var keptEntry = await _store.GetAsync(Scope, Key(survivor), cancellationToken).ConfigureAwait(false);
        var kept = keptEntry is null ? null : Deserialize(keptEntry.Value);
        if (kept is null || !kept.MergedFrom.Contains(loser))
        {
            var combined = Combine(kept, Deserialize(gone.Value), survivor);
            await _store.SaveAsync(Scope, Key(survivor), JsonSerializer.Serialize(combined, LifecycleJsonContext.Default.CustomerStage), keptEntry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
            LogMerged(_logger, loser, survivor, combined.Stage);
        }
        await _store.DeleteAsync(Scope, Key(loser), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Combines two stage records of one person (see <see cref="OnMergedAsync"/>).</summary>
    internal CustomerStage Combine(CustomerStage? kept, CustomerStage gone, CustomerId survivor)
    {
        var mergedFrom = (kept?.MergedFrom ?? []).Concat(gone.MergedFrom).Append(gone.CustomerId).Distinct().ToArray();
        if (kept is null)
        {
            return gone with { CustomerId = survivor, MergedFrom = mergedFrom };
        }
        int Rank(string stage) => _model.Stages.IndexOf(stage);
        var (stage, enteredAt) = Rank(kept.Stage) > Rank(gone.Stage) ? (kept.Stage, kept.EnteredAt)
            : Rank(gone.Stage) > Rank(kept.Stage) ? (gone.Stage, gone.EnteredAt)
            : kept.EnteredAt <= gone.EnteredAt ? (kept.Stage, kept.EnteredAt) : (gone.Stage, gone.EnteredAt);
        return kept with
        {
            Stage = stage,
            EnteredAt = enteredAt,
            FirstSeen = kept.FirstSeen <= gone.FirstSeen ? kept.FirstSeen : gone.FirstSeen,
            Purchases = kept.Purchases + gone.Purchases,
            History = kept.History.Concat(gone.History).OrderBy(t => t.At).ToArray(),
            RecentEventIds = kept.RecentEventIds.Concat(gone.RecentEventIds).Distinct(StringComparer.Ordinal).TakeLast(RecentIds).ToArray(),
            MergedFrom = mergedFrom,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private static string Key(CustomerId customer) => customer.Value + "|";

    private static CustomerStage Deserialize(string json) =>
        JsonSerializer.Deserialize(json, LifecycleJsonContext.Default.CustomerStage)
        ?? throw new LifecycleException("A stored lifecycle stage document is empty.");

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Stage record of customer {Merged} merged into {Survivor}; current stage {Stage}.")]
    private static partial void LogMerged(ILogger logger, CustomerId merged, CustomerId survivor, string stage);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Customer {CustomerId} moved from stage {From} to {To}.")]
    private static partial void LogTransition(ILogger logger, CustomerId customerId, string from, string to);
}
