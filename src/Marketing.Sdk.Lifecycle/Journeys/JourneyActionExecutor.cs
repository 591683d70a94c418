using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// Performs journey actions: asks every <see cref="IJourneyActionGate"/>, reserves a slot under the
/// frequency caps, runs the first <see cref="IJourneyActionHandler"/> that can handle the action, and
/// records the outcome in the action ledger under the action's idempotency key, so an action is never
/// performed twice.
/// </summary>
internal sealed partial class JourneyActionExecutor
{
    private readonly IStateStore _store;
    private readonly JourneyOptions _options;
    private readonly TimeProvider _time;
    private readonly IJourneyActionGate[] _gates;
    private readonly IJourneyActionHandler[] _handlers;
    private readonly ILogger _logger;
    private readonly Counter<long> _actions;

    /// <summary>Creates the executor.</summary>
    /// <param name="store">Where the action and contact ledgers are kept.</param>
    /// <param name="options">The caps and retry rules.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="gates">The gates, asked in registration order.</param>
    /// <param name="handlers">The handlers; the first that can handle an action performs it.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Lifecycle</c> meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The engine's logger (the log category stays the engine's); none when <see langword="null"/>.</param>
    public JourneyActionExecutor(IStateStore store, IOptions<LifecycleOptions> options, TimeProvider timeProvider, IEnumerable<IJourneyActionGate> gates, IEnumerable<IJourneyActionHandler> handlers, IMeterFactory? meterFactory = null, ILogger<JourneyEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(gates);
        ArgumentNullException.ThrowIfNull(handlers);
        _store = store;
        _options = options.Value.Journeys;
        _time = timeProvider;
        _gates = [.. gates];
        _handlers = [.. handlers];
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _actions = LifecycleTelemetry.CreateMeter(meterFactory).CreateCounter<long>("marketing.lifecycle.journey_actions", description: "Journey actions by outcome.");
    }

