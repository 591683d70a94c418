using Marketing.Sdk.Storage;

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
    private static readonly StoredEventField[] StoreFields =
    [
        StoredEventField.Channel, StoredEventField.CampaignId, StoredEventField.SessionId,
        StoredEventField.ValueAmount, StoredEventField.ValueCurrency, StoredEventField.RevenueAmount, StoredEventField.RevenueCurrency,
    ];

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
        var byCustomer = new Dictionary<CustomerId, List<PathEvent>>();
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Collect(byCustomer, e);
        }
        return Build(byCustomer, asOf, cancellationToken);
    }

    /// <summary>Builds paths from events (any order).</summary>
    /// <param name="events">The events.</param>
    /// <param name="asOf">End of the observation period (see <see cref="BuildAsync(IAsyncEnumerable{MarketingEvent}, DateTimeOffset?, CancellationToken)"/>).</param>
    public PathSet Build(IEnumerable<MarketingEvent> events, DateTimeOffset? asOf = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var byCustomer = new Dictionary<CustomerId, List<PathEvent>>();
        foreach (var e in events)
        {
            Collect(byCustomer, e);
        }
        return Build(byCustomer, asOf, CancellationToken.None);
    }

    /// <summary>
    /// Builds paths straight from a relational store (the SQLite and PostgreSQL providers' <see cref="IProfileStore"/>
    /// implements <see cref="IRelationalQueryStore"/>): one query reads the touch and conversion events with only the fields
    /// paths need, ordered by customer, and each customer's journeys are cut as their rows arrive, so memory holds the
    /// path set and one customer's rows, never the event history. The result equals
    /// <see cref="BuildAsync(IAsyncEnumerable{MarketingEvent}, DateTimeOffset?, CancellationToken)"/> over the same events.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="from">Only events at or after this instant, when set.</param>
    /// <param name="to">Only events before this instant, when set.</param>
    /// <param name="asOf">End of the observation period (see <see cref="BuildAsync(IAsyncEnumerable{MarketingEvent}, DateTimeOffset?, CancellationToken)"/>).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="StoreProviderException">The database failed.</exception>
    /// <exception cref="CurrencyMismatchException">Conversion values in more than one currency.</exception>
    public async Task<PathSet> BuildAsync(IRelationalQueryStore store, DateTimeOffset? from = null, DateTimeOffset? to = null,
        DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = new Run(this);
        var events = new List<PathEvent>();
        await StoredEventRows.ReadByCustomerAsync(store, [.. _touchTypes, .. _conversionTypes], StoreFields, from, to, (_, rows) =>
        {
            events.Clear();
            foreach (var row in rows)
            {
                var channel = row.Text(0) is { } c ? new Channel(c) : (Channel?)null;
                if (_conversionTypes.Contains(row.Type) || channel is not null)
                {
                    events.Add(new PathEvent(row.Type, row.OccurredAt, row.Id, channel, row.Text(1), row.Text(2), row.Money(3, 4) ?? row.Money(5, 6)));
                }
            }
            run.AddCustomer(events, asOf);
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return run.Builder.Build();
    }

    private void Collect(Dictionary<CustomerId, List<PathEvent>> byCustomer, MarketingEvent e)
    {
        if (e?.CustomerId is not { } id)
        {
            return;
        }
        var isTouch = _touchTypes.Contains(e.Type) && e.Channel is not null;
        var isConversion = _conversionTypes.Contains(e.Type);
        if (!isTouch && !isConversion)
        {
            return;
        }
        if (!byCustomer.TryGetValue(id, out var list))
        {
            byCustomer[id] = list = [];
        }
        list.Add(new PathEvent(e.Type, e.OccurredAt, e.Id, e.Channel, e.CampaignId, e.SessionId, isConversion ? e.Value ?? e.Order?.Revenue : null));
    }

    private PathSet Build(Dictionary<CustomerId, List<PathEvent>> byCustomer, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        var run = new Run(this);
        // Ordinal order of the ids: the order a store query returns customers in, so both paths build the same set.
        foreach (var (_, events) in byCustomer.OrderBy(kv => kv.Key))
        {
            cancellationToken.ThrowIfCancellationRequested();
            run.AddCustomer(events, asOf);
        }
        return run.Builder.Build();
    }

    /// <summary>What a path needs of an event: a touch (with a channel) or a conversion (with its value, if any).</summary>
    private readonly record struct PathEvent(EventType Type, DateTimeOffset OccurredAt, string Id, Channel? Channel, string? CampaignId, string? SessionId, Money? Value);

    /// <summary>One build: the path set so far, the conversion currency and reused buffers.</summary>
    private sealed class Run(PathBuilder owner)
    {
        private readonly List<PathEvent> _touches = [];
        private readonly List<Touch> _path = [];
        private string? _currency = owner._options.Currency is null ? null : Currencies.Normalize(owner._options.Currency, "currency");

        public PathSetBuilder Builder { get; } = new();

        /// <summary>Cuts one customer's events (any order; sorted here by time, then id) into journeys.</summary>
        public void AddCustomer(List<PathEvent> events, DateTimeOffset? asOf)
        {
            events.Sort(static (a, b) =>
            {
                var c = a.OccurredAt.CompareTo(b.OccurredAt);
                return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
            });
            _touches.Clear();
            foreach (var e in events)
            {
                if (owner._conversionTypes.Contains(e.Type))
                {
                    var value = ValueOf(e.Value);
                    if (owner.Emit(_path, _touches, e.OccurredAt))
                    {
                        Builder.Add(_path, 1, value, 0);
                    }
                    _touches.Clear();
                }
                else if (!owner.IsDuplicate(_touches, e))
                {
                    _touches.Add(e);
                }
            }
            if (owner._options.IncludeNonConverting && _touches.Count > 0)
            {
                var end = asOf ?? _touches[^1].OccurredAt;
                if (owner.Emit(_path, _touches, end))
                {
                    Builder.Add(_path, 0, 0, 1);
                }
            }
        }

        private double ValueOf(Money? money)
        {
            if (money is not { } m)
            {
                return 0;
            }
            _currency ??= m.Currency;
            if (!string.Equals(_currency, m.Currency, StringComparison.Ordinal))
            {
                throw new CurrencyMismatchException(_currency, m.Currency);
            }
            return (double)m.Amount;
        }
    }

    private bool IsDuplicate(List<PathEvent> touches, PathEvent e)
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

    private bool Emit(List<Touch> path, List<PathEvent> touches, DateTimeOffset end)
    {
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
}
