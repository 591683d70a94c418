namespace Marketing.Sdk;

/// <summary>Why the consent gate allowed or denied an outbound use of a customer's data.</summary>
public enum ConsentDecisionReason
{
    /// <summary>Every purpose the use needs is currently granted.</summary>
    Granted = 1,
    /// <summary>The purpose does not need consent under the configured policy (e.g. a legitimate interest).</summary>
    NotRequired = 2,
    /// <summary>A needed purpose has no consent record: default deny.</summary>
    NoRecord = 3,
    /// <summary>A needed purpose was withdrawn (the latest record is a withdrawal).</summary>
    Withdrawn = 4,
    /// <summary>The destination is a third party or lies abroad and the separate consent for sharing or transfer is missing or withdrawn.</summary>
    SeparateConsentMissing = 5,
    /// <summary>Processing of the customer's data is restricted by a data-subject request.</summary>
    Restricted = 6,
}

/// <summary>
/// The gate's answer for one customer, purpose and destination, with the reason and a short
/// explanation (no personal data) that can be logged or shown to an operator.
/// </summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Purpose">The purpose the data is used for.</param>
/// <param name="Destination">Where the data goes (a platform channel such as <c>meta</c>), or <see langword="null"/> for an internal use.</param>
/// <param name="Allowed">Whether the use may go ahead.</param>
/// <param name="Reason">Why.</param>
/// <param name="DecidingPurpose">The purpose whose state decided (the first missing one when denied).</param>
/// <param name="Explanation">A sentence explaining the decision.</param>
public sealed record ConsentDecision(
    [property: PseudonymousData] CustomerId CustomerId,
    ConsentPurpose Purpose,
    Channel? Destination,
    bool Allowed,
    ConsentDecisionReason Reason,
    ConsentPurpose DecidingPurpose,
    string Explanation);

/// <summary>The outcome of filtering many customers through the gate.</summary>
/// <param name="Allowed">The customers whose data may be used, in input order.</param>
/// <param name="Denied">The decision for every customer that was denied, in input order.</param>
public sealed record ConsentFilterResult([property: PseudonymousData] IReadOnlyList<CustomerId> Allowed, IReadOnlyList<ConsentDecision> Denied);

/// <summary>
/// The one check every outbound path makes before a customer's data leaves the process or is used
/// to contact them: journeys before messaging, platform clients before conversion upload and
/// audience sync. Denies by default when a purpose that needs consent has no record. Implemented by
/// <c>Marketing.Sdk.Compliance</c>; other packages depend only on this interface.
/// </summary>
public interface IConsentGate
{
    /// <summary>Decides for one customer.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">The purpose the data is used for.</param>
    /// <param name="destination">The platform the data goes to, or <see langword="null"/> for an internal use.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ConsentDecision> CheckAsync(CustomerId customerId, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default);

    /// <summary>Decides for many customers at once and splits them into allowed and denied.</summary>
    /// <param name="customerIds">The customers (duplicates are decided once and kept once).</param>
    /// <param name="purpose">The purpose the data is used for.</param>
    /// <param name="destination">The platform the data goes to, or <see langword="null"/> for an internal use.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ConsentFilterResult> FilterAsync(IEnumerable<CustomerId> customerIds, ConsentPurpose purpose, Channel? destination = null, CancellationToken cancellationToken = default);
}