    /// <summary>Performs an action once; returns when to retry if it must wait (deferred, or a failed attempt), else no time.</summary>
    internal async ValueTask<(DateTimeOffset? RetryAt, bool Failed)> ExecuteAsync(JourneyDefinition journey, JourneyEnrollment enrollment, JourneyAction action, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var customer = enrollment.CustomerId;
        var idempotencyKey = string.Create(CultureInfo.InvariantCulture, $"{enrollment.ActionKeyStem ?? JourneyStateStore.StemOf(enrollment)}:{enrollment.StepIndex}");
        var ledgerKey = customer.Value + "|" + idempotencyKey;
        if (await _store.GetAsync(JourneyEngine.ActionScope, ledgerKey, cancellationToken).ConfigureAwait(false) is not null)
        {
            return (null, false); // Already done (this is a resumed run): never perform it twice.
        }
        var request = new JourneyActionRequest(idempotencyKey, journey.Id, enrollment.StepIndex, customer, action, now, enrollment.Attempts + 1);
        foreach (var gate in _gates)
        {
            var decision = await gate.EvaluateAsync(request, cancellationToken).ConfigureAwait(false);
            if (decision.Verdict == GateVerdict.Defer && decision.RetryAt is { } until && until > now)
            {
                LogDeferred(_logger, journey.Id, customer, decision.Reason ?? "deferred", until);
                return (until, false);
            }
            if (decision.Verdict == GateVerdict.Veto)
            {
                await RecordAsync(request, JourneyActionStatus.Vetoed, decision.Reason, cancellationToken).ConfigureAwait(false);
                return (null, false);
            }
        }
        if (action.Channel is { } channel && !await TryReserveContactAsync(customer, channel, idempotencyKey, now, cancellationToken).ConfigureAwait(false))
        {
            await RecordAsync(request, JourneyActionStatus.Capped, "frequency cap reached", cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        var handler = _handlers.FirstOrDefault(h => h.CanHandle(action));
        if (handler is null)
        {
            await RecordAsync(request, JourneyActionStatus.NoHandler, "no handler for kind " + action.Kind, cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        try
        {
            await handler.ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failing handler must not stop the engine: the attempt is retried or recorded as failed.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            // Handlers are host code (email/SMS providers put the recipient in their messages): log
            // the exception's code, and its redacted form (types and frames, no message) at Debug.
            var code = RedactedException.Code(ex);
            LogActionFailed(_logger, journey.Id, customer, request.Attempt, code);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var redacted = RedactedException.From(ex);
                LogActionFailedDetail(_logger, redacted, journey.Id, request.Attempt);
            }
            if (request.Attempt < _options.MaxAttempts)
            {
                return (now + _options.RetryDelay, true);
            }
            await RecordAsync(request, JourneyActionStatus.Failed, "handler failed " + request.Attempt + " times", cancellationToken).ConfigureAwait(false);
            return (null, false);
        }
        await RecordAsync(request, JourneyActionStatus.Executed, null, cancellationToken).ConfigureAwait(false);
        return (null, false);
    }

    private async ValueTask RecordAsync(JourneyActionRequest request, JourneyActionStatus status, string? reason, CancellationToken cancellationToken)
    {
        var record = new JourneyActionRecord(request.IdempotencyKey, request.JourneyId, request.StepIndex, request.CustomerId, request.Action.Kind, request.Action.Channel, status, reason, _time.GetUtcNow(), request.Attempt);
        await _store.SaveAsync(JourneyEngine.ActionScope, request.CustomerId.Value + "|" + request.IdempotencyKey, JsonSerializer.Serialize(record, LifecycleJsonContext.Default.JourneyActionRecord), 0, cancellationToken).ConfigureAwait(false);
        _actions.Add(1, new KeyValuePair<string, object?>("journey", request.JourneyId), new KeyValuePair<string, object?>("status", status.ToString()));
        LogAction(_logger, request.JourneyId, request.CustomerId, request.Action.Kind, status);
    }

    /// <summary>Checks the caps and reserves a slot atomically (optimistic concurrency on the customer's contact ledger).</summary>
    private async ValueTask<bool> TryReserveContactAsync(CustomerId customer, Channel channel, string idempotencyKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var channelCap = _options.ChannelCaps.TryGetValue(channel, out var c) ? c : _options.DefaultChannelCap;
        var customerCap = _options.CustomerCap;
        var longest = TimeSpan.FromTicks(Math.Max(channelCap?.Window.Ticks ?? 0, customerCap?.Window.Ticks ?? 0));
        var key = customer.Value + "|";
        for (var attempt = 0; ; attempt++)
        {
            var entry = await _store.GetAsync(JourneyEngine.ContactScope, key, cancellationToken).ConfigureAwait(false);
            var ledger = entry is null ? new ContactLedger([]) : JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.ContactLedger) ?? new ContactLedger([]);
            if (ledger.Entries.Any(e => e.IdempotencyKey == idempotencyKey))
            {
                return true; // Reserved by an earlier attempt of this very action.
            }
            bool Full(FrequencyCap? cap, Func<ContactEntry, bool> counts) =>
                cap is not null && ledger.Entries.Count(e => counts(e) && e.At > now - cap.Window) >= cap.MaxMessages;
            if (Full(channelCap, e => e.Channel == channel) || Full(customerCap, _ => true))
            {
                return false;
            }
            var kept = ledger.Entries.Where(e => e.At > now - longest).Append(new ContactEntry(idempotencyKey, channel, now)).ToList();
            try
            {
                await _store.SaveAsync(JourneyEngine.ContactScope, key, JsonSerializer.Serialize(new ContactLedger(kept), LifecycleJsonContext.Default.ContactLedger), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyConflictException) when (attempt < 10)
            {
                // Another instance sent to this customer meanwhile: re-read and re-check.
            }
        }
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Journey {JourneyId} action {Kind} for customer {CustomerId}: {Status}.")]
    private static partial void LogAction(ILogger logger, string journeyId, CustomerId customerId, string kind, JourneyActionStatus status);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Journey {JourneyId} action for customer {CustomerId} deferred until {Until} ({Reason}).")]
    private static partial void LogDeferred(ILogger logger, string journeyId, CustomerId customerId, string reason, DateTimeOffset until);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Journey {JourneyId} action for customer {CustomerId} failed on attempt {Attempt} ({ErrorCode}).")]
    private static partial void LogActionFailed(ILogger logger, string journeyId, CustomerId customerId, int attempt, string errorCode);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Journey {JourneyId} action failure on attempt {Attempt}, redacted")]
    private static partial void LogActionFailedDetail(ILogger logger, Exception exception, string journeyId, int attempt);
}
