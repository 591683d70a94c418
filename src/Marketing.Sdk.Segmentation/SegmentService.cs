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
}

/// <summary>
/// The default <see cref="ISegmentService"/>: definitions and current membership are held in memory
/// (one instance per host; register as a singleton), profiles and events are read from the stores.
/// </summary>
internal sealed class SegmentService : ISegmentService, IDisposable
{
    private static readonly ActivitySource Source = new(SegmentationTelemetry.Name);
    private readonly IProfileStore _profiles;
    private readonly IEventStore _events;
    private readonly IEnumerable<ISegmentMembershipListener> _listeners;
    private readonly TimeProvider _time;
    private readonly SegmentationOptions _options;
    private readonly ILogger<SegmentService> _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _profilesEvaluated;
    private readonly Counter<long> _changes;
    private readonly object _gate = new();
    private readonly SortedDictionary<string, SegmentDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CompiledSegment> _compiled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<CustomerId>> _members = new(StringComparer.Ordinal);

    public SegmentService(
        IProfileStore profiles,
        IEventStore events,
        IEnumerable<ISegmentMembershipListener> listeners,
        IOptions<SegmentationOptions> options,
        ILogger<SegmentService> logger,
        IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null)
    {
        _profiles = profiles;
        _events = events;
        _listeners = listeners;
        _options = options.Value;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _meter = meterFactory?.Create(SegmentationTelemetry.Name) ?? new Meter(SegmentationTelemetry.Name);
        _profilesEvaluated = _meter.CreateCounter<long>("marketing.segmentation.profiles_evaluated", "{profile}", "Profile evaluations of a segment.");
        _changes = _meter.CreateCounter<long>("marketing.segmentation.membership_changes", "{change}", "Segment enter and exit changes published.");
    }

    public void Dispose() => _meter.Dispose();

    public ValueTask<SegmentDefinition> DefineAsync(SegmentDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (_gate)
        {
            var previous = _definitions.GetValueOrDefault(definition.Id);
            _definitions[definition.Id] = definition;
            try
            {
                // Compile the new definition and every other one (a replacement may create a cycle or break nothing).
                var compiled = _definitions.Values.ToDictionary(d => d.Id, d => SegmentCompiler.Compile(d, Resolve), StringComparer.Ordinal);
                _compiled.Clear();
                foreach (var (id, c) in compiled)
                {
                    _compiled[id] = c;
                }
            }
            catch
            {
                if (previous is null)
                {
                    _definitions.Remove(definition.Id);
                }
                else
                {
                    _definitions[definition.Id] = previous;
                }
                throw;
            }
            _members.TryAdd(definition.Id, []);
        }
        SegmentationLog.Defined(_logger, definition.Id);
        return ValueTask.FromResult(definition);
    }

    private SegmentDefinition? Resolve(string id) => _definitions.GetValueOrDefault(id);

