using Marketing.Sdk.Compliance.Hashing;

namespace Marketing.Sdk.Platforms;

/// <summary>One person in an audience upload, with the customer information to match on.</summary>
/// <param name="CustomerId">The customer (the consent gate decides per customer).</param>
/// <param name="Match">The raw customer information; normalised and hashed per platform before it is sent.</param>
public sealed record AudienceMember([property: PseudonymousData] CustomerId CustomerId, [property: PersonalData] CustomerMatchData Match)
{
    /// <summary>Describes the member without personal data.</summary>
    public override string ToString() => $"AudienceMember {{ {Match} }}";
}

/// <summary>What an audience upload does with its members.</summary>
public enum AudienceOperation
{
    /// <summary>Adds the members.</summary>
    Add = 1,
    /// <summary>Removes the members.</summary>
    Remove = 2,
    /// <summary>Replaces the audience's members with these.</summary>
    Replace = 3,
}

/// <summary>The outcome of one audience upload.</summary>
/// <param name="Operation">What was done.</param>
/// <param name="Sent">Members sent to the platform.</param>
/// <param name="Invalid">Members the platform reported as invalid (or that could not be normalised).</param>
/// <param name="WithheldByConsent">Members not sent because the consent gate denied them.</param>
/// <param name="Requests">HTTP requests made (batches and session steps).</param>
/// <param name="SessionId">The platform's upload session id, when the upload used one.</param>
public sealed record AudienceSyncResult(AudienceOperation Operation, int Sent, int Invalid, int WithheldByConsent, int Requests, string? SessionId = null);

/// <summary>
/// Keeps a platform audience (Meta custom audience, Google Customer Match list, TikTok custom
/// audience) in step with the shop's segments. Implementations check the consent gate for
/// <see cref="ConsentPurpose.AdTargeting"/> per member, hash per the platform's rules, split into
/// the platform's batch limit and use upload sessions for large lists.
/// </summary>
public interface IAudienceSync
{
    /// <summary>The platform.</summary>
    Channel Platform { get; }

    /// <summary>The largest number of members per request.</summary>
    int MaxMembersPerRequest { get; }

    /// <summary>Adds, removes or replaces members of an audience.</summary>
    /// <param name="audienceId">The platform's audience id.</param>
    /// <param name="operation">What to do.</param>
    /// <param name="members">The members.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<AudienceSyncResult> SyncAsync(string audienceId, AudienceOperation operation, IReadOnlyList<AudienceMember> members, CancellationToken cancellationToken = default);
}
