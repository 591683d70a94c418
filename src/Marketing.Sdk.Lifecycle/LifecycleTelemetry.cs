using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;

namespace Marketing.Sdk.Lifecycle;

/// <summary>Names of the package's telemetry.</summary>
public static class LifecycleTelemetry
{
    /// <summary>The meter name: <c>Marketing.Sdk.Lifecycle</c>.</summary>
    public const string MeterName = "Marketing.Sdk.Lifecycle";

    private static readonly Lazy<Meter> Shared = new(() => new Meter(MeterName));

    internal static Meter CreateMeter(IMeterFactory? factory) => factory?.Create(MeterName) ?? Shared.Value;
}

/// <summary>Source-generated JSON metadata for stored lifecycle state and journey definitions.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(CustomerStage))]
[JsonSerializable(typeof(JourneyDefinition))]
[JsonSerializable(typeof(JourneyEnrollment))]
[JsonSerializable(typeof(JourneyActionRecord))]
[JsonSerializable(typeof(InactivityWatch))]
[JsonSerializable(typeof(ContactLedger))]
[JsonSerializable(typeof(DueEntry))]
[JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class LifecycleJsonContext : JsonSerializerContext;
