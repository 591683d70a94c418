using System.Diagnostics;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>The default <see cref="IEventCollector"/>.</summary>
internal sealed class EventCollector : IEventCollector
{
    private readonly EventValidator _validator;
    private readonly BotDetector _bots;
    private readonly IIdentityResolver _resolver;
    private readonly IIdentityGraphStore _graph;
    private readonly IEventStore _events;
    private readonly IProfileStore _profiles;
    private readonly IGeoResolver? _geo;
    private readonly IEnumerable<IMarketingEventListener> _listeners;
    private readonly IngestionOptions _options;
    private readonly IdentityResolutionOptions _identityOptions;
    private readonly TimeProvider _time;
    private readonly IngestionMetrics _metrics;
    private readonly ILogger _logger;

    public EventCollector(
        EventValidator validator,
        BotDetector bots,
        IIdentityResolver resolver,
        IIdentityGraphStore graph,
        IEventStore events,
        IProfileStore profiles,
        IEnumerable<IMarketingEventListener> listeners,
        IOptions<IngestionOptions> options,
        IOptions<IdentityResolutionOptions> identityOptions,
        TimeProvider timeProvider,
        IngestionMetrics metrics,
        IGeoResolver? geo = null,
        ILogger<EventCollector>? logger = null)
    {
        _validator = validator;
        _bots = bots;
        _resolver = resolver;
        _graph = graph;
        _events = events;
        _profiles = profiles;
        _listeners = listeners;
        _options = options.Value;
        _identityOptions = identityOptions.Value;
        _time = timeProvider;
        _metrics = metrics;
        _geo = geo;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public async ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(marketingEvent);
        var result = await TrackBatchAsync([marketingEvent], cancellationToken).ConfigureAwait(false);
        var single = result.Results[0];
        if (single.Error is { } error)
        {
            throw new MarketingValidationException(error.Field, error.Reason, error.Detail);
        }
        return single;
    }

    public async ValueTask<BatchTrackResult> TrackBatchAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        using var activity = MarketingTelemetry.IngestionActivity.StartActivity("marketing.track_batch");
        activity?.SetTag("marketing.batch.size", events.Count);

        var results = new TrackResult?[events.Count];
        var kept = new List<(int Index, MarketingEvent Event)>(events.Count);
        var seenIds = _options.DropDuplicates ? new HashSet<string>(StringComparer.Ordinal) : null;
        var now = _time.GetUtcNow();