    public ValueTask<bool> RemoveAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_definitions.ContainsKey(segmentId))
            {
                return ValueTask.FromResult(false);
            }
            var referencing = _definitions.Values.FirstOrDefault(d => d.Id != segmentId && References(d.Rule, segmentId));
            if (referencing is not null)
            {
                throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is referenced by '{referencing.Id}'.");
            }
            _definitions.Remove(segmentId);
            _compiled.Remove(segmentId);
            _members.Remove(segmentId);
        }
        SegmentationLog.Removed(_logger, segmentId);
        return ValueTask.FromResult(true);
    }

    private static bool References(SegmentCondition c, string id) => c switch
    {
        SegmentReferenceCondition s => string.Equals(s.SegmentId, id, StringComparison.Ordinal),
        AndCondition a => a.Operands.Any(o => References(o, id)),
        OrCondition o => o.Operands.Any(x => References(x, id)),
        NotCondition n => References(n.Operand, id),
        _ => false,
    };

    public ValueTask<SegmentDefinition?> GetAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_definitions.GetValueOrDefault(segmentId));
        }
    }

    public async IAsyncEnumerable<SegmentDefinition> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        SegmentDefinition[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _definitions.Values];
        }
        foreach (var d in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return d;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private CompiledSegment GetCompiled(string segmentId)
    {
        lock (_gate)
        {
            return _compiled.GetValueOrDefault(segmentId) ?? throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is not defined.");
        }
    }

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
        var compiled = GetCompiled(segmentId);
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (profile is null)
        {
            return false;
        }
        var now = _time.GetUtcNow();
        var events = await ReadEventsAsync(compiled.EventQueryFor(customerId, now), cancellationToken).ConfigureAwait(false);
        _profilesEvaluated.Add(1);
        return compiled.Evaluate(profile, events, now);
    }

    public async ValueTask<SegmentExplanation> ExplainAsync(string segmentId, CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var compiled = GetCompiled(segmentId);
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false)
            ?? throw new SegmentationException($"Profile {customerId} does not exist.");
        var now = _time.GetUtcNow();
        var events = await ReadEventsAsync(compiled.EventQueryFor(customerId, now), cancellationToken).ConfigureAwait(false);
        return compiled.Explain(profile, events, now);
    }

    public async ValueTask<IReadOnlyList<SegmentMembershipChange>> EvaluateCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        CompiledSegment[] segments;
        lock (_gate)
        {
            segments = [.. _compiled.Values.OrderBy(c => c.SegmentId, StringComparer.Ordinal)];
        }
        if (segments.Length == 0)
        {
            return [];
        }
        var now = _time.GetUtcNow();
        var profile = await _profiles.GetAsync(customerId, cancellationToken).ConfigureAwait(false);
        var changes = new List<SegmentMembershipChange>();
        if (profile is null)
        {
            lock (_gate)
            {
                foreach (var s in segments)
                {
                    if (_members.TryGetValue(s.SegmentId, out var set) && set.Remove(customerId))
                    {
                        changes.Add(new SegmentMembershipChange(s.SegmentId, customerId, false, now));
                    }
                }
            }
        }
        else
        {
            var queries = segments.Select(s => s.EventQueryFor(customerId, now)).Where(q => q is not null).ToList();
            List<MarketingEvent> events = [];
            if (queries.Count > 0)
            {
                var union = new EventQuery
                {
                    CustomerId = customerId,
                    Types = [.. queries.SelectMany(q => q!.Types!).Distinct()],
                    From = queries.Any(q => q!.From is null) ? null : queries.Min(q => q!.From),
                };
                events = await ReadEventsAsync(union, cancellationToken).ConfigureAwait(false);
            }
            var results = segments.Select(s => (s.SegmentId, Member: s.Evaluate(profile, events, now))).ToList();
            _profilesEvaluated.Add(segments.Length);
            lock (_gate)
            {
                foreach (var (id, member) in results)
                {
                    if (!_members.TryGetValue(id, out var set))
                    {
                        continue; // removed meanwhile
                    }
                    if (member ? set.Add(customerId) : set.Remove(customerId))
                    {
                        changes.Add(new SegmentMembershipChange(id, customerId, member, now));
                    }
                }
            }
        }
        await PublishAsync(changes, cancellationToken).ConfigureAwait(false);
        return changes;
    }

    public async ValueTask<SegmentEvaluationResult> EvaluateAsync(string segmentId, CancellationToken cancellationToken = default)
    {
        using var activity = Source.StartActivity("segment.evaluate");
        activity?.SetTag("marketing.segment.id", segmentId);
        var compiled = GetCompiled(segmentId);
        var now = _time.GetUtcNow();

        var (members, evaluated) = _options.ColumnarBatchEvaluation
            ? await EvaluateColumnarAsync(compiled, now, cancellationToken).ConfigureAwait(false)
            : await EvaluateByProfileAsync(compiled, now, cancellationToken).ConfigureAwait(false);
        _profilesEvaluated.Add(evaluated);

        var changes = new List<SegmentMembershipChange>();
        lock (_gate)
        {
            var previous = _members.GetValueOrDefault(segmentId) ?? [];
            changes.AddRange(members.Where(m => !previous.Contains(m)).Order().Select(m => new SegmentMembershipChange(segmentId, m, true, now)));
            changes.AddRange(previous.Where(m => !members.Contains(m)).Order().Select(m => new SegmentMembershipChange(segmentId, m, false, now)));
            if (_definitions.ContainsKey(segmentId))
            {
                _members[segmentId] = members;
            }
        }
        var entered = changes.Count(c => c.Entered);
        var result = new SegmentEvaluationResult(segmentId, evaluated, members.Count, entered, changes.Count - entered, now);
        SegmentationLog.Evaluated(_logger, segmentId, evaluated, members.Count, entered, changes.Count - entered);
        for (var i = 0; i < changes.Count; i += _options.PublishBatchSize)
        {
            await PublishAsync(changes.GetRange(i, Math.Min(_options.PublishBatchSize, changes.Count - i)), cancellationToken).ConfigureAwait(false);
        }
        return result;
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

    private async ValueTask PublishAsync(List<SegmentMembershipChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }
        _changes.Add(changes.Count);
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
            throw new SegmentationException($"{failures.Count} membership listener(s) failed; the membership was recorded and the other listeners were called.", new AggregateException(failures));
        }
    }

    public async IAsyncEnumerable<CustomerId> GetMembersAsync(string segmentId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CustomerId[] snapshot;
        lock (_gate)
        {
            if (!_definitions.ContainsKey(segmentId))
            {
                throw new SegmentReferenceException(segmentId, $"Segment '{segmentId}' is not defined.");
            }
            snapshot = [.. (_members.GetValueOrDefault(segmentId) ?? []).Order()];
        }
        foreach (var id in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return id;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<RfmScore>> ComputeRfmAsync(RfmTieHandling ties = RfmTieHandling.SharedScore, CancellationToken cancellationToken = default)
    {
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
        HashSet<CustomerId> seed;
        lock (_gate)
        {
            seed = [.. _members.GetValueOrDefault(segmentId) ?? []];
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
        foreach (var id in events.Select(e => e.CustomerId).OfType<CustomerId>().Distinct())
        {
            await segments.EvaluateCustomerAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }
}
