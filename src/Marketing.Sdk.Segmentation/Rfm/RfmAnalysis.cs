using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Segmentation;

/// <summary>A customer's order history reduced to what RFM needs.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="FirstOrder">When the first order was placed.</param>
/// <param name="LastOrder">When the latest order was placed.</param>
/// <param name="Frequency">Number of distinct orders.</param>
/// <param name="Monetary">Total revenue of those orders, in <paramref name="Currency"/>.</param>
/// <param name="Currency">The ISO 4217 currency of <paramref name="Monetary"/>.</param>
public sealed record CustomerOrderSummary(CustomerId CustomerId, DateTimeOffset FirstOrder, DateTimeOffset LastOrder, int Frequency, decimal Monetary, string Currency);

/// <summary>How customers with equal values are scored.</summary>
public enum RfmTieHandling
{
    /// <summary>
    /// Equal values get the same score: score = 1 + ⌊5 · (customers with a strictly worse value) / n⌋
    /// (percentile rank with ties at their lowest rank). Scores do not depend on ids; a value shared
    /// by many customers can leave some scores empty.
    /// </summary>
    SharedScore = 0,

    /// <summary>
    /// Customers are ordered by value (worst first), equal values by ordinal customer id, and the
    /// i-th of n gets 1 + ⌊5 · i / n⌋: equal-sized quintiles, ties split by id (like SQL <c>NTILE(5)</c>
    /// with an id tie-breaker).
    /// </summary>
    SplitByCustomerId = 1,
}

/// <summary>The named RFM segments (see <c>docs/segmentation.md</c> for the score grid).</summary>
public enum RfmSegment
{
    /// <summary>R 5, F 4–5: bought recently, buy often.</summary>
    Champions,
    /// <summary>R 3–4, F 4–5: buy often, fairly recently.</summary>
    LoyalCustomers,
    /// <summary>R 4–5, F 2–3: recent customers with a few orders.</summary>
    PotentialLoyalist,
    /// <summary>R 5, F 1: first order very recently.</summary>
    NewCustomers,
    /// <summary>R 4, F 1: one recent order.</summary>
    Promising,
    /// <summary>R 3, F 3: average recency and frequency.</summary>
    NeedAttention,
    /// <summary>R 3, F 1–2: slipping away after few orders.</summary>
    AboutToSleep,
    /// <summary>R 1–2, F 3–4: bought often, but long ago.</summary>
    AtRisk,
    /// <summary>R 1–2, F 5: were among the most frequent, have not come back.</summary>
    CannotLoseThem,
    /// <summary>R 2, F 1–2: few orders, long ago.</summary>
    Hibernating,
    /// <summary>R 1, F 1–2: few orders, longest ago.</summary>
    Lost,
}

/// <summary>The RFM scores of one customer.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="RecencyDays">Whole days from the latest order to the reference instant.</param>
/// <param name="Frequency">Number of orders.</param>
/// <param name="Monetary">Total revenue.</param>
/// <param name="R">Recency score 1–5 (5 = most recent).</param>
/// <param name="F">Frequency score 1–5 (5 = most orders).</param>
/// <param name="M">Monetary score 1–5 (5 = highest revenue).</param>
/// <param name="Segment">The named segment from the R × F grid.</param>
public sealed record RfmScore(CustomerId CustomerId, int RecencyDays, int Frequency, decimal Monetary, int R, int F, int M, RfmSegment Segment)
{
    /// <summary>The three scores as a code, e.g. <c>545</c>.</summary>
    public string Code => $"{R}{F}{M}";
}

/// <summary>
/// RFM (recency, frequency, monetary) analysis: order summaries from purchase events, quintile
/// scores with deterministic tie handling, and the named segments.
/// </summary>
public static class RfmAnalysis
{
    private static readonly RfmSegment[,] Grid =
    {
        // F =          1                          2                               3                               4                            5
        /* R = 1 */ { RfmSegment.Lost,          RfmSegment.Lost,             RfmSegment.AtRisk,            RfmSegment.AtRisk,         RfmSegment.CannotLoseThem },
        /* R = 2 */ { RfmSegment.Hibernating,   RfmSegment.Hibernating,      RfmSegment.AtRisk,            RfmSegment.AtRisk,         RfmSegment.CannotLoseThem },
        /* R = 3 */ { RfmSegment.AboutToSleep,  RfmSegment.AboutToSleep,     RfmSegment.NeedAttention,     RfmSegment.LoyalCustomers, RfmSegment.LoyalCustomers },
        /* R = 4 */ { RfmSegment.Promising,     RfmSegment.PotentialLoyalist, RfmSegment.PotentialLoyalist, RfmSegment.LoyalCustomers, RfmSegment.LoyalCustomers },
        /* R = 5 */ { RfmSegment.NewCustomers,  RfmSegment.PotentialLoyalist, RfmSegment.PotentialLoyalist, RfmSegment.Champions,      RfmSegment.Champions },
    };

