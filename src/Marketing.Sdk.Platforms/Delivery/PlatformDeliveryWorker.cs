using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Platforms.Delivery;

/// <summary>Settings of durable platform delivery.</summary>
public sealed class PlatformDeliveryOptions
{
    /// <summary>Whether a hosted service drains the outbox in the background (default true). Turn off to call <see cref="PlatformDeliveryWorker.DeliverOnceAsync"/> yourself.</summary>
    public bool RunInBackground { get; set; } = true;

    /// <summary>This worker's id in outbox leases (default machine name, process id and a random suffix).</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>How long a claimed batch stays leased; a crashed worker's batch is claimable again after it (default 2 minutes; must exceed a call's total timeout).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Batches the background service keeps in flight per destination (default 1, at most 64). Each is claimed
    /// under its own lease, so raising it hides a platform's answer time: while one request waits for its
    /// answer, the next batch is claimed, consent-checked and sent. The platform client's rate limit still applies.
    /// </summary>
    public int ConcurrentBatches { get; set; } = 1;

    /// <summary>How long an idle destination waits before polling again (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts after which a still-failing message is dead-lettered (default 25).</summary>
    public int MaxAttempts { get; set; } = 25;

    /// <summary>First retry delay; doubles per attempt up to <see cref="RetryMaxDelay"/>, with ±20 % jitter (default 5 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest retry delay (default 1 hour).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Largest sum of stored payload sizes sent in one platform request (default 2 MiB): a claimed
    /// batch is split by bytes as well as by the platform's count limit, so a batch of unusually
    /// large conversions (many order lines) does not exceed a platform's request size.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The consent purpose conversions are checked against at delivery time (default <see cref="ConsentPurpose.AdMeasurement"/>).</summary>
    public ConsentPurpose ConversionPurpose { get; set; } = ConsentPurpose.AdMeasurement;
}

/// <summary>What one delivery round did.</summary>
/// <param name="Claimed">Messages claimed.</param>
/// <param name="Delivered">Accepted or deduplicated by the platform, and acknowledged.</param>
/// <param name="Retried">Scheduled for another attempt.</param>
/// <param name="DeadLettered">Given up on (rejected, malformed or out of attempts).</param>
/// <param name="Withheld">Not sent because the consent gate denied them (dead-lettered with a <c>consent_withheld</c> reason).</param>
/// <param name="LeasesLost">Results not recorded because the lease had been reclaimed by another worker.</param>
public sealed record DeliveryRound(int Claimed, int Delivered, int Retried, int DeadLettered, int Withheld, int LeasesLost);

/// <summary>
/// Drains the outbox per platform destination: claims a batch under a lease, re-checks consent for
/// every customer (consent can be withdrawn after a conversion was published), sends the allowed
/// items through the platform's <see cref="IConversionSink"/>, and records each item's fate —
/// acknowledged when the platform accepted or already had it, retried with exponential backoff and
/// jitter (or the platform's wait hint) when it failed transiently, dead-lettered with the
/// platform's reason when rejected. Retries are stored in the outbox, so they survive restarts; a
/// worker killed mid-batch leaves its lease to expire and the batch is claimed again (the platforms
/// deduplicate on the stable event id, so nothing is counted twice).
/// </summary>
public sealed partial class PlatformDeliveryWorker
{
    /// <summary>The dead-letter reason prefix of items the consent gate withheld.</summary>
    public const string ConsentWithheldPrefix = "consent_withheld:";

    private readonly Dictionary<string, IConversionSink> _sinks;
    private readonly IOutboxStore _outbox;
    private readonly IConsentGate _gate;
    private readonly PlatformDeliveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryMetrics _metrics;

    /// <summary>Creates the worker.</summary>
    /// <param name="sinks">The platform sinks.</param>
    /// <param name="outbox">The outbox.</param>
    /// <param name="gate">The consent gate.</param>
    /// <param name="options">The settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Platforms</c> meter of the delivery metrics.</param>
    /// <param name="logger">The logger.</param>
    public PlatformDeliveryWorker(IEnumerable<IConversionSink> sinks, IOutboxStore outbox, IConsentGate gate, IOptions<PlatformDeliveryOptions> options, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null, ILogger<PlatformDeliveryWorker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(options);
        _sinks = sinks.ToDictionary(s => s.Destination, StringComparer.Ordinal);
        _outbox = outbox;
        _gate = gate;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _metrics = new DeliveryMetrics(meterFactory);
    }

