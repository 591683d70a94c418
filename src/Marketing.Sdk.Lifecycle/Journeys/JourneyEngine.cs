using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
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
    private const string DueIndexMarker = "due-index-v1";
    private const int MaxStepsPerAdvance = 256;
    private static readonly TimeSpan AnniversaryScanInterval = TimeSpan.FromHours(1);

    private readonly IStateStore _store;
    private readonly JourneyOptions _options;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly KeyedLock _locks = new();
    private readonly Counter<long> _enrollments;
    private readonly Counter<long> _actions;
    private bool _dueIndexReady;

    /// <summary>Creates the engine (normally resolved from DI).</summary>
    /// <param name="store">Where enrollments, ledgers and watches are kept.</param>
    /// <param name="options">The journeys and execution rules.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="services">Resolves handlers, gates and the optional profile store.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Lifecycle</c> meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    public JourneyEngine(IStateStore store, IOptions<LifecycleOptions> options, TimeProvider timeProvider, IServiceProvider services, IMeterFactory? meterFactory = null, ILogger<JourneyEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value.Journeys;
        _time = timeProvider;
        _services = services;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var meter = LifecycleTelemetry.CreateMeter(meterFactory);
        _enrollments = meter.CreateCounter<long>("marketing.lifecycle.journey_enrollments", description: "Customers enrolled in journeys.");
        _actions = meter.CreateCounter<long>("marketing.lifecycle.journey_actions", description: "Journey actions by outcome.");
    }

    /// <summary>The configured journeys.</summary>
    public IReadOnlyList<JourneyDefinition> Journeys => _options.Definitions;

    /// <inheritdoc />
    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (Journeys.Count == 0)
        {
            return;
        }
        foreach (var group in events.Where(e => e.CustomerId is not null).GroupBy(e => e.CustomerId!.Value))
        {
            using (await _locks.AcquireAsync(group.Key.Value, cancellationToken).ConfigureAwait(false))
            {
                // Events are replayed in the order they happened and each enrollment is advanced only up to
                // the event's time, so an exit event that happened during a wait wins even when both arrive late.
                foreach (var e in group.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id, StringComparer.Ordinal))
                {
                    foreach (var journey in Journeys)
                    {
                        await OnEventAsync(journey, group.Key, e, cancellationToken).ConfigureAwait(false);
                    }
                }
                // Then everything that fell due between the last event and now runs, at once.
                foreach (var journey in Journeys)
                {
                    var (enrollment, version) = await LoadAsync(group.Key, journey.Id, cancellationToken).ConfigureAwait(false);
                    if (enrollment is { Status: EnrollmentStatus.Active, DueAt: { } due } && due <= Now)
                    {
                        await AdvanceAsync(journey, enrollment, enrollment, version, Now, cancellationToken).ConfigureAwait(false);
                    }
                }
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
                        await TryEnrollAsync(journey, change.CustomerId, Clamp(change.At), Now, cancellationToken).ConfigureAwait(false);
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
        await EnsureDueIndexAsync(cancellationToken).ConfigureAwait(false);
        var limit = now.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
        var entries = new List<(string Key, DueEntry Entry)>();
        await foreach (var entry in _store.StreamAsync(DueScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (string.CompareOrdinal(entry.Key, 0, limit, 0, limit.Length) > 0)
            {
                break; // Keys are in due order: everything after this is later.
            }
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.DueEntry) is { } due)
            {
                entries.Add((entry.Key, due));
            }
        }
        var worked = 0;
        foreach (var (indexKey, w) in entries.Where(e => e.Entry.Kind == DueKind.Watch))
        {
            using (await _locks.AcquireAsync(w.CustomerId.Value, cancellationToken).ConfigureAwait(false))
            {
                var current = await _store.GetAsync(WatchScope, Key(w.CustomerId, w.JourneyId), cancellationToken).ConfigureAwait(false);
                var still = current is null ? null : JsonSerializer.Deserialize(current.Value, LifecycleJsonContext.Default.InactivityWatch);
                if (still is null || still.DueAt != w.DueAt || Find(w.JourneyId) is not { } journey)
                {
                    await _store.DeleteAsync(DueScope, indexKey, cancellationToken).ConfigureAwait(false); // Stale: moved or gone.
                    continue;
                }
                await DeleteWatchAsync(current!, cancellationToken).ConfigureAwait(false);
                if (await TryEnrollAsync(journey, w.CustomerId, still.DueAt, now, cancellationToken).ConfigureAwait(false))
                {
                    worked++;
                }
            }
        }
        foreach (var journey in Journeys)
        {
            if (journey.Trigger is AnniversaryTrigger anniversary)
            {
                worked += await ScanAnniversariesAsync(journey, anniversary, now, cancellationToken).ConfigureAwait(false);
            }
        }
        foreach (var (indexKey, e) in entries.Where(e => e.Entry.Kind == DueKind.Enrollment))
        {
            using (await _locks.AcquireAsync(e.CustomerId.Value, cancellationToken).ConfigureAwait(false))
            {
                var (current, version) = await LoadAsync(e.CustomerId, e.JourneyId, cancellationToken).ConfigureAwait(false);
                if (DueOf(current) != e.DueAt)
                {
                    // Stale (advanced, exited or moved since it was indexed): its current due time has its own entry.
                    await _store.DeleteAsync(DueScope, indexKey, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (Find(e.JourneyId) is not { } journey)
                {
                    continue; // The journey is no longer configured: leave the enrollment (and its entry) as it is.
                }
                await AdvanceAsync(journey, current!, current, version, now, cancellationToken).ConfigureAwait(false);
                advanced?.Add((e.CustomerId, e.JourneyId));
                worked++;
            }
        }
        return worked;
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

    private async ValueTask<List<StateEntry>> CollectAsync(string scope, string prefix, CancellationToken cancellationToken)
    {
        var list = new List<StateEntry>();
        await foreach (var entry in _store.StreamAsync(scope, prefix, cancellationToken).ConfigureAwait(false))
        {
            list.Add(entry);
        }
        return list;
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private async ValueTask OnEventAsync(JourneyDefinition journey, CustomerId customer, MarketingEvent e, CancellationToken cancellationToken)
    {
        var at = Clamp(e.OccurredAt);
        var (enrollment, version) = await LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        if (enrollment is { Status: EnrollmentStatus.Active, DueAt: { } due } && due <= at && e.OccurredAt >= enrollment.EnteredAt)
        {
            // A replayed event: first catch the enrollment up to the moment the event happened.
            await AdvanceAsync(journey, enrollment, enrollment, version, at, cancellationToken).ConfigureAwait(false);
            (enrollment, version) = await LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        }
        if (enrollment is { Status: EnrollmentStatus.Active } && e.OccurredAt >= enrollment.EnteredAt)
        {
            if (journey.ExitOn.Contains(e.Type))
            {
                await SaveAsync(enrollment with { Status = EnrollmentStatus.Exited, FinishedAt = Now, DueAt = null }, enrollment, version, cancellationToken).ConfigureAwait(false);
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
                await AdvanceAsync(journey, seen with { StepIndex = next, StepStartedAt = from, DueAt = from }, enrollment, version, at, cancellationToken).ConfigureAwait(false);
            }
            else if (!ReferenceEquals(seen, enrollment))
            {
                await SaveAsync(seen, enrollment, version, cancellationToken).ConfigureAwait(false);
            }
        }
        if (journey.Trigger is EventTrigger trigger && trigger.Matches(e))
        {
            await TryEnrollAsync(journey, customer, at, at, cancellationToken).ConfigureAwait(false);
        }
        else if (journey.Trigger is InactivityTrigger inactivity && inactivity.Watches(e))
        {
            var key = Key(customer, journey.Id);
            var entry = await _store.GetAsync(WatchScope, key, cancellationToken).ConfigureAwait(false);
            var existing = entry is null ? null : JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch);
            var dueAt = e.OccurredAt + inactivity.After;
            if (existing is null || existing.DueAt < dueAt)
            {
                await SaveWatchAsync(new InactivityWatch(journey.Id, customer, dueAt), existing, entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Enrolls a customer whose trigger happened <paramref name="at"/> and runs the journey up to <paramref name="advanceTo"/>.</summary>
    private async ValueTask<bool> TryEnrollAsync(JourneyDefinition journey, CustomerId customer, DateTimeOffset at, DateTimeOffset advanceTo, CancellationToken cancellationToken)
    {
        var (previous, version) = await LoadAsync(customer, journey.Id, cancellationToken).ConfigureAwait(false);
        if (previous is not null)
        {
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
        };
        enrollment = enrollment with { ActionKeyStem = StemOf(enrollment) };
        // Saved before any step runs, with "due now", so a crash in the first step is resumed by RunDueAsync.
        version = await SaveAsync(enrollment, previous, version, cancellationToken).ConfigureAwait(false);
        _enrollments.Add(1, new KeyValuePair<string, object?>("journey", journey.Id));
        LogEnrolled(_logger, journey.Id, customer, enrollment.Sequence);
        await AdvanceAsync(journey, enrollment, enrollment, version, advanceTo, cancellationToken).ConfigureAwait(false);
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
    private async ValueTask AdvanceAsync(JourneyDefinition journey, JourneyEnrollment enrollment, JourneyEnrollment? stored, long version, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        for (var guard = 0; guard < MaxStepsPerAdvance; guard++)
        {
            var now = Now;
            var horizon = asOf < now ? asOf : now;
            if (enrollment.StepIndex >= journey.Steps.Count)
            {
                await SaveAsync(enrollment with { Status = EnrollmentStatus.Completed, FinishedAt = now, DueAt = null }, stored, version, cancellationToken).ConfigureAwait(false);
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
                        await SaveAsync(enrollment with { DueAt = due }, stored, version, cancellationToken).ConfigureAwait(false);
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
                        await SaveAsync(enrollment with { DueAt = deadline }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    var target = waitFor.OnTimeoutGoTo is { } label ? journey.IndexOf(label) : next;
                    enrollment = enrollment with { StepIndex = target, StepStartedAt = deadline, DueAt = null };
                    break;
                }
                case BranchStep branch:
                {
                    var holds = await EvaluateAsync(branch.Condition, enrollment, cancellationToken).ConfigureAwait(false);
                    var target = holds ? journey.IndexOf(branch.ThenGoTo) : branch.ElseGoTo is { } label ? journey.IndexOf(label) : next;
                    enrollment = enrollment with { StepIndex = target };
                    break;
                }
                case ActionStep action:
                {
                    var (retryAt, failed) = await ExecuteAsync(journey, enrollment, action.Action, now, cancellationToken).ConfigureAwait(false);
                    if (retryAt is { } at)
                    {
                        var from = at > enrollment.StepStartedAt ? at : enrollment.StepStartedAt;
                        await SaveAsync(enrollment with { StepStartedAt = from, DueAt = at, Attempts = enrollment.Attempts + (failed ? 1 : 0) }, stored, version, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    // Saved as due right after the action: a crash in a later step resumes there, not here.
                    enrollment = enrollment with { StepIndex = next, DueAt = enrollment.StepStartedAt, Attempts = 0 };
                    version = await SaveAsync(enrollment, stored, version, cancellationToken).ConfigureAwait(false);
                    stored = enrollment;
                    break;
                }
                default:
                    await SaveAsync(enrollment with { Status = EnrollmentStatus.Exited, FinishedAt = now, DueAt = null }, stored, version, cancellationToken).ConfigureAwait(false);
                    return;
            }
        }
        throw new LifecycleException($"Journey '{journey.Id}' ran {MaxStepsPerAdvance} steps without waiting; its branches form a loop.");
    }

    /// <summary>Performs an action once; returns when to retry if it must wait (deferred, or a failed attempt), else no time.</summary>
    private async ValueTask<(DateTimeOffset? RetryAt, bool Failed)> ExecuteAsync(JourneyDefinition journey, JourneyEnrollment enrollment, JourneyAction action, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var customer = enrollment.CustomerId;
        var idempotencyKey = string.Create(CultureInfo.InvariantCulture, $"{enrollment.ActionKeyStem ?? StemOf(enrollment)}:{enrollment.StepIndex}");
        var ledgerKey = customer.Value + "|" + idempotencyKey;
        if (await _store.GetAsync(ActionScope, ledgerKey, cancellationToken).ConfigureAwait(false) is not null)
        {
            return (null, false); // Already done (this is a resumed run): never perform it twice.
        }
        var request = new JourneyActionRequest(idempotencyKey, journey.Id, enrollment.StepIndex, customer, action, now, enrollment.Attempts + 1);
        foreach (var gate in _services.GetServices<IJourneyActionGate>())
        {
            var decision = await gate.EvaluateAsync(request, cancellationToken).ConfigureAwait(false);
            if (decision.Verdict == GateVerdict.Defer && decision.RetryAt is { } until && until > now)
            {
                LogDeferred(_logger, journey.Id, customer, decision.Reason ?? "deferred", until);
                return (until, false);
            }
            if (decision.Verdict == GateVerdict.Veto)
            {
                await RecordAsync(request, JourneyActionStatus.Vetoed, decision.Reason, cancellationToken).ConfigureAwait(false);
                return (null, false);
            }
        }
        if (action.Channel is { } channel && !await TryReserveContactAsync(customer, channel, idempotencyKey, now, cancellationToken).ConfigureAwait(false))
        {
            await RecordAsync(request, JourneyActionStatus.Capped, "frequency cap reached", cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        var handler = _services.GetServices<IJourneyActionHandler>().FirstOrDefault(h => h.CanHandle(action));
        if (handler is null)
        {
            await RecordAsync(request, JourneyActionStatus.NoHandler, "no handler for kind " + action.Kind, cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        try
        {
            await handler.ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failing handler must not stop the engine: the attempt is retried or recorded as failed.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            // Handlers are host code (email/SMS providers put the recipient in their messages): log
            // the exception's code, and its redacted form (types and frames, no message) at Debug.
            var code = RedactedException.Code(ex);
            LogActionFailed(_logger, journey.Id, customer, request.Attempt, code);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = RedactedException.From(ex);
                LogActionFailedDetail(_logger, redacted, journey.Id, request.Attempt);
            }
            if (request.Attempt < _options.MaxAttempts)
            {
                return (now + _options.RetryDelay, true);
            }
            await RecordAsync(request, JourneyActionStatus.Failed, "handler failed " + request.Attempt + " times", cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        await RecordAsync(request, JourneyActionStatus.Executed, null, cancellationToken).ConfigureAwait(false);
        return (null, false);
    }

    private async ValueTask RecordAsync(JourneyActionRequest request, JourneyActionStatus status, string? reason, CancellationToken cancellationToken)
    {
        var record = new JourneyActionRecord(request.IdempotencyKey, request.JourneyId, request.StepIndex, request.CustomerId, request.Action.Kind, request.Action.Channel, status, reason, Now, request.Attempt);
        await _store.SaveAsync(ActionScope, request.CustomerId.Value + "|" + request.IdempotencyKey, JsonSerializer.Serialize(record, LifecycleJsonContext.Default.JourneyActionRecord), 0, cancellationToken).ConfigureAwait(false);
        _actions.Add(1, new KeyValuePair<string, object?>("journey", request.JourneyId), new KeyValuePair<string, object?>("status", status.ToString()));
        LogAction(_logger, request.JourneyId, request.CustomerId, request.Action.Kind, status);
    }

    /// <summary>Checks the caps and reserves a slot atomically (optimistic concurrency on the customer's contact ledger).</summary>
    private async ValueTask<bool> TryReserveContactAsync(CustomerId customer, Channel channel, string idempotencyKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var channelCap = _options.ChannelCaps.TryGetValue(channel, out var c) ? c : _options.DefaultChannelCap;
        var customerCap = _options.CustomerCap;
        var longest = TimeSpan.FromTicks(Math.Max(channelCap?.Window.Ticks ?? 0, customerCap?.Window.Ticks ?? 0));
        var key = customer.Value + "|";
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(ContactScope, key, cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new ContactLedger([]) : JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
            if (ledger.Entries.Any(e => e.IdempotencyKey == idempotencyKey))
            {
                return true; // Reserved by an earlier attempt of this very action.
            }
            bool Full(FrequencyCap? cap, Func<ContactEntry, bool> counts) =>
                cap is not null && ledger.Entries.Count(e => counts(e) && e.At > now - cap.Window) >= cap.MaxMessages;
            if (Full(channelCap, e => e.Channel == channel) || Full(customerCap, _ => true))
            {
                return false;
            }
            var kept = ledger.Entries.Where(e => e.At > now - longest).Append(new ContactEntry(idempotencyKey, channel, now)).ToList();
            try
            {
                await _store.SaveAsync(ContactScope, key, JsonSerializer.Serialize(new ContactLedger(kept), LifecycleJsonContext.Default.ContactLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another instance sent to this customer meanwhile: re-read and re-check.
            }
        }
    }

    private async ValueTask<bool> EvaluateAsync(JourneyCondition condition, JourneyEnrollment enrollment, CancellationToken cancellationToken)
    {
        switch (condition)
        {
            case EventSinceEntryCondition e:
                return enrollment.SeenEvents.Contains(e.EventType);
            case HasTagCondition t:
            {
                var profile = await GetProfileAsync(enrollment.CustomerId, cancellationToken).ConfigureAwait(false);
                return profile is not null && (profile.StaticTags.Contains(t.Tag) || profile.DynamicTags.Contains(t.Tag));
            }
            case TraitEqualsCondition t:
            {
                var profile = await GetProfileAsync(enrollment.CustomerId, cancellationToken).ConfigureAwait(false);
                return profile is not null && profile.Trait(t.Trait) == t.Value;
            }
            default:
                throw new LifecycleException("Unknown journey condition type.");
        }
    }

    private async ValueTask<int> ScanAnniversariesAsync(JourneyDefinition journey, AnniversaryTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var profiles = _services.GetService<IProfileStore>();
        if (profiles is null)
        {
            return 0;
        }
        var scan = await _store.GetAsync(ScanScope, journey.Id, cancellationToken).ConfigureAwait(false);
        if (scan is not null && JsonSerializer.Deserialize(scan.Value, LifecycleJsonContext.Default.DateTimeOffset) is var last && now - last < AnniversaryScanInterval)
        {
            return 0;
        }
        var enrolled = 0;
        await foreach (var profile in profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!TryParseMonthDay(profile.Trait(trigger.Trait).AsString(), out var month, out var day))
            {
                continue;
            }
            var zone = QuietHoursGate.ZoneOf(profile, _options);
            var local = TimeZoneInfo.ConvertTime(now, zone);
            if (month == 2 && day == 29 && !DateTime.IsLeapYear(local.Year))
            {
                day = 28;
            }
            if (local.Month != month || local.Day != day || TimeOnly.FromTimeSpan(local.TimeOfDay) < trigger.LocalTime)
            {
                continue;
            }
            using (await _locks.AcquireAsync(profile.Id.Value, cancellationToken).ConfigureAwait(false))
            {
                var (previous, _) = await LoadAsync(profile.Id, journey.Id, cancellationToken).ConfigureAwait(false);
                if (previous is not null && now - previous.EnteredAt < TimeSpan.FromDays(300))
                {
                    continue; // Already celebrated this year.
                }
                if (await TryEnrollAsync(journey, profile.Id, now, now, cancellationToken).ConfigureAwait(false))
                {
                    enrolled++;
                }
            }
        }
        await _store.SaveAsync(ScanScope, journey.Id, JsonSerializer.Serialize(now, LifecycleJsonContext.Default.DateTimeOffset), scan?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        return enrolled;
    }

    internal static bool TryParseMonthDay(string? text, out int month, out int day)
    {
        month = day = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            (month, day) = (date.Month, date.Day);
            return true;
        }
        if (DateOnly.TryParseExact("2000-" + text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            (month, day) = (date.Month, date.Day);
            return true;
        }
        return false;
    }

    private ValueTask<CustomerProfile?> GetProfileAsync(CustomerId customer, CancellationToken cancellationToken) =>
        _services.GetService<IProfileStore>() is { } profiles ? profiles.GetAsync(customer, cancellationToken) : ValueTask.FromResult<CustomerProfile?>(null);

    private async ValueTask<(JourneyEnrollment? Enrollment, long Version)> LoadAsync(CustomerId customer, string journeyId, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(EnrollmentScope, Key(customer, journeyId), cancellationToken).ConfigureAwait(false);
        return entry is null ? (null, 0) : (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment), entry.Version);
    }

    /// <summary>
    /// Saves an enrollment and keeps the due index in step: the new index entry is written before the
    /// document (a crash leaves at most a stale entry, which a run drops; never a missing one), the
    /// entry of the <paramref name="stored"/> version is removed after it.
    /// </summary>
    private async ValueTask<long> SaveAsync(JourneyEnrollment enrollment, JourneyEnrollment? stored, long version, CancellationToken cancellationToken)
    {
        var oldDue = DueOf(stored);
        var newDue = DueOf(enrollment);
        if (newDue is { } n && n != oldDue)
        {
            await AddDueAsync(new DueEntry(DueKind.Enrollment, enrollment.CustomerId, enrollment.JourneyId, n), cancellationToken).ConfigureAwait(false);
        }
        var saved = await _store.SaveAsync(EnrollmentScope, Key(enrollment.CustomerId, enrollment.JourneyId), JsonSerializer.Serialize(enrollment, LifecycleJsonContext.Default.JourneyEnrollment), version, cancellationToken).ConfigureAwait(false);
        if (oldDue is { } o && o != newDue)
        {
            await _store.DeleteAsync(DueScope, DueKey(new DueEntry(DueKind.Enrollment, stored!.CustomerId, stored.JourneyId, o)), cancellationToken).ConfigureAwait(false);
        }
        return saved;
    }

    private static DateTimeOffset? DueOf(JourneyEnrollment? e) => e is { Status: EnrollmentStatus.Active, DueAt: { } due } ? due : null;

    private async ValueTask DeleteEnrollmentAsync(JourneyEnrollment enrollment, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(EnrollmentScope, Key(enrollment.CustomerId, enrollment.JourneyId), cancellationToken).ConfigureAwait(false);
        if (DueOf(enrollment) is { } due)
        {
            await _store.DeleteAsync(DueScope, DueKey(new DueEntry(DueKind.Enrollment, enrollment.CustomerId, enrollment.JourneyId, due)), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SaveWatchAsync(InactivityWatch watch, InactivityWatch? stored, long version, CancellationToken cancellationToken)
    {
        if (watch.DueAt != stored?.DueAt)
        {
            await AddDueAsync(new DueEntry(DueKind.Watch, watch.CustomerId, watch.JourneyId, watch.DueAt), cancellationToken).ConfigureAwait(false);
        }
        await _store.SaveAsync(WatchScope, Key(watch.CustomerId, watch.JourneyId), JsonSerializer.Serialize(watch, LifecycleJsonContext.Default.InactivityWatch), version, cancellationToken).ConfigureAwait(false);
        if (stored is not null && stored.DueAt != watch.DueAt)
        {
            await _store.DeleteAsync(DueScope, DueKey(new DueEntry(DueKind.Watch, stored.CustomerId, stored.JourneyId, stored.DueAt)), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask DeleteWatchAsync(StateEntry entry, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(WatchScope, entry.Key, cancellationToken).ConfigureAwait(false);
        if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch) is { } watch)
        {
            await _store.DeleteAsync(DueScope, DueKey(new DueEntry(DueKind.Watch, watch.CustomerId, watch.JourneyId, watch.DueAt)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The due index key: the due instant as 19-digit UTC ticks first, so the scope's key order is due
    /// order and a run reads the index only up to now.
    /// </summary>
    internal static string DueKey(DueEntry e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.DueAt.UtcTicks:D19}|{(e.Kind == DueKind.Watch ? 'w' : 'e')}|{e.CustomerId.Value}|{e.JourneyId}");

    private async ValueTask AddDueAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SaveAsync(DueScope, DueKey(entry), JsonSerializer.Serialize(entry, LifecycleJsonContext.Default.DueEntry), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // The same entry is already indexed.
        }
    }

    /// <summary>Indexes enrollments and watches stored before the due index existed (once per store).</summary>
    private async ValueTask EnsureDueIndexAsync(CancellationToken cancellationToken)
    {
        if (_dueIndexReady)
        {
            return;
        }
        if (await _store.GetAsync(MetaScope, DueIndexMarker, cancellationToken).ConfigureAwait(false) is null)
        {
            await foreach (var entry in _store.StreamAsync(EnrollmentScope, null, cancellationToken).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment) is { } e && DueOf(e) is { } due)
                {
                    await AddDueAsync(new DueEntry(DueKind.Enrollment, e.CustomerId, e.JourneyId, due), cancellationToken).ConfigureAwait(false);
                }
            }
            await foreach (var entry in _store.StreamAsync(WatchScope, null, cancellationToken).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch) is { } w)
                {
                    await AddDueAsync(new DueEntry(DueKind.Watch, w.CustomerId, w.JourneyId, w.DueAt), cancellationToken).ConfigureAwait(false);
                }
            }
            try
            {
                await _store.SaveAsync(MetaScope, DueIndexMarker, "1", 0, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // Another instance finished the same backfill.
            }
        }
        _dueIndexReady = true;
    }

    private JourneyDefinition? Find(string journeyId) => Journeys.FirstOrDefault(j => j.Id == journeyId);

    private DateTimeOffset Now => _time.GetUtcNow();

    private DateTimeOffset Clamp(DateTimeOffset at) => at > Now ? Now : at;

    private static string Key(CustomerId customer, string journeyId) => customer.Value + "|" + journeyId;

    private static string StemOf(JourneyEnrollment e) => string.Create(CultureInfo.InvariantCulture, $"{e.JourneyId}:{e.CustomerId.Value}:{e.Sequence}");

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Journey state of customer {Merged} merged into {Survivor}.")]
    private static partial void LogMerged(ILogger logger, CustomerId merged, CustomerId survivor);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Customer {CustomerId} entered journey {JourneyId} (entry {Sequence}).")]
    private static partial void LogEnrolled(ILogger logger, string journeyId, CustomerId customerId, int sequence);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Customer {CustomerId} left journey {JourneyId} on an exit event.")]
    private static partial void LogExited(ILogger logger, string journeyId, CustomerId customerId);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Journey {JourneyId} action {Kind} for customer {CustomerId}: {Status}.")]
    private static partial void LogAction(ILogger logger, string journeyId, CustomerId customerId, string kind, JourneyActionStatus status);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Journey {JourneyId} action for customer {CustomerId} deferred until {Until} ({Reason}).")]
    private static partial void LogDeferred(ILogger logger, string journeyId, CustomerId customerId, string reason, DateTimeOffset until);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Journey {JourneyId} action for customer {CustomerId} failed on attempt {Attempt} ({ErrorCode}).")]
    private static partial void LogActionFailed(ILogger logger, string journeyId, CustomerId customerId, int attempt, string errorCode);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Journey {JourneyId} action failure on attempt {Attempt}, redacted")]
    private static partial void LogActionFailedDetail(ILogger logger, Exception exception, string journeyId, int attempt);
}
