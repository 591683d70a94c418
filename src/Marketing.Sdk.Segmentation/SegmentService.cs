using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Segmentation;

/// <summary>Options of the segmentation package.</summary>
public sealed class SegmentationOptions
{
    /// <summary>Membership changes handed to listeners per call during batch evaluation. Default 500 (1–100 000).</summary>
    public int PublishBatchSize { get; set; } = 500;

    /// <summary>
    /// Whether <see cref="ISegmentService.EvaluateAsync"/> builds a <see cref="ProfileColumns"/> snapshot
    /// and evaluates it with <see cref="SegmentBatchEvaluator"/> (default) instead of folding events
    /// per customer and evaluating profile by profile. Both give the same membership; the columnar
    /// path is faster and holds the needed trait and event columns in memory during the evaluation.
    /// </summary>
    public bool ColumnarBatchEvaluation { get; set; } = true;

    /// <summary>
    /// Whether <see cref="ISegmentService.EvaluateAsync"/> reads straight from a store that implements
    /// <see cref="IRelationalQueryStore"/> (the SQLite and PostgreSQL providers) instead of streaming profile and
    /// event objects: the rule is evaluated in the database when it compiles to SQL (see <see cref="PushDownRules"/>),
    /// otherwise the snapshot's columns are read with SQL (counts aggregated by the database). Default
    /// <see langword="true"/>; stores without the capability always take the object path. Both give the same membership.
    /// <see cref="ISegmentService.ComputeRfmAsync"/> reads the purchases' order fields the same way (one customer's rows
    /// at a time, no event objects), with the same scores.
    /// </summary>
    public bool UseStoreQueries { get; set; } = true;

    /// <summary>
    /// With <see cref="UseStoreQueries"/>, whether a rule is compiled to SQL and evaluated by the database (default
    /// <see langword="true"/>); customers the database cannot decide exactly are evaluated again from their profile
    /// and events. <see langword="false"/> builds the columnar snapshot from the store and evaluates it in the host.
    /// </summary>
    public bool PushDownRules { get; set; } = true;

    /// <summary>
    /// How often the built-in hosted refresh evaluates every segment with a rolling window
    /// (<c>within 7d</c>), so that customers whose window rolled past exit without a new event.
    /// <see langword="null"/> (default) turns it off. It runs on one host at a time under a lease
    /// (<see cref="Marketing.Sdk.Storage.ILeaseStore"/>) lasting three intervals. Between 1 second and 8 hours.
    /// </summary>
    public TimeSpan? RefreshInterval { get; set; }

    /// <summary>
    /// How long a host evaluates real-time events with the definitions it loaded before it checks the
    /// store for definitions changed by another host (one read of the catalog document). Default 5
    /// seconds; <see cref="TimeSpan.Zero"/> checks on every evaluation. Definitions changed on this host,
    /// batch evaluations, listings and a membership document written with newer definitions always load
    /// the current ones at once. Between 0 and 1 hour.
    /// </summary>
    public TimeSpan DefinitionsReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a recorded membership change may stay undelivered before the republish sweep delivers it
    /// again (default 1 minute; between 1 second and 1 hour). Each change is recorded, with a stable
    /// <see cref="SegmentMembershipChange.ChangeId"/>, in the same atomic write as the membership that decided
    /// it, and its record is deleted once every listener had it; a host that stops in between (or a listener
    /// that fails) leaves the record, and the sweep — on one host at a time, every <c>RepublishAfter</c>, under
    /// the lease <c>marketing.segmentation.republish</c> — delivers it. <see langword="null"/> turns the sweep off
    /// (changes are then delivered at most once, as by a store whose batch writes are not atomic).
    /// </summary>
    public TimeSpan? RepublishAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Value layer thresholds.</summary>
    public ValueLayerOptions ValueLayers { get; } = new();
}

internal sealed class SegmentationOptionsValidator : IValidateOptions<SegmentationOptions>
{
    public ValidateOptionsResult Validate(string? name, SegmentationOptions options)
    {
        var errors = new List<string>(options.ValueLayers.Validate());
        if (options.PublishBatchSize is < 1 or > 100_000)
        {
            errors.Add("PublishBatchSize must be between 1 and 100000.");
        }
        if (options.RefreshInterval is { } refresh && (refresh < TimeSpan.FromSeconds(1) || refresh > TimeSpan.FromHours(8)))
        {
            errors.Add("RefreshInterval must be between 1 second and 8 hours, or null to turn the refresh off.");
        }
        if (options.RepublishAfter is { } republish && (republish < TimeSpan.FromSeconds(1) || republish > TimeSpan.FromHours(1)))
        {
            errors.Add("RepublishAfter must be between 1 second and 1 hour, or null to turn the republish sweep off.");
        }
        if (options.DefinitionsReloadInterval < TimeSpan.Zero || options.DefinitionsReloadInterval > TimeSpan.FromHours(1))
        {
            errors.Add("DefinitionsReloadInterval must be between 0 and 1 hour.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Names of the segmentation package's telemetry.</summary>
public static class SegmentationTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> and <see cref="ActivitySource"/>: <c>Marketing.Sdk.Segmentation</c>.</summary>
    public const string Name = "Marketing.Sdk.Segmentation";
}

internal static partial class SegmentationLog
{
    // Event ids 2000-2999 (the segmentation package's range).
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Segment {SegmentId} defined")]
    public static partial void Defined(ILogger logger, string segmentId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Segment {SegmentId} evaluated over {Profiles} profiles: {Members} members, {Entered} entered, {Exited} exited")]
    public static partial void Evaluated(ILogger logger, string segmentId, long profiles, long members, int entered, int exited);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Segment membership listener {Listener} failed for {Count} changes ({ErrorCode})")]
    private static partial void ListenerFailedCode(ILogger logger, string listener, int count, string errorCode);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Segment membership listener {Listener} failure, redacted")]
    private static partial void ListenerFailedDetail(ILogger logger, Exception exception, string listener);

    /// <summary>A listener is host code: its exception's message may hold personal data, so only its code is logged, and its redacted form at Debug.</summary>
    public static void ListenerFailed(ILogger logger, Exception exception, string listener, int count)
    {
        var code = RedactedException.Code(exception);
        ListenerFailedCode(logger, listener, count, code);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(exception);
            ListenerFailedDetail(logger, redacted, listener);
        }
    }

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Segment {SegmentId} removed")]
    public static partial void Removed(ILogger logger, string segmentId);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "A segment refresh run failed ({ErrorCode}); it is retried on the next tick.")]
    private static partial void RefreshFailedCode(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "Segment refresh failure, redacted")]
    private static partial void RefreshFailedDetail(ILogger logger, Exception exception);

