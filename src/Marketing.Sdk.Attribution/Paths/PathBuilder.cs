namespace Marketing.Sdk.Attribution;

/// <summary>How <see cref="PathBuilder"/> turns events into journeys.</summary>
public sealed record PathBuilderOptions
{
    /// <summary>Touches older than this before a conversion are not part of its path. Default 30 days.</summary>
    public TimeSpan LookbackWindow { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Event types that count as touches when they carry a <see cref="MarketingEvent.Channel"/>. Default: ad click, ad impression, page view, message click.</summary>
    public IReadOnlyCollection<EventType> TouchEventTypes { get; init; } =
        [EventType.AdClick, EventType.AdImpression, EventType.PageView, EventType.MessageClick];

    /// <summary>Event types that count as conversions. Default: purchase.</summary>
    public IReadOnlyCollection<EventType> ConversionEventTypes { get; init; } = [EventType.Purchase];

    /// <summary>
    /// Touches of one session (same <see cref="MarketingEvent.SessionId"/>) on the same channel and
    /// campaign count once; touches without a session id count once when they repeat the previous
    /// touch's channel and campaign within <see cref="DeduplicationWindow"/>. Default true.
    /// </summary>
    public bool DeduplicateSessions { get; init; } = true;

    /// <summary>Window for de-duplicating session-less repeats. Default 30 minutes.</summary>
    public TimeSpan DeduplicationWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Keep at most this many touches per path (the most recent ones). Default 50.</summary>
    public int MaxTouchesPerPath { get; init; } = 50;

    /// <summary>Whether to keep non-converting journeys (touches after a customer's last conversion). Default true.</summary>
    public bool IncludeNonConverting { get; init; } = true;

    /// <summary>Whether steps keep their campaign ids. Default true.</summary>
    public bool KeepCampaigns { get; init; } = true;

    /// <summary>Whether steps keep their age before the conversion (needed by time decay in hours; prevents most aggregation). Default false.</summary>
    public bool KeepTouchAges { get; init; }

    /// <summary>Currency of conversion values; when null, the currency of the first valued conversion and every other must match.</summary>
    public string? Currency { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="MarketingValidationException">An option is out of range.</exception>
    public void Validate()
    {
        if (LookbackWindow <= TimeSpan.Zero)
        {
            throw new MarketingValidationException(nameof(LookbackWindow), ValidationReason.OutOfRange, "The lookback window is positive.");
        }
        if (DeduplicationWindow < TimeSpan.Zero)
        {
            throw new MarketingValidationException(nameof(DeduplicationWindow), ValidationReason.OutOfRange, "The de-duplication window is not negative.");
        }
        if (MaxTouchesPerPath < 1)
        {
            throw new MarketingValidationException(nameof(MaxTouchesPerPath), ValidationReason.OutOfRange, "At least one touch per path.");
        }
        if (TouchEventTypes is null || TouchEventTypes.Count == 0)
        {
            throw new MarketingValidationException(nameof(TouchEventTypes), ValidationReason.Missing, "At least one touch event type.");
        }
        if (ConversionEventTypes is null || ConversionEventTypes.Count == 0)
        {
            throw new MarketingValidationException(nameof(ConversionEventTypes), ValidationReason.Missing, "At least one conversion event type.");
        }
        if (TouchEventTypes.Intersect(ConversionEventTypes).Any())
        {
            throw new MarketingValidationException(nameof(ConversionEventTypes), ValidationReason.Inconsistent, "An event type is either a touch or a conversion.");
        }
        if (Currency is not null)
        {
            Currencies.Normalize(Currency, nameof(Currency));
        }
    }
}

/// <summary>
/// Builds customer touchpoint paths from behaviour events. Events are grouped by
/// <see cref="MarketingEvent.CustomerId"/> (events without one are skipped) and ordered by time.
/// Each conversion gets the customer's touches since the previous conversion and within the
/// lookback window; touches after the last conversion form a non-converting journey.
/// </summary>
public sealed class PathBuilder
{
    private readonly PathBuilderOptions _options;
    private readonly HashSet<EventType> _touchTypes;
    private readonly HashSet<EventType> _conversionTypes;

    /// <summary>Creates a builder.</summary>
    /// <param name="options">The options; defaults when null.</param>
    public PathBuilder(PathBuilderOptions? options = null)
    {
        _options = options ?? new PathBuilderOptions();
        _options.Validate();
        _touchTypes = [.. _options.TouchEventTypes];
        _conversionTypes = [.. _options.ConversionEventTypes];
    }

    /// <summary>Builds paths from a stream of events (any order).</summary>
    /// <param name="events">The events.</param>
    /// <param name="asOf">End of the observation period: the reference time for non-converting journeys (their touches must lie within the lookback window before it). When null, the last event's time of each customer.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async Task<PathSet> BuildAsync(IAsyncEnumerable<MarketingEvent> events, DateTimeOffset? asOf = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var byCustomer = new Dictionary<CustomerId, List<MarketingEvent>>();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Collect(byCustomer, e);
        }
        return Build(byCustomer, asOf, cancellationToken);
    }

