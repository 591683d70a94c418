using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// The <c>Marketing.Sdk.Storage</c> activity source and tag names shared by the relational providers (the
/// meter is per service provider: <see cref="StorageMetrics"/>). Tags carry only the provider, store,
/// operation and error type (never keys, ids or values).
/// </summary>
internal static class StorageTelemetry
{
    /// <summary>Name of the meter and the activity source.</summary>
    public const string Name = "Marketing.Sdk.Storage";

    public const string ProviderTag = "marketing.storage.provider";
    public const string StoreTag = "marketing.storage.store";
    public const string OperationTag = "marketing.storage.operation";
    public const string ErrorTypeTag = "error.type";
    public const string DbSystemTag = "db.system.name";

    internal static readonly string? Version = typeof(StorageTelemetry).Assembly.GetName().Version?.ToString();

    public static ActivitySource ActivitySource { get; } = new(Name, Version);

    /// <summary>A low-cardinality error type: the provider's error code where there is one, otherwise the exception type.</summary>
    public static string ErrorType(RelationalDatabase db, Exception exception) => exception switch
    {
        OperationCanceledException => "canceled",
        System.Data.Common.DbException e when db.ErrorCode(e) is { } code => code,
        _ => exception.GetType().FullName ?? exception.GetType().Name,
    };
}

/// <summary>
/// The storage metrics, on a <c>Marketing.Sdk.Storage</c> meter from the host's <see cref="IMeterFactory"/>
/// (a meter of its own when there is none), so two service providers never see each other's measurements.
/// </summary>
internal sealed class StorageMetrics
{
    public StorageMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(new MeterOptions(StorageTelemetry.Name) { Version = StorageTelemetry.Version })
            ?? new Meter(StorageTelemetry.Name, StorageTelemetry.Version);
        Duration = meter.CreateHistogram<double>(
            "marketing.storage.operation.duration", "s", "Duration of storage operations, by provider, store, operation and error type.");
        Operations = meter.CreateCounter<long>(
            "marketing.storage.operations", "{operation}", "Storage operations, by provider, store, operation and error type (set on failure).");
    }

    /// <summary>Duration of store calls (a stream: from its first read to its disposal).</summary>
    public Histogram<double> Duration { get; }

    /// <summary>Store calls made.</summary>
    public Counter<long> Operations { get; }
}
