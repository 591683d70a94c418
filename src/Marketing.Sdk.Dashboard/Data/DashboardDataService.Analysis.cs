using System.Globalization;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Statistics;
using Marketing.Sdk.Lifecycle;
using Marketing.Sdk.Lifecycle.Churn;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Models;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Messaging;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Dashboard.Data;

// The analysis pages: attribution and channel ROI with budget proposals, lifecycle (stages, CLV, churn, journeys),
// experiments and messages, plus the spend the overview's KPIs need. Aggregates only, like the other pages.
internal sealed partial class DashboardDataService
{
    private const int ClvBandCount = 6;

    private DateTimeOffset AnalysisEnd(out DateTimeOffset now)
    {
        now = time.GetUtcNow();
        return new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
    }

    /// <summary>Reads the window's events (bots left out) up to the scan limit.</summary>
    private async Task<(List<MarketingEvent> Events, bool Truncated)> ReadEventsAsync(string page, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<EventType>? types, CancellationToken cancellationToken)
    {
        var list = new List<MarketingEvent>();
        var truncated = false;
        long scanned = 0;
        var events = services.GetRequiredService<IEventStore>();
        await foreach (var e in events.ReadAsync(new EventQuery { From = from, To = to, Types = types, Limit = _options.MaxEventsScanned + 1 }, cancellationToken).ConfigureAwait(false))
        {
            if (++scanned > _options.MaxEventsScanned)
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
            Log.Truncated(logger, page, _options.MaxEventsScanned);
        }
        return (list, truncated);
    }

