using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Ingestion;

/// <summary>The default <see cref="IEventCollector"/>.</summary>
internal sealed class EventCollector : IEventCollector, IAsyncDisposable, IDisposable
{
    private readonly EventValidator _validator;
    private readonly BotDetector _bots;
    private readonly IIdentityResolver _resolver;
    private readonly IIngestionStore _ingestion;
    private readonly IGeoResolver? _geo;
    private readonly IEnumerable<IMarketingEventListener> _listeners;
    private readonly IngestionOptions _options;
    private readonly TimeProvider _time;
    private readonly IngestionMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TrackGroupCommit? _groupCommit;

    public EventCollector(
        EventValidator validator,
        BotDetector bots,
        IIdentityResolver resolver,
        IIngestionStore ingestion,
        IEnumerable<IMarketingEventListener> listeners,
        IOptions<IngestionOptions> options,
        TimeProvider timeProvider,
        IngestionMetrics metrics,
        IGeoResolver? geo = null,
        ILogger<EventCollector>? logger = null)
    {
        _validator = validator;
        _bots = bots;
        _resolver = resolver;
        _ingestion = ingestion;
        _listeners = listeners;
        _options = options.Value;
        _time = timeProvider;
        _metrics = metrics;
        _geo = geo;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _groupCommit = _options.GroupCommit.Enabled ? new TrackGroupCommit(TrackBatchAsync, _options.GroupCommit, timeProvider) : null;
    }

    public ValueTask DisposeAsync() => _groupCommit?.DisposeAsync() ?? ValueTask.CompletedTask;

    public void Dispose() => _groupCommit?.Dispose();

    public async ValueTask<TrackResult> TrackAsync(MarketingEvent marketingEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(marketingEvent);
        var single = _groupCommit is null || _groupCommit.IsInsideRun
            ? (await TrackBatchAsync([marketingEvent], cancellationToken).ConfigureAwait(false)).Results[0]
            : await _groupCommit.TrackAsync(marketingEvent, cancellationToken).ConfigureAwait(false);
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

        // 1. Validate, normalise and clean each event (no side effects on stores yet). A failure of one
        //    event, expected or not, rejects that event only.
        for (var i = 0; i < events.Count; i++)
        {
            string? id = null;
            try
            {
                var input = events[i];
                id = input?.Id;
                var e = _validator.Validate(input);
                if (seenIds is not null && !seenIds.Add(e.Id))
                {
                    results[i] = new TrackResult(e.Id, TrackStatus.Duplicate);
                    continue;
                }
                var flags = EventFlags.None;
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
                    var region = await ResolveRegionAsync(ip, cancellationToken).ConfigureAwait(false);
                    if (region is not null)
                    {
                        e = e with { Region = region };
                        flags |= EventFlags.RegionInferred;
                    }
                }
                kept.Add((i, e with { Flags = flags, ReceivedAt = now }));
            }
            catch (MarketingValidationException ex)
            {
                results[i] = Reject(id, i, ex);
            }
            catch (Exception ex) when (IsPerEventFailure(ex, cancellationToken))
            {
                results[i] = Unprocessable(id, i, "validation", ex);
            }
        }

