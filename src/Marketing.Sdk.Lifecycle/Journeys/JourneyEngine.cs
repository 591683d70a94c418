using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>A customer's inactivity deadline for one journey.</summary>
internal sealed record InactivityWatch(string JourneyId, CustomerId CustomerId, DateTimeOffset DueAt);

/// <summary>What a due-index entry points at.</summary>
internal enum DueKind
{
    /// <summary>A journey enrollment waiting for its next step.</summary>
    Enrollment,

    /// <summary>An inactivity deadline that enrolls when reached.</summary>
    Watch,
}

/// <summary>An entry of the due index: an enrollment or watch that falls due at <see cref="DueAt"/>.</summary>
internal sealed record DueEntry(DueKind Kind, CustomerId CustomerId, string JourneyId, DateTimeOffset DueAt);

/// <summary>Messages recently sent to a customer, for frequency caps.</summary>
internal sealed record ContactLedger(IReadOnlyList<ContactEntry> Entries);

/// <summary>One message sent (or reserved) to a customer.</summary>
internal sealed record ContactEntry(string IdempotencyKey, Channel Channel, DateTimeOffset At);

/// <summary>
/// Runs the configured journeys: enrolls customers on triggers (events through
/// <see cref="IMarketingEventListener"/>, segment enter/exit through <see cref="ISegmentMembershipListener"/>,
/// inactivity deadlines and anniversaries through <see cref="RunDueAsync"/>), advances their steps with
/// <see cref="TimeProvider"/> time, and performs actions through <see cref="IJourneyActionHandler"/>s
/// after every <see cref="IJourneyActionGate"/> allowed them and the frequency caps had room. State
/// lives in the <see cref="IStateStore"/>, so a restarted host resumes where it stopped; each action has
/// an idempotency key recorded in a ledger, so it is never performed twice.
/// </summary>
public sealed partial class JourneyEngine : IMarketingEventListener, ISegmentMembershipListener, IProfileMergeListener, IDisposable
{
    internal const string EnrollmentScope = "journey.enrollment";
    internal const string WatchScope = "journey.watch";
    internal const string ActionScope = "journey.action";
    internal const string ContactScope = "journey.contact";
    internal const string ScanScope = "journey.scan";
    internal const string DueScope = "journey.due";
    internal const string MetaScope = "journey.meta";
    internal const string PauseScope = "journey.paused";
    private const int MaxStepsPerAdvance = 256;

    private readonly IStateStore _store;
    private readonly JourneyOptions _options;
    private readonly TimeProvider _time;
    private readonly JourneyStateStore _state;
    private readonly JourneyActionExecutor _executor;
    private readonly JourneyConditionEvaluator _conditions;
    private readonly AnniversaryScanner _anniversaries;
    private readonly ILogger _logger;
    private readonly KeyedLock _locks = new();
    private readonly Counter<long> _enrollments;

    /// <summary>Creates the engine without a container (the DI registration builds it from the same parts).</summary>
    /// <param name="store">Where enrollments, ledgers and watches are kept.</param>
    /// <param name="options">The journeys and execution rules.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="gates">The gates every action must pass, asked in this order (the DI registration adds the built-in consent and quiet-hours gates).</param>
    /// <param name="handlers">The action handlers; the first that can handle an action performs it.</param>
    /// <param name="profiles">The profile store for profile conditions and anniversaries; none when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Lifecycle</c> meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    public JourneyEngine(IStateStore store, IOptions<LifecycleOptions> options, TimeProvider timeProvider, IEnumerable<IJourneyActionGate> gates, IEnumerable<IJourneyActionHandler> handlers, IProfileStore? profiles = null, IMeterFactory? meterFactory = null, ILogger<JourneyEngine>? logger = null)
        : this(
            options,
            timeProvider,
            new JourneyStateStore(store),
            new JourneyActionExecutor(store, options, timeProvider, gates, handlers, meterFactory, logger),
            new JourneyConditionEvaluator(profiles),
            new AnniversaryScanner(store, options, profiles),
            meterFactory,
            logger)
    {
    }