    /// <summary>A refresh calls listeners (host code) and stores (provider exceptions): the code only, the redacted form at Debug.</summary>
    public static void RefreshFailed(ILogger logger, Exception exception)
    {
        var code = RedactedException.Code(exception);
        RefreshFailedCode(logger, code);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(exception);
            RefreshFailedDetail(logger, redacted);
        }
    }

    [LoggerMessage(EventId = 2900, Level = LogLevel.Warning, Message = "Republished {Count} segment membership changes whose host stopped, or whose listener failed, before every listener had them")]
    public static partial void Republished(ILogger logger, int count);

    [LoggerMessage(EventId = 2901, Level = LogLevel.Error, Message = "A segment change republish run failed ({ErrorCode}); it is retried on the next tick.")]
    private static partial void RepublishFailedCode(ILogger logger, string errorCode);

    [LoggerMessage(EventId = 2902, Level = LogLevel.Debug, Message = "Segment change republish failure, redacted")]
    private static partial void RepublishFailedDetail(ILogger logger, Exception exception);

    /// <summary>A republish calls listeners (host code) and stores: the code only, the redacted form at Debug.</summary>
    public static void RepublishFailed(ILogger logger, Exception exception)
    {
        var code = RedactedException.Code(exception);
        RepublishFailedCode(logger, code);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var redacted = RedactedException.From(exception);
            RepublishFailedDetail(logger, redacted);
        }
    }

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Segment refresh evaluated {Segments} segments with rolling windows: {Entered} entered, {Exited} exited (lease token {FencingToken})")]
    public static partial void Refreshed(ILogger logger, int segments, int entered, int exited, long fencingToken);
}

/// <summary>
/// The default <see cref="ISegmentService"/>. Definitions and memberships live in the
/// <see cref="IStateStore"/> so that they survive restarts and are shared by every host on the same
/// store: the definitions in one catalog document, each customer's memberships in one document keyed
/// <c>&lt;customerId&gt;|segments</c>. A membership change is decided by compare-and-swap on that
/// document, and only the host whose write wins publishes it, so each enter and exit is decided
/// once across hosts. The same atomic write records each change, with a stable id, as pending; its
/// record is deleted once every listener had it, and the republish sweep delivers what a stopped host
/// (or a failed listener) left, so each change reaches every listener at least once, always under one id. Each host keeps the compiled catalog in memory and reloads it when the stored
/// version changed (checked at most every <see cref="SegmentationOptions.DefinitionsReloadInterval"/>,
/// and at once when a membership document was written with a newer catalog).
/// </summary>
internal sealed class SegmentService : ISegmentService, IDisposable
{
    /// <summary>Compare-and-swap attempts on one document before a conflict is reported.</summary>
    private const int MaxAttempts = 16;

    private static readonly ActivitySource Source = new(SegmentationTelemetry.Name);
    private readonly IProfileStore _profiles;
    private readonly IEventStore _events;
    private readonly IStateStore _state;
    private readonly IEnumerable<ISegmentMembershipListener> _listeners;
    private readonly TimeProvider _time;
    private readonly SegmentationOptions _options;
    private readonly ILogger<SegmentService> _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _profilesEvaluated;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _pushedDown;
    private readonly Counter<long> _republished;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile SegmentCatalog _catalog = SegmentCatalog.Empty;
    private long _checkedAt = long.MinValue;

    public SegmentService(
        IProfileStore profiles,
        IEventStore events,
        IStateStore state,
        IEnumerable<ISegmentMembershipListener> listeners,
        IOptions<SegmentationOptions> options,
        ILogger<SegmentService> logger,
        IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null)
    {
        _profiles = profiles;
        _events = events;
        _state = state;
        _listeners = listeners;
        _options = options.Value;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _meter = meterFactory?.Create(SegmentationTelemetry.Name) ?? new Meter(SegmentationTelemetry.Name);
        _profilesEvaluated = _meter.CreateCounter<long>("marketing.segmentation.profiles_evaluated", "{profile}", "Profile evaluations of a segment.");
        _changes = _meter.CreateCounter<long>("marketing.segmentation.membership_changes", "{change}", "Segment enter and exit changes published.");
        _republished = _meter.CreateCounter<long>("marketing.segmentation.changes_republished", "{change}", "Recorded membership changes delivered again by the republish sweep (their host stopped, or a listener failed, before every listener had them).");
        _pushedDown = _meter.CreateCounter<long>("marketing.segmentation.pushed_down", "{evaluation}", "Segment evaluations run as SQL in the store.");
        _conflicts = _meter.CreateCounter<long>("marketing.segmentation.membership_conflicts", "{conflict}", "Membership writes that lost a compare-and-swap to another writer and were decided again.");
    }

    public void Dispose()
    {
        _meter.Dispose();
        _reload.Dispose();
    }

    // ---- definitions -------------------------------------------------------------------------

