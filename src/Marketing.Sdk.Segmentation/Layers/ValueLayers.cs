namespace Marketing.Sdk.Segmentation;

/// <summary>The value layer of a customer.</summary>
public enum ValueLayer
{
    /// <summary>Known (has events) but has never ordered.</summary>
    Potential,
    /// <summary>First order within <see cref="ValueLayerOptions.NewCustomerPeriod"/>.</summary>
    New,
    /// <summary>Ordered, recently active, neither new nor loyal.</summary>
    Active,
    /// <summary>At least <see cref="ValueLayerOptions.LoyalMinimumOrders"/> orders within <see cref="ValueLayerOptions.LoyalWindow"/>.</summary>
    Loyal,
    /// <summary>Ordered before, inactive for at least <see cref="ValueLayerOptions.DormantAfter"/>.</summary>
    Dormant,
    /// <summary>Ordered before, inactive for at least <see cref="ValueLayerOptions.ChurnedAfter"/>.</summary>
    Churned,
}

/// <summary>Thresholds of the value layers; the defaults are common e-commerce choices.</summary>
public sealed class ValueLayerOptions
{
    /// <summary>A customer whose first order is at most this old is <see cref="ValueLayer.New"/>. Default 30 days.</summary>
    public TimeSpan NewCustomerPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A purchaser without activity for this long is <see cref="ValueLayer.Dormant"/>. Default 7 days (e.g. no login for a week).</summary>
    public TimeSpan DormantAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A purchaser without activity for this long is <see cref="ValueLayer.Churned"/>. Default 90 days; must exceed <see cref="DormantAfter"/>.</summary>
    public TimeSpan ChurnedAfter { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The window in which <see cref="LoyalMinimumOrders"/> orders make a customer <see cref="ValueLayer.Loyal"/>. Default 365 days.</summary>
    public TimeSpan LoyalWindow { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Orders within <see cref="LoyalWindow"/> that make a customer loyal. Default 3; at least 2.</summary>
    public int LoyalMinimumOrders { get; set; } = 3;

    /// <summary>The event types that count as activity (e.g. <c>login</c>); empty means every event. Purchases always count.</summary>
    public IList<EventType> ActivityEventTypes { get; } = [];

    /// <summary>Returns the validation errors (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (NewCustomerPeriod <= TimeSpan.Zero || DormantAfter <= TimeSpan.Zero || ChurnedAfter <= TimeSpan.Zero || LoyalWindow <= TimeSpan.Zero)
        {
            errors.Add("Value layer periods must be positive.");
        }
        if (ChurnedAfter <= DormantAfter)
        {
            errors.Add("ChurnedAfter must be longer than DormantAfter.");
        }
        if (LoyalMinimumOrders < 2)
        {
            errors.Add("LoyalMinimumOrders must be at least 2.");
        }
        return errors;
    }
}

/// <summary>What value layers need to know about one customer.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="LastActivity">The latest activity (see <see cref="ValueLayerOptions.ActivityEventTypes"/>) or order, if any.</param>
/// <param name="FirstOrder">The first order, if any.</param>
/// <param name="LastOrder">The latest order, if any.</param>
/// <param name="Orders">Number of orders.</param>
/// <param name="OrdersInLoyalWindow">Number of orders within the loyalty window.</param>
public sealed record CustomerActivity(CustomerId CustomerId, DateTimeOffset? LastActivity, DateTimeOffset? FirstOrder, DateTimeOffset? LastOrder, int Orders, int OrdersInLoyalWindow);

/// <summary>Value-layer classification. Rules, first match wins (see <c>docs/segmentation.md</c>).</summary>
public static class ValueLayers
{
    /// <summary>
    /// Classifies a customer: no order → Potential; inactive ≥ ChurnedAfter → Churned; inactive ≥
    /// DormantAfter → Dormant; first order within NewCustomerPeriod → New; ≥ LoyalMinimumOrders orders
    /// in LoyalWindow → Loyal; otherwise Active.
    /// </summary>
    /// <param name="activity">The customer's activity summary.</param>
    /// <param name="now">The reference instant.</param>
    /// <param name="options">Thresholds.</param>
    public static ValueLayer Classify(CustomerActivity activity, DateTimeOffset now, ValueLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(options);
        if (activity.Orders == 0 || activity.FirstOrder is not { } first)
        {
            return ValueLayer.Potential;
        }
        var last = activity.LastActivity is { } a && a > (activity.LastOrder ?? first) ? a : activity.LastOrder ?? first;
        var inactive = now - last;
        if (inactive >= options.ChurnedAfter)
        {
            return ValueLayer.Churned;
        }
        if (inactive >= options.DormantAfter)
        {
            return ValueLayer.Dormant;
        }
        if (now - first <= options.NewCustomerPeriod)
        {
            return ValueLayer.New;
        }
        return activity.OrdersInLoyalWindow >= options.LoyalMinimumOrders ? ValueLayer.Loyal : ValueLayer.Active;
    }

    /// <summary>Summarises events (any order, several customers) into activity records, ordered by customer id.</summary>
    /// <param name="events">The events.</param>
    /// <param name="now">The reference instant (for the loyalty window).</param>
    /// <param name="options">Thresholds and activity types.</param>
    public static IReadOnlyList<CustomerActivity> Summarise(IEnumerable<MarketingEvent> events, DateTimeOffset now, ValueLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ActivityBuilder(now, options);
        foreach (var e in events)
        {
            builder.Add(e);
        }
        return builder.Build();
    }
}

internal sealed class ActivityBuilder(DateTimeOffset now, ValueLayerOptions options)
{
    private readonly Dictionary<CustomerId, State> _customers = [];
    private readonly HashSet<EventType> _activityTypes = [.. options.ActivityEventTypes];

    private sealed class State
    {
        public DateTimeOffset? LastActivity { get; set; }
        public DateTimeOffset? FirstOrder { get; set; }
        public DateTimeOffset? LastOrder { get; set; }
        public HashSet<string> Orders { get; } = new(StringComparer.Ordinal);
        public int InWindow { get; set; }
    }

    public void Add(MarketingEvent e)
    {
        if (e.CustomerId is not { } id)
        {
            return;
        }
        if (!_customers.TryGetValue(id, out var s))
        {
            s = new State();
            _customers[id] = s;
        }
        var isOrder = e.Type == EventType.Purchase && e.Order is not { Status: OrderStatus.Cancelled or OrderStatus.Refunded };
        if (isOrder || _activityTypes.Count == 0 || _activityTypes.Contains(e.Type))
        {
            s.LastActivity = s.LastActivity is { } la && la >= e.OccurredAt ? la : e.OccurredAt;
        }
        if (!isOrder || !s.Orders.Add(e.Order?.OrderId ?? e.Id))
        {
            return;
        }
        var at = e.Order?.PlacedAt ?? e.OccurredAt;
        s.FirstOrder = s.FirstOrder is { } f && f <= at ? f : at;
        s.LastOrder = s.LastOrder is { } l && l >= at ? l : at;
        if (at > now - options.LoyalWindow && at <= now)
        {
            s.InWindow++;
        }
    }

    public bool Contains(CustomerId id) => _customers.ContainsKey(id);

    public CustomerActivity Get(CustomerId id) => _customers.TryGetValue(id, out var s)
        ? new CustomerActivity(id, s.LastActivity, s.FirstOrder, s.LastOrder, s.Orders.Count, s.InWindow)
        : new CustomerActivity(id, null, null, null, 0, 0);

    public IReadOnlyList<CustomerActivity> Build() => [.. _customers.Keys.Order().Select(Get)];
}