    /// <summary>Builds paths from events (any order).</summary>
    /// <param name="events">The events.</param>
    /// <param name="asOf">End of the observation period (see <see cref="BuildAsync"/>).</param>
    public PathSet Build(IEnumerable<MarketingEvent> events, DateTimeOffset? asOf = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var byCustomer = new Dictionary<CustomerId, List<MarketingEvent>>();
        foreach (var e in events)
        {
            Collect(byCustomer, e);
        }
        return Build(byCustomer, asOf, CancellationToken.None);
    }

    private void Collect(Dictionary<CustomerId, List<MarketingEvent>> byCustomer, MarketingEvent e)
    {
        if (e?.CustomerId is not { } id)
        {
            return;
        }
        var isTouch = _touchTypes.Contains(e.Type) && e.Channel is not null;
        if (!isTouch && !_conversionTypes.Contains(e.Type))
        {
            return;
        }
        if (!byCustomer.TryGetValue(id, out var list))
        {
            byCustomer[id] = list = [];
        }
        list.Add(e);
    }

    private PathSet Build(Dictionary<CustomerId, List<MarketingEvent>> byCustomer, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        var builder = new PathSetBuilder();
        var currency = _options.Currency is null ? null : Currencies.Normalize(_options.Currency, "currency");
        var touches = new List<MarketingEvent>();
        var path = new List<Touch>();
        foreach (var (_, events) in byCustomer.OrderBy(kv => kv.Key))
        {
            cancellationToken.ThrowIfCancellationRequested();
            events.Sort(static (a, b) =>
            {
                var c = a.OccurredAt.CompareTo(b.OccurredAt);
                return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
            });
            touches.Clear();
            foreach (var e in events)
            {
                if (_conversionTypes.Contains(e.Type))
                {
                    var value = ValueOf(e, ref currency);
                    if (Emit(builder, path, touches, e.OccurredAt))
                    {
                        builder.Add(path, 1, value, 0);
                    }
                    touches.Clear();
                }
                else if (!IsDuplicate(touches, e))
                {
                    touches.Add(e);
                }
            }
            if (_options.IncludeNonConverting && touches.Count > 0)
            {
                var end = asOf ?? touches[^1].OccurredAt;
                if (Emit(builder, path, touches, end))
                {
                    builder.Add(path, 0, 0, 1);
                }
            }
        }
        return builder.Build();
    }

    private bool IsDuplicate(List<MarketingEvent> touches, MarketingEvent e)
    {
        if (!_options.DeduplicateSessions || touches.Count == 0)
        {
            return false;
        }
        if (e.SessionId is not null)
        {
            for (var i = touches.Count - 1; i >= 0; i--)
            {
                var t = touches[i];
                if (string.Equals(t.SessionId, e.SessionId, StringComparison.Ordinal) && t.Channel == e.Channel &&
                    string.Equals(t.CampaignId, e.CampaignId, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
        var last = touches[^1];
        return last.SessionId is null && last.Channel == e.Channel &&
               string.Equals(last.CampaignId, e.CampaignId, StringComparison.Ordinal) &&
               e.OccurredAt - last.OccurredAt <= _options.DeduplicationWindow;
    }

    private bool Emit(PathSetBuilder builder, List<Touch> path, List<MarketingEvent> touches, DateTimeOffset end)
    {
        _ = builder;
        path.Clear();
        var from = end - _options.LookbackWindow;
        for (var i = 0; i < touches.Count; i++)
        {
            var t = touches[i];
            if (t.OccurredAt < from || t.OccurredAt > end)
            {
                continue;
            }
            path.Add(new Touch(t.Channel!.Value,
                _options.KeepCampaigns ? t.CampaignId : null,
                _options.KeepTouchAges ? (end - t.OccurredAt).TotalHours : null));
        }
        if (path.Count > _options.MaxTouchesPerPath)
        {
            path.RemoveRange(0, path.Count - _options.MaxTouchesPerPath);
        }
        return path.Count > 0;
    }

    private static double ValueOf(MarketingEvent e, ref string? currency)
    {
        var money = e.Value ?? e.Order?.Revenue;
        if (money is not { } m)
        {
            return 0;
        }
        currency ??= m.Currency;
        if (!string.Equals(currency, m.Currency, StringComparison.Ordinal))
        {
            throw new CurrencyMismatchException(currency, m.Currency);
        }
        return (double)m.Amount;
    }
}
