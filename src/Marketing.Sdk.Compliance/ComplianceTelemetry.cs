using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Compliance;

/// <summary>The meter of the compliance package.</summary>
internal static class ComplianceTelemetry
{
    public const string MeterName = "Marketing.Sdk.Compliance";
    private static readonly Meter Shared = new(MeterName);

    public static Meter CreateMeter(IMeterFactory? factory) => factory?.Create(MeterName) ?? Shared;
}
