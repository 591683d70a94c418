using System.Text.Json;
using System.Text.Json.Serialization;

namespace Marketing.Sdk.Dashboard.Data;

// The JSON the dashboard's pages read. Aggregates only: no profile, identity, event id or customer id.

internal sealed record OverviewData(DateTimeOffset GeneratedAt, int WindowDays, bool Truncated, OverviewKpis Kpis, IReadOnlyList<DailyPoint> Daily, IReadOnlyList<KpiAnomalyRow> Anomalies, AnomalyRule AnomalyRule, SpendKpis Spend);

internal sealed record KpiAnomalyRow(string Kpi, string Date, double Value, double Median, double Low, double High, string Direction);

internal sealed record AnomalyRule(int WindowDays, double Threshold);

internal sealed record SpendKpis(bool Known, string? Reason, decimal? Spend, string? Currency, decimal? Cpa, decimal? Cac, double? Roas, double? Roi, double? LtvToCac, long NewCustomers, double? AverageLifetimeValue);

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

internal sealed record DiscardResult(long Id, bool Discarded);

internal sealed record JourneyToggleResult(string Journey, bool Paused, bool Changed);

internal sealed record SpendStatus(bool Known, string? Reason, decimal Total, string? Currency);

internal sealed record AttributionData(
    DateTimeOffset GeneratedAt,
    int WindowDays,
    bool Truncated,
    bool Available,
    long Paths,
    double Conversions,
    double Value,
    IReadOnlyList<string> Channels,
    IReadOnlyList<ModelCredit> Models,
    string? RoiModel,
    SpendStatus Spend,
    IReadOnlyList<ChannelRoiRow> ChannelRoi,
    IReadOnlyList<ProposalRow> Proposals);

internal sealed record ModelCredit(string Model, IReadOnlyList<double> Conversions, IReadOnlyList<double> Value);

internal sealed record ChannelRoiRow(string Channel, decimal Spend, long Impressions, long Clicks, double Conversions, decimal Revenue, double? Ctr, double? Cvr, decimal? Cpa, double? Roas, double? Roi);

internal sealed record ProposalRow(string Rule, string Channel, string? Campaign, string Action, decimal? CurrentBudget, decimal? ProposedBudget, double? BidMultiplier, string Explanation);

internal sealed record LifecycleData(
    DateTimeOffset GeneratedAt,
    bool Available,
    long StagedCustomers,
    IReadOnlyList<NamedCount> Stages,
    ClvSummary Clv,
    IReadOnlyList<NamedCount> ChurnBands,
    IReadOnlyList<JourneyRow> Journeys,
    bool CanWrite);

internal sealed record ClvSummary(bool Fitted, string? Reason, long Customers, string? Currency, double? Mean, double? Median, double? Total, IReadOnlyList<ClvBand> Bands);

internal sealed record ClvBand(double From, double To, long Count);

internal sealed record JourneyRow(string Id, string Trigger, bool Paused, long Active, long Completed, long Exited);

internal sealed record ExperimentsData(DateTimeOffset GeneratedAt, int WindowDays, bool Truncated, bool Available, IReadOnlyList<ExperimentRow> Experiments);

internal sealed record ExperimentRow(string Key, bool Active, string Control, string Decision, string Reason, string? Winner, double? SampleRatioPValue, double? Progress, IReadOnlyList<VariantRow> Variants);

internal sealed record VariantRow(string Variant, long Units, long Conversions, double Rate, double? Lift, double? PValue, bool Significant, double? ProbabilityToBeatControl);

internal sealed record MessagesData(DateTimeOffset GeneratedAt, int WindowDays, bool Truncated, bool Available, long Records, IReadOnlyList<MessageChannelRow> Channels, IReadOnlyList<MessageReasonRow> Reasons);

internal sealed record MessageChannelRow(string Channel, long Sent, long Deferred, long Suppressed, long Failed);

internal sealed record MessageReasonRow(string Channel, string Status, string Reason, long Count);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OverviewData))]
[JsonSerializable(typeof(DeliveryData))]
[JsonSerializable(typeof(ConsentData))]
[JsonSerializable(typeof(SegmentsData))]
[JsonSerializable(typeof(FunnelData))]
[JsonSerializable(typeof(RetryResult))]
[JsonSerializable(typeof(DiscardResult))]
[JsonSerializable(typeof(JourneyToggleResult))]
[JsonSerializable(typeof(AttributionData))]
[JsonSerializable(typeof(LifecycleData))]
[JsonSerializable(typeof(ExperimentsData))]
[JsonSerializable(typeof(MessagesData))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