    /// <summary>The destinations this worker drains.</summary>
    public IReadOnlyCollection<string> Destinations => _sinks.Keys;

    /// <summary>Claims and delivers one batch for a destination; returns what happened (all zero when nothing was due).</summary>
    /// <param name="destination">The destination.</param>
    /// <param name="cancellationToken">Cancels the round (the lease then expires and the batch is claimed again).</param>
    public async Task<DeliveryRound> DeliverOnceAsync(string destination, CancellationToken cancellationToken = default)
    {
        if (!_sinks.TryGetValue(destination, out var sink))
        {
            throw new ArgumentException($"No conversion sink is registered for '{destination}'.", nameof(destination));
        }
        var claimed = await _outbox.ClaimAsync(_options.WorkerId, sink.MaxBatchSize, _options.LeaseDuration, destination, cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return new DeliveryRound(0, 0, 0, 0, 0, 0);
        }
        var tally = new Tally(destination);
        // The claimed rows carry their customers, so the consent read runs on another thread while the payloads
        // are parsed; its decisions are used when every payload names the customer of its row (always, for what
        // ConversionPublisher stores), otherwise the gate is asked again for the payloads' customers.
        var rowCustomers = RowCustomers(claimed);
        var early = rowCustomers is null ? null : Task.Run(() => _gate.FilterAsync(rowCustomers, _options.ConversionPurpose, sink.Platform, cancellationToken).AsTask(), cancellationToken);
        var parsed = new List<(OutboxEntry Entry, PreparedConversion Conversion)>(claimed.Count);
        foreach (var entry in claimed)
        {
            PreparedConversion? conversion = null;
            try
            {
                conversion = PreparedConversionReader.Read(entry.Message.Payload.Span);
            }
            catch (JsonException)
            {
                // dead-lettered below
            }
            if (conversion is null)
            {
                await DeadLetterAsync(entry, "malformed_payload: the stored conversion cannot be read", "malformed_payload", tally, cancellationToken).ConfigureAwait(false);
                continue;
            }
            parsed.Add((entry, conversion));
        }

        var decisions = early is null ? null : await early.ConfigureAwait(false);
        if (decisions is null || !parsed.TrueForAll(p => string.Equals(p.Entry.Message.CustomerId?.Value, p.Conversion.CustomerId, StringComparison.Ordinal)))
        {
            decisions = await _gate.FilterAsync(parsed.Select(p => new CustomerId(p.Conversion.CustomerId)).Distinct(), _options.ConversionPurpose, sink.Platform, cancellationToken).ConfigureAwait(false);
        }
        var denied = decisions.Denied.ToDictionary(d => d.CustomerId);
        var batch = new List<(OutboxEntry Entry, PreparedConversion Conversion)>(parsed.Count);
        foreach (var item in parsed)
        {
            if (denied.TryGetValue(new CustomerId(item.Conversion.CustomerId), out var decision))
            {
                await DeadLetterAsync(item.Entry, $"{ConsentWithheldPrefix} {decision.Reason} ({decision.DecidingPurpose})", $"consent_withheld:{decision.Reason}", tally, cancellationToken, withheld: true).ConfigureAwait(false);
            }
            else
            {
                batch.Add(item);
            }
        }
        foreach (var part in SplitByBytes(batch, _options.MaxBatchBytes))
        {
            await SendAsync(sink, part, tally, cancellationToken).ConfigureAwait(false);
        }
        var round = tally.ToRound(claimed.Count);
        LogRound(_logger, destination, round.Claimed, round.Delivered, round.Retried, round.DeadLettered, round.Withheld);
        if (round.DeadLettered + round.Withheld > 0)
        {
            // Conversions that will never reach the platform are an operator's concern: counts and reason codes only.
            LogUndelivered(_logger, destination, round.DeadLettered, round.Withheld, tally.DescribeReasons());
        }
        return round;
    }

    /// <summary>The distinct customers of the claimed rows, or <see langword="null"/> when a row has none.</summary>
    private static List<CustomerId>? RowCustomers(IReadOnlyList<OutboxEntry> claimed)
    {
        var seen = new HashSet<CustomerId>();
        var customers = new List<CustomerId>();
        foreach (var entry in claimed)
        {
            if (entry.Message.CustomerId is not { } id)
            {
                return null;
            }
            if (seen.Add(id))
            {
                customers.Add(id);
            }
        }
        return customers;
    }

