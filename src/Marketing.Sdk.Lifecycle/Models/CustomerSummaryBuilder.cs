using System.Runtime.CompilerServices;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle.Models;

/// <summary>One purchase as the summary builder needs it.</summary>
/// <param name="CustomerId">The buyer.</param>
/// <param name="OccurredAt">When the purchase happened.</param>
/// <param name="Amount">Its value (one currency across all records).</param>
public readonly record struct PurchaseRecord(CustomerId CustomerId, DateTimeOffset OccurredAt, decimal Amount);

/// <summary>How raw purchases are turned into model summaries.</summary>
public sealed record CustomerSummaryOptions
{
    /// <summary>Last day (inclusive) of the calibration period.</summary>
    public required DateOnly CalibrationEnd { get; init; }

    /// <summary>Last day (inclusive) of the holdout period that follows the calibration period; none when <see langword="null"/>.</summary>
    public DateOnly? HoldoutEnd { get; init; }

    /// <summary>The model time unit (default 7 days: weekly summaries).</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The time zone whose calendar days purchases are grouped by (default UTC).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    internal void Validate()
    {
        if (Period < TimeSpan.FromDays(1) || Period.Ticks % TimeSpan.TicksPerDay != 0)
        {
            throw new MarketingValidationException("period", ValidationReason.OutOfRange, "The period is a whole number of days.");
        }
        if (HoldoutEnd is { } h && h <= CalibrationEnd)
        {
            throw new MarketingValidationException("holdoutEnd", ValidationReason.Inconsistent, "The holdout period ends after the calibration period.");
        }
    }
}

/// <summary>A customer's calibration summary and what they did in the holdout period.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="FirstPurchase">The day of the first purchase.</param>
/// <param name="Calibration">Frequency, recency, T and mean repeat spend over the calibration period.</param>
/// <param name="HoldoutFrequency">Purchase days in the holdout period.</param>
/// <param name="HoldoutValue">Total value bought in the holdout period.</param>
public sealed record CustomerSummaryRow(CustomerId CustomerId, DateOnly FirstPurchase, CustomerSummary Calibration, int HoldoutFrequency, decimal HoldoutValue);

/// <summary>
/// Builds (frequency, recency, T, mean repeat spend) summaries from raw purchases: purchases are grouped
/// into calendar days (several orders on one day count as one transaction of their total value);
/// frequency counts the purchase days after the first one within the calibration period; recency and
/// T are measured from the first purchase day to the last calibration purchase day and to the end of
/// the calibration period, in <see cref="CustomerSummaryOptions.Period"/> units. Customers whose first
/// purchase falls after the calibration end are left out.
/// </summary>
public static class CustomerSummaryBuilder
{
    /// <summary>Builds the summaries, ordered by customer id.</summary>
    /// <param name="purchases">The purchases, in any order.</param>
    /// <param name="options">Calibration and holdout ends, time unit and time zone.</param>
    public static IReadOnlyList<CustomerSummaryRow> Build(IEnumerable<PurchaseRecord> purchases, CustomerSummaryOptions options)
    {
        ArgumentNullException.ThrowIfNull(purchases);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var days = new Dictionary<CustomerId, SortedDictionary<DateOnly, decimal>>();
        var index = 0;
        foreach (var p in purchases)
        {
            if (p.Amount < 0)
            {
                throw new MarketingValidationException("amount", ValidationReason.Negative, "Purchase amounts are 0 or more.", index);
            }
            var day = DayOf(p.OccurredAt, options);
            if (!days.TryGetValue(p.CustomerId, out var perDay))
            {
                perDay = [];
                days.Add(p.CustomerId, perDay);
            }
            perDay[day] = perDay.GetValueOrDefault(day) + p.Amount;
            index++;
        }
        var rows = new List<CustomerSummaryRow>(days.Count);
        foreach (var (customer, perDay) in days.OrderBy(d => d.Key))
        {
            if (Summarise(customer, perDay, options) is { } row)
            {
                rows.Add(row);
            }
        }
        return rows;
    }

    /// <summary>One customer's summary from their purchase days (none when they bought first after the calibration end, or on its last day).</summary>
    private static CustomerSummaryRow? Summarise(CustomerId customer, SortedDictionary<DateOnly, decimal> perDay, CustomerSummaryOptions options)
    {
        var first = perDay.Keys.First();
        if (first > options.CalibrationEnd)
        {
            return null;
        }
        int frequency = -1, holdout = 0;
        decimal repeatValue = 0, holdoutValue = 0;
        var last = first;
        foreach (var (day, value) in perDay)
        {
            if (day <= options.CalibrationEnd)
            {
                frequency++;
                last = day;
                if (frequency > 0)
                {
                    repeatValue += value;
                }
            }
            else if (options.HoldoutEnd is { } end && day <= end)
            {
                holdout++;
                holdoutValue += value;
            }
        }
        var unit = options.Period.TotalDays;
        var summary = new CustomerSummary(
            frequency,
            (last.DayNumber - first.DayNumber) / unit,
            (options.CalibrationEnd.DayNumber - first.DayNumber) / unit,
            frequency > 0 ? (double)(repeatValue / frequency) : 0);
        // First purchase on the last calibration day: no observation time yet, so no summary.
        return summary.T <= 0 ? null : new CustomerSummaryRow(customer, first, summary, holdout, holdoutValue);
    }