    /// <summary>The named segment of a recency and frequency score (each 1–5).</summary>
    /// <param name="r">Recency score.</param>
    /// <param name="f">Frequency score.</param>
    public static RfmSegment Classify(int r, int f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(r, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(f, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(f, 5);
        return Grid[r - 1, f - 1];
    }

    /// <summary>A display name such as <c>Can't Lose Them</c>.</summary>
    /// <param name="segment">The segment.</param>
    public static string DisplayName(RfmSegment segment) => segment switch
    {
        RfmSegment.Champions => "Champions",
        RfmSegment.LoyalCustomers => "Loyal",
        RfmSegment.PotentialLoyalist => "Potential Loyalist",
        RfmSegment.NewCustomers => "New",
        RfmSegment.Promising => "Promising",
        RfmSegment.NeedAttention => "Need Attention",
        RfmSegment.AboutToSleep => "About to Sleep",
        RfmSegment.AtRisk => "At Risk",
        RfmSegment.CannotLoseThem => "Can't Lose Them",
        RfmSegment.Hibernating => "Hibernating",
        _ => "Lost",
    };

    /// <summary>
    /// Summarises orders from <see cref="EventType.Purchase"/> events (others are ignored): one order
    /// per <see cref="Order.OrderId"/> (or event id when the event has no order), revenue from
    /// <see cref="MarketingEvent.Value"/> or else <see cref="Order.Revenue"/>; cancelled and refunded
    /// orders are skipped. Events without a customer id are skipped.
    /// </summary>
    /// <param name="events">The events, any order.</param>
    /// <exception cref="CurrencyMismatchException">Orders are in more than one currency.</exception>
    public static IReadOnlyList<CustomerOrderSummary> SummariseOrders(IEnumerable<MarketingEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var builder = new OrderSummaryBuilder();
        foreach (var e in events)
        {
            builder.Add(e);
        }
        return builder.Build();
    }

    /// <summary>
    /// <see cref="SummariseOrders"/> read straight from a relational store (the SQLite and PostgreSQL providers'
    /// <see cref="IProfileStore"/> implements <see cref="IRelationalQueryStore"/>): one query reads the purchase events'
    /// value and order fields, ordered by customer, and each customer is summarised as their rows arrive, so memory holds
    /// the summaries and one customer's rows, never the event history. Same result as <see cref="SummariseOrders"/> over
    /// the stored events in time order (as <see cref="IEventStore"/> reads them; where an order id repeats, its first
    /// event counts).
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="StoreProviderException">The database failed.</exception>
    /// <exception cref="CurrencyMismatchException">Orders are in more than one currency.</exception>
    public static async Task<IReadOnlyList<CustomerOrderSummary>> SummariseOrdersAsync(IRelationalQueryStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var builder = new OrderSummaryBuilder();
        var summaries = new List<CustomerOrderSummary>();
        await StoredEventRows.ReadByCustomerAsync(store, [EventType.Purchase], OrderFields, null, null, (id, rows) =>
        {
            // In time order, then by id, as the event store reads them: the first event of a repeated order id counts.
            rows.Sort(static (a, b) => a.OccurredAt != b.OccurredAt ? a.OccurredAt.CompareTo(b.OccurredAt) : string.CompareOrdinal(a.Id, b.Id));
            foreach (var row in rows)
            {
                builder.Add(id, row.Id, row.OccurredAt, row.Money(0, 1) ?? row.Money(2, 3), row.Text(4), row.Instant(5), OrderStatusOf(row.Text(6)));
            }
            if (builder.Take(id) is { } summary)
            {
                summaries.Add(summary);
            }
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        var currency = builder.Currency;
        summaries.Sort(static (a, b) => a.CustomerId.CompareTo(b.CustomerId));
        return [.. summaries.Select(s => s.Currency == currency ? s : s with { Currency = currency })];
    }

    private static readonly StoredEventField[] OrderFields =
    [
        StoredEventField.ValueAmount, StoredEventField.ValueCurrency, StoredEventField.RevenueAmount, StoredEventField.RevenueCurrency,
        StoredEventField.OrderId, StoredEventField.OrderPlacedAt, StoredEventField.OrderStatus,
    ];

    /// <summary>An order status as stored (its name), or null when the event has no order.</summary>
    internal static OrderStatus? OrderStatusOf(string? name) =>
        name is null ? null : Enum.TryParse<OrderStatus>(name, ignoreCase: true, out var status) ? status : OrderStatus.Placed;

    /// <summary>Scores customers; the result is ordered by customer id.</summary>
    /// <param name="customers">One summary per customer (at least one order each).</param>
    /// <param name="asOf">The reference instant recency is measured to.</param>
    /// <param name="ties">How equal values are scored.</param>
    public static IReadOnlyList<RfmScore> Score(IEnumerable<CustomerOrderSummary> customers, DateTimeOffset asOf, RfmTieHandling ties = RfmTieHandling.SharedScore)
    {
        ArgumentNullException.ThrowIfNull(customers);
        var list = customers.OrderBy(c => c.CustomerId).ToList();
        var n = list.Count;
        if (n == 0)
        {
            return [];
        }
        var recency = list.Select(c => (decimal)RecencyDays(c.LastOrder, asOf)).ToArray();
        // Higher is better for every score: negate recency.
        var r = Quintiles(recency.Select(x => -x).ToArray(), ties);
        var f = Quintiles(list.Select(c => (decimal)c.Frequency).ToArray(), ties);
        var m = Quintiles(list.Select(c => c.Monetary).ToArray(), ties);
        var result = new RfmScore[n];
        for (var i = 0; i < n; i++)
        {
            var c = list[i];
            result[i] = new RfmScore(c.CustomerId, (int)recency[i], c.Frequency, c.Monetary, r[i], f[i], m[i], Classify(r[i], f[i]));
        }
        return result;
    }

    /// <summary>Whole days (floored) from <paramref name="lastOrder"/> to <paramref name="asOf"/>; 0 when the order is later.</summary>
    /// <param name="lastOrder">The latest order.</param>
    /// <param name="asOf">The reference instant.</param>
    public static int RecencyDays(DateTimeOffset lastOrder, DateTimeOffset asOf) =>
        lastOrder >= asOf ? 0 : (int)Math.Floor((asOf - lastOrder).TotalDays);

    /// <summary>Quintile scores 1–5 where a higher value is better; input order is the id order (used for ties).</summary>
    internal static int[] Quintiles(decimal[] values, RfmTieHandling ties)
    {
        var n = values.Length;
        var order = Enumerable.Range(0, n).ToArray();
        // Stable sort by value keeps the id order among equal values.
        var sorted = order.OrderBy(i => values[i]).ToArray();
        var scores = new int[n];
        if (ties == RfmTieHandling.SplitByCustomerId)
        {
            for (var k = 0; k < n; k++)
            {
                scores[sorted[k]] = 1 + (int)((5L * k) / n);
            }
            return scores;
        }
        var below = 0;
        for (var k = 0; k < n; k++)
        {
            if (k > 0 && values[sorted[k]] != values[sorted[k - 1]])
            {
                below = k;
            }
            scores[sorted[k]] = 1 + (int)((5L * below) / n);
        }
        return scores;
    }
}

/// <summary>Accumulates order summaries from purchase events one at a time (used by streaming callers).</summary>
internal sealed class OrderSummaryBuilder
{
    private readonly Dictionary<CustomerId, State> _customers = [];
    private string? _currency;

    private sealed class State
    {
        public HashSet<string> Orders { get; } = new(StringComparer.Ordinal);
        public DateTimeOffset First { get; set; } = DateTimeOffset.MaxValue;
        public DateTimeOffset Last { get; set; } = DateTimeOffset.MinValue;
        public decimal Monetary { get; set; }
    }

    public void Add(MarketingEvent e)
    {
        if (e.Type != EventType.Purchase || e.CustomerId is not { } id)
        {
            return;
        }
        Add(id, e.Id, e.OccurredAt, e.Value ?? e.Order?.Revenue, e.Order?.OrderId, e.Order?.PlacedAt, e.Order?.Status);
    }

    /// <summary>Adds one purchase of <paramref name="id"/> by its parts (the order's, when it has one).</summary>
    public void Add(CustomerId id, string eventId, DateTimeOffset occurredAt, Money? money, string? orderId, DateTimeOffset? placedAt, OrderStatus? status)
    {
        if (status is OrderStatus.Cancelled or OrderStatus.Refunded)
        {
            return;
        }
        if (money is { } m)
        {
            _currency ??= m.Currency;
            if (!string.Equals(_currency, m.Currency, StringComparison.Ordinal))
            {
                throw new CurrencyMismatchException(_currency, m.Currency);
            }
        }
        if (!_customers.TryGetValue(id, out var state))
        {
            state = new State();
            _customers[id] = state;
        }
        if (!state.Orders.Add(orderId ?? eventId))
        {
            return;
        }
        var at = placedAt ?? occurredAt;
        state.First = at < state.First ? at : state.First;
        state.Last = at > state.Last ? at : state.Last;
        state.Monetary += money?.Amount ?? 0m;
    }

    /// <summary>Removes a customer's state and returns their summary (none when they had no counted order).</summary>
    public CustomerOrderSummary? Take(CustomerId id) =>
        _customers.Remove(id, out var s) ? new CustomerOrderSummary(id, s.First, s.Last, s.Orders.Count, s.Monetary, _currency ?? "XXX") : null;

    /// <summary>The currency of the first valued order, or <c>XXX</c> before one.</summary>
    public string Currency => _currency ?? "XXX";

    public IReadOnlyList<CustomerOrderSummary> Build() =>
        [.. _customers.OrderBy(kv => kv.Key).Select(kv => new CustomerOrderSummary(kv.Key, kv.Value.First, kv.Value.Last, kv.Value.Orders.Count, kv.Value.Monetary, _currency ?? "XXX"))];
}