    private async Task SendAsync(IConversionSink sink, List<(OutboxEntry Entry, PreparedConversion Conversion)> batch, Tally tally, CancellationToken cancellationToken)
    {
        BatchResult result;
        try
        {
            result = await sink.SendAsync([.. batch.Select(b => b.Conversion)], cancellationToken).ConfigureAwait(false);
        }
        catch (PlatformApiException ex)
        {
            _metrics.Failed.Add(1, new KeyValuePair<string, object?>("marketing.destination", tally.Destination), new KeyValuePair<string, object?>("marketing.error_class", ex.ErrorClass.ToString()));
            var reason = $"{ex.ErrorClass}: {ex.PlatformCode ?? (ex.StatusCode is null ? "no answer" : ((int)ex.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture))}";
            foreach (var (entry, _) in batch)
            {
                if (ex.ErrorClass == PlatformErrorClass.Permanent)
                {
                    // The platform's free text may echo submitted values: only its class, codes and request id are stored.
                    await DeadLetterAsync(entry, DescribeRejection(ex), $"rejected:{ex.PlatformCode ?? "http"}", tally, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await RetryAsync(entry, reason, ex.RetryAfter, tally, cancellationToken).ConfigureAwait(false);
                }
            }
            return;
        }
        catch (PlatformRequestException ex)
        {
            foreach (var (entry, _) in batch)
            {
                await DeadLetterAsync(entry, $"rejected: {nameof(PlatformRequestException)} field {ex.Field}", "rejected:request", tally, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A sink is third-party code: whatever it throws ends this batch's attempt, never the round or the host.
            LogSinkFault(_logger, tally.Destination, batch.Count, RedactedException.Code(ex));
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = RedactedException.From(ex);
                LogSinkFaultDetail(_logger, tally.Destination, redacted);
            }
            await SinkFaultAsync(sink, batch, RedactedException.Code(ex), tally, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!IsComplete(result, batch.Count))
        {
            LogSinkFault(_logger, tally.Destination, batch.Count, "IncompleteBatchResult");
            await SinkFaultAsync(sink, batch, "IncompleteBatchResult", tally, cancellationToken).ConfigureAwait(false);
            return;
        }
        var delivered = new List<(OutboxEntry Entry, DeliveryOutcome Outcome)>(result.Items.Count);
        foreach (var item in result.Items)
        {
            var entry = batch[item.Index].Entry;
            switch (item.Outcome)
            {
                case DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate:
                    delivered.Add((entry, item.Outcome));
                    break;
                case DeliveryOutcome.Rejected:
                    await DeadLetterAsync(entry, DescribeItem("rejected", item, result.RequestId), $"rejected:{item.Code ?? "unknown"}", tally, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await RetryAsync(entry, DescribeItem("retry", item, result.RequestId), item.RetryAfter, tally, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        if (delivered.Count == 0)
        {
            return;
        }
        // One acknowledgement for the whole batch; claims reclaimed meanwhile by another worker are skipped.
        var acknowledged = await _outbox.AckManyAsync([.. delivered.Select(d => (d.Entry.Id, d.Entry.LeaseToken))], cancellationToken).ConfigureAwait(false);
        tally.Delivered += acknowledged;
        tally.LeasesLost += delivered.Count - acknowledged;
        var now = _time.GetUtcNow();
        var destinationTag = new KeyValuePair<string, object?>("marketing.destination", tally.Destination);
        foreach (var (entry, outcome) in delivered)
        {
            _metrics.Sent.Add(1, destinationTag, new KeyValuePair<string, object?>("marketing.outcome", outcome.ToString()));
            _metrics.DeliveryLatency.Record((now - entry.EnqueuedAt).TotalSeconds, destinationTag);
        }
    }

    /// <summary>What is stored for a refused batch: error class, platform code and sub-code, HTTP status and request id — never the platform's text.</summary>
    internal static string DescribeRejection(PlatformApiException ex)
    {
        var status = ex.StatusCode is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
        var code = ex.PlatformCode is null ? "none" : ex.PlatformSubCode is null ? ex.PlatformCode : $"{ex.PlatformCode}/{ex.PlatformSubCode}";
        return $"rejected: {ex.ErrorClass}, code {code}, status {status}, request {ex.RequestId ?? "none"}";
    }

    /// <summary>What is stored for one refused or postponed item: its code and the batch's request id (the reason text is the platform's, not stored).</summary>
    private static string DescribeItem(string verb, ItemResult item, string? requestId) =>
        $"{verb}: code {item.Code ?? "none"}, request {requestId ?? "none"}";

    /// <summary>
    /// A sink threw something other than a platform error (or answered with an incomplete result): a batch of
    /// several is halved and each half sent again, so one poison message cannot hold back the others; a single
    /// message is retried with backoff and dead-lettered once it has failed <see cref="PlatformDeliveryOptions.MaxAttempts"/> times.
    /// </summary>
    private async Task SinkFaultAsync(IConversionSink sink, List<(OutboxEntry Entry, PreparedConversion Conversion)> batch, string code, Tally tally, CancellationToken cancellationToken)
    {
        _metrics.Failed.Add(1, new KeyValuePair<string, object?>("marketing.destination", tally.Destination), new KeyValuePair<string, object?>("marketing.error_class", "sink_fault"));
        if (batch.Count > 1)
        {
            var half = batch.Count / 2;
            await SendAsync(sink, batch[..half], tally, cancellationToken).ConfigureAwait(false);
            await SendAsync(sink, batch[half..], tally, cancellationToken).ConfigureAwait(false);
            return;
        }
        await RetryAsync(batch[0].Entry, $"sink_fault: {code}", null, tally, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a sink's result has exactly one result per item, by index.</summary>
    private static bool IsComplete(BatchResult? result, int count)
    {
        if (result?.Items is not { } items || items.Count != count)
        {
            return false;
        }
        var seen = new bool[count];
        foreach (var item in items)
        {
            if (item is null || item.Index < 0 || item.Index >= count || seen[item.Index])
            {
                return false;
            }
            seen[item.Index] = true;
        }
        return true;
    }

    /// <summary>Consecutive runs of the batch whose payload sizes sum to at most <paramref name="maxBytes"/> (an item larger than that goes alone).</summary>
    internal static IEnumerable<List<(OutboxEntry Entry, PreparedConversion Conversion)>> SplitByBytes(List<(OutboxEntry Entry, PreparedConversion Conversion)> batch, int maxBytes)
    {
        var part = new List<(OutboxEntry Entry, PreparedConversion Conversion)>();
        long bytes = 0;
        foreach (var item in batch)
        {
            var size = item.Entry.Message.Payload.Length;
            if (part.Count > 0 && bytes + size > maxBytes)
            {
                yield return part;
                part = [];
                bytes = 0;
            }
            part.Add(item);
            bytes += size;
        }
        if (part.Count > 0)
        {
            yield return part;
        }
    }

    private async Task RetryAsync(OutboxEntry entry, string reason, TimeSpan? retryAfter, Tally tally, CancellationToken cancellationToken)
    {
        if (entry.AttemptCount >= _options.MaxAttempts)
        {
            await DeadLetterAsync(entry, $"gave up after {entry.AttemptCount} attempts; last: {reason}", "gave_up", tally, cancellationToken).ConfigureAwait(false);
            return;
        }
        var delay = Backoff(entry.AttemptCount);
        if (retryAfter is { } hint && hint > delay)
        {
            delay = hint;
        }
        if (await _outbox.RetryAsync(entry.Id, entry.LeaseToken, _time.GetUtcNow() + delay, reason, cancellationToken).ConfigureAwait(false))
        {
            tally.Retried++;
            _metrics.Retried.Add(1, new KeyValuePair<string, object?>("marketing.destination", tally.Destination));
        }
        else
        {
            tally.LeasesLost++;
        }
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1: base × 2^(attempt−1), capped, with ±20 % jitter.</summary>
    /// <param name="attempt">Attempts made so far (at least 1).</param>
    internal TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryBaseDelay.Ticks * (double)(1L << Math.Min(exponent, 20)));
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)Math.Min(_options.RetryMaxDelay.Ticks, ticks * jitter));
    }

    private async Task DeadLetterAsync(OutboxEntry entry, string reason, string reasonCode, Tally tally, CancellationToken cancellationToken, bool withheld = false)
    {
        if (await _outbox.DeadLetterAsync(entry.Id, entry.LeaseToken, reason, cancellationToken).ConfigureAwait(false))
        {
            var tags = new TagList { { "marketing.destination", tally.Destination }, { "marketing.reason", reasonCode } };
            if (withheld)
            {
                tally.Withheld++;
                _metrics.Withheld.Add(1, tags);
            }
            else
            {
                tally.DeadLettered++;
                _metrics.DeadLettered.Add(1, tags);
            }
            tally.Reasons[reasonCode] = tally.Reasons.GetValueOrDefault(reasonCode) + 1;
        }
        else
        {
            tally.LeasesLost++;
        }
    }

    private sealed class Tally(string destination)
    {
        public string Destination { get; } = destination;
        public int Delivered;
        public int Retried;
        public int DeadLettered;
        public int Withheld;
        public int LeasesLost;
        public Dictionary<string, int> Reasons { get; } = new(StringComparer.Ordinal);

        public string DescribeReasons() => string.Join(", ", Reasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}"));

        public DeliveryRound ToRound(int claimed) => new(claimed, Delivered, Retried, DeadLettered, Withheld, LeasesLost);
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Debug, Message = "{Destination}: claimed {Claimed}, delivered {Delivered}, retried {Retried}, dead-lettered {DeadLettered}, withheld {Withheld}")]
    private static partial void LogRound(ILogger logger, string destination, int claimed, int delivered, int retried, int deadLettered, int withheld);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Warning, Message = "{Destination}: {DeadLettered} conversions dead-lettered and {Withheld} withheld by consent in this round ({Reasons})")]
    private static partial void LogUndelivered(ILogger logger, string destination, int deadLettered, int withheld, string reasons);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "The {Destination} sink failed a batch of {Count} ({ExceptionCode}); the batch is split and retried, a message that keeps failing is dead-lettered")]
    private static partial void LogSinkFault(ILogger logger, string destination, int count, string exceptionCode);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Debug, Message = "The {Destination} sink's failure (redacted)")]
    private static partial void LogSinkFaultDetail(ILogger logger, string destination, Exception exception);
}