        // 2. Resolve identities, in order (later events see the links and merges earlier ones made): the default
        //    resolver takes the whole batch at once, another resolver one event at a time.
        var redirects = new Dictionary<CustomerId, CustomerId>();
        var batch = _resolver is IdentityResolver own ? await ResolveBatchAsync(own, kept, cancellationToken).ConfigureAwait(false) : null;
        for (var k = 0; k < kept.Count; k++)
        {
            var (index, e) = kept[k];
            try
            {
                CustomerId customer;
                if (e.Identities.Count == 0)
                {
                    customer = e.CustomerId!.Value;
                }
                else
                {
                    IdentityResolution resolution;
                    if (batch is null)
                    {
                        resolution = await _resolver.ResolveAsync(e.Identities, e.Id, cancellationToken).ConfigureAwait(false);
                    }
                    else if (batch[k] is { Resolution: { } resolved })
                    {
                        resolution = resolved;
                    }
                    else
                    {
                        ExceptionDispatchInfo.Throw(batch[k].Error!);
                        return default!;
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
            catch (MarketingValidationException ex)
            {
                results[index] = Reject(e.Id, index, ex);
                kept[k] = (index, null!);
            }
            catch (Exception ex) when (IsPerEventFailure(ex, cancellationToken))
            {
                results[index] = Unprocessable(e.Id, index, "identity resolution", ex);
                kept[k] = (index, null!);
            }
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
        //    The store appends and counts them in their profiles in one step, following merges other writers
        //    made since the resolution: an event is reported under the customer it was stored under.
        var append = await AppendAsync(toStore, results, cancellationToken).ConfigureAwait(false);
        var duplicates = append.DuplicateIds.Count == 0 ? null : append.DuplicateIds.ToHashSet(StringComparer.Ordinal);
        var accepted = new List<MarketingEvent>(toStore.Count);
        for (var k = 0; k < toStore.Count; k++)
        {
            var (index, e) = toStore[k];
            if (append.Redirected.TryGetValue(e.CustomerId!.Value, out var survivor))
            {
                toStore[k] = (index, e = e with { CustomerId = survivor });
            }
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

        var final = new BatchTrackResult(results!);
        Log.BatchIngested(_logger, final.Accepted, final.Duplicates, final.Dropped, final.Rejected);
        activity?.SetTag("marketing.batch.accepted", final.Accepted);

        // 4. Tell listeners (segments, journeys); their failures do not undo the ingestion.
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
                    var name = listener.GetType().Name;
                    Log.HostFailure(_logger, "event listener", ex, (l, code) => Log.ListenerFailed(l, name, code));
                    activity?.SetStatus(ActivityStatusCode.Error, "A listener failed.");
                }
            }
        }
        return final;
    }

    /// <summary>The identities of every kept event that has some, resolved as one batch; per kept event its outcome (events without identities get none).</summary>
    private static async ValueTask<BatchResolution[]> ResolveBatchAsync(IdentityResolver resolver, List<(int Index, MarketingEvent Event)> kept, CancellationToken ct)
    {
        var positions = new List<int>(kept.Count);
        var items = new List<(IReadOnlyList<Identity>, string?)>(kept.Count);
        for (var k = 0; k < kept.Count; k++)
        {
            if (kept[k].Event.Identities.Count > 0)
            {
                positions.Add(k);
                items.Add((kept[k].Event.Identities, kept[k].Event.Id));
            }
        }
        var all = new BatchResolution[kept.Count];
        if (items.Count == 0)
        {
            return all;
        }
        var resolved = await resolver.ResolveBatchAsync(items, ct).ConfigureAwait(false);
        for (var j = 0; j < positions.Count; j++)
        {
            all[positions[j]] = resolved[j];
        }
        return all;
    }

    /// <summary>
    /// Appends the events; when the store rejects one of them (a rule the validator does not know),
    /// that event is rejected and the rest are appended again, so one bad event never loses the others.
    /// </summary>
    private async ValueTask<AppendResult> AppendAsync(List<(int Index, MarketingEvent Event)> toStore, TrackResult?[] results, CancellationToken ct)
    {
        while (toStore.Count > 0)
        {
            try
            {
                return await _ingestion.AppendAsync(toStore.Select(x => x.Event).ToList(), ct).ConfigureAwait(false);
            }
            catch (MarketingValidationException ex) when (ex.Index is { } i && i >= 0 && i < toStore.Count)
            {
                var (index, e) = toStore[i];
                results[index] = Reject(e.Id, index, ex);
                toStore.RemoveAt(i);
            }
        }
        return new AppendResult(0, []);
    }

    private async ValueTask<string?> ResolveRegionAsync(string ip, CancellationToken ct)
    {
        try
        {
            return await _geo!.ResolveRegionAsync(ip, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Log.HostFailure(_logger, "geo resolver", ex, Log.GeoResolverFailed);
            return null;
        }
    }

    private TrackResult Reject(string? id, int index, MarketingValidationException ex)
    {
        _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", ex.Reason.ToString()));
        Log.EventRejected(_logger, ex.Field, ex.Reason);
        return new TrackResult(id, TrackStatus.Rejected, Error: TrackError.From(ex, index));
    }

    private TrackResult Unprocessable(string? id, int index, string step, Exception ex)
    {
        _metrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", nameof(ValidationReason.Unprocessable)));
        Log.HostFailure(_logger, step, ex, (l, code) => Log.EventFailed(l, index, step, code));
        return new TrackResult(id, TrackStatus.Rejected, Error: new TrackError(
            index, "event", ValidationReason.Unprocessable, TrackError.CodeFor(ValidationReason.Unprocessable),
            $"The event could not be processed ({step} failed with {ex.GetType().Name}); it was not stored."));
    }

    /// <summary>
    /// Whether a failure concerns one event only. Store failures (the store is unavailable, a write
    /// conflicted) and cancellation concern the whole call and propagate: the caller retries the batch.
    /// </summary>
    private static bool IsPerEventFailure(Exception ex, CancellationToken ct) =>
        ex is not MarketingStoreException
        && !(ex is OperationCanceledException && ct.IsCancellationRequested)
        && ex is not OutOfMemoryException;
}
