using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Experimentation.Statistics;
using Marketing.Sdk.Hosting;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Campaigns;

/// <summary>What became of one recipient.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RecipientStatus>))]
internal enum RecipientStatus
{
    /// <summary>Waiting for its slot.</summary>
    Planned,
    /// <summary>In the holdout: never messaged.</summary>
    Holdout,
    /// <summary>Handed to the sender, which stored it for delivery.</summary>
    HandedOver,
    /// <summary>Handed to the sender, which refused it (consent, suppression, caps, quiet hours, no address) or it failed.</summary>
    Refused,
    /// <summary>The window closed (or was full) before its turn.</summary>
    Missed,
}

/// <summary>A campaign's document (scope <c>campaigns</c>, key = campaign id).</summary>
internal sealed record CampaignDocument(CampaignDefinition Definition, CampaignState State, int Recipients, int Holdout, DateTimeOffset CreatedAt);

/// <summary>One recipient's record (scope <c>campaigns.recipients</c>, key <c>campaign|customer</c>).</summary>
internal sealed record RecipientRecord(string Layer, string? Variant, RecipientStatus Status, DateTimeOffset? DueAt, string? MessageId = null, string? Outcome = null, DateTimeOffset? HandedAt = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CampaignDocument))]
[JsonSerializable(typeof(RecipientRecord))]
internal sealed partial class CampaignJsonContext : JsonSerializerContext;

/// <summary>The SDK's <see cref="ICampaignRunner"/> over the state store, the lease store, the event store and the message sender.</summary>
internal sealed partial class CampaignRunner : ICampaignRunner
{
    internal const string CampaignScope = "campaigns";
    internal const string RecipientScope = "campaigns.recipients";
    internal const string HourScope = "campaigns.hours";
    internal const string HoldoutVariant = "holdout";
    internal const string TreatmentVariant = "treatment";

    private readonly IStateStore _store;
    private readonly ILeaseStore _leases;
    private readonly IEventStore _events;
    private readonly IMessageSender _sender;
    private readonly ICampaignAudience _audience;
    private readonly IMessageTemplateRegistry? _templates;
    private readonly CampaignOptions _options;
    private readonly TimeProvider _time;
    private readonly CampaignMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _owner = HostId.Current + ":" + Guid.NewGuid().ToString("N");