/// <summary>Runs <see cref="PlatformDeliveryWorker"/> in the background: one loop per destination, polling when idle.</summary>
/// <param name="worker">The worker.</param>
/// <param name="options">The settings.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
public sealed partial class PlatformDeliveryService(PlatformDeliveryWorker worker, IOptions<PlatformDeliveryOptions> options, TimeProvider timeProvider, ILogger<PlatformDeliveryService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (!options.Value.RunInBackground)
        {
            return Task.CompletedTask;
        }
        // Each destination has its own loops, so a slow or throttled platform never holds another back.
        return Task.WhenAll(worker.Destinations.SelectMany(d => Enumerable.Range(0, options.Value.ConcurrentBatches).Select(_ => RunAsync(d, stoppingToken))));
    }

    private async Task RunAsync(string destination, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var round = await worker.DeliverOnceAsync(destination, stoppingToken).ConfigureAwait(false);
                failures = 0;
                if (round.Claimed > 0)
                {
                    continue;
                }
                wait = options.Value.PollInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Anything a round throws (a store, a consent gate, a sink) is this destination's problem only:
                // it backs off and tries again; the other destinations and the host keep running.
                failures++;
                wait = FailureBackoff(options.Value.PollInterval, failures);
                LogRoundFailed(logger, destination, RedactedException.Code(ex), failures, wait);
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    var redacted = RedactedException.From(ex);
                    LogRoundFailedDetail(logger, destination, redacted);
                }
            }
            try
            {
                await Task.Delay(wait, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The wait after <paramref name="failures"/> consecutive failed rounds: the poll interval doubled per failure, at most 5 minutes (or the poll interval when longer).</summary>
    internal static TimeSpan FailureBackoff(TimeSpan pollInterval, int failures)
    {
        var cap = TimeSpan.FromTicks(Math.Max(pollInterval.Ticks, TimeSpan.FromMinutes(5).Ticks));
        var factor = Math.Pow(2, Math.Clamp(failures - 1, 0, 20));
        return TimeSpan.FromTicks((long)Math.Min(cap.Ticks, pollInterval.Ticks * factor));
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Error, Message = "A delivery round for {Destination} failed ({ExceptionCode}, {Failures} in a row); the destination waits {Wait} and the batch's lease expires for a retry")]
    private static partial void LogRoundFailed(ILogger logger, string destination, string exceptionCode, int failures, TimeSpan wait);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Debug, Message = "The failed delivery round for {Destination} (redacted)")]
    private static partial void LogRoundFailedDetail(ILogger logger, string destination, Exception exception);
}
