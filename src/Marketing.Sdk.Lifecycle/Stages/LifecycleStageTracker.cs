using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Stages;

/// <summary>
/// Moves customers through lifecycle stages as their events arrive (an <see cref="IMarketingEventListener"/>),
/// keeps the current stage and history per customer in the <see cref="IStateStore"/>, and reports each
/// stage change to the <see cref="ISegmentMembershipListener"/>s as leaving segment
/// <c>lifecycle.&lt;old&gt;</c> and entering <c>lifecycle.&lt;new&gt;</c>.
/// </summary>
public sealed partial class LifecycleStageTracker : IMarketingEventListener, IDisposable
{
    internal const string Scope = "lifecycle.stage";
    private const int RecentIds = 16;

    private readonly IStateStore _store;
    private readonly StageModelOptions _model;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly KeyedLock _locks = new();
    private readonly Counter<long> _transitions;

    /// <summary>Creates the tracker (normally resolved from DI).</summary>
    /// <param name="store">Where stages are kept.</param>
    /// <param name="options">The stage model.</param>
    /// <param name="services">Resolves the membership listeners lazily.</param>
    /// <param name="meterFactory">Creates the <c>Marketing.Sdk.Lifecycle</c> meter; a shared meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    public LifecycleStageTracker(IStateStore store, IOptions<LifecycleOptions> options, IServiceProvider services, IMeterFactory? meterFactory = null, ILogger<LifecycleStageTracker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _model = options.Value.StageModel;
        _services = services;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _transitions = LifecycleTelemetry.CreateMeter(meterFactory).CreateCounter<long>("marketing.lifecycle.stage_transitions", description: "Lifecycle stage changes.");
    }

    /// <summary>Reads a customer's stage, or <see langword="null"/> when the customer has not been staged.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<CustomerStage?> GetAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        var entry = await _store.GetAsync(Scope, Key(customerId), cancellationToken).ConfigureAwait(false);
        return entry is null ? null : Deserialize(entry.Value);
    }

    /// <summary>Streams every customer's stage (for reports).</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<CustomerStage> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in _store.StreamAsync(Scope, null, cancellationToken).ConfigureAwait(false))
        {
            yield return Deserialize(entry.Value);
        }
    }

    /// <inheritdoc />
    public async ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var changes = new List<SegmentMembershipChange>();
        foreach (var group in events.Where(e => e.CustomerId is not null).GroupBy(e => e.CustomerId!.Value))
        {
            var ordered = group.OrderBy(e => e.OccurredAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
            using (await _locks.AcquireAsync(group.Key.Value, cancellationToken).ConfigureAwait(false))
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        changes.AddRange(await ApplyAsync(group.Key, ordered, cancellationToken).ConfigureAwait(false));
                        break;
                    }
                    catch (ConcurrencyConflictException) when (attempt < 5)
                    {
                        // Another instance changed the stage meanwhile: read again and re-apply.
                    }
                }
            }
        }
        if (changes.Count == 0)
        {
            return;
        }
        foreach (var listener in _services.GetServices<ISegmentMembershipListener>())
        {
            await listener.OnMembershipChangedAsync(changes, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<List<SegmentMembershipChange>> ApplyAsync(CustomerId customer, List<MarketingEvent> events, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(Scope, Key(customer), cancellationToken).ConfigureAwait(false);
        var state = entry is null ? null : Deserialize(entry.Value);
        var changes = new List<SegmentMembershipChange>();
        var changed = false;
        foreach (var e in events)
        {
            if (state is not null && state.RecentEventIds.Contains(e.Id, StringComparer.Ordinal))
            {
                continue;
            }
            state ??= new CustomerStage { CustomerId = customer, Stage = LifecycleStages.New, EnteredAt = e.OccurredAt, FirstSeen = e.OccurredAt };
            var purchases = state.Purchases + (e.Type == _model.PurchaseEventType ? 1 : 0);
            var recent = state.RecentEventIds.Append(e.Id).TakeLast(RecentIds).ToArray();
            var rule = _model.Rules.FirstOrDefault(r => r.Matches(state.Stage, e.Type, purchases));
            if (rule is not null)
            {
                var transition = new StageTransition(state.Stage, rule.To, e.OccurredAt, e.Type);
                if (state.Stage != LifecycleStages.New)
                {
                    changes.Add(new SegmentMembershipChange(LifecycleStages.SegmentId(state.Stage), customer, false, e.OccurredAt));
                }
                changes.Add(new SegmentMembershipChange(LifecycleStages.SegmentId(rule.To), customer, true, e.OccurredAt));
                _transitions.Add(1, new KeyValuePair<string, object?>("to", rule.To));
                LogTransition(_logger, customer, state.Stage, rule.To);
                state = state with { Stage = rule.To, EnteredAt = e.OccurredAt, History = [.. state.History, transition] };
            }
            state = state with
            {
                Purchases = purchases,
                RecentEventIds = recent,
                FirstSeen = e.OccurredAt < state.FirstSeen ? e.OccurredAt : state.FirstSeen,
            };
            changed = true;
        }
        if (changed && state is not null)
        {
            await _store.SaveAsync(Scope, Key(customer), JsonSerializer.Serialize(state, LifecycleJsonContext.Default.CustomerStage), entry?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
        return changes;
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private static string Key(CustomerId customer) => customer.Value + "|";

    private static CustomerStage Deserialize(string json) =>
        JsonSerializer.Deserialize(json, LifecycleJsonContext.Default.CustomerStage)
        ?? throw new LifecycleException("A stored lifecycle stage document is empty.");

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Customer {CustomerId} moved from stage {From} to {To}.")]
    private static partial void LogTransition(ILogger logger, CustomerId customerId, string from, string to);
}
