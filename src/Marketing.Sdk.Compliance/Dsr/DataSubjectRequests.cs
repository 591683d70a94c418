using System.Text.Json.Serialization;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Compliance.Dsr;

/// <summary>The kinds of data-subject request (GDPR art. 15–18, PIPL art. 44–47).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataSubjectRequestKind>))]
public enum DataSubjectRequestKind
{
    /// <summary>Access: a copy of everything held (export).</summary>
    Access = 1,
    /// <summary>Rectification of inaccurate data.</summary>
    Rectification = 2,
    /// <summary>Erasure across every store and component.</summary>
    Erasure = 3,
    /// <summary>Restriction of processing (or lifting it).</summary>
    Restriction = 4,
}

/// <summary>Where a request stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataSubjectRequestStatus>))]
public enum DataSubjectRequestStatus
{
    /// <summary>Received, not yet carried out.</summary>
    Open = 1,
    /// <summary>Carried out.</summary>
    Completed = 2,
}

/// <summary>A tracked data-subject request with its legal deadline.</summary>
public sealed record DataSubjectRequest
{
    /// <summary>The request id.</summary>
    public required string Id { get; init; }
    /// <summary>The kind.</summary>
    public required DataSubjectRequestKind Kind { get; init; }
    /// <summary>The customer.</summary>
    public required CustomerId CustomerId { get; init; }
    /// <summary>When the request was received.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
    /// <summary>When it must be answered at the latest.</summary>
    public required DateTimeOffset DueAt { get; init; }
    /// <summary>The status.</summary>
    public DataSubjectRequestStatus Status { get; init; } = DataSubjectRequestStatus.Open;
    /// <summary>When it was completed.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>A short outcome note without personal data (e.g. rows erased).</summary>
    public string? Outcome { get; init; }

    /// <summary>Whether the request is still open after its deadline.</summary>
    /// <param name="now">The current instant.</param>
    public bool IsOverdue(DateTimeOffset now) => Status == DataSubjectRequestStatus.Open && now > DueAt;
}

/// <summary>Everything held about one person, as answered to an access request.</summary>
public sealed record PersonalDataExport
{
    /// <summary>The customer.</summary>
    public required CustomerId CustomerId { get; init; }
    /// <summary>When the export was made.</summary>
    public required DateTimeOffset ExportedAt { get; init; }
    /// <summary>The profile, if one exists.</summary>
    public CustomerProfile? Profile { get; init; }
    /// <summary>The identities linked to the profile.</summary>
    public IReadOnlyList<Identity> Identities { get; init; } = [];
    /// <summary>Every stored event.</summary>
    public IReadOnlyList<MarketingEvent> Events { get; init; } = [];
    /// <summary>The full consent history.</summary>
    public IReadOnlyList<ConsentRecord> Consents { get; init; } = [];
    /// <summary>Audit entries about the customer.</summary>
    public IReadOnlyList<AuditEntry> AuditEntries { get; init; } = [];
    /// <summary>The customer's data-subject requests.</summary>
    public IReadOnlyList<DataSubjectRequest> Requests { get; init; } = [];

    /// <summary>Describes the export by counts only (no personal data).</summary>
    public override string ToString() =>
        $"PersonalDataExport {{ CustomerId = {CustomerId}, Profile = {Profile is not null}, Identities = {Identities.Count}, Events = {Events.Count}, Consents = {Consents.Count}, AuditEntries = {AuditEntries.Count} }}";
}

/// <summary>What an erasure deleted.</summary>
/// <param name="Request">The completed request.</param>
/// <param name="Store">The store's report (rows per table).</param>
/// <param name="Components">Records deleted per registered <see cref="IPersonalDataEraser"/>, by name.</param>
public sealed record ErasureResult(DataSubjectRequest Request, ErasureReport Store, IReadOnlyDictionary<string, long> Components)
{
    /// <summary>Total records deleted.</summary>
    public long Total => Store.Total + Components.Values.Sum();
}

/// <summary>Source-generated JSON metadata for the compliance package (camelCase; model types through their public converters).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(PersonalDataExport))]
[JsonSerializable(typeof(DataSubjectRequest))]
public sealed partial class ComplianceJsonContext : JsonSerializerContext;