    /// <summary>
    /// The compiled catalog. Without <paramref name="force"/> the stored version is checked at most
    /// every <see cref="SegmentationOptions.DefinitionsReloadInterval"/>; with it, always.
    /// </summary>
    private async ValueTask<SegmentCatalog> CatalogAsync(bool force, CancellationToken cancellationToken)
    {
        var interval = _options.DefinitionsReloadInterval;
        var now = _time.GetUtcNow().UtcTicks;
        var checkedAt = Interlocked.Read(ref _checkedAt);
        if (!force && checkedAt != long.MinValue && now - checkedAt < interval.Ticks)
        {
            return _catalog;
        }
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!force && Interlocked.Read(ref _checkedAt) != checkedAt)
            {
                return _catalog; // another caller checked meanwhile
            }
            var entry = await _state.GetAsync(SegmentDocuments.DefinitionsScope, SegmentDocuments.CatalogKey, cancellationToken).ConfigureAwait(false);
            var version = entry?.Version ?? 0;
            if (version != _catalog.Version)
            {
                _catalog = SegmentCatalog.Create(version, SegmentDocuments.ReadCatalog(entry));
            }
            Interlocked.Exchange(ref _checkedAt, now);
            return _catalog;
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Reads, changes and compare-and-swaps the catalog document until the write wins.</summary>
    private async ValueTask UpdateCatalogAsync(Func<SegmentCatalog, long, IEnumerable<StoredSegment>?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var entry = await _state.GetAsync(SegmentDocuments.DefinitionsScope, SegmentDocuments.CatalogKey, cancellationToken).ConfigureAwait(false);
            var version = entry?.Version ?? 0;
            var current = version == _catalog.Version ? _catalog : SegmentCatalog.Create(version, SegmentDocuments.ReadCatalog(entry));
            // The generation of a segment defined by this write is the version the write creates.
            var next = change(current, version + 1);
            if (next is null)
            {
                return;
            }
            var segments = next.ToList();
            var compiled = SegmentCatalog.Create(version + 1, segments); // throws on unknown references and cycles
            try
            {
                var saved = await _state.SaveAsync(SegmentDocuments.DefinitionsScope, SegmentDocuments.CatalogKey, SegmentDocuments.WriteCatalog(segments), version, cancellationToken).ConfigureAwait(false);
                await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (saved > _catalog.Version)
                    {
                        _catalog = saved == compiled.Version ? compiled : SegmentCatalog.Create(saved, segments);
                        // Just written: current as of now.
                        Interlocked.Exchange(ref _checkedAt, _time.GetUtcNow().UtcTicks);
                    }
                }
                finally
                {
                    _reload.Release();
                }
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                // Another host changed the catalog: apply the change to its version.
            }
        }
    }

    public async ValueTask<SegmentDefinition> DefineAsync(SegmentDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await UpdateCatalogAsync((current, newGeneration) =>
        {
            var generation = current.Segments.TryGetValue(definition.Id, out var previous) ? previous.Generation : newGeneration;
            return current.Segments.Values.Where(s => !string.Equals(s.Definition.Id, definition.Id, StringComparison.Ordinal))
                .Append(new StoredSegment(definition, generation));
        }, cancellationToken).ConfigureAwait(false);
        SegmentationLog.Defined(_logger, definition.Id);
        return definition;
    }

    public async ValueTask<bool> RemoveAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        var removed = false;
        await UpdateCatalogAsync((current, _) =>
        {
            removed = current.Segments.ContainsKey(segmentId);
            if (!removed)
            {
                return null;
            }
            var referencing = current.Segments.Values.FirstOrDefault(s => s.Definition.Id != segmentId && References(s.Definition.Rule, segmentId));
            if (referencing is not null)
            {
                throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is referenced by '{referencing.Definition.Id}'.");
            }
            // Recorded memberships stay in the customers' documents but no longer count (their generation
            // is gone); each is dropped the next time its document is written.
            return current.Segments.Values.Where(s => !string.Equals(s.Definition.Id, segmentId, StringComparison.Ordinal));
        }, cancellationToken).ConfigureAwait(false);
        if (removed)
        {
            SegmentationLog.Removed(_logger, segmentId);
        }
        return removed;
    }

    private static bool References(SegmentCondition c, string id) => c switch
    {
        SegmentReferenceCondition s => string.Equals(s.SegmentId, id, StringComparison.Ordinal),
        AndCondition a => a.Operands.Any(o => References(o, id)),
        OrCondition o => o.Operands.Any(x => References(x, id)),
        NotCondition n => References(n.Operand, id),
        _ => false,
    };

    public async ValueTask<SegmentDefinition?> GetAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        var catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        return catalog.Segments.GetValueOrDefault(segmentId)?.Definition;
    }

    public async IAsyncEnumerable<SegmentDefinition> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        foreach (var s in catalog.Segments.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return s.Definition;
        }
    }

    private static CompiledSegment GetCompiled(SegmentCatalog catalog, string segmentId) =>
        catalog.Compiled.GetValueOrDefault(segmentId) ?? throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is not defined.");

    // ---- one customer ------------------------------------------------------------------------

    private async ValueTask<List<MarketingEvent>> ReadEventsAsync(EventQuery? query, CancellationToken cancellationToken)
    {
        var list = new List<MarketingEvent>();
        if (query is null)
        {
            return list;
        }
        await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
        {
            list.Add(e);
        }
        return list;
    }

    public async ValueTask<bool> IsMemberAsync(string segmentId, CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var catalog = await CatalogAsync(force: false, cancellationToken).ConfigureAwait(false);
        if (!catalog.Segments.ContainsKey(segmentId))
        {
            catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        }
        var segment = catalog.Segments.GetValueOrDefault(segmentId) ?? throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is not defined.");
        var entry = await _state.GetAsync(SegmentDocuments.MembershipScope, SegmentDocuments.MembershipKey(customerId), cancellationToken).ConfigureAwait(false);
        return SegmentDocuments.ReadMembership(entry).Segments.TryGetValue(segmentId, out var generation) && generation == segment.Generation;
    }

    public async ValueTask<SegmentExplanation> ExplainAsync(string segmentId, CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var compiled = GetCompiled(await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false), segmentId);
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false)
            ?? throw new SegmentationException($"Profile {customerId} does not exist.");
        var now = _time.GetUtcNow();
        var events = await ReadEventsAsync(compiled.EventQueryFor(customerId, now), cancellationToken).ConfigureAwait(false);
        return compiled.Explain(profile, events, now);
    }

    public async ValueTask<IReadOnlyList<SegmentMembershipChange>> EvaluateCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var catalog = await CatalogAsync(force: false, cancellationToken).ConfigureAwait(false);
        var changes = await EvaluateCustomerCoreAsync(customerId, null, catalog, cancellationToken).ConfigureAwait(false);
        await PublishAsync(changes, cancellationToken).ConfigureAwait(false);
        return changes;
    }

    /// <summary>
    /// Evaluates the customers of one batch of accepted events: one catalog check for the batch, then
    /// per customer one read of the membership document, the profile and the needed events, and a write
    /// only when the membership changed. Each customer's changes are published as soon as they are recorded.
    /// </summary>
    internal async ValueTask EvaluateCustomersAsync(IEnumerable<CustomerId> customerIds, CancellationToken cancellationToken)
    {
        var catalog = await CatalogAsync(force: false, cancellationToken).ConfigureAwait(false);
        if (catalog.Ordered.Length == 0)
        {
            return;
        }
        // Every membership document of the batch in one read; a customer whose swap then conflicts reads its own again.
        var ids = customerIds as IReadOnlyCollection<CustomerId> ?? [.. customerIds];
        var keys = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            keys.Add(SegmentDocuments.MembershipKey(id));
        }
        var documents = keys.Count == 0 ? null : await _state.GetManyAsync(SegmentDocuments.MembershipScope, keys, cancellationToken).ConfigureAwait(false);
        // Then (never before the documents: the data must not be older than what their writers saw) every
        // profile and the events every segment needs, one read each for the batch.
        var data = keys.Count == 0 ? null : await ReadBatchDataAsync(ids, catalog, cancellationToken).ConfigureAwait(false);
        var k = 0;
        foreach (var id in ids)
        {
            var prefetched = new Prefetched(documents?.GetValueOrDefault(keys[k++]), data);
            var changes = await EvaluateCustomerCoreAsync(id, null, catalog, cancellationToken, prefetched).ConfigureAwait(false);
            await PublishAsync(changes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The profiles of a batch's customers and the events the catalog's segments need, read for the catalog version that asked.</summary>
    private async ValueTask<BatchData> ReadBatchDataAsync(IReadOnlyCollection<CustomerId> ids, SegmentCatalog catalog, CancellationToken cancellationToken)
    {
        var profiles = await _profiles.GetManyAsync(ids, cancellationToken).ConfigureAwait(false);
        var union = UnionQuery(catalog.Ordered, null, _time.GetUtcNow());
        var present = ids.Where(profiles.ContainsKey).ToList();
        var events = union is null || present.Count == 0
            ? EmptyEvents
            : await _events.ReadManyAsync(present, union, cancellationToken).ConfigureAwait(false);
        return new BatchData(catalog, profiles, events);
    }

    private static readonly IReadOnlyDictionary<CustomerId, IReadOnlyList<MarketingEvent>> EmptyEvents = new Dictionary<CustomerId, IReadOnlyList<MarketingEvent>>();

    /// <summary>The profiles and events of a batch's customers, read for <see cref="Catalog"/>.</summary>
    private sealed record BatchData(SegmentCatalog Catalog, IReadOnlyDictionary<CustomerId, CustomerProfile> Profiles, IReadOnlyDictionary<CustomerId, IReadOnlyList<MarketingEvent>> Events);

    /// <summary>A membership document read ahead for a batch (<see langword="null"/> entry: none stored), and the batch's data when it was read.</summary>
    private sealed record Prefetched(StateEntry? Entry, BatchData? Data);

    /// <summary>One query for the events every segment of <paramref name="segments"/> needs (types and the earliest window start), or none.</summary>
    private static EventQuery? UnionQuery(CompiledSegment[] segments, CustomerId? customerId, DateTimeOffset now)
    {
        var queries = segments.Select(s => s.EventQueryFor(customerId, now)).OfType<EventQuery>().ToList();
        return queries.Count == 0
            ? null
            : new EventQuery
            {
                CustomerId = customerId,
                Types = [.. queries.SelectMany(q => q.Types!).Distinct()],
                From = queries.Any(q => q.From is null) ? null : queries.Min(q => q.From),
            };
    }

    /// <summary>
    /// Decides a customer's membership of every segment (or of <paramref name="onlySegment"/>) against the
    /// stored document: read the document, then the profile and events (so the data is never older than
    /// what the document's last writer saw), evaluate, and compare-and-swap the document when anything
    /// changed. A lost swap means another writer decided first: everything is read and decided again.
    /// Returns the changes this call recorded (to be published by the caller).
    /// </summary>
    private async ValueTask<List<SegmentMembershipChange>> EvaluateCustomerCoreAsync(CustomerId customerId, string? onlySegment, SegmentCatalog catalog, CancellationToken cancellationToken, Prefetched? prefetched = null)
    {
        var key = SegmentDocuments.MembershipKey(customerId);
        for (var attempt = 1; ; attempt++)
        {
            var entry = attempt == 1 && prefetched is not null
                ? prefetched.Entry
                : await _state.GetAsync(SegmentDocuments.MembershipScope, key, cancellationToken).ConfigureAwait(false);
            var stored = SegmentDocuments.ReadMembership(entry);
            if (stored.Catalog > catalog.Version)
            {
                catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
            }
            CompiledSegment[] segments = onlySegment is null
                ? catalog.Ordered
                : catalog.Compiled.TryGetValue(onlySegment, out var only) ? [only] : [];
            if (segments.Length == 0 && entry is null)
            {
                return [];
            }
            var now = _time.GetUtcNow();
            // The batch's data serves the first attempt when it was read for these very segments; a retry reads afresh.
            var data = attempt == 1 && onlySegment is null && prefetched?.Data is { } d && ReferenceEquals(d.Catalog, catalog) ? d : null;
            var results = await EvaluateAsync(customerId, segments, now, cancellationToken, data).ConfigureAwait(false);
            var next = catalog.Clean(stored);
            var changes = new List<SegmentMembershipChange>();
            for (var i = 0; i < segments.Length; i++)
            {
                var id = segments[i].SegmentId;
                var was = next.ContainsKey(id);
                if (results[i] == was)
                {
                    continue;
                }
                if (results[i])
                {
                    next[id] = catalog.Segments[id].Generation;
                }
                else
                {
                    next.Remove(id);
                }
                changes.Add(new SegmentMembershipChange(id, customerId, results[i], now));
            }
            if (changes.Count == 0 && next.Count == stored.Segments.Count)
            {
                return changes; // nothing to record: no write
            }
            var document = new MembershipDocument(Math.Max(stored.Catalog, catalog.Version), next);
            try
            {
                return await RecordAsync(key, document, entry?.Version ?? 0, changes, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                _conflicts.Add(1);
            }
        }
    }

    /// <summary>
    /// Evaluates <paramref name="segments"/> for one customer; all false when the profile does not exist. With
    /// <paramref name="data"/> (read for the same segments a moment before <paramref name="now"/>: its event
    /// windows start no later, so it holds at least the events needed) nothing is read.
    /// </summary>
    private async ValueTask<bool[]> EvaluateAsync(CustomerId customerId, CompiledSegment[] segments, DateTimeOffset now, CancellationToken cancellationToken, BatchData? data = null)
    {
        var results = new bool[segments.Length];
        if (segments.Length == 0)
        {
            return results;
        }
        var profile = data is not null
            ? data.Profiles.GetValueOrDefault(customerId)
            : await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (profile is null)
        {
            return results;
        }
        IReadOnlyList<MarketingEvent> events;
        if (data is not null)
        {
            events = data.Events.GetValueOrDefault(customerId) ?? [];
        }
        else
        {
            events = UnionQuery(segments, customerId, now) is { } union ? await ReadEventsAsync(union, cancellationToken).ConfigureAwait(false) : [];
        }
        for (var i = 0; i < segments.Length; i++)
        {
            results[i] = segments[i].Evaluate(profile, events, now);
        }
        _profilesEvaluated.Add(segments.Length);
        return results;
    }

    // ---- every profile -----------------------------------------------------------------------

    public async ValueTask<SegmentEvaluationResult> EvaluateAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        using var activity = Source.StartActivity("segment.evaluate");
        activity?.SetTag("marketing.segment.id", segmentId);
        var catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        var compiled = GetCompiled(catalog, segmentId);
        var generation = catalog.Segments[segmentId].Generation;

        // The stored memberships first, then the data: a document that changes after this read makes
        // its swap below fail, and that customer is decided again from fresh data.
        var stored = new Dictionary<CustomerId, (long Version, MembershipDocument Document)>();
        await foreach (var entry in _state.StreamAsync(SegmentDocuments.MembershipScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (SegmentDocuments.CustomerOf(entry.Key) is { } id)
            {
                stored[id] = (entry.Version, SegmentDocuments.ReadMembership(entry));
            }
        }

        var now = _time.GetUtcNow();
        var (members, evaluated) = _options.UseStoreQueries && _profiles is IRelationalQueryStore store
            ? await EvaluateInStoreAsync(compiled, store, now, cancellationToken).ConfigureAwait(false)
            : _options.ColumnarBatchEvaluation
                ? await EvaluateColumnarAsync(compiled, now, cancellationToken).ConfigureAwait(false)
                : await EvaluateByProfileAsync(compiled, now, cancellationToken).ConfigureAwait(false);
        _profilesEvaluated.Add(evaluated);

        var candidates = new SortedSet<CustomerId>(members);
        foreach (var (id, s) in stored)
        {
            if (s.Document.Segments.TryGetValue(segmentId, out var g) && g == generation)
            {
                candidates.Add(id);
            }
        }
        int entered = 0, exited = 0;
        var pending = new List<SegmentMembershipChange>();
        foreach (var id in candidates)
        {
            var has = stored.TryGetValue(id, out var s);
            var was = has && s.Document.Segments.TryGetValue(segmentId, out var g) && g == generation;
            var member = members.Contains(id);
            if (was == member)
            {
                continue;
            }
            List<SegmentMembershipChange> decided;
            if (has && s.Document.Catalog > catalog.Version)
            {
                // Written by a host with a newer catalog: decide this one afresh.
                decided = await EvaluateCustomerCoreAsync(id, segmentId, catalog, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var next = catalog.Clean(has ? s.Document : MembershipDocument.Empty);
                if (member)
                {
                    next[segmentId] = generation;
                }
                else
                {
                    next.Remove(segmentId);
                }
                var document = new MembershipDocument(Math.Max(has ? s.Document.Catalog : 0, catalog.Version), next);
                try
                {
                    decided = await RecordAsync(SegmentDocuments.MembershipKey(id), document, has ? s.Version : 0, [new SegmentMembershipChange(segmentId, id, member, now)], cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyConflictException)
                {
                    _conflicts.Add(1);
                    decided = await EvaluateCustomerCoreAsync(id, segmentId, catalog, cancellationToken).ConfigureAwait(false);
                }
            }
            foreach (var change in decided)
            {
                if (change.Entered)
                {
                    entered++;
                }
                else
                {
                    exited++;
                }
            }
            pending.AddRange(decided);
            if (pending.Count >= _options.PublishBatchSize)
            {
                // Publish as the changes are recorded, so a failure later in the run loses none of them.
                await PublishAsync(pending.GetRange(0, _options.PublishBatchSize), cancellationToken).ConfigureAwait(false);
                pending.RemoveRange(0, _options.PublishBatchSize);
            }
        }
        var result = new SegmentEvaluationResult(segmentId, evaluated, members.Count, entered, exited, now);
        SegmentationLog.Evaluated(_logger, segmentId, evaluated, members.Count, entered, exited);
        for (var i = 0; i < pending.Count; i += _options.PublishBatchSize)
        {
            await PublishAsync(pending.GetRange(i, Math.Min(_options.PublishBatchSize, pending.Count - i)), cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// Evaluates every segment whose rule (or a rule it references) has a rolling window
    /// (<c>within 7d</c>): such memberships change as time passes, without new events.
    /// </summary>
    internal async ValueTask<IReadOnlyList<SegmentEvaluationResult>> RefreshRollingAsync(CancellationToken cancellationToken)
    {
        var catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        var results = new List<SegmentEvaluationResult>();
        foreach (var segment in catalog.Ordered.Where(SegmentCatalog.HasRollingWindow))
        {
            results.Add(await EvaluateAsync(segment.SegmentId, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    /// <summary>
    /// Evaluates in the database when the rule compiles to SQL (customers it cannot decide exactly are evaluated from
    /// their profile and events), otherwise from a snapshot whose columns the store streams.
    /// </summary>
    private async ValueTask<(HashSet<CustomerId> Members, long Evaluated)> EvaluateInStoreAsync(CompiledSegment compiled, IRelationalQueryStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_options.PushDownRules
            && await StoreSnapshots.PushDownAsync(compiled, store, now, cancellationToken).ConfigureAwait(false) is var (members, undecided))
        {
            _pushedDown.Add(1);
            if (undecided.Count > 0)
            {
                var profiles = await _profiles.GetManyAsync(undecided, cancellationToken).ConfigureAwait(false);
                foreach (var (id, profile) in profiles)
                {
                    var events = new List<MarketingEvent>();
                    if (compiled.EventQueryFor(id, now) is { } query)
                    {
                        await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
                        {
                            events.Add(e);
                        }
                    }
                    if (compiled.Evaluate(profile, events, now))
                    {
                        members.Add(id);
                    }
                }
            }
            return (members, await _profiles.CountAsync(cancellationToken).ConfigureAwait(false));
        }
        var columns = await StoreSnapshots.BuildAsync([compiled], store, now, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var bitmap = SegmentBatchEvaluator.Create(compiled).Evaluate(columns, now);
        return ([.. bitmap.Members()], columns.Count);
    }

    /// <summary>Reads the needed events and the profiles into a columnar snapshot and evaluates it in one pass per condition.</summary>
    private async ValueTask<(HashSet<CustomerId> Members, long Evaluated)> EvaluateColumnarAsync(CompiledSegment compiled, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var builder = new ProfileColumnsBuilder([compiled]);
        if (compiled.EventQueryFor(null, now) is { } query)
        {
            await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
            {
                builder.AddEvent(e);
            }
        }
        long evaluated = 0;
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            evaluated++;
            builder.TryAddProfile(profile);
        }
        var columns = builder.Build();
        cancellationToken.ThrowIfCancellationRequested();
        var bitmap = SegmentBatchEvaluator.Create(compiled).Evaluate(columns, now);
        return ([.. bitmap.Members()], evaluated);
    }

    /// <summary>Folds the needed events into per-customer accumulators, then evaluates each streamed profile.</summary>
    private async ValueTask<(HashSet<CustomerId> Members, long Evaluated)> EvaluateByProfileAsync(CompiledSegment compiled, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var accumulators = new Dictionary<CustomerId, Accumulator[]>();
        if (compiled.EventQueryFor(null, now) is { } query)
        {
            await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
            {
                if (e.CustomerId is not { } id)
                {
                    continue;
                }
                if (!accumulators.TryGetValue(id, out var acc))
                {
                    acc = new Accumulator[compiled.Slots.Length];
                    accumulators[id] = acc;
                }
                compiled.Add(acc, e, now);
            }
        }
        var empty = new Accumulator[compiled.Slots.Length];
        var members = new HashSet<CustomerId>();
        long evaluated = 0;
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            evaluated++;
            if (compiled.Evaluate(profile, accumulators.GetValueOrDefault(profile.Id) ?? empty))
            {
                members.Add(profile.Id);
            }
        }
        return (members, evaluated);
    }

    // ---- merges ------------------------------------------------------------------------------

    /// <summary>
    /// Follows a profile merge: each merged-away customer leaves its segments (its document is swapped
    /// to empty, the winner of the swap publishes the exits, then the document is deleted), and the
    /// survivor, who now holds their events, is evaluated again.
    /// </summary>
    internal async ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken)
    {
        var catalog = await CatalogAsync(force: false, cancellationToken).ConfigureAwait(false);
        foreach (var id in merged.Where(m => m != survivor).Distinct())
        {
            var changes = await ClearAsync(id, catalog, cancellationToken).ConfigureAwait(false);
            await PublishAsync(changes, cancellationToken).ConfigureAwait(false);
        }
        var survivorChanges = await EvaluateCustomerCoreAsync(survivor, null, catalog, cancellationToken).ConfigureAwait(false);
        await PublishAsync(survivorChanges, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<List<SegmentMembershipChange>> ClearAsync(CustomerId customerId, SegmentCatalog catalog, CancellationToken cancellationToken)
    {
        var key = SegmentDocuments.MembershipKey(customerId);
        for (var attempt = 1; ; attempt++)
        {
            var entry = await _state.GetAsync(SegmentDocuments.MembershipScope, key, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                return [];
            }
            var stored = SegmentDocuments.ReadMembership(entry);
            if (stored.Catalog > catalog.Version)
            {
                catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
            }
            var now = _time.GetUtcNow();
            var changes = catalog.Clean(stored).Keys.Order(StringComparer.Ordinal)
                .Select(s => new SegmentMembershipChange(s, customerId, false, now)).ToList();
            try
            {
                var empty = new MembershipDocument(Math.Max(stored.Catalog, catalog.Version), new Dictionary<string, long>(StringComparer.Ordinal));
                changes = await RecordAsync(key, empty, entry.Version, changes, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < MaxAttempts)
            {
                _conflicts.Add(1);
                continue;
            }
            // The merged-away id no longer exists: its (now empty) document goes.
            await _state.DeleteAsync(SegmentDocuments.MembershipScope, key, cancellationToken).ConfigureAwait(false);
            return changes;
        }
    }

    // ---- publishing and reading memberships --------------------------------------------------

    /// <summary>
    /// Compare-and-swaps a customer's membership document and, in the same atomic batch
    /// (<see cref="IStateStore.SaveManyAsync"/>), records each change with a new id as pending: a host that
    /// stops between this write and the listeners leaves the changes for the republish sweep, so none is lost.
    /// Returns the changes with their ids.
    /// </summary>
    /// <exception cref="ConcurrencyConflictException">Another writer changed the document: nothing was written.</exception>
    private async ValueTask<List<SegmentMembershipChange>> RecordAsync(string key, MembershipDocument document, long expectedVersion, List<SegmentMembershipChange> changes, CancellationToken cancellationToken)
    {
        var value = SegmentDocuments.WriteMembership(document);
        if (changes.Count == 0)
        {
            await _state.SaveAsync(SegmentDocuments.MembershipScope, key, value, expectedVersion, cancellationToken).ConfigureAwait(false);
            return changes;
        }
        var stamped = new List<SegmentMembershipChange>(changes.Count);
        // The membership write first: a store whose batch is not atomic stops at its conflict before recording anything.
        var writes = new List<StateWrite>(changes.Count + 1) { new(SegmentDocuments.MembershipScope, key, value, expectedVersion) };
        foreach (var change in changes)
        {
            var withId = change with { ChangeId = SegmentDocuments.NewChangeId() };
            stamped.Add(withId);
            writes.Add(new StateWrite(SegmentDocuments.ChangesScope, SegmentDocuments.ChangeKey(withId), SegmentDocuments.WritePending(withId), 0));
        }
        await _state.SaveManyAsync(writes, cancellationToken).ConfigureAwait(false);
        return stamped;
    }

    /// <summary>
    /// Delivers changes to every listener; once all of them had the changes, their pending records are
    /// deleted. When a listener fails the records stay, and the sweep delivers the changes again (to every
    /// listener, under the same ids) after <see cref="SegmentationOptions.RepublishAfter"/>.
    /// </summary>
    private async ValueTask PublishAsync(List<SegmentMembershipChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }
        _changes.Add(changes.Count);
        await DeliverAsync(changes, cancellationToken).ConfigureAwait(false);
        await MarkPublishedAsync(changes, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask MarkPublishedAsync(List<SegmentMembershipChange> changes, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            if (change.ChangeId is not null)
            {
                await _state.DeleteAsync(SegmentDocuments.ChangesScope, SegmentDocuments.ChangeKey(change), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The republish sweep: delivers every change recorded at least <see cref="SegmentationOptions.RepublishAfter"/>
    /// ago and still pending (its host stopped before every listener had it, or a listener failed), oldest first,
    /// under its original id, and deletes its record once every listener had it. Returns how many were delivered.
    /// </summary>
    internal async ValueTask<int> RepublishPendingAsync(CancellationToken cancellationToken)
    {
        var cutoff = _time.GetUtcNow() - (_options.RepublishAfter ?? TimeSpan.Zero);
        var due = new List<SegmentMembershipChange>();
        await foreach (var entry in _state.StreamAsync(SegmentDocuments.ChangesScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (SegmentDocuments.ReadPending(entry) is { } change && change.At <= cutoff)
            {
                due.Add(change);
            }
        }
        // Oldest first (version 7 ids order changes recorded at the same instant).
        due.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(a.ChangeId, b.ChangeId));
        for (var i = 0; i < due.Count; i += _options.PublishBatchSize)
        {
            var batch = due.GetRange(i, Math.Min(_options.PublishBatchSize, due.Count - i));
            _republished.Add(batch.Count);
            await DeliverAsync(batch, cancellationToken).ConfigureAwait(false);
            await MarkPublishedAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        if (due.Count > 0)
        {
            SegmentationLog.Republished(_logger, due.Count);
        }
        return due.Count;
    }

    private async ValueTask DeliverAsync(List<SegmentMembershipChange> changes, CancellationToken cancellationToken)
    {
        List<Exception>? failures = null;
        foreach (var listener in _listeners)
        {
            try
            {
                await listener.OnMembershipChangedAsync(changes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                SegmentationLog.ListenerFailed(_logger, e, listener.GetType().Name, changes.Count);
                (failures ??= []).Add(e);
            }
        }
        if (failures is not null)
        {
            throw new SegmentationException($"{failures.Count} membership listener(s) failed; the membership was recorded, the other listeners were called, and the republish sweep delivers the changes again.", new AggregateException(failures));
        }
    }

    public async IAsyncEnumerable<CustomerId> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var catalog = await CatalogAsync(force: true, cancellationToken).ConfigureAwait(false);
        var segment = catalog.Segments.GetValueOrDefault(segmentId) ?? throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is not defined.");
        var members = new List<CustomerId>();
        var quoted = "\"" + segmentId + "\"";
        await foreach (var entry in _state.StreamAsync(SegmentDocuments.MembershipScope, null, cancellationToken).ConfigureAwait(false))
        {
            // Segment ids need no JSON escaping: a document without the quoted id has no membership of it.
            if (entry.Value.Contains(quoted, StringComparison.Ordinal)
                && SegmentDocuments.CustomerOf(entry.Key) is { } id
                && SegmentDocuments.ReadMembership(entry).Segments.TryGetValue(segmentId, out var generation)
                && generation == segment.Generation)
            {
                members.Add(id);
            }
        }
        // Keys sort by "<id>|", not by id: order the ids themselves.
        members.Sort();
        foreach (var id in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return id;
        }
    }

    public async ValueTask<IReadOnlyList<RfmScore>> ComputeRfmAsync(RfmTieHandling ties = RfmTieHandling.SharedScore, CancellationToken cancellationToken = default)
    {
        if (_options.UseStoreQueries && _profiles is IRelationalQueryStore store)
        {
            // The purchases' order fields straight from the database, one customer at a time: no event objects.
            return RfmAnalysis.Score(await RfmAnalysis.SummariseOrdersAsync(store, cancellationToken).ConfigureAwait(false), _time.GetUtcNow(), ties);
        }
        var builder = new OrderSummaryBuilder();
        await foreach (var e in _events.ReadAsync(new EventQuery { Types = [EventType.Purchase] }, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }
        return RfmAnalysis.Score(builder.Build(), _time.GetUtcNow(), ties);
    }

    public async IAsyncEnumerable<CustomerValueLayer> GetValueLayersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var options = _options.ValueLayers;
        var builder = new ActivityBuilder(now, options);
        var types = options.ActivityEventTypes.Count == 0 ? null : options.ActivityEventTypes.Append(EventType.Purchase).Distinct().ToList();
        await foreach (var e in _events.ReadAsync(new EventQuery { Types = types }, cancellationToken).ConfigureAwait(false))
        {
            builder.Add(e);
        }
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new CustomerValueLayer(profile.Id, ValueLayers.Classify(builder.Get(profile.Id), now, options));
        }
    }

    public async ValueTask<LookalikeResult> ExpandLookalikeAsync(string segmentId, LookalikeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new MarketingValidationException("options", ValidationReason.Inconsistent, string.Join(" ", errors));
        }
        await EvaluateAsync(segmentId, cancellationToken).ConfigureAwait(false);
        var seed = new HashSet<CustomerId>();
        await foreach (var id in GetMembersAsync(segmentId, cancellationToken).ConfigureAwait(false))
        {
            seed.Add(id);
        }
        var now = _time.GetUtcNow();
        var counts = new Dictionary<CustomerId, Dictionary<EventType, int>>();
        if (options.BehaviourEventTypes.Count > 0)
        {
            var query = new EventQuery { Types = [.. options.BehaviourEventTypes], From = options.BehaviourWindow is { } w ? now - w : null };
            await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
            {
                if (e.CustomerId is not { } id)
                {
                    continue;
                }
                if (!counts.TryGetValue(id, out var c))
                {
                    c = [];
                    counts[id] = c;
                }
                c[e.Type] = c.GetValueOrDefault(e.Type) + 1;
            }
        }
        var inputs = new List<LookalikeInput>();
        var none = new Dictionary<EventType, int>();
        await foreach (var profile in _profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            inputs.Add(new LookalikeInput(profile, counts.GetValueOrDefault(profile.Id) ?? none));
        }
        return LookalikeExpander.Expand(inputs, seed, options);
    }
}

/// <summary>Re-evaluates a customer's segments when their events are accepted (real-time membership).</summary>
internal sealed class SegmentEventListener(ISegmentService segments) : IMarketingEventListener
{
    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        var customers = events.Select(e => e.CustomerId).OfType<CustomerId>().Distinct();
        if (segments is SegmentService service)
        {
            // One definitions check for the whole batch.
            await service.EvaluateCustomersAsync(customers, cancellationToken).ConfigureAwait(false);
            return;
        }
        foreach (var id in customers)
        {
            await segments.EvaluateCustomerAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Moves segment memberships along with profile merges (see <see cref="SegmentService.OnMergedAsync"/>).</summary>
internal sealed class SegmentMergeListener(ISegmentService segments) : IProfileMergeListener
{
    public async ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (segments is SegmentService service)
        {
            await service.OnMergedAsync(survivor, merged, cancellationToken).ConfigureAwait(false);
            return;
        }
        foreach (var id in merged.Append(survivor).Distinct())
        {
            await segments.EvaluateCustomerAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Erases a customer's recorded segment memberships on a data-subject erasure. A relational store's
/// own erasure already removed the document (its key starts with <c>customerId|</c>); the in-memory
/// store relies on this eraser. Nothing is published: an erased customer leaves no trace.
/// </summary>
internal sealed class SegmentationDataEraser(IStateStore store) : IPersonalDataEraser
{
    public string Name => "segmentation.memberships";

    public async ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default)
    {
        long erased = await store.DeleteAsync(SegmentDocuments.MembershipScope, SegmentDocuments.MembershipKey(customerId), cancellationToken).ConfigureAwait(false) ? 1 : 0;
        // Changes still waiting for delivery are the customer's too: an erased customer's changes are never delivered.
        var pending = new List<string>();
        await foreach (var entry in store.StreamAsync(SegmentDocuments.ChangesScope, customerId.Value + "|", cancellationToken).ConfigureAwait(false))
        {
            pending.Add(entry.Key);
        }
        foreach (var key in pending)
        {
            erased += await store.DeleteAsync(SegmentDocuments.ChangesScope, key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return erased;
    }
}
