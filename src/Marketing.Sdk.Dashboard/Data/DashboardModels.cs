using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Dashboard.Data;

// The JSON the dashboard's pages read. Aggregates only: no profile, identity, event id or customer id.

internal sealed record OverviewData(DateTimeOffset GeneratedAt, int WindowDays, bool Truncated, OverviewKpis Kpis, IReadOnlyList<DailyPoint> Daily);

internal sealed record OverviewKpis(
    long Customers,
    long ActiveCustomers,
    long Buyers,
    long Orders,
    decimal Revenue,
    string? Currency,
    decimal? AverageOrderValue,
    double? ConversionRate,
    long Events,
    double? OrdersChange,
    double? RevenueChange,
    double? ActiveCustomersChange);

internal sealed record DailyPoint(string Date, long Views, long AddToCarts, long Purchases, decimal Revenue, long ActiveCustomers);

internal sealed record DeliveryData(
    DateTimeOffset GeneratedAt,
    DeliveryTotals Totals,
    IReadOnlyList<DestinationHealth> Destinations,
    IReadOnlyList<NamedCount> FailureReasons,
    IReadOnlyList<NamedCount> WithheldReasons,
    IReadOnlyList<DeadLetterRow> DeadLetters,
    bool CanRetry);

internal sealed record DeliveryTotals(long Pending, long InFlight, long Delivered, long DeadLettered, long Withheld, long Retrying);

internal sealed record DestinationHealth(string Destination, long Pending, long Retrying, long DeadLettered, long Withheld, DateTimeOffset? OldestPending);

internal sealed record DeadLetterRow(long Id, string Destination, int Attempts, string Reason, DateTimeOffset? DeadLetteredAt);

internal sealed record NamedCount(string Name, long Count);

internal sealed record ConsentData(DateTimeOffset GeneratedAt, long Customers, bool Truncated, IReadOnlyList<PurposeRate> Purposes);

internal sealed record PurposeRate(string Purpose, long Granted, long Withdrawn, long Undecided, double? GrantRate);

internal sealed record SegmentsData(
    DateTimeOffset GeneratedAt,
    bool Available,
    IReadOnlyList<NamedCount> Segments,
    IReadOnlyList<IReadOnlyList<long>> RfmGrid,
    IReadOnlyList<NamedCount> RfmSegments,
    IReadOnlyList<NamedCount> ValueLayers,
    long ScoredCustomers);

internal sealed record FunnelData(DateTimeOffset GeneratedAt, int WindowDays, bool Truncated, IReadOnlyList<FunnelStepRow> Steps, IReadOnlyList<FunnelChannelRow> Channels);

internal sealed record FunnelStepRow(string Step, long Reached, double StepRate, double OverallRate, long DroppedOff);

internal sealed record FunnelChannelRow(string Channel, IReadOnlyList<long> Reached);

internal sealed record RetryResult(long Id, bool Requeued);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OverviewData))]
[JsonSerializable(typeof(DeliveryData))]
[JsonSerializable(typeof(ConsentData))]
[JsonSerializable(typeof(SegmentsData))]
[JsonSerializable(typeof(FunnelData))]
[JsonSerializable(typeof(RetryResult))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