    /// <summary>
    /// The spend of the configured ad accounts between two instants (whole UTC days), through the platforms' reporting
    /// contract. Unknown (with the reason) when no account is configured, a platform has no reporting registered, a
    /// report fails or the accounts report in different currencies.
    /// </summary>
    internal async Task<(List<SpendRecord>? Records, string? Reason)> ReadSpendAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (_options.AdAccounts.Count == 0)
        {
            return (null, "no_ad_accounts");
        }
        var records = new List<SpendRecord>();
        string? currency = null;
        foreach (var account in _options.AdAccounts)
        {
            if (services.GetKeyedService<IAdReporting>(account.Platform) is not { } reporting)
            {
                return (null, "no_reporting");
            }
            var channel = new Channel(string.IsNullOrWhiteSpace(account.Channel) ? account.Platform : account.Channel);
            var query = new AdReportQuery(account.AccountId, DateOnly.FromDateTime(from.UtcDateTime), DateOnly.FromDateTime(to.UtcDateTime.AddDays(-1)));
            try
            {
                await foreach (var row in reporting.GetReportAsync(query, cancellationToken).ConfigureAwait(false))
                {
                    currency ??= row.Spend.Currency;
                    if (!string.Equals(currency, row.Spend.Currency, StringComparison.Ordinal))
                    {
                        return (null, "mixed_currencies");
                    }
                    records.Add(new SpendRecord(channel, row.CampaignId, row.Spend, row.Impressions, row.Clicks));
                }
            }
            catch (MarketingException ex)
            {
                Log.SpendUnavailable(logger, account.Platform, ex.GetType().Name);
                return (null, "report_failed");
            }
        }
        return (records, null);
    }

    private async Task<SpendKpis> GetSpendKpisAsync(DateTimeOffset from, DateTimeOffset to, long orders, long newCustomers, decimal revenue, string? currency, CancellationToken cancellationToken)
    {
        var (records, reason) = await ReadSpendAsync(from, to, cancellationToken).ConfigureAwait(false);
        if (records is null)
        {
            return new SpendKpis(false, reason, null, null, null, null, null, null, null, newCustomers, null);
        }
        var spend = records.Sum(r => r.Spend.Amount);
        var spendCurrency = records.Count == 0 ? currency : records[0].Spend.Currency;
        if (currency is not null && spendCurrency is not null && !string.Equals(currency, spendCurrency, StringComparison.Ordinal))
        {
            return new SpendKpis(false, "currency_differs_from_revenue", spend, spendCurrency, null, null, null, null, null, newCustomers, null);
        }
        decimal? cac = newCustomers > 0 ? Math.Round(spend / newCustomers, 2) : null;
        var clv = (await GetClvAsync(cancellationToken).ConfigureAwait(false)).Summary;
        return new SpendKpis(
            true,
            null,
            spend,
            spendCurrency,
            orders > 0 ? Math.Round(spend / orders, 2) : null,
            cac,
            spend > 0 ? (double)(revenue / spend) : null,
            spend > 0 ? (double)((revenue - spend) / spend) : null,
            cac is > 0 && clv.Mean is { } ltv ? ltv / (double)cac.Value : null,
            newCustomers,
            clv.Mean);
    }

    public async Task<AttributionData> GetAttributionAsync(CancellationToken cancellationToken)
    {
        var end = AnalysisEnd(out var now);
        var days = _options.AnalysisDays;
        var builder = services.GetService<PathBuilder>();
        var models = services.GetService<AttributionModelSet>();
        if (builder is null || models is null)
        {
            return new AttributionData(now, days, false, false, 0, 0, 0, [], [], null, new SpendStatus(false, "attribution_not_configured", 0, null), [], []);
        }
        var start = end.AddDays(-days);
        var (events, truncated) = await ReadEventsAsync("attribution", start, end, null, cancellationToken).ConfigureAwait(false);
        var paths = builder.Build(events, now);
        var results = new List<AttributionResult>();
        foreach (var model in models.Models)
        {
            try
            {
                results.Add(model.Attribute(paths, byCampaign: false, cancellationToken));
            }
            catch (AttributionException)
            {
                // A model that cannot run on these paths (e.g. no conversion yet) is left out of the comparison.
            }
        }
        var channels = results.SelectMany(r => r.Channels).Select(c => c.Channel.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var credits = results.Select(r => new ModelCredit(
            r.Model,
            [.. channels.Select(c => Math.Round(r.For(new Channel(c))?.Conversions ?? 0, 4))],
            [.. channels.Select(c => Math.Round(r.For(new Channel(c))?.Value ?? 0, 2))])).ToList();
        var roiModel = results.FirstOrDefault(r => r.Model.StartsWith(_options.RoiModel, StringComparison.OrdinalIgnoreCase));
        var (records, reason) = await ReadSpendAsync(start, end, cancellationToken).ConfigureAwait(false);
        if (records is null || roiModel is null)
        {
            return new AttributionData(now, days, truncated, true, paths.Count, results.FirstOrDefault()?.TotalConversions ?? 0, results.FirstOrDefault()?.TotalValue ?? 0,
                channels, credits, roiModel?.Model, new SpendStatus(false, reason ?? "no_roi_model", 0, null), [], []);
        }
        var spendCurrency = records.Count == 0 ? null : records[0].Spend.Currency;
        var rows = services.GetService<KpiCalculator>() is { } calculator ? calculator.Compute(records, roiModel) : new KpiCalculator().Compute(records, roiModel);
        var channelRows = rows.Where(r => r.CampaignId is null).Select(r => new ChannelRoiRow(r.Channel.Value, r.Spend, r.Impressions, r.Clicks, Math.Round(r.Conversions, 4), Math.Round(r.Revenue, 2),
            r.Ctr, r.Cvr, r.Cpa is { } cpa ? Math.Round(cpa, 2) : null, r.Roas, r.Roi)).ToList();
        // Budgets are judged per channel, where the attribution gives credit: the current daily budget of a channel is
        // taken as its average daily spend over the window (what it actually used). Proposals are suggestions for a
        // person, never applied by the dashboard.
        var lines = records.GroupBy(r => r.Channel)
            .Select(g => new BudgetLine(g.Key, null, Math.Round(g.Sum(r => r.Spend.Amount) / days, 2)))
            .OrderBy(l => l.Channel.Value, StringComparer.Ordinal).ToList();
        var proposals = new List<ProposalRow>();
        if (services.GetService<BudgetRuleEngine>() is { } engine && lines.Count > 0)
        {
            var plan = engine.Propose(new BudgetContext { Lines = lines, Kpis = [.. rows.Where(r => r.CampaignId is null)] });
            proposals.AddRange(plan.Proposals.Select(p => new ProposalRow(p.Rule, p.Channel.Value, p.CampaignId, p.Action.ToString(), p.CurrentBudget, p.ProposedBudget, p.BidMultiplier, p.Explanation)));
        }
        return new AttributionData(now, days, truncated, true, paths.Count, roiModel.TotalConversions, roiModel.TotalValue, channels, credits, roiModel.Model,
            new SpendStatus(true, null, records.Sum(r => r.Spend.Amount), spendCurrency), channelRows, proposals);
    }

    /// <summary>CLV and churn from purchase history: BG/NBD + Gamma-Gamma fitted on the shop's purchases (weeks as the time unit).</summary>
    private async Task<(ClvSummary Summary, IReadOnlyList<NamedCount> Churn)> GetClvAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var bands = Enum.GetValues<ChurnRiskBand>().Select(b => new NamedCount(b.ToString(), 0)).ToList();
        var events = services.GetRequiredService<IEventStore>();
        var (purchases, _) = await ReadEventsAsync("lifecycle", now.AddDays(-730), now.AddTicks(1), [EventType.Purchase], cancellationToken).ConfigureAwait(false);
        IReadOnlyList<CustomerSummaryRow> rows;
        try
        {
            rows = await CustomerSummaryBuilder.BuildAsync(purchases.ToAsyncEnumerable(), new CustomerSummaryOptions { CalibrationEnd = DateOnly.FromDateTime(now.UtcDateTime) }, cancellationToken).ConfigureAwait(false);
        }
        catch (CurrencyMismatchException)
        {
            return (new ClvSummary(false, "mixed_currencies", 0, null, null, null, null, []), bands);
        }
        var currency = purchases.Select(p => (p.Value ?? p.Order?.Revenue)?.Currency).FirstOrDefault(c => c is not null);
        var summaries = rows.Select(r => r.Calibration).Where(c => c.T > 0).ToList();
        if (summaries.Count < 3 || !summaries.Any(c => c.Frequency > 0))
        {
            return (new ClvSummary(false, "not_enough_history", summaries.Count, currency, null, null, null, []), bands);
        }
        BgNbdModel purchasesModel;
        GammaGammaModel spendModel;
        try
        {
            purchasesModel = BgNbdModel.Fit(summaries).Model;
            spendModel = GammaGammaModel.Fit(summaries).Model;
        }
        catch (MarketingException)
        {
            return (new ClvSummary(false, "model_not_fitted", summaries.Count, currency, null, null, null, []), bands);
        }
        var scores = CustomerLifetimeValue.ScoreAll(purchasesModel, spendModel, summaries);
        var values = scores.Select(s => s.LifetimeValue).Where(v => double.IsFinite(v) && v >= 0).ToArray();
        if (values.Length == 0)
        {
            return (new ClvSummary(false, "model_not_fitted", summaries.Count, currency, null, null, null, []), bands);
        }
        var max = values.Max();
        var width = max <= 0 ? 1 : max / ClvBandCount;
        var histogram = new long[ClvBandCount];
        foreach (var v in values)
        {
            histogram[Math.Min(ClvBandCount - 1, (int)(v / width))]++;
        }
        var churn = new ChurnRiskScorer(purchasesModel).CountBands(summaries);
        return (
            new ClvSummary(true, null, values.Length, currency, Math.Round(values.Average(), 2), Math.Round(RobustAnomaly.Median(values), 2), Math.Round(values.Sum(), 2),
                [.. histogram.Select((count, i) => new ClvBand(Math.Round(i * width, 2), Math.Round((i + 1) * width, 2), count))]),
            [.. churn.OrderBy(kv => kv.Key).Select(kv => new NamedCount(kv.Key.ToString(), kv.Value))]);
    }

    public async Task<LifecycleData> GetLifecycleAsync(bool canWrite, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (services.GetService<LifecycleStageTracker>() is not { } tracker)
        {
            return new LifecycleData(now, false, 0, [], new ClvSummary(false, "lifecycle_not_configured", 0, null, null, null, null, []), [], [], false);
        }
        var stageOrder = services.GetService<IOptions<LifecycleOptions>>()?.Value.StageModel.Stages.ToList() ?? [.. LifecycleStages.Default];
        var distribution = await LifecycleReports.StageDistributionAsync(Limited(tracker.StreamAsync(cancellationToken)), stageOrder, cancellationToken).ConfigureAwait(false);
        var stages = stageOrder.Select(s => new NamedCount(s, 0)).ToList();
        foreach (var row in distribution.Where(r => r.Cohort == LifecycleReports.AllCohorts))
        {
            var index = stages.FindIndex(s => s.Name == row.Stage);
            if (index >= 0)
            {
                stages[index] = stages[index] with { Count = row.Count };
            }
            else
            {
                stages.Add(new NamedCount(row.Stage, row.Count));
            }
        }
        var (clv, churn) = await GetClvAsync(cancellationToken).ConfigureAwait(false);
        var journeys = new List<JourneyRow>();
        if (services.GetService<JourneyEngine>() is { } engine)
        {
            var paused = await engine.GetPausedAsync(cancellationToken).ConfigureAwait(false);
            var counts = await engine.CountEnrollmentsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var journey in engine.Journeys)
            {
                var c = counts.GetValueOrDefault(journey.Id);
                journeys.Add(new JourneyRow(journey.Id, TriggerName(journey.Trigger), paused.Contains(journey.Id),
                    c?.GetValueOrDefault(EnrollmentStatus.Active) ?? 0, c?.GetValueOrDefault(EnrollmentStatus.Completed) ?? 0, c?.GetValueOrDefault(EnrollmentStatus.Exited) ?? 0));
            }
        }
        return new LifecycleData(now, true, stages.Sum(s => s.Count), stages, clv, churn, journeys, canWrite && journeys.Count > 0);
    }

    private async IAsyncEnumerable<CustomerStage> Limited(IAsyncEnumerable<CustomerStage> stages)
    {
        var n = 0;
        await foreach (var s in stages.ConfigureAwait(false))
        {
            if (++n > _options.MaxProfilesScanned)
            {
                Log.Truncated(logger, "lifecycle", _options.MaxProfilesScanned);
                yield break;
            }
            yield return s;
        }
    }

    private static string TriggerName(JourneyTrigger trigger)
    {
        var name = trigger.GetType().Name;
        return (name.EndsWith("Trigger", StringComparison.Ordinal) ? name[..^"Trigger".Length] : name).ToLowerInvariant();
    }

    /// <summary>Pauses or resumes a configured journey; <see langword="null"/> when there is no such journey.</summary>
    public async Task<JourneyToggleResult?> SetJourneyPausedAsync(string journeyId, bool paused, CancellationToken cancellationToken)
    {
        if (services.GetService<JourneyEngine>() is not { } engine || !engine.Journeys.Any(j => string.Equals(j.Id, journeyId, StringComparison.Ordinal)))
        {
            return null;
        }
        var changed = paused
            ? await engine.PauseAsync(journeyId, cancellationToken).ConfigureAwait(false)
            : await engine.ResumeAsync(journeyId, cancellationToken).ConfigureAwait(false);
        if (changed)
        {
            Log.JourneyToggled(logger, journeyId, paused ? "paused" : "resumed");
        }
        return new JourneyToggleResult(journeyId, paused, changed);
    }

    public async Task<ExperimentsData> GetExperimentsAsync(CancellationToken cancellationToken)
    {
        var end = AnalysisEnd(out var now);
        var days = _options.AnalysisDays;
        if (services.GetService<IExperimentAnalyzer>() is not { } analyzer || services.GetService<IOptions<ExperimentationOptions>>()?.Value is not { } experimentation)
        {
            return new ExperimentsData(now, days, false, false, []);
        }
        var exposureType = new EventType(ExperimentEventProperties.ExposureEventType);
        var (events, truncated) = await ReadEventsAsync("experiments", end.AddDays(-days), end, [exposureType, EventType.Purchase], cancellationToken).ConfigureAwait(false);
        // A unit's first exposure per experiment decides its variant; it converts with a purchase after that exposure.
        var firstExposure = new Dictionary<(string Experiment, CustomerId Customer), (string Variant, DateTimeOffset At)>();
        var purchases = new Dictionary<CustomerId, List<DateTimeOffset>>();
        foreach (var e in events)
        {
            if (e.CustomerId is not { } customer)
            {
                continue;
            }
            if (e.Type == exposureType)
            {
                if (e.Properties.GetValueOrDefault(ExperimentEventProperties.ExperimentKey).AsString() is { } key
                    && e.Properties.GetValueOrDefault(ExperimentEventProperties.Variant).AsString() is { } variant
                    && (!firstExposure.TryGetValue((key, customer), out var seen) || e.OccurredAt < seen.At))
                {
                    firstExposure[(key, customer)] = (variant, e.OccurredAt);
                }
            }
            else if (e.Order is not { Status: OrderStatus.Cancelled or OrderStatus.Refunded })
            {
                if (!purchases.TryGetValue(customer, out var list))
                {
                    purchases[customer] = list = [];
                }
                list.Add(e.OccurredAt);
            }
        }
        var rows = new List<ExperimentRow>();
        foreach (var experiment in experimentation.Experiments)
        {
            var counts = experiment.Variants.ToDictionary(v => v.Key, _ => (Units: 0L, Conversions: 0L), StringComparer.Ordinal);
            foreach (var ((key, customer), (variant, at)) in firstExposure)
            {
                if (key == experiment.Key && counts.TryGetValue(variant, out var c))
                {
                    var converted = purchases.TryGetValue(customer, out var times) && times.Any(t => t >= at);
                    counts[variant] = (c.Units + 1, c.Conversions + (converted ? 1 : 0));
                }
            }
            var data = counts.ToDictionary(kv => kv.Key, kv => new ConversionCounts(kv.Value.Units, kv.Value.Conversions), StringComparer.Ordinal);
            ExperimentResult? result = null;
            try
            {
                result = analyzer.AnalyzeConversions(experiment, data);
            }
            catch (MarketingException)
            {
                // An experiment the analyzer cannot judge (e.g. one variant only) is listed with its counts.
            }
            var variants = experiment.Variants.Select(v =>
            {
                var c = counts[v.Key];
                var comparison = result?.Comparisons.FirstOrDefault(x => x.Variant == v.Key);
                return new VariantRow(v.Key, c.Units, c.Conversions, c.Units == 0 ? 0 : (double)c.Conversions / c.Units,
                    comparison?.RelativeLift, comparison?.AdjustedPValue, comparison?.Significant ?? false, comparison?.ProbabilityToBeatControl);
            }).ToList();
            rows.Add(new ExperimentRow(experiment.Key, experiment.Active, experiment.Control,
                result?.Decision.ToString() ?? "NotAnalyzed", result?.Reason ?? "", result?.WinningVariant,
                result?.SampleRatio?.PValue, result?.PlannedSampleProgress, variants));
        }
        return new ExperimentsData(now, days, truncated, true, rows);
    }

    public async Task<MessagesData> GetMessagesAsync(CancellationToken cancellationToken)
    {
        var end = AnalysisEnd(out var now);
        var days = _options.AnalysisDays;
        if (services.GetService<MessageReport>() is not { } report)
        {
            return new MessagesData(now, days, false, false, 0, [], []);
        }
        var summary = await report.SummarizeAsync(end.AddDays(-days), _options.MaxEventsScanned, cancellationToken).ConfigureAwait(false);
        if (summary.Truncated)
        {
            Log.Truncated(logger, "messages", _options.MaxEventsScanned);
        }
        return new MessagesData(now, days, summary.Truncated, true, summary.Records,
            [.. summary.Channels.Select(c => new MessageChannelRow(c.Channel.Value, c.Sent, c.Deferred, c.Suppressed, c.Failed))],
            [.. summary.Reasons.Select(r => new MessageReasonRow(r.Channel.Value, r.Status.ToString(), r.Reason.ToString(), r.Count))]);
    }

    /// <summary>Discards a failed dead letter for good (consent-withheld ones stay as the record of a lawful outcome).</summary>
    public async Task<bool> DiscardDeadLetterAsync(long id, CancellationToken cancellationToken)
    {
        var outbox = services.GetRequiredService<IOutboxStore>();
        if (await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { State: OutboxState.DeadLettered } entry
            || (entry.LastError ?? "").StartsWith(_options.ConsentWithheldPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var discarded = await outbox.DiscardDeadLetterAsync(id, cancellationToken).ConfigureAwait(false);
        if (discarded)
        {
            Log.DeadLetterDiscarded(logger, id, entry.Message.Destination);
        }
        return discarded;
    }
}
