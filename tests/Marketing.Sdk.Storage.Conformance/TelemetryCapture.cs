using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>
/// Captures the <c>Marketing.Sdk.Storage</c> activities of one trace (started by <see cref="Root"/>) and
/// every measurement of the storage meter while it lives.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    public const string Name = "Marketing.Sdk.Storage";
    private static readonly ActivitySource TestSource = new("Marketing.Sdk.Storage.Tests");
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = new();

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name is Name or "Marketing.Sdk.Storage.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_activities);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        _meters.Start();
        Root = TestSource.StartActivity("storage-test") ?? throw new InvalidOperationException("The test activity was not sampled.");
    }

    /// <summary>The test's root activity; storage activities of this test belong to its trace.</summary>
    public Activity Root { get; }

    /// <summary>Storage activities of this test's trace, in stop order.</summary>
    public IReadOnlyList<Activity> Activities => _stopped.Where(a => a.Source.Name == Name && a.TraceId == Root.TraceId).ToList();

    /// <summary>Every storage measurement seen (other tests running in parallel may add theirs).</summary>
    public IReadOnlyList<(string Instrument, double Value, Dictionary<string, string?> Tags)> Measurements => _measurements.ToList();

    private static Dictionary<string, string?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var t in tags)
        {
            d[t.Key] = t.Value?.ToString();
        }
        return d;
    }

    public void Dispose()
    {
        Root.Dispose();
        _meters.Dispose();
        _activities.Dispose();
    }
}