    /// <summary>Creates the engine from its parts (the DI registration).</summary>
    internal JourneyEngine(IOptions<LifecycleOptions> options, TimeProvider timeProvider, JourneyStateStore state, JourneyActionExecutor executor, JourneyConditionEvaluator conditions, AnniversaryScanner anniversaries, IMeterFactory? meterFactory = null, ILogger<JourneyEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(anniversaries);
        _state = state;
        _store = state.Store;
        _options = options.Value.Journeys;
        _time = timeProvider;
        _executor = executor;
        _conditions = conditions;
        _anniversaries = anniversaries;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _enrollments = LifecycleTelemetry.CreateMeter(meterFactory).CreateCounter<long>("marketing.lifecycle.journey_enrollments", description: "Customers enrolled in journeys.");
    }

    /// <summary>The configured journeys.</summary>
    public IReadOnlyList<JourneyDefinition> Journeys => _options.Definitions;

    /// <inheritdoc />
    /// <remarks>
    /// A batch is applied with batched state calls: the enrollments (and inactivity watches) of every customer
    /// in it are read at once (<see cref="IStateStore.GetManyAsync"/>), the changes are held and written with one
    /// atomic <see cref="IStateStore.SaveManyAsync"/> at the end, and before every action everything decided
    /// until then is written first, so an action is never performed on state that could still be lost, and the
    /// action ledger keeps a resumed run from performing it twice. When another instance changed one of the
    /// documents meanwhile, the batch's customers are replayed one call per document (replaying is safe: events
    /// and actions are idempotent per enrollment).
    /// </remarks>
    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (Journeys.Count == 0)
        {
            return;
        }
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
        foreach (var list in groups.Values)
        {
            list.Sort(static (a, b) => a.OccurredAt != b.OccurredAt ? a.OccurredAt.CompareTo(b.OccurredAt) : string.CompareOrdinal(a.Id, b.Id));
        }
        using (await _locks.AcquireAllAsync(groups.Keys.Select(c => c.Value), cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var buffer = new StateWriteBuffer(_store);
                var state = new JourneyStateStore(buffer);
                await buffer.PrefetchAsync(EnrollmentScope, [.. groups.Keys.SelectMany(c => Journeys.Select(j => Key(c, j.Id)))], cancellationToken).ConfigureAwait(false);
                var watched = Journeys.Where(j => j.Trigger is InactivityTrigger).ToList();
                if (watched.Count > 0)
                {
                    await buffer.PrefetchAsync(WatchScope, [.. groups.Keys.SelectMany(c => watched.Select(j => Key(c, j.Id)))], cancellationToken).ConfigureAwait(false);
                }
                foreach (var (customer, ordered) in groups)
                {
                    await ApplyEventsAsync(state, customer, ordered, cancellationToken).ConfigureAwait(false);
                }
                await buffer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // Another instance changed a document of the batch: what was held is not written. Replay on the store itself.
                foreach (var (customer, ordered) in groups)
                {
                    await ApplyEventsAsync(_state, customer, ordered, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Applies one customer's events (in time order) to every journey, then runs what fell due since.</summary>
    private async ValueTask ApplyEventsAsync(JourneyStateStore state, CustomerId customer, List<MarketingEvent> ordered, CancellationToken cancellationToken)
    {
        // Events are replayed in the order they happened and each enrollment is advanced only up to
        // the event's time, so an exit event that happened during a wait wins even when both arrive late.
        foreach (var e in ordered)
        {
            foreach (var journey in Journeys)
            {
                await OnEventAsync(state, journey, customer, e, cancellationToken).ConfigureAwait(false);
            }
        }
        // Then everything that fell due between the last event and now runs, at once.
        foreach (var journey in Journeys)
        {
            var (enrollment, version) = await state.LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
            if (enrollment is { Status: EnrollmentStatus.Active, DueAt: { } due } && due <= Now)
            {
                await AdvanceAsync(state, journey, enrollment, enrollment, version, Now, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask OnMembershipChangedAsync(IReadOnlyList<SegmentMembershipChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            foreach (var journey in Journeys)
            {
                if (journey.Trigger is SegmentTrigger t && t.SegmentId == change.SegmentId && t.OnEnter == change.Entered)
                {
                    using (await _locks.AcquireAsync(change.CustomerId.Value, cancellationToken).ConfigureAwait(false))
                    {
                        await TryEnrollAsync(_state, journey, change.CustomerId, Clamp(change.At), Now, cancellationToken, change.ChangeId).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Does everything that is due now: enrolls customers whose inactivity deadline or anniversary has
    /// come, and advances enrollments whose wait is over. The hosted scheduler calls this every
    /// <see cref="JourneyOptions.PollInterval"/>; hosts without it (and tests) call it themselves.
    /// </summary>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The number of enrollments started or advanced.</returns>
    public async ValueTask<int> RunDueAsync(CancellationToken cancellationToken = default) =>
        await RunDueCoreAsync(null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// <see cref="RunDueAsync"/>, reporting each enrollment advanced. Reads the due index in key (= due
    /// time) order and stops at the first entry not yet due, so only due enrollments and watches are read.
    /// </summary>
    internal async ValueTask<int> RunDueCoreAsync(ICollection<(CustomerId CustomerId, string JourneyId)>? advanced, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var entries = await _state.ReadDueAsync(now, cancellationToken).ConfigureAwait(false);
        var paused = await GetPausedAsync(cancellationToken).ConfigureAwait(false);
        var worked = 0;
        foreach (var (indexKey, w) in entries.Where(e => e.Entry.Kind == DueKind.Watch))
        {
            using (await _locks.AcquireAsync(w.CustomerId.Value, cancellationToken).ConfigureAwait(false))
            {
                var current = await _store.GetAsync(WatchScope, Key(w.CustomerId, w.JourneyId), cancellationToken).ConfigureAwait(false);
                var still = current is null ? null : JsonSerializer.Deserialize(current.Value, LifecycleJsonContext.Default.InactivityWatch);
                if (still is null || still.DueAt != w.DueAt || Find(w.JourneyId) is not { } journey)
                {
                    await _state.DeleteDueAsync(indexKey, cancellationToken).ConfigureAwait(false); // Stale: moved or gone.
                    continue;
                }
                await DeleteWatchAsync(current!, cancellationToken).ConfigureAwait(false);
                if (await TryEnrollAsync(_state, journey, w.CustomerId, still.DueAt, now, cancellationToken).ConfigureAwait(false))
                {
                    worked++;
                }
            }
        }
        foreach (var journey in Journeys)
        {
            if (journey.Trigger is AnniversaryTrigger anniversary && !paused.Contains(journey.Id))
            {
                worked += await ScanAnniversariesAsync(journey, anniversary, now, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (indexKey, e) in entries.Where(e => e.Entry.Kind == DueKind.Enrollment && !paused.Contains(e.Entry.JourneyId)))
        {
            using (await _locks.AcquireAsync(e.CustomerId.Value, cancellationToken).ConfigureAwait(false))
            {
                var (current, version) = await LoadAsync(e.CustomerId, e.JourneyId, cancellationToken).ConfigureAwait(false);
                if (DueOf(current) != e.DueAt)
                {
                    // Stale (advanced, exited or moved since it was indexed): its current due time has its own entry.
                    await _state.DeleteDueAsync(indexKey, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (Find(e.JourneyId) is not { } journey)
                {
                    continue; // The journey is no longer configured: leave the enrollment (and its entry) as it is.
                }
                try
                {
                    await AdvanceAsync(_state, journey, current!, current, version, now, cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyConflictException)
                {
                    // Another host's run (one cut short by a takeover) advanced it meanwhile; its actions are in the
                    // ledger once and its new due time has its own entry.
                    continue;
                }
                advanced?.Add((e.CustomerId, e.JourneyId));
                worked++;
            }
        }
        return worked;
    }

    /// <summary>
    /// Pauses a configured journey on every host that shares the store (an operator's stop, e.g. from the dashboard).
    /// While paused the journey enrolls nobody (its triggers are not remembered for later) and performs no action:
    /// enrollments still pass their waits and leave on exit events, and those that reach an action wait there until
    /// <see cref="ResumeAsync"/>. Returns <see langword="false"/> when it was paused already.
    /// </summary>
    /// <param name="journeyId">The journey's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="LifecycleException">No journey with this id is configured.</exception>
    public async ValueTask<bool> PauseAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        var journey = Find(journeyId ?? throw new ArgumentNullException(nameof(journeyId))) ?? throw new LifecycleException("No journey with this id is configured.");
        try
        {
            await _store.SaveAsync(PauseScope, journey.Id, "{}", 0, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return false; // Paused already (by this host or another).
        }
        LogPaused(_logger, journey.Id);
        return true;
    }

    /// <summary>
    /// Resumes a paused journey: it enrolls again, and enrollments that waited at an action continue at the next
    /// <see cref="RunDueAsync"/>. Returns <see langword="false"/> when it was not paused.
    /// </summary>
    /// <param name="journeyId">The journey's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="LifecycleException">No journey with this id is configured.</exception>
    public async ValueTask<bool> ResumeAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        var journey = Find(journeyId ?? throw new ArgumentNullException(nameof(journeyId))) ?? throw new LifecycleException("No journey with this id is configured.");
        if (!await _store.DeleteAsync(PauseScope, journey.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        LogResumed(_logger, journey.Id);
        return true;
    }

    /// <summary>Whether a journey is paused (<see cref="PauseAsync"/>).</summary>
    /// <param name="journeyId">The journey's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<bool> IsPausedAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        return await _store.GetAsync(PauseScope, journeyId, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The ids of the paused journeys.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlySet<string>> GetPausedAsync(CancellationToken cancellationToken = default)
    {
        var paused = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in _store.StreamAsync(PauseScope, null, cancellationToken).ConfigureAwait(false))
        {
            paused.Add(entry.Key);
        }
        return paused;
    }

    /// <summary>
    /// How many enrollments each configured journey has per status (active, completed, exited), for reports;
    /// reads every enrollment document, so it is meant for dashboards, not for hot paths.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyDictionary<string, IReadOnlyDictionary<EnrollmentStatus, int>>> CountEnrollmentsAsync(CancellationToken cancellationToken = default)
    {
        var counts = Journeys.ToDictionary(j => j.Id, _ => new Dictionary<EnrollmentStatus, int>(), StringComparer.Ordinal);
        await foreach (var entry in _store.StreamAsync(EnrollmentScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment) is { } e && counts.TryGetValue(e.JourneyId, out var c))
            {
                c[e.Status] = c.GetValueOrDefault(e.Status) + 1;
            }
        }
        return counts.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<EnrollmentStatus, int>)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>Reads a customer's latest enrollment in a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<JourneyEnrollment?> GetEnrollmentAsync(string journeyId, CustomerId customerId, CancellationToken cancellationToken = default) =>
        (await LoadAsync(customerId, journeyId, cancellationToken).ConfigureAwait(false)).Enrollment;

    /// <summary>Streams the outcome of every journey action, optionally of one customer.</summary>
    /// <param name="customerId">Only this customer's actions, or everyone's when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<JourneyActionRecord> ReadActionLogAsync(CustomerId? customerId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = customerId is { } c ? c.Value + "|" : null;
        await foreach (var entry in _store.StreamAsync(ActionScope, prefix, cancellationToken).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyActionRecord) is { } record)
            {
                yield return record;
            }
        }
    }

    /// <summary>
    /// Moves the journey state of <paramref name="merged"/> to <paramref name="survivor"/>. Per journey one
    /// enrollment is kept (never two for the same journey): an active one over a finished one; of two
    /// active ones the one entered first; of two finished ones the latest (it carries re-entry cooldowns).
    /// The kept enrollment keeps its action-key stem, the action ledger moves to the survivor under the
    /// same keys, so actions already performed (or reserved against caps) are never performed again; the
    /// contact ledgers are united (caps count both); an inactivity deadline keeps the later one. The
    /// dropped enrollment stops. Repeating a merge changes nothing.
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
                await MergeActionLedgerAsync(survivor, loser, cancellationToken).ConfigureAwait(false);
                await MergeEnrollmentsAsync(survivor, loser, cancellationToken).ConfigureAwait(false);
                await MergeContactsAsync(survivor, loser, cancellationToken).ConfigureAwait(false);
                await MergeWatchesAsync(survivor, loser, cancellationToken).ConfigureAwait(false);
                LogMerged(_logger, loser, survivor);
            }
        }
    }

    private async ValueTask MergeActionLedgerAsync(CustomerId survivor, CustomerId loser, CancellationToken cancellationToken)
    {
        var prefix = loser.Value + "|";
        var entries = await CollectAsync(ActionScope, prefix, cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            var record = JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyActionRecord);
            var key = survivor.Value + "|" + entry.Key[prefix.Length..];
            if (record is not null && await _store.GetAsync(ActionScope, key, cancellationToken).ConfigureAwait(false) is null)
            {
                // Same idempotency key, now under the survivor: it is found when the moved enrollment runs that step.
                var json = JsonSerializer.Serialize(record with { CustomerId = survivor }, LifecycleJsonContext.Default.JourneyActionRecord);
                await _store.SaveAsync(ActionScope, key, json, 0, cancellationToken).ConfigureAwait(false);
            }
            await _store.DeleteAsync(ActionScope, entry.Key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask MergeEnrollmentsAsync(CustomerId survivor, CustomerId loser, CancellationToken cancellationToken)
    {
        var entries = await CollectAsync(EnrollmentScope, loser.Value + "|", cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment) is not { } gone)
            {
                continue;
            }
            var (kept, version) = await LoadAsync(survivor, gone.JourneyId, cancellationToken).ConfigureAwait(false);
            var winner = kept is null ? gone : Prefer(kept, gone);
            var sequence = Math.Max(gone.Sequence, kept?.Sequence ?? 0);
            // Re-keyed with its original key stem; the sequence continues after both, so a later re-entry gets fresh keys.
            var moved = winner with { CustomerId = survivor, ActionKeyStem = winner.ActionKeyStem ?? StemOf(winner), Sequence = sequence };
            if (moved != kept)
            {
                await SaveAsync(moved, kept, version, cancellationToken).ConfigureAwait(false);
            }
            await DeleteEnrollmentAsync(gone, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Which of two enrollments of one person in one journey to keep (see <see cref="OnMergedAsync"/>); ties keep the survivor's.</summary>
    private static JourneyEnrollment Prefer(JourneyEnrollment kept, JourneyEnrollment gone)
    {
        var keptActive = kept.Status == EnrollmentStatus.Active;
        var goneActive = gone.Status == EnrollmentStatus.Active;
        if (keptActive != goneActive)
        {
            return keptActive ? kept : gone;
        }
        if (keptActive)
        {
            return gone.EnteredAt < kept.EnteredAt ? gone : kept;
        }
        return gone.EnteredAt > kept.EnteredAt ? gone : kept;
    }

    private async ValueTask MergeContactsAsync(CustomerId survivor, CustomerId loser, CancellationToken cancellationToken)
    {
        var gone = await _store.GetAsync(ContactScope, loser.Value + "|", cancellationToken).ConfigureAwait(false);
        if (gone is null)
        {
            return;
        }
        var goneLedger = JsonSerializer.Deserialize(gone.Value, LifecycleJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(ContactScope, survivor.Value + "|", cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new ContactLedger([]) : JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
            var united = ledger.Entries.Concat(goneLedger.Entries).DistinctBy(e => e.IdempotencyKey, StringComparer.Ordinal).OrderBy(e => e.At).ToList();
            try
            {
                await _store.SaveAsync(ContactScope, survivor.Value + "|", JsonSerializer.Serialize(new ContactLedger(united), LifecycleJsonContext.Default.ContactLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another instance reserved a message for the survivor meanwhile: re-read.
            }
        }
        await _store.DeleteAsync(ContactScope, loser.Value + "|", cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask MergeWatchesAsync(CustomerId survivor, CustomerId loser, CancellationToken cancellationToken)
    {
        var entries = await CollectAsync(WatchScope, loser.Value + "|", cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch) is { } gone)
            {
                var key = Key(survivor, gone.JourneyId);
                var current = await _store.GetAsync(WatchScope, key, cancellationToken).ConfigureAwait(false);
                var kept = current is null ? null : JsonSerializer.Deserialize(current.Value, LifecycleJsonContext.Default.InactivityWatch);
                if (kept is null || kept.DueAt < gone.DueAt)
                {
                    // The person's latest activity decides when they count as inactive.
                    await SaveWatchAsync(new InactivityWatch(gone.JourneyId, survivor, gone.DueAt), kept, current?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                }
            }
            await DeleteWatchAsync(entry, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private async ValueTask OnEventAsync(JourneyStateStore state, JourneyDefinition journey, CustomerId customer, MarketingEvent e, CancellationToken cancellationToken)
    {
        var at = Clamp(e.OccurredAt);
        var (enrollment, version) = await state.LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        if (enrollment is { Status: EnrollmentStatus.Active, DueAt: { } due } && due <= at && e.OccurredAt >= enrollment.EnteredAt)
        {
            // A replayed event: first catch the enrollment up to the moment the event happened.
            await AdvanceAsync(state, journey, enrollment, enrollment, version, at, cancellationToken).ConfigureAwait(false);
            (enrollment, version) = await state.LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        }
        if (enrollment is { Status: EnrollmentStatus.Active } && e.OccurredAt >= enrollment.EnteredAt)
        {
            if (journey.ExitOn.Contains(e.Type))
            {
                await state.SaveAsync(enrollment with { Status = EnrollmentStatus.Exited, FinishedAt = Now, DueAt = null }, enrollment, version, cancellationToken).ConfigureAwait(false);
                LogExited(_logger, journey.Id, customer);
                return;
            }
            var seen = enrollment.SeenEvents.Contains(e.Type) || enrollment.SeenEvents.Count >= 64
                ? enrollment
                : enrollment with { SeenEvents = [.. enrollment.SeenEvents, e.Type] };
            if (enrollment.StepIndex < journey.Steps.Count && journey.Steps[enrollment.StepIndex] is WaitForEventStep wait
                && wait.EventType == e.Type && e.OccurredAt >= enrollment.StepStartedAt)
            {
                var next = wait.OnEventGoTo is { } label ? journey.IndexOf(label) : enrollment.StepIndex + 1;
                var from = at > enrollment.StepStartedAt ? at : enrollment.StepStartedAt;
                await AdvanceAsync(state, journey, seen with { StepIndex = next, StepStartedAt = from, DueAt = from }, enrollment, version, at, cancellationToken).ConfigureAwait(false);
            }
            else if (!ReferenceEquals(seen, enrollment))
            {
                await state.SaveAsync(seen, enrollment, version, cancellationToken).ConfigureAwait(false);
            }
        }
        if (journey.Trigger is EventTrigger trigger && trigger.Matches(e))
        {
            await TryEnrollAsync(state, journey, customer, at, at, cancellationToken).ConfigureAwait(false);
        }
        else if (journey.Trigger is InactivityTrigger inactivity && inactivity.Watches(e))
        {
            var key = Key(customer, journey.Id);
            var entry = await state.Store.GetAsync(WatchScope, key, cancellationToken).ConfigureAwait(false);
            var existing = entry is null ? null : JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch);
            var dueAt = e.OccurredAt + inactivity.After;
            if (existing is null || existing.DueAt < dueAt)
            {
                await state.SaveWatchAsync(new InactivityWatch(journey.Id, customer, dueAt), existing, entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Enrolls a customer whose trigger happened <paramref name="at"/> and runs the journey up to <paramref name="advanceTo"/>.</summary>
    /// <remarks>
    /// A trigger with an id (<see cref="SegmentMembershipChange.ChangeId"/>) is recorded in the enrollment; the same
    /// trigger delivered again (a membership change republished after its host stopped) enrolls nobody a second time.
    /// </remarks>
    private async ValueTask<bool> TryEnrollAsync(JourneyStateStore state, JourneyDefinition journey, CustomerId customer, DateTimeOffset at, DateTimeOffset advanceTo, CancellationToken cancellationToken, string? triggerId = null)
    {
        if (await IsPausedAsync(journey.Id, cancellationToken).ConfigureAwait(false))
        {
            return false; // A paused journey enrolls nobody.
        }
        var (previous, version) = await state.LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        if (previous is not null)
        {
            if (triggerId is not null && string.Equals(previous.TriggerId, triggerId, StringComparison.Ordinal))
            {
                return false; // This very change enrolled the customer already.
            }
            if (previous.Status == EnrollmentStatus.Active || !journey.AllowReentry || at - previous.EnteredAt < journey.ReentryCooldown)
            {
                return false;
            }
        }
        var enrollment = new JourneyEnrollment
        {
            JourneyId = journey.Id,
            CustomerId = customer,
            Sequence = (previous?.Sequence ?? 0) + 1,
            Status = EnrollmentStatus.Active,
            EnteredAt = at,
            StepStartedAt = at,
            DueAt = at,
            TriggerId = triggerId,
        };
        enrollment = enrollment with { ActionKeyStem = StemOf(enrollment) };
        // Saved before any step runs, with "due now", so a crash in the first step is resumed by RunDueAsync.
        version = await state.SaveAsync(enrollment, previous, version, cancellationToken).ConfigureAwait(false);
        _enrollments.Add(1, new KeyValuePair<string, object?>("journey", journey.Id));
        LogEnrolled(_logger, journey.Id, customer, enrollment.Sequence);
        await AdvanceAsync(state, journey, enrollment, enrollment, version, advanceTo, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Runs steps until the enrollment waits or ends, saving after each action so a crash never repeats one.
    /// The journey keeps its own timeline: <see cref="JourneyEnrollment.StepStartedAt"/> starts at the
    /// trigger's time and moves by each wait's full length (a branch or an action takes no time on it;
    /// an action deferred by a gate or retried moves it to when it was allowed), so waits count from the
    /// event, not from when the engine heard of it. Waits ending by <paramref name="asOf"/> (never later
    /// than now) are passed; actions are always performed at the clock's now, never backdated.
    /// </summary>
    private async ValueTask AdvanceAsync(JourneyStateStore state, JourneyDefinition journey, JourneyEnrollment enrollment, JourneyEnrollment? stored, long version, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        for (var guard = 0; guard < MaxStepsPerAdvance; guard++)
        {
            var now = Now;
            var horizon = asOf < now ? asOf : now;
            if (enrollment.StepIndex >= journey.Steps.Count)
            {
                await state.SaveAsync(enrollment with { Status = EnrollmentStatus.Completed, FinishedAt = now, DueAt = null }, stored, version, cancellationToken).ConfigureAwait(false);
                return;
            }
            var next = enrollment.StepIndex + 1;
            switch (journey.Steps[enrollment.StepIndex])
            {
                case WaitStep wait:
                {
                    var due = enrollment.StepStartedAt + wait.Duration;
                    if (horizon < due)
                    {
                        await state.SaveAsync(enrollment with { DueAt = due }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    enrollment = enrollment with { StepIndex = next, StepStartedAt = due, DueAt = null };
                    break;
                }
                case WaitForEventStep waitFor:
                {
                    var deadline = enrollment.StepStartedAt + waitFor.Timeout;
                    if (horizon < deadline)
                    {
                        await state.SaveAsync(enrollment with { DueAt = deadline }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    var target = waitFor.OnTimeoutGoTo is { } label ? journey.IndexOf(label) : next;
                    enrollment = enrollment with { StepIndex = target, StepStartedAt = deadline, DueAt = null };
                    break;
                }
                case BranchStep branch:
                {
                    var holds = await _conditions.EvaluateAsync(branch.Condition, enrollment, cancellationToken).ConfigureAwait(false);
                    var target = holds ? journey.IndexOf(branch.ThenGoTo) : branch.ElseGoTo is { } label ? journey.IndexOf(label) : next;
                    enrollment = enrollment with { StepIndex = target };
                    break;
                }
                case ActionStep action:
                {
                    if (await IsPausedAsync(journey.Id, cancellationToken).ConfigureAwait(false))
                    {
                        // Paused: the enrollment waits at this action, due as soon as the journey is resumed.
                        var held = enrollment.StepStartedAt < now ? enrollment.StepStartedAt : now;
                        await state.SaveAsync(enrollment with { DueAt = held }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    // Everything the batch decided before this action is stored first: a crash during or after
                    // the action resumes from here, and the ledger then keeps the action from running twice.
                    await state.FlushAsync(cancellationToken).ConfigureAwait(false);
                    var (retryAt, failed) = await _executor.ExecuteAsync(journey, enrollment, action.Action, now, cancellationToken).ConfigureAwait(false);
                    if (retryAt is { } at)
                    {
                        var from = at > enrollment.StepStartedAt ? at : enrollment.StepStartedAt;
                        await state.SaveAsync(enrollment with { StepStartedAt = from, DueAt = at, Attempts = enrollment.Attempts + (failed ? 1 : 0) }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    // Saved as due right after the action: a crash in a later step resumes there, not here.
                    enrollment = enrollment with { StepIndex = next, DueAt = enrollment.StepStartedAt, Attempts = 0 };
                    version = await state.SaveAsync(enrollment, stored, version, cancellationToken).ConfigureAwait(false);
                    stored = enrollment;
                    break;
                }
                default:
                    await state.SaveAsync(enrollment with { Status = EnrollmentStatus.Exited, FinishedAt = now, DueAt = null }, stored, version, cancellationToken).ConfigureAwait(false);
                    return;
            }
        }
        throw new LifecycleException($"Journey '{journey.Id}' ran {MaxStepsPerAdvance} steps without waiting; its branches form a loop.");
    }

    private async ValueTask<int> ScanAnniversariesAsync(JourneyDefinition journey, AnniversaryTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enrolled = 0;
        await foreach (var customer in _anniversaries.DueAsync(journey, trigger, now, cancellationToken).ConfigureAwait(false))
        {
            using (await _locks.AcquireAsync(customer.Value, cancellationToken).ConfigureAwait(false))
            {
                var (previous, _) = await LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
                if (previous is not null && now - previous.EnteredAt < TimeSpan.FromDays(300))
                {
                    continue; // Already celebrated this year.
                }
                if (await TryEnrollAsync(_state, journey, customer, now, now, cancellationToken).ConfigureAwait(false))
                {
                    enrolled++;
                }
            }
        }
        return enrolled;
    }

    private ValueTask<(JourneyEnrollment? Enrollment, long Version)> LoadAsync(CustomerId customer, string journeyId, CancellationToken cancellationToken) =>
        _state.LoadAsync(customer, journeyId, cancellationToken);

    private ValueTask<long> SaveAsync(JourneyEnrollment enrollment, JourneyEnrollment? stored, long version, CancellationToken cancellationToken) =>
        _state.SaveAsync(enrollment, stored, version, cancellationToken);

    private static DateTimeOffset? DueOf(JourneyEnrollment? e) => JourneyStateStore.DueOf(e);

    private ValueTask DeleteEnrollmentAsync(JourneyEnrollment enrollment, CancellationToken cancellationToken) =>
        _state.DeleteEnrollmentAsync(enrollment, cancellationToken);

    private ValueTask SaveWatchAsync(InactivityWatch watch, InactivityWatch? stored, long version, CancellationToken cancellationToken) =>
        _state.SaveWatchAsync(watch, stored, version, cancellationToken);

    private ValueTask DeleteWatchAsync(StateEntry entry, CancellationToken cancellationToken) =>
        _state.DeleteWatchAsync(entry, cancellationToken);

    private ValueTask<List<StateEntry>> CollectAsync(string scope, string prefix, CancellationToken cancellationToken) =>
        _state.CollectAsync(scope, prefix, cancellationToken);

    /// <summary>The due index key (see <see cref="JourneyStateStore.DueKey"/>).</summary>
    internal static string DueKey(DueEntry e) => JourneyStateStore.DueKey(e);

    private JourneyDefinition? Find(string journeyId) => Journeys.FirstOrDefault(j => j.Id == journeyId);

    private DateTimeOffset Now => _time.GetUtcNow();

    private DateTimeOffset Clamp(DateTimeOffset at) => at > Now ? Now : at;

    private static string Key(CustomerId customer, string journeyId) => JourneyStateStore.Key(customer, journeyId);

    private static string StemOf(JourneyEnrollment e) => JourneyStateStore.StemOf(e);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Journey state of customer {Merged} merged into {Survivor}.")]
    private static partial void LogMerged(ILogger logger, CustomerId merged, CustomerId survivor);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Customer {CustomerId} entered journey {JourneyId} (entry {Sequence}).")]
    private static partial void LogEnrolled(ILogger logger, string journeyId, CustomerId customerId, int sequence);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Journey {JourneyId} paused: it enrolls nobody and performs no action until resumed.")]
    private static partial void LogPaused(ILogger logger, string journeyId);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "Journey {JourneyId} resumed.")]
    private static partial void LogResumed(ILogger logger, string journeyId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Customer {CustomerId} left journey {JourneyId} on an exit event.")]
    private static partial void LogExited(ILogger logger, string journeyId, CustomerId customerId);
}