    public CampaignRunner(IStateStore store, ILeaseStore leases, IEventStore events, IMessageSender sender, ICampaignAudience audience, IOptions<CampaignOptions> options, TimeProvider timeProvider, CampaignMetrics metrics, ILogger<CampaignRunner>? logger = null, IMessageTemplateRegistry? templates = null)
    {
        _templates = templates;
        _store = store;
        _leases = leases;
        _events = events;
        _sender = sender;
        _audience = audience;
        _options = options.Value;
        _time = timeProvider;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public async ValueTask<CampaignProgress> StartAsync(CampaignDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        CampaignValidation.ThrowIfInvalid(definition);
        if (_templates is not null && definition.LayerVariants.Values.SelectMany(v => v).Concat(definition.DefaultVariants).Any(v => _templates.Find(definition.Channel, v.TemplateId) is null))
        {
            throw new MarketingValidationException("variants.templateId", ValidationReason.Inconsistent, "A variant names a template the channel does not have.");
        }
        var json = JsonSerializer.Serialize(new CampaignDocument(definition, CampaignState.Pending, 0, 0, _time.GetUtcNow()), CampaignJsonContext.Default.CampaignDocument);
        try
        {
            await _store.SaveAsync(CampaignScope, definition.Id, json, 0, cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, definition.Id);
        }
        catch (ConcurrencyConflictException)
        {
            var existing = await LoadAsync(definition.Id, cancellationToken).ConfigureAwait(false);
            if (!SameDefinition(existing.Doc.Definition, definition))
            {
                throw new MarketingValidationException("id", ValidationReason.Inconsistent, "Another campaign with this id is stored.");
            }
        }
        return await ProgressAsync(definition.Id, ran: false, handedOver: 0, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<string>> ListActiveAsync(CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        await foreach (var entry in _store.StreamAsync(CampaignScope, null, cancellationToken).ConfigureAwait(false))
        {
            var doc = JsonSerializer.Deserialize(entry.Value, CampaignJsonContext.Default.CampaignDocument);
            if (doc is not null && doc.State != CampaignState.Completed)
            {
                ids.Add(entry.Key);
            }
        }
        return ids;
    }

    public async ValueTask<CampaignProgress> RunOnceAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(campaignId);
        var (doc, version) = await LoadAsync(campaignId, cancellationToken).ConfigureAwait(false);
        if (doc.State == CampaignState.Completed)
        {
            return await ProgressAsync(campaignId, ran: false, handedOver: 0, cancellationToken).ConfigureAwait(false);
        }
        var grant = await _leases.TryAcquireAsync("campaigns:" + campaignId, _owner, _options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        if (grant is null)
        {
            LogLeaseHeld(_logger, campaignId);
            return await ProgressAsync(campaignId, ran: false, handedOver: 0, cancellationToken).ConfigureAwait(false);
        }
        if (doc.State == CampaignState.Pending)
        {
            (doc, version) = await PlanAsync(doc, version, cancellationToken).ConfigureAwait(false);
        }
        var (handedOver, remaining, _) = await SendDueAsync(doc.Definition, grant, cancellationToken).ConfigureAwait(false);
        if (remaining == 0)
        {
            doc = doc with { State = CampaignState.Completed };
            await _store.SaveAsync(CampaignScope, campaignId, JsonSerializer.Serialize(doc, CampaignJsonContext.Default.CampaignDocument), version, cancellationToken).ConfigureAwait(false);
            LogCompleted(_logger, campaignId);
        }
        // Released only after a run that ended normally: a host that stopped mid-run keeps it until it lapses.
        await _leases.ReleaseAsync(grant, cancellationToken).ConfigureAwait(false);
        return await ProgressAsync(campaignId, ran: true, handedOver, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Assigns every member a group (holdout or treatment), a variant of their layer and a send slot, and stores the
    /// records. Deterministic for the same audience and history, so a planning stopped half-way is finished by the next
    /// run without changing what was stored (records already stored are kept as they are).
    /// </summary>
    private async ValueTask<(CampaignDocument Doc, long Version)> PlanAsync(CampaignDocument doc, long version, CancellationToken cancellationToken)
    {
        var d = doc.Definition;
        var members = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var m in _audience.GetMembersAsync(d.SegmentId, cancellationToken).ConfigureAwait(false))
        {
            members.TryAdd(m.CustomerId.Value, m.Layer);
        }
        var assigner = AssignerOf(d, members.Values.Distinct(StringComparer.Ordinal));
        var planned = new List<(string Customer, string Layer, string? Variant, int? Hour)>();
        var segmentHistogram = new int[24];
        var histograms = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (customer, layer) in members)
        {
            var variants = VariantsOf(d, layer);
            if (variants.Count == 0)
            {
                continue; // the layer is not in this campaign
            }
            var holdout = d.HoldoutShare > 0 && assigner.Assign(HoldoutKey(d.Id), customer).Variant == HoldoutVariant;
            var variant = holdout ? null : variants.Count == 1 ? variants[0].Key : assigner.Assign(LayerKey(d.Id, layer), customer).Variant;
            planned.Add((customer, layer, variant, null));
        }
        if (d.ChooseSendTime)
        {
            // One read of the send-time events of the lookback, kept for the planned members only.
            histograms = await HistoriesAsync(planned.Select(p => p.Customer).ToHashSet(StringComparer.Ordinal), d.WindowStart, cancellationToken).ConfigureAwait(false);
            foreach (var h in histograms.Values)
            {
                for (var i = 0; i < 24; i++)
                {
                    segmentHistogram[i] += h[i];
                }
            }
        }
        var slots = new SlotPlanner(d.WindowStart, d.WindowEnd, d.MaxPerHour, _options.TimeZone);
        var segmentHour = SendTime.BestHour(segmentHistogram, _options.MinimumObservations);
        var records = new Dictionary<string, RecipientRecord>(StringComparer.Ordinal);
        int recipients = 0, holdouts = 0;
        foreach (var (customer, layer, variant, _) in planned)
        {
            if (variant is null)
            {
                holdouts++;
                records[customer] = new RecipientRecord(layer, null, RecipientStatus.Holdout, null);
                continue;
            }
            recipients++;
            var hour = d.ChooseSendTime ? (histograms.TryGetValue(customer, out var own) ? SendTime.BestHour(own, _options.MinimumObservations) : null) ?? segmentHour : null;
            var due = slots.Take(hour);
            records[customer] = due is null
                ? new RecipientRecord(layer, variant, RecipientStatus.Missed, null, Outcome: "window_full")
                : new RecipientRecord(layer, variant, RecipientStatus.Planned, due);
        }
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var e in _store.StreamAsync(RecipientScope, d.Id + "|", cancellationToken).ConfigureAwait(false))
        {
            existing.Add(e.Key);
        }
        var writes = records.Where(r => !existing.Contains(d.Id + "|" + r.Key))
            .Select(r => new StateWrite(RecipientScope, d.Id + "|" + r.Key, JsonSerializer.Serialize(r.Value, CampaignJsonContext.Default.RecipientRecord), 0))
            .ToList();
        foreach (var batch in writes.Chunk(_options.WriteBatchSize))
        {
            await _store.SaveManyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        var next = doc with { State = CampaignState.Sending, Recipients = recipients, Holdout = holdouts };
        var v = await _store.SaveAsync(CampaignScope, d.Id, JsonSerializer.Serialize(next, CampaignJsonContext.Default.CampaignDocument), version, cancellationToken).ConfigureAwait(false);
        _metrics.Planned.Add(recipients);
        LogPlanned(_logger, d.Id, recipients, holdouts, slots.Capacity);
        return (next, v);
    }

    private async ValueTask<Dictionary<string, int[]>> HistoriesAsync(HashSet<string> customers, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var query = new EventQuery { Types = [.. _options.SendTimeEventTypes], From = before - _options.HistoryLookback, To = before };
        var histograms = new Dictionary<string, int[]>(StringComparer.Ordinal);
        await foreach (var e in _events.ReadAsync(query, cancellationToken).ConfigureAwait(false))
        {
            if (e.CustomerId is { } id && customers.Contains(id.Value) && e.OccurredAt < before)
            {
                if (!histograms.TryGetValue(id.Value, out var bins))
                {
                    histograms[id.Value] = bins = new int[24];
                }
                bins[SendTime.LocalHour(e.OccurredAt, _options.TimeZone)]++;
            }
        }
        return histograms;
    }

    /// <summary>Hands the due recipients to the sender, in due order, within the hourly limit of the current clock hour.</summary>
    private async ValueTask<(int HandedOver, int Remaining, DateTimeOffset? NextDue)> SendDueAsync(CampaignDefinition d, LeaseGrant grant, CancellationToken cancellationToken)
    {
        var pending = new List<(string Key, RecipientRecord Record, long Version)>();
        await foreach (var e in _store.StreamAsync(RecipientScope, d.Id + "|", cancellationToken).ConfigureAwait(false))
        {
            var r = JsonSerializer.Deserialize(e.Value, CampaignJsonContext.Default.RecipientRecord)!;
            if (r.Status == RecipientStatus.Planned)
            {
                pending.Add((e.Key, r, e.Version));
            }
        }
        pending.Sort((a, b) => a.Record.DueAt!.Value.CompareTo(b.Record.DueAt!.Value) is var c && c != 0 ? c : string.CompareOrdinal(a.Key, b.Key));
        var handed = 0;
        var done = 0;
        foreach (var (key, record, recordVersion) in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = _time.GetUtcNow();
            if (now >= d.WindowEnd)
            {
                await SaveRecordAsync(key, record with { Status = RecipientStatus.Missed, Outcome = "window_closed" }, recordVersion, cancellationToken).ConfigureAwait(false);
                done++;
                continue;
            }
            if (record.DueAt > now)
            {
                break;
            }
            if (grant.ExpiresAt - now < _options.LeaseDuration / 2)
            {
                grant = await _leases.RenewAsync(grant, _options.LeaseDuration, cancellationToken).ConfigureAwait(false)
                    ?? throw new CampaignException($"Campaign '{d.Id}' lost its lease; another host continues it.");
            }
            if (!await ReserveHourAsync(d, now, cancellationToken).ConfigureAwait(false))
            {
                LogThrottled(_logger, d.Id, d.MaxPerHour);
                break;
            }
            var variant = VariantsOf(d, record.Layer).First(v => v.Key == record.Variant);
            var result = await _sender.SendAsync(new MessageRequest
            {
                CustomerId = new CustomerId(key[(d.Id.Length + 1)..]),
                Channel = d.Channel,
                TemplateId = variant.TemplateId,
                Parameters = variant.Parameters,
                IdempotencyKey = IdempotencyKeyOf(d.Id),
                AllowDeferral = false,
            }, cancellationToken).ConfigureAwait(false);
            var status = result.Status is MessageSendStatus.Sent or MessageSendStatus.Deferred ? RecipientStatus.HandedOver : RecipientStatus.Refused;
            var outcome = result.Reason is { } reason ? reason.ToString() : result.ErrorCode ?? result.Status.ToString();
            await SaveRecordAsync(key, record with { Status = status, MessageId = result.MessageId, Outcome = outcome, HandedAt = now }, recordVersion, cancellationToken).ConfigureAwait(false);
            (status == RecipientStatus.HandedOver ? _metrics.HandedOver : _metrics.Refused).Add(1, new KeyValuePair<string, object?>("marketing.channel", d.Channel.Value));
            handed++;
            done++;
        }
        var remaining = pending.Count - done;
        var nextDue = remaining > 0 ? pending[done].Record.DueAt : null;
        return (handed, remaining, nextDue);
    }

    /// <summary>Counts one more hand-over in the current clock hour, or returns false when the hour is full (counted before the send, so a stop in between wastes a place but never exceeds the limit).</summary>
    private async ValueTask<bool> ReserveHourAsync(CampaignDefinition d, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = d.Id + "|" + now.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(HourScope, key, cancellationToken).ConfigureAwait(false);
            var count = entry is null ? 0 : int.Parse(entry.Value, CultureInfo.InvariantCulture);
            if (count >= d.MaxPerHour)
            {
                return false;
            }
            try
            {
                await _store.SaveAsync(HourScope, key, (count + 1).ToString(CultureInfo.InvariantCulture), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another host counted meanwhile (after a lease takeover): count again.
            }
        }
    }

    private async ValueTask SaveRecordAsync(string key, RecipientRecord record, long version, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SaveAsync(RecipientScope, key, JsonSerializer.Serialize(record, CampaignJsonContext.Default.RecipientRecord), version, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // Another host handled this recipient after a lease takeover; the sender's idempotency key kept it to one message.
        }
    }

    public async ValueTask<CampaignReport> GetReportAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(campaignId);
        var (doc, _) = await LoadAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var d = doc.Definition;
        var records = await RecordsAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var byMessage = records.Where(r => r.Record.MessageId is not null).ToDictionary(r => r.Record.MessageId!, r => r.Customer, StringComparer.Ordinal);
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        var opened = new HashSet<string>(StringComparer.Ordinal);
        var clicked = new HashSet<string>(StringComparer.Ordinal);
        var messageQuery = new EventQuery { Types = [MessageEventTypes.Sent, MessageEventTypes.Delivered, MessageEventTypes.Open, MessageEventTypes.Click], From = d.WindowStart };
        await foreach (var e in _events.ReadAsync(messageQuery, cancellationToken).ConfigureAwait(false))
        {
            if (e.Properties.TryGetValue(EventProperties.MessageId, out var id) && id.AsString() is { } messageId && byMessage.TryGetValue(messageId, out var customer))
            {
                (e.Type == MessageEventTypes.Sent ? sent : e.Type == MessageEventTypes.Delivered ? delivered : e.Type == MessageEventTypes.Open ? opened : clicked).Add(customer);
            }
        }
        var converted = new HashSet<string>(StringComparer.Ordinal);
        var purchases = new EventQuery { Types = [EventType.Purchase], From = d.WindowStart, To = d.WindowEnd + d.ConversionWindow };
        await foreach (var e in _events.ReadAsync(purchases, cancellationToken).ConfigureAwait(false))
        {
            if (e.CustomerId is { } c)
            {
                converted.Add(c.Value);
            }
        }
        var groups = records
            .GroupBy(r => (r.Record.Layer, r.Record.Variant))
            .OrderBy(g => g.Key.Layer, StringComparer.Ordinal).ThenBy(g => g.Key.Variant ?? "", StringComparer.Ordinal)
            .Select(g => new CampaignGroupCounts(
                g.Key.Layer,
                g.Key.Variant,
                g.Count(),
                g.Count(r => sent.Contains(r.Customer)),
                g.Count(r => r.Record.Status is RecipientStatus.Refused or RecipientStatus.Missed),
                g.Count(r => delivered.Contains(r.Customer)),
                g.Count(r => opened.Contains(r.Customer)),
                g.Count(r => clicked.Contains(r.Customer)),
                g.Count(r => converted.Contains(r.Customer))))
            .ToList();
        var level = _options.ConfidenceLevel;
        var layerLift = groups.GroupBy(g => g.Layer, StringComparer.Ordinal).ToDictionary(g => g.Key, g => LiftOf(g, level), StringComparer.Ordinal);
        return new CampaignReport(campaignId, doc.State, groups, LiftOf(groups, level), layerLift, level);
    }

    /// <summary>Treatment (every member not held out) against the holdout, by the two-proportion z-test of the experimentation package.</summary>
    internal static CampaignLift LiftOf(IEnumerable<CampaignGroupCounts> groups, double confidenceLevel)
    {
        long tn = 0, tc = 0, hn = 0, hc = 0;
        foreach (var g in groups)
        {
            if (g.Variant is null)
            {
                hn += g.Members;
                hc += g.Converted;
            }
            else
            {
                tn += g.Members;
                tc += g.Converted;
            }
        }
        var treatment = new ConversionCounts(tn, tc);
        var holdout = new ConversionCounts(hn, hc);
        var test = tn > 0 && hn > 0 ? ProportionTest.TwoSample(holdout, treatment, confidenceLevel: confidenceLevel) : null;
        return new CampaignLift(treatment, holdout, test);
    }

    private async ValueTask<List<(string Customer, RecipientRecord Record)>> RecordsAsync(string campaignId, CancellationToken cancellationToken)
    {
        var list = new List<(string, RecipientRecord)>();
        await foreach (var e in _store.StreamAsync(RecipientScope, campaignId + "|", cancellationToken).ConfigureAwait(false))
        {
            list.Add((e.Key[(campaignId.Length + 1)..], JsonSerializer.Deserialize(e.Value, CampaignJsonContext.Default.RecipientRecord)!));
        }
        return list;
    }

    private async ValueTask<CampaignProgress> ProgressAsync(string campaignId, bool ran, int handedOver, CancellationToken cancellationToken)
    {
        var (doc, _) = await LoadAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var records = await RecordsAsync(campaignId, cancellationToken).ConfigureAwait(false);
        var handled = records.Count(r => r.Record.Status is RecipientStatus.HandedOver or RecipientStatus.Refused or RecipientStatus.Missed);
        var next = records.Where(r => r.Record.Status == RecipientStatus.Planned).Select(r => r.Record.DueAt).Min();
        return new CampaignProgress(campaignId, doc.State, ran, doc.Recipients, doc.Holdout, handled, handedOver, next);
    }

    private async ValueTask<(CampaignDocument Doc, long Version)> LoadAsync(string campaignId, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(CampaignScope, campaignId, cancellationToken).ConfigureAwait(false) ?? throw new CampaignNotFoundException(campaignId);
        return (JsonSerializer.Deserialize(entry.Value, CampaignJsonContext.Default.CampaignDocument)!, entry.Version);
    }

    /// <summary>The idempotency key of every message of a campaign: with the customer id it makes the message id, so a recipient handed over twice gets one message.</summary>
    internal static string IdempotencyKeyOf(string campaignId) => "campaign:" + campaignId;

    internal static string HoldoutKey(string campaignId) => "campaign:" + campaignId;

    internal static string LayerKey(string campaignId, string layer) => "campaign:" + campaignId + ":layer:" + layer;

    internal static IReadOnlyList<CampaignVariant> VariantsOf(CampaignDefinition d, string layer) =>
        d.LayerVariants.TryGetValue(layer, out var v) && v.Count > 0 ? v : d.DefaultVariants;

    /// <summary>
    /// The experimentation package's deterministic bucketing: the holdout is the experiment <c>campaign:{id}</c> with
    /// variants holdout/treatment weighted by the share, each layer's split the experiment <c>campaign:{id}:layer:{layer}</c>.
    /// </summary>
    internal static ExperimentAssigner AssignerOf(CampaignDefinition d, IEnumerable<string> layers)
    {
        var experiments = new List<ExperimentDefinition>();
        if (d.HoldoutShare > 0)
        {
            experiments.Add(new ExperimentDefinition
            {
                Key = HoldoutKey(d.Id),
                Variants = [new VariantDefinition { Key = HoldoutVariant, Weight = d.HoldoutShare }, new VariantDefinition { Key = TreatmentVariant, Weight = 1 - d.HoldoutShare }],
            });
        }
        foreach (var layer in layers)
        {
            var variants = VariantsOf(d, layer);
            if (variants.Count > 1)
            {
                experiments.Add(new ExperimentDefinition { Key = LayerKey(d.Id, layer), Variants = [.. variants.Select(v => new VariantDefinition { Key = v.Key, Weight = v.Weight })] });
            }
        }
        return new ExperimentAssigner(experiments);
    }

    private static bool SameDefinition(CampaignDefinition a, CampaignDefinition b) =>
        JsonSerializer.Serialize(new CampaignDocument(a, CampaignState.Pending, 0, 0, default), CampaignJsonContext.Default.CampaignDocument)
        == JsonSerializer.Serialize(new CampaignDocument(b, CampaignState.Pending, 0, 0, default), CampaignJsonContext.Default.CampaignDocument);

    [LoggerMessage(EventId = 5750, Level = LogLevel.Information, Message = "Campaign {CampaignId} stored.")]
    private static partial void LogStarted(ILogger logger, string campaignId);

    [LoggerMessage(EventId = 5751, Level = LogLevel.Information, Message = "Campaign {CampaignId} planned: {Recipients} recipients, {Holdout} held out, window capacity {Capacity}.")]
    private static partial void LogPlanned(ILogger logger, string campaignId, int recipients, int holdout, long capacity);

    [LoggerMessage(EventId = 5752, Level = LogLevel.Debug, Message = "Campaign {CampaignId} reached its limit of {MaxPerHour} messages this hour.")]
    private static partial void LogThrottled(ILogger logger, string campaignId, int maxPerHour);

    [LoggerMessage(EventId = 5753, Level = LogLevel.Information, Message = "Campaign {CampaignId} completed.")]
    private static partial void LogCompleted(ILogger logger, string campaignId);

    [LoggerMessage(EventId = 5754, Level = LogLevel.Debug, Message = "Campaign {CampaignId} is being run by another host.")]
    private static partial void LogLeaseHeld(ILogger logger, string campaignId);
}
