namespace Marketing.Sdk.Segmentation;

/// <summary>The outcome of evaluating one segment over every profile.</summary>
/// <param name="SegmentId">The segment.</param>
/// <param name="ProfilesEvaluated">Profiles read from the profile store.</param>
/// <param name="Members">Members after the evaluation.</param>
/// <param name="Entered">Profiles that entered.</param>
/// <param name="Exited">Profiles that left (including deleted profiles).</param>
/// <param name="EvaluatedAt">The evaluation instant (windows end here).</param>
public sealed record SegmentEvaluationResult(string SegmentId, long ProfilesEvaluated, long Members, int Entered, int Exited, DateTimeOffset EvaluatedAt);

/// <summary>A customer's value layer.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Layer">The layer.</param>
public sealed record CustomerValueLayer(CustomerId CustomerId, ValueLayer Layer);

/// <summary>
/// Defines segments, evaluates them for one customer (real time) or for every profile (batch,
/// streaming from <see cref="Storage.IProfileStore"/> and <see cref="Storage.IEventStore"/>), keeps
/// the definitions and current members in <see cref="Storage.IStateStore"/> (shared by the hosts on one store), publishes enter/exit changes to every registered
/// <see cref="ISegmentMembershipListener"/>, and explains memberships. Also computes RFM, value
/// layers and lookalike expansions over the stores.
/// </summary>
public interface ISegmentService
{
    /// <summary>Adds or replaces a segment. Referenced segments must already be defined; cycles are rejected.</summary>
    /// <param name="definition">The segment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MarketingValidationException">The rule or id is not valid.</exception>
    /// <exception cref="SegmentReferenceException">A referenced segment is unknown or a cycle would form.</exception>
    ValueTask<SegmentDefinition> DefineAsync(SegmentDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Removes a segment and its membership; returns whether it existed.</summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SegmentReferenceException">Another segment references it.</exception>
    ValueTask<bool> RemoveAsync(string segmentId, CancellationToken cancellationToken = default);

    /// <summary>The segment with that id, or <see langword="null"/>.</summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<SegmentDefinition?> GetAsync(string segmentId, CancellationToken cancellationToken = default);

    /// <summary>Lists every segment, ordered by id.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<SegmentDefinition> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the customer is a recorded member of the segment: what the latest evaluation on any host
    /// sharing the store decided (<see cref="ExplainAsync"/> evaluates now). Nothing is recorded or published.
    /// </summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SegmentReferenceException">The segment is not defined.</exception>
    ValueTask<bool> IsMemberAsync(string segmentId, CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>Explains why a customer is or is not in a segment now (which conditions failed).</summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SegmentReferenceException">The segment is not defined.</exception>
    /// <exception cref="SegmentationException">The profile does not exist.</exception>
    ValueTask<SegmentExplanation> ExplainAsync(string segmentId, CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-evaluates every segment for one customer (real time, e.g. after their events arrived),
    /// records the membership and publishes the changes.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<SegmentMembershipChange>> EvaluateCustomerAsync(CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Evaluates a segment over every profile (one pass over the needed events, then one pass over
    /// the profiles), records the membership and publishes the changes in batches.
    /// </summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SegmentReferenceException">The segment is not defined.</exception>
    ValueTask<SegmentEvaluationResult> EvaluateAsync(string segmentId, CancellationToken cancellationToken = default);

    /// <summary>The members recorded by the latest evaluations on any host sharing the store, ordered by id.</summary>
    /// <param name="segmentId">The segment.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<CustomerId> GetMembersAsync(string segmentId, CancellationToken cancellationToken = default);

    /// <summary>RFM scores of every customer with at least one purchase, measured to now.</summary>
    /// <param name="ties">How equal values are scored.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<RfmScore>> ComputeRfmAsync(RfmTieHandling ties = RfmTieHandling.SharedScore, CancellationToken cancellationToken = default);

    /// <summary>The value layer of every profile, with the configured thresholds, now.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<CustomerValueLayer> GetValueLayersAsync(CancellationToken cancellationToken = default);

    /// <summary>Finds the non-members most similar to a segment's current members (evaluates the segment first).</summary>
    /// <param name="segmentId">The seed segment.</param>
    /// <param name="options">Features and result size.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<LookalikeResult> ExpandLookalikeAsync(string segmentId, LookalikeOptions options, CancellationToken cancellationToken = default);
}