    private static DateOnly DayOf(DateTimeOffset at, CustomerSummaryOptions options) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, options.TimeZone).DateTime);

    /// <summary>
    /// <see cref="BuildAsync(IAsyncEnumerable{MarketingEvent}, CustomerSummaryOptions, CancellationToken)"/> read straight
    /// from a relational store (the SQLite and PostgreSQL providers' <see cref="IProfileStore"/> implements
    /// <see cref="IRelationalQueryStore"/>): one query reads the purchase events' order fields, ordered by customer, and
    /// each customer is summarised as their rows arrive, so memory holds the summaries and one customer's purchase days,
    /// never the event history. Same result as the event overload over the stored events.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="options">Calibration and holdout ends, time unit and time zone.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="StoreProviderException">The database failed.</exception>
    /// <exception cref="CurrencyMismatchException">Orders in more than one currency.</exception>
    public static async ValueTask<IReadOnlyList<CustomerSummaryRow>> BuildAsync(IRelationalQueryStore store, CustomerSummaryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rows = new List<CustomerSummaryRow>();
        var perDay = new SortedDictionary<DateOnly, decimal>();
        string? currency = null;
        await StoredEventRows.ReadByCustomerAsync(store, [EventType.Purchase], OrderFields, null, null, (customer, events) =>
        {
            perDay.Clear();
            foreach (var e in events)
            {
                if (e.Instant(0) is not { } placedAt || e.Money(1, 2) is not { } revenue
                    || e.Text(3) is { } status && Enum.TryParse<OrderStatus>(status, ignoreCase: true, out var s) && s is OrderStatus.Cancelled or OrderStatus.Refunded)
                {
                    continue;
                }
                currency ??= revenue.Currency;
                if (!string.Equals(currency, revenue.Currency, StringComparison.Ordinal))
                {
                    throw new CurrencyMismatchException(currency, revenue.Currency);
                }
                if (revenue.Amount < 0)
                {
                    throw new MarketingValidationException("amount", ValidationReason.Negative, "Purchase amounts are 0 or more.");
                }
                var day = DayOf(placedAt, options);
                perDay[day] = perDay.GetValueOrDefault(day) + revenue.Amount;
            }
            if (perDay.Count > 0 && Summarise(customer, perDay, options) is { } row)
            {
                rows.Add(row);
            }
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        rows.Sort(static (a, b) => a.CustomerId.CompareTo(b.CustomerId));
        return rows;
    }

    private static readonly StoredEventField[] OrderFields =
        [StoredEventField.OrderPlacedAt, StoredEventField.RevenueAmount, StoredEventField.RevenueCurrency, StoredEventField.OrderStatus];

    /// <summary>
    /// Builds the summaries from stored events: purchase events with an order that was not cancelled
    /// or fully refunded, valued at <see cref="Order.Revenue"/>.
    /// </summary>
    /// <param name="events">Events, e.g. <c>IEventStore.ReadAsync</c> for the purchase type.</param>
    /// <param name="options">Calibration and holdout ends, time unit and time zone.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="CurrencyMismatchException">Orders in more than one currency.</exception>
    public static async ValueTask<IReadOnlyList<CustomerSummaryRow>> BuildAsync(IAsyncEnumerable<MarketingEvent> events, CustomerSummaryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var records = new List<PurchaseRecord>();
        await foreach (var record in ToPurchases(events, cancellationToken).ConfigureAwait(false))
        {
            records.Add(record);
        }
        return Build(records, options);
    }

    private static async IAsyncEnumerable<PurchaseRecord> ToPurchases(IAsyncEnumerable<MarketingEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? currency = null;
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (e.Type != EventType.Purchase || e.Order is not { } order || e.CustomerId is not { } customer
                || order.Status is OrderStatus.Cancelled or OrderStatus.Refunded)
            {
                continue;
            }
            var revenue = order.Revenue;
            currency ??= revenue.Currency;
            if (!string.Equals(currency, revenue.Currency, StringComparison.Ordinal))
            {
                throw new CurrencyMismatchException(currency, revenue.Currency);
            }
            yield return new PurchaseRecord(customer, order.PlacedAt, revenue.Amount);
        }
    }
}
