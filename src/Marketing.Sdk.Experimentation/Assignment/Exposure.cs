using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Marketing.Sdk.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Experimentation;

/// <summary>A unit saw a variant. <see cref="ToString"/> hides the unit's identity.</summary>
/// <param name="Assignment">The assignment the unit was exposed to.</param>
/// <param name="Unit">The unit's identity (personal data).</param>
/// <param name="At">When the exposure happened.</param>
public sealed record Exposure(Assignment Assignment, Identity Unit, DateTimeOffset At)
{
    /// <summary>Describes the exposure without the unit's identity value.</summary>
    public override string ToString() =>
        $"Exposure {{ Experiment = {Assignment.ExperimentKey}, Variant = {Assignment.Variant}, Reason = {Assignment.Reason}, Unit = {Unit}, At = {At:O} }}";
}

/// <summary>Records exposures. The default implementation turns them into <c>experiment_exposure</c> events.</summary>
public interface IExposureLogger
{
    /// <summary>Records one exposure.</summary>
    /// <param name="exposure">The exposure.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask LogExposureAsync(Exposure exposure, CancellationToken cancellationToken = default);
}

/// <summary>
/// Where exposure events go: the host wires this to its event collector (the core package's
/// ingestion), a queue, or a warehouse writer. Register any number; each receives every event.
/// </summary>
public interface IExposureEventSink
{
    /// <summary>Accepts one exposure event.</summary>
    /// <param name="exposureEvent">The <c>experiment_exposure</c> event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask WriteAsync(MarketingEvent exposureEvent, CancellationToken cancellationToken = default);
}

/// <summary>Property names of <c>experiment_exposure</c> events.</summary>
public static class ExperimentEventProperties
{
    /// <summary>The event type name.</summary>
    public const string ExposureEventType = "experiment_exposure";
    /// <summary>The experiment key.</summary>
    public const string ExperimentKey = "experiment_key";
    /// <summary>The variant key.</summary>
    public const string Variant = "variant";
    /// <summary>The <see cref="AssignmentReason"/> in snake_case (<c>bucketed</c>, <c>forced</c>).</summary>
    public const string AssignmentReason = "assignment_reason";
}

/// <summary>
/// The default <see cref="IExposureLogger"/>: builds a <see cref="MarketingEvent"/> of type
/// <c>experiment_exposure</c> and hands it to every registered <see cref="IExposureEventSink"/>.
/// The event id is derived from (experiment, variant, SHA-256 of the unit identity), so the event
/// pipeline's de-duplication keeps each unit's first exposure only. With no sink registered the
/// exposure is counted in metrics and dropped.
/// </summary>
public sealed partial class EventExposureLogger : IExposureLogger
{
    private readonly IExposureEventSink[] _sinks;
    private readonly ILogger _logger;

