using System.Globalization;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Dashboard.Data;

/// <summary>
/// Aggregates the dashboard's pages on the server from the SDK's own stores and services in the host's
/// container. Every answer is counts, rates and sums; customer ids, identities and payloads never leave.
/// </summary>
internal sealed partial class DashboardDataService(IServiceProvider services, IOptions<MarketingDashboardOptions> options, TimeProvider time, ILogger<DashboardDataService> logger)
{
    private const int ConsentBatch = 500;
    private const int ReasonLength = 160;
    private readonly MarketingDashboardOptions _options = options.Value;

    internal static readonly EventType[] FunnelEventTypes = [EventType.ProductView, EventType.AddToCart, EventType.BeginCheckout, EventType.Purchase];

    public async Task<OverviewData> GetOverviewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var days = _options.TrendDays;
        var end = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var start = end.AddDays(-days);
        var previousStart = start.AddDays(-days);
        var events = services.GetRequiredService<IEventStore>();
        var profiles = services.GetRequiredService<IProfileStore>();

        // Both periods are tallied per day: the previous one is the trailing window of the anomaly checks.
        var daily = new DayTally[2 * days];
        for (var i = 0; i < daily.Length; i++)
        {
            daily[i] = new DayTally();
        }
        var active = new HashSet<CustomerId>();
        var buyers = new HashSet<CustomerId>();
        var previousActive = new HashSet<CustomerId>();
        var previousBuyers = new HashSet<CustomerId>();
        var currencyCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var revenueByCurrency = new Dictionary<string, (decimal Current, decimal Previous)>(StringComparer.Ordinal);
        long orders = 0, previousOrders = 0, total = 0, scanned = 0;
        var truncated = false;
        await foreach (var e in events.ReadAsync(new EventQuery { From = previousStart, To = end, Limit = _options.MaxEventsScanned + 1 }, cancellationToken).ConfigureAwait(false))
        {
            if (++scanned > _options.MaxEventsScanned)
            {
                truncated = true;
                break;
            }
            if ((e.Flags & EventFlags.SuspectedBot) != 0)
            {
                continue;
            }
            // Orders as RFM counts them: purchases that were not cancelled or refunded, valued by the event or the order.
            var isPurchase = e.Type == EventType.Purchase && e.Order is not { Status: OrderStatus.Cancelled or OrderStatus.Refunded };
            var money = isPurchase ? e.Value ?? e.Order?.Revenue : null;
            var day = daily[Math.Clamp((int)(e.OccurredAt.UtcDateTime.Date - previousStart.UtcDateTime).TotalDays, 0, daily.Length - 1)];
            if (e.CustomerId is { } c)
            {
                day.Customers.Add(c);
            }
            if (e.Type == EventType.PageView || e.Type == EventType.ProductView)
            {
                day.Views++;
            }
            else if (e.Type == EventType.AddToCart)
            {
                day.AddToCarts++;
            }
            else if (isPurchase)
            {
                day.Purchases++;
                if (money is { } m)
                {
                    day.Revenue.TryGetValue(m.Currency, out var d);
                    day.Revenue[m.Currency] = d + m.Amount;
                }
            }
            if (e.OccurredAt < start)
            {
                if (e.CustomerId is { } p)
                {
                    previousActive.Add(p);
                }
                if (isPurchase)
                {
                    previousOrders++;
                    if (e.CustomerId is { } pb)
                    {
                        previousBuyers.Add(pb);
                    }
                    if (money is { } m)
                    {
                        var r = revenueByCurrency.GetValueOrDefault(m.Currency);
                        revenueByCurrency[m.Currency] = (r.Current, r.Previous + m.Amount);
                    }
                }
                continue;
            }
            total++;
            if (e.CustomerId is { } a)
            {
                active.Add(a);
            }
            if (isPurchase)
            {
                orders++;
                if (e.CustomerId is { } b)
                {
                    buyers.Add(b);
                }
                if (money is { } m)
                {
                    currencyCounts[m.Currency] = currencyCounts.GetValueOrDefault(m.Currency) + 1;
                    var r = revenueByCurrency.GetValueOrDefault(m.Currency);
                    revenueByCurrency[m.Currency] = (r.Current + m.Amount, r.Previous);
                }
            }
        }
        if (truncated)
        {
            Log.Truncated(logger, "overview", _options.MaxEventsScanned);
        }
        // Revenue is shown in the currency most orders were paid in (a shop selling in several keeps its own report).
        var currency = currencyCounts.Count == 0 ? null : currencyCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        var (revenue, previousRevenue) = currency is null ? (0m, 0m) : revenueByCurrency[currency];
        var points = new DailyPoint[days];
        for (var i = 0; i < days; i++)
        {
            var d = daily[days + i];
            points[i] = new DailyPoint(start.AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Views, d.AddToCarts, d.Purchases,
                currency is null ? 0m : d.Revenue.GetValueOrDefault(currency), d.Customers.Count);
        }
        var anomalies = new List<KpiAnomalyRow>();
        void Check(string kpi, Func<DayTally, double> value)
        {
            var series = daily.Select(value).ToArray();
            foreach (var band in RobustAnomaly.Detect(series, _options.AnomalyWindowDays, _options.AnomalyThreshold))
            {
                if (band.Index >= days)
                {
                    anomalies.Add(new KpiAnomalyRow(kpi, previousStart.AddDays(band.Index).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), series[band.Index],
                        band.Median, band.Low, band.High, series[band.Index] > band.Median ? "up" : "down"));
                }
            }
        }
        Check("orders", d => d.Purchases);
        Check("revenue", d => currency is null ? 0 : (double)d.Revenue.GetValueOrDefault(currency));
        Check("activeCustomers", d => d.Customers.Count);
        Check("views", d => d.Views);
        var kpis = new OverviewKpis(
            Customers: await profiles.CountAsync(cancellationToken).ConfigureAwait(false),
            ActiveCustomers: active.Count,
            Buyers: buyers.Count,
            Orders: orders,
            Revenue: revenue,
            Currency: currency,
            AverageOrderValue: orders == 0 || currency is null ? null : Math.Round(revenue / currencyCounts[currency], 2),
            ConversionRate: active.Count == 0 ? null : (double)buyers.Count / active.Count,
            Events: total,
            OrdersChange: Change(orders, previousOrders),
            RevenueChange: Change((double)revenue, (double)previousRevenue),
            ActiveCustomersChange: Change(active.Count, previousActive.Count));
        var newCustomers = buyers.Count(b => !previousBuyers.Contains(b));
        var spend = await GetSpendKpisAsync(start, end, orders, newCustomers, revenue, currency, cancellationToken).ConfigureAwait(false);
        return new OverviewData(now, days, truncated, kpis, points, anomalies, new AnomalyRule(_options.AnomalyWindowDays, _options.AnomalyThreshold), spend);
    }

    private static double? Change(double current, double previous) => previous == 0 ? null : (current - previous) / previous;

    public async Task<DeliveryData> GetDeliveryAsync(bool canRetry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var outbox = services.GetRequiredService<IOutboxStore>();
        var counts = await outbox.CountAsync(cancellationToken).ConfigureAwait(false);
        var destinations = new SortedDictionary<string, DestinationTally>(StringComparer.Ordinal);
        long retrying = 0;
        foreach (var state in new[] { OutboxState.Pending, OutboxState.Leased })
        {
            await foreach (var e in outbox.ReadAsync(state, cancellationToken).ConfigureAwait(false))
            {
                var t = Tally(destinations, e.Message.Destination);
                t.Pending++;
                if (e.LastError is not null)
                {
                    t.Retrying++;
                    retrying++;
                }
                if (t.Oldest is not { } o || e.EnqueuedAt < o)
                {
                    t.Oldest = e.EnqueuedAt;
                }
            }
        }
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        var withheld = new Dictionary<string, long>(StringComparer.Ordinal);
        var deadLetters = new List<DeadLetterRow>();
        long withheldTotal = 0;
        await foreach (var e in outbox.ReadAsync(OutboxState.DeadLettered, cancellationToken).ConfigureAwait(false))
        {
            var t = Tally(destinations, e.Message.Destination);
            var reason = e.LastError ?? "";
            if (reason.StartsWith(_options.ConsentWithheldPrefix, StringComparison.Ordinal))
            {
                t.Withheld++;
                withheldTotal++;
                var why = Category(reason[_options.ConsentWithheldPrefix.Length..]);
                withheld[why] = withheld.GetValueOrDefault(why) + 1;
                continue;
            }
            t.DeadLettered++;
            var category = Category(reason);
            failures[category] = failures.GetValueOrDefault(category) + 1;
            deadLetters.Add(new DeadLetterRow(e.Id, e.Message.Destination, e.AttemptCount, Shorten(reason), e.CompletedAt));
        }
        var listed = deadLetters.OrderByDescending(d => d.DeadLetteredAt).ThenByDescending(d => d.Id).Take(_options.DeadLettersListed).ToList();
        return new DeliveryData(
            now,
            new DeliveryTotals(counts.Pending, counts.Leased, counts.Delivered, counts.DeadLettered - withheldTotal, withheldTotal, retrying),
            [.. destinations.Select(kv => new DestinationHealth(kv.Key, kv.Value.Pending, kv.Value.Retrying, kv.Value.DeadLettered, kv.Value.Withheld, kv.Value.Oldest))],
            Sorted(failures),
            Sorted(withheld),
            listed,
            canRetry);
    }

    public async Task<bool> RetryDeadLetterAsync(long id, CancellationToken cancellationToken)
    {
        var outbox = services.GetRequiredService<IOutboxStore>();
        if (await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { State: OutboxState.DeadLettered } entry
            || (entry.LastError ?? "").StartsWith(_options.ConsentWithheldPrefix, StringComparison.Ordinal))
        {
            // Withheld messages are lawful outcomes: sending them again would bypass the customer's decision.
            return false;
        }
        var requeued = await outbox.RequeueDeadLetterAsync(id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (requeued)
        {
            Log.DeadLetterRequeued(logger, id, entry.Message.Destination);
        }
        return requeued;
    }

    public async Task<ConsentData> GetConsentAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var profiles = services.GetRequiredService<IProfileStore>();
        var consents = services.GetRequiredService<IConsentStore>();
        var tallies = new SortedDictionary<string, (long Granted, long Withdrawn)>(StringComparer.Ordinal);
        long customers = 0;
        var truncated = false;
        var batch = new List<CustomerId>(ConsentBatch);
        await foreach (var profile in profiles.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            if (customers == _options.MaxProfilesScanned)
            {
                truncated = true;
                break;
            }
            customers++;
            batch.Add(profile.Id);
            if (batch.Count == ConsentBatch)
            {
                await CountConsentAsync(consents, batch, tallies, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        await CountConsentAsync(consents, batch, tallies, cancellationToken).ConfigureAwait(false);
        if (truncated)
        {
            Log.Truncated(logger, "consent", _options.MaxProfilesScanned);
        }
        foreach (var purpose in new[] { ConsentPurpose.Analytics, ConsentPurpose.Personalisation, ConsentPurpose.AdTargeting, ConsentPurpose.AdMeasurement, ConsentPurpose.Email, ConsentPurpose.Sms })
        {
            tallies.TryAdd(purpose.Value, (0, 0));
        }
        return new ConsentData(now, customers, truncated,
            [.. tallies.Select(kv => new PurposeRate(kv.Key, kv.Value.Granted, kv.Value.Withdrawn, customers - kv.Value.Granted - kv.Value.Withdrawn,
                customers == 0 ? null : (double)kv.Value.Granted / customers))]);
    }

    private static async Task CountConsentAsync(IConsentStore consents, List<CustomerId> batch, SortedDictionary<string, (long Granted, long Withdrawn)> tallies, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        foreach (var status in await consents.GetCurrentStatusManyAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var t = tallies.GetValueOrDefault(status.Purpose.Value);
            tallies[status.Purpose.Value] = status.IsGranted ? (t.Granted + 1, t.Withdrawn) : (t.Granted, t.Withdrawn + 1);
        }
    }

    public async Task<SegmentsData> GetSegmentsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var grid = new long[5][];
        for (var i = 0; i < 5; i++)
        {
            grid[i] = new long[5];
        }
        if (services.GetService<ISegmentService>() is not { } segmentation)
        {
            return new SegmentsData(now, false, [], grid, [], [], 0);
        }
        var sizes = new List<NamedCount>();
        await foreach (var definition in segmentation.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            long members = 0;
            await foreach (var _ in segmentation.GetMembersAsync(definition.Id, cancellationToken).ConfigureAwait(false))
            {
                members++;
            }
            sizes.Add(new NamedCount(definition.Id, members));
        }
        var scores = await segmentation.ComputeRfmAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var rfmSegments = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in scores)
        {
            grid[Math.Clamp(s.R, 1, 5) - 1][Math.Clamp(s.F, 1, 5) - 1]++;
            var name = s.Segment.ToString();
            rfmSegments[name] = rfmSegments.GetValueOrDefault(name) + 1;
        }
        var layers = Enum.GetValues<Segmentation.ValueLayer>().ToDictionary(l => l.ToString(), _ => 0L, StringComparer.Ordinal);
        await foreach (var layer in segmentation.GetValueLayersAsync(cancellationToken).ConfigureAwait(false))
        {
            layers[layer.Layer.ToString()]++;
        }
        return new SegmentsData(now, true, [.. sizes.OrderByDescending(s => s.Count).ThenBy(s => s.Name, StringComparer.Ordinal)],
            grid, Sorted(rfmSegments), [.. layers.Select(kv => new NamedCount(kv.Key, kv.Value))], scores.Count);
    }

    public async Task<FunnelData> GetFunnelAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var days = _options.TrendDays;
        var end = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var events = services.GetRequiredService<IEventStore>();
        var list = new List<MarketingEvent>();
        var truncated = false;
        await foreach (var e in events.ReadAsync(new EventQuery { From = end.AddDays(-days), To = end, Types = FunnelEventTypes, Limit = _options.MaxEventsScanned + 1 }, cancellationToken).ConfigureAwait(false))
        {
            if (list.Count == _options.MaxEventsScanned)
            {
                truncated = true;
                break;
            }
            if ((e.Flags & EventFlags.SuspectedBot) == 0)
            {
                list.Add(e);
            }
        }
        if (truncated)
        {
            Log.Truncated(logger, "funnel", _options.MaxEventsScanned);
        }
        var definition = new FunnelDefinition([.. FunnelEventTypes.Select(t => new FunnelStep(t.Value, t))], TimeSpan.FromDays(days));
        var analysis = new FunnelAnalyzer().Analyze(list, definition, FunnelAnalyzer.ByChannel);
        return new FunnelData(now, days, truncated,
            [.. analysis.Overall.Steps.Select(s => new FunnelStepRow(s.Name, s.Reached, s.StepConversionRate, s.OverallConversionRate, s.DroppedOff))],
            [.. analysis.Groups.OrderBy(g => g.Group, StringComparer.Ordinal).Select(g => new FunnelChannelRow(g.Group ?? "(none)", [.. g.Steps.Select(s => s.Reached)]))]);
    }

    private static DestinationTally Tally(SortedDictionary<string, DestinationTally> tallies, string destination)
    {
        if (!tallies.TryGetValue(destination, out var t))
        {
            tallies[destination] = t = new DestinationTally();
        }
        return t;
    }

    /// <summary>The kind of a stored reason: the text before its first ':' or ';' with digits folded, so reasons group.</summary>
    internal static string Category(string reason)
    {
        var text = reason.Trim();
        var cut = text.IndexOfAny([':', ';', '(']);
        if (cut > 0)
        {
            text = text[..cut].Trim();
        }
        if (text.Length == 0)
        {
            return "unknown";
        }
        var folded = Digits().Replace(text, "N");
        return folded.Length > 64 ? folded[..64] : folded;
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Digits();

    private static string Shorten(string reason) => reason.Length > ReasonLength ? reason[..ReasonLength] + "…" : reason;

    private static List<NamedCount> Sorted(Dictionary<string, long> counts) =>
        [.. counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new NamedCount(kv.Key, kv.Value))];

    private sealed class DayTally
    {
        public long Views { get; set; }
        public long AddToCarts { get; set; }
        public long Purchases { get; set; }
        public Dictionary<string, decimal> Revenue { get; } = new(StringComparer.Ordinal);
        public HashSet<CustomerId> Customers { get; } = [];
    }

    private sealed class DestinationTally
    {
        public long Pending { get; set; }
        public long Retrying { get; set; }
        public long DeadLettered { get; set; }
        public long Withheld { get; set; }
        public DateTimeOffset? Oldest { get; set; }
    }
}
