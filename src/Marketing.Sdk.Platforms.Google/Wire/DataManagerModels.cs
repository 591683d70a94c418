namespace Marketing.Sdk.Platforms.Google.Wire;

// Data Manager API v1 request and response bodies (proto3 JSON, lowerCamelCase), as defined in
// google/ads/datamanager/v1/{ingestion_service,event,destination,user_data,audience,consent,terms_of_service}.proto
// and https://developers.google.com/data-manager/api/reference/rest/v1/events/ingest.

/// <summary><c>POST /v1/events:ingest</c> body: at most 2 000 events.</summary>
internal sealed record IngestEventsRequest(
    IReadOnlyList<DmDestination> Destinations,
    IReadOnlyList<DmEvent> Events,
    bool? ValidateOnly,
    string? Encoding);

/// <summary><c>POST /v1/audienceMembers:ingest</c> body: at most 10 000 members.</summary>
internal sealed record IngestAudienceMembersRequest(
    IReadOnlyList<DmDestination> Destinations,
    IReadOnlyList<DmAudienceMember> AudienceMembers,
    bool? ValidateOnly,
    string? Encoding,
    DmTermsOfService? TermsOfService);

/// <summary><c>POST /v1/audienceMembers:remove</c> body.</summary>
internal sealed record RemoveAudienceMembersRequest(
    IReadOnlyList<DmDestination> Destinations,
    IReadOnlyList<DmAudienceMember> AudienceMembers,
    bool? ValidateOnly,
    string? Encoding);

/// <summary>The answer of every ingestion method: the request id (absent for <c>validateOnly</c>).</summary>
internal sealed record DmIngestResponse(string? RequestId);

/// <summary>A Google product account and the object in it (conversion action or user list) to ingest into.</summary>
internal sealed record DmDestination(
    string? Reference,
    DmProductAccount? LoginAccount,
    DmProductAccount OperatingAccount,
    string ProductDestinationId);

/// <summary>An account: id and type (<c>GOOGLE_ADS</c>).</summary>
internal sealed record DmProductAccount(string AccountId, string AccountType);

/// <summary>One conversion event.</summary>
internal sealed record DmEvent
{
    public IReadOnlyList<string>? DestinationReferences { get; init; }
    public string? TransactionId { get; init; }
    public required string EventTimestamp { get; init; }
    public DmUserData? UserData { get; init; }
    public DmConsent? Consent { get; init; }
    public DmAdIdentifiers? AdIdentifiers { get; init; }
    public string? Currency { get; init; }
    public double? ConversionValue { get; init; }
    public string? EventSource { get; init; }
}

/// <summary>Click identifiers the conversion is attributed with.</summary>
internal sealed record DmAdIdentifiers(string? Gclid, string? Gbraid, string? Wbraid);

/// <summary>User-provided data: at most 10 identifiers.</summary>
internal sealed record DmUserData(IReadOnlyList<DmUserIdentifier> UserIdentifiers);

/// <summary>Exactly one of email, phone or address.</summary>
internal sealed record DmUserIdentifier(string? EmailAddress = null, string? PhoneNumber = null, DmAddressInfo? Address = null);

/// <summary>Names hashed; region and postal code plain.</summary>
internal sealed record DmAddressInfo(string GivenName, string FamilyName, string RegionCode, string PostalCode);

/// <summary>DMA consent: <c>CONSENT_GRANTED</c> / <c>CONSENT_DENIED</c>.</summary>
internal sealed record DmConsent(string? AdUserData, string? AdPersonalization);

/// <summary>One audience member.</summary>
internal sealed record DmAudienceMember(DmUserData UserData, DmConsent? Consent);

/// <summary>The Customer Match terms of service decision.</summary>
internal sealed record DmTermsOfService(string CustomerMatchTermsOfServiceStatus);