    /// <summary>Creates the logger.</summary>
    /// <param name="sinks">The registered sinks.</param>
    /// <param name="logger">Diagnostics logger.</param>
    public EventExposureLogger(IEnumerable<IExposureEventSink> sinks, ILogger<EventExposureLogger>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks.ToArray();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async ValueTask LogExposureAsync(Exposure exposure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        if (!exposure.Assignment.IsInExperiment)
        {
            throw new MarketingValidationException("assignment.variant", ValidationReason.Missing,
                "Only units in the experiment can be exposed.");
        }
        var evt = ToEvent(exposure);
        ExperimentationMetrics.Exposures.Add(1, new KeyValuePair<string, object?>("experiment", exposure.Assignment.ExperimentKey));
        if (_sinks.Length == 0)
        {
            LogNoSink(_logger, exposure.Assignment.ExperimentKey);
            return;
        }
        foreach (var sink in _sinks)
        {
            await sink.WriteAsync(evt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>experiment_exposure</c> event for an exposure.</summary>
    /// <param name="exposure">The exposure.</param>
    public static MarketingEvent ToEvent(Exposure exposure)
    {
        ArgumentNullException.ThrowIfNull(exposure);
        var a = exposure.Assignment;
        var unitHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(exposure.Unit.Key)).AsSpan(0, 16));
        return new MarketingEvent
        {
            Id = $"{ExperimentEventProperties.ExposureEventType}:{a.ExperimentKey}:{a.Variant}:{unitHash}",
            Type = new EventType(ExperimentEventProperties.ExposureEventType),
            OccurredAt = exposure.At,
            Identities = [exposure.Unit],
            Properties = new Dictionary<string, PropertyValue>(3, StringComparer.Ordinal)
            {
                [ExperimentEventProperties.ExperimentKey] = a.ExperimentKey,
                [ExperimentEventProperties.Variant] = a.Variant,
                [ExperimentEventProperties.AssignmentReason] = a.Reason == AssignmentReason.Forced ? "forced" : "bucketed",
            },
        };
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Exposure for experiment {Experiment} dropped: no exposure sink is registered.")]
    private static partial void LogNoSink(ILogger logger, string experiment);
}

/// <summary>Adapts a delegate to <see cref="IExposureEventSink"/>.</summary>
/// <param name="write">Receives each exposure event.</param>
public sealed class DelegateExposureEventSink(Func<MarketingEvent, CancellationToken, ValueTask> write) : IExposureEventSink
{
    private readonly Func<MarketingEvent, CancellationToken, ValueTask> _write = write ?? throw new ArgumentNullException(nameof(write));

    /// <inheritdoc />
    public ValueTask WriteAsync(MarketingEvent exposureEvent, CancellationToken cancellationToken = default) =>
        _write(exposureEvent, cancellationToken);
}

/// <summary>Assignment plus exposure logging: what an application calls when it shows a variant.</summary>
public interface IExperimentClient
{
    /// <summary>
    /// Assigns the unit and, when it is in the experiment, logs the exposure. The unit is bucketed by
    /// <see cref="Identity.Value"/>, so this agrees with <see cref="IExperimentAssigner.Assign"/> on the same id.
    /// </summary>
    /// <param name="experimentKey">The experiment.</param>
    /// <param name="unit">The unit's identity.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ExperimentNotFoundException">No such experiment.</exception>
    ValueTask<Assignment> GetAssignmentAsync(string experimentKey, Identity unit, CancellationToken cancellationToken = default);
}

/// <summary>
/// The default <see cref="IExperimentClient"/>. A failing exposure logger does not fail the caller's
/// page or message: the error is logged (event 6102, the exception's type and code only) and counted, and the assignment is returned.
/// </summary>
public sealed partial class ExperimentClient : IExperimentClient
{
    private readonly IExperimentAssigner _assigner;
    private readonly IExposureLogger _exposures;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the client.</summary>
    /// <param name="assigner">Bucketing.</param>
    /// <param name="exposures">Exposure logging.</param>
    /// <param name="timeProvider">The clock for exposure timestamps.</param>
    /// <param name="logger">Diagnostics logger.</param>
    public ExperimentClient(IExperimentAssigner assigner, IExposureLogger exposures, TimeProvider timeProvider, ILogger<ExperimentClient>? logger = null)
    {
        _assigner = assigner ?? throw new ArgumentNullException(nameof(assigner));
        _exposures = exposures ?? throw new ArgumentNullException(nameof(exposures));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async ValueTask<Assignment> GetAssignmentAsync(string experimentKey, Identity unit, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(unit.Value))
        {
            throw new MarketingValidationException("unit.value", ValidationReason.Missing, "A unit identity value is required.");
        }
        var assignment = _assigner.Assign(experimentKey, unit.Value);
        ExperimentationMetrics.Assignments.Add(1,
            new KeyValuePair<string, object?>("experiment", assignment.ExperimentKey),
            new KeyValuePair<string, object?>("reason", assignment.Reason.ToString()));
        if (assignment.IsInExperiment)
        {
            try
            {
                await _exposures.LogExposureAsync(new Exposure(assignment, unit, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ExperimentationMetrics.ExposureFailures.Add(1, new KeyValuePair<string, object?>("experiment", assignment.ExperimentKey));
                // The sink is host code: log the exception's code, its redacted form at Debug.
                var code = RedactedException.Code(ex);
                LogExposureFailed(_logger, assignment.ExperimentKey, code);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    var redacted = RedactedException.From(ex);
                    LogExposureFailedDetail(_logger, redacted, assignment.ExperimentKey);
                }
            }
        }
        return assignment;
    }

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Logging an exposure for experiment {Experiment} failed ({ErrorCode}); the assignment was returned.")]
    private static partial void LogExposureFailed(ILogger logger, string experiment, string errorCode);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Debug, Message = "Exposure logging failure for experiment {Experiment}, redacted")]
    private static partial void LogExposureFailedDetail(ILogger logger, Exception exception, string experiment);
}

/// <summary>The package's meter, <c>Marketing.Sdk.Experimentation</c>.</summary>
internal static class ExperimentationMetrics
{
    public const string MeterName = "Marketing.Sdk.Experimentation";
    private static readonly Meter Meter = new(MeterName);
    public static readonly Counter<long> Assignments = Meter.CreateCounter<long>("marketing.experiment.assignments", description: "Assignments made through the experiment client.");
    public static readonly Counter<long> Exposures = Meter.CreateCounter<long>("marketing.experiment.exposures", description: "Exposures logged.");
    public static readonly Counter<long> ExposureFailures = Meter.CreateCounter<long>("marketing.experiment.exposure_failures", description: "Exposures that could not be logged.");
}