        // 1. Validate, normalise and clean each event (no side effects on stores yet).
        for (var i = 0; i < events.Count; i++)
        {
            MarketingEvent e;
            try
            {
                e = _validator.Validate(events[i] ?? throw new MarketingValidationException("event", ValidationReason.Missing, "The event is null."));
            }
            catch (MarketingValidationException ex)
            {
                results[i] = new TrackResult(events[i]?.Id, TrackStatus.Rejected, Error: TrackError.From(ex, i));
                _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", ex.Reason.ToString()));
                Log.EventRejected(_logger, ex.Field, ex.Reason);
                continue;
            }
            if (seenIds is not null && !seenIds.Add(e.Id))
            {
                results[i] = new TrackResult(e.Id, TrackStatus.Duplicate);
                continue;
            }
            var flags = e.Flags;
            if (_options.DetectBots && e.SessionId is { } session)
            {
                var (isBot, becameBot, count) = _bots.Observe(session, e.OccurredAt);
                if (becameBot)
                {
                    Log.SessionFlaggedAsBot(_logger, count);
                }
                if (isBot)
                {
                    if (_options.BotAction == BotSessionAction.Drop)
                    {
                        results[i] = new TrackResult(e.Id, TrackStatus.Dropped, DropReason: DropReason.Bot);
                        _metrics.Dropped.Add(1, new KeyValuePair<string, object?>("reason", nameof(DropReason.Bot)));
                        continue;
                    }
                    flags |= EventFlags.SuspectedBot;
                    _metrics.Flagged.Add(1, new KeyValuePair<string, object?>("flag", nameof(EventFlags.SuspectedBot)));
                }
            }
            if (e.Region is null && e.IpAddress is { } ip && _geo is not null && _options.FillRegionFromIp)
            {
                try
                {
                    if (await _geo.ResolveRegionAsync(ip, cancellationToken).ConfigureAwait(false) is { } region)
                    {
                        e = e with { Region = region };
                        flags |= EventFlags.RegionInferred;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.GeoResolverFailed(_logger, ex);
                }
            }
            if (e.Order is { } order && e.Value is null)
            {
                e = e with { Value = order.Revenue };
            }
            kept.Add((i, e with { Flags = flags, ReceivedAt = now }));
        }

        // 2. Resolve identities, in order (later events see the links earlier ones made).
        var redirects = new Dictionary<CustomerId, CustomerId>();
        for (var k = 0; k < kept.Count; k++)
        {
            var (index, e) = kept[k];
            CustomerId customer;
            if (e.Identities.Count == 0)
            {
                customer = e.CustomerId!.Value;
            }
            else
            {
                IdentityResolution resolution;
                try
                {
                    resolution = await _resolver.ResolveAsync(e.Identities, e.Id, cancellationToken).ConfigureAwait(false);
                }
                catch (MarketingValidationException ex)
                {
                    results[index] = new TrackResult(e.Id, TrackStatus.Rejected, Error: TrackError.From(ex, index));
                    _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", ex.Reason.ToString()));
                    Log.EventRejected(_logger, ex.Field, ex.Reason);
                    kept[k] = (index, null!);
                    continue;
                }
                customer = resolution.CustomerId;
                foreach (var merge in resolution.Merges)
                {
                    redirects[merge.Merged] = merge.Survivor;
                }
                if (resolution.IsNewProfile)
                {
                    _metrics.ProfilesCreated.Add(1);
                }
                if (resolution.GuardedIdentities.Count > 0 || resolution.RefusedOwners.Count > 0)
                {
                    e = e with { Flags = e.Flags | EventFlags.IdentityGuarded };
                }
            }
            kept[k] = (index, e with { CustomerId = customer });
        }

        // 3. Point events at the survivors of merges made later in the batch, then store them.
        var toStore = new List<(int Index, MarketingEvent Event)>(kept.Count);
        foreach (var (index, e) in kept)
        {
            if (e is null)
            {
                continue;
            }
            var customer = e.CustomerId!.Value;
            while (redirects.TryGetValue(customer, out var next))
            {
                customer = next;
            }
            toStore.Add((index, e with { CustomerId = customer }));
        }
        var append = toStore.Count == 0
            ? new AppendResult(0, [])
            : await _events.AppendAsync(toStore.Select(x => x.Event).ToList(), cancellationToken).ConfigureAwait(false);
        var duplicates = append.DuplicateIds.Count == 0 ? null : append.DuplicateIds.ToHashSet(StringComparer.Ordinal);
        var accepted = new List<MarketingEvent>(toStore.Count);
        foreach (var (index, e) in toStore)
        {
            if (duplicates is not null && duplicates.Contains(e.Id))
            {
                results[index] = new TrackResult(e.Id, TrackStatus.Duplicate, e.CustomerId);
            }
            else
            {
                results[index] = new TrackResult(e.Id, TrackStatus.Accepted, e.CustomerId, e.Flags);
                accepted.Add(e);
            }
        }
        _metrics.Accepted.Add(accepted.Count);

        // 4. Update the profiles the accepted events belong to.
        foreach (var group in accepted.GroupBy(e => e.CustomerId!.Value))
        {
            await TouchProfileAsync(group.Key, group.ToList(), cancellationToken).ConfigureAwait(false);
        }

        var final = new BatchTrackResult(results!);
        Log.BatchIngested(_logger, final.Accepted, final.Duplicates, final.Dropped, final.Rejected);
        activity?.SetTag("marketing.batch.accepted", final.Accepted);

        // 5. Tell listeners (segments, journeys); their failures do not undo the ingestion.
        if (accepted.Count > 0)
        {
            foreach (var listener in _listeners)
            {
                try
                {
                    await listener.OnEventsAcceptedAsync(accepted, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _metrics.ListenerFailures.Add(1);
                    Log.ListenerFailed(_logger, listener.GetType().Name, ex);
                    activity?.SetStatus(ActivityStatusCode.Error, "A listener failed.");
                }
            }
        }
        return final;
    }

    private async ValueTask TouchProfileAsync(CustomerId customer, List<MarketingEvent> events, CancellationToken ct)
    {
        var first = events.Min(e => e.OccurredAt);
        var last = events.Max(e => e.OccurredAt);
        var identities = await _graph.GetIdentitiesAsync(customer, ct).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var profile = await _profiles.GetAsync(customer, ct).ConfigureAwait(false)
                ?? new CustomerProfile { Id = customer, FirstSeen = first, LastSeen = last };
            var updated = profile with
            {
                Identities = identities.Count == 0 ? profile.Identities : identities,
                FirstSeen = profile.EventCount == 0 || first < profile.FirstSeen ? first : profile.FirstSeen,
                LastSeen = profile.EventCount == 0 || last > profile.LastSeen ? last : profile.LastSeen,
                EventCount = profile.EventCount + events.Count,
            };
            try
            {
                await _profiles.SaveAsync(updated, ct).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyConflictException) when (attempt < _identityOptions.MaxWriteRetries)
            {
            }
        }
    }
}
