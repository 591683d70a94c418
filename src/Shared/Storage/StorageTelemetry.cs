using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketing.Sdk.Storage.Relational;

/// <summary>
/// The <c>Marketing.Sdk.Storage</c> meter and activity source shared by the relational providers.
/// Tags carry only the provider, store, operation and error type (never keys, ids or values).
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

    private static readonly string? Version = typeof(StorageTelemetry).Assembly.GetName().Version?.ToString();

    public static ActivitySource ActivitySource { get; } = new(Name, Version);

    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>Duration of store calls (a stream: from its first read to its disposal).</summary>
    public static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>(
        "marketing.storage.operation.duration", "s", "Duration of storage operations, by provider, store, operation and error type.");

    /// <summary>Store calls made.</summary>
    public static Counter<long> Operations { get; } = Meter.CreateCounter<long>(
        "marketing.storage.operations", "{operation}", "Storage operations, by provider, store, operation and error type (set on failure).");

    /// <summary>A low-cardinality error type: the provider's error code where there is one, otherwise the exception type.</summary>
    public static string ErrorType(RelationalDatabase db, Exception exception) => exception switch
    {
        OperationCanceledException => "canceled",
        System.Data.Common.DbException e when db.ErrorCode(e) is { } code => code,
        _ => exception.GetType().FullName ?? exception.GetType().Name,
    };
}
