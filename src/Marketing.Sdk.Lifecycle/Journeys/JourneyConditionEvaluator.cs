using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>Evaluates the conditions of journey branches against the enrollment and the customer's profile.</summary>
/// <param name="profiles">The profile store; without one, profile conditions never hold.</param>
internal sealed class JourneyConditionEvaluator(IProfileStore? profiles = null)
{
    private readonly IProfileStore? _profiles = profiles;

    internal async ValueTask<bool> EvaluateAsync(JourneyCondition condition, JourneyEnrollment enrollment, CancellationToken cancellationToken)
    {
        switch (condition)
        {
            case EventSinceEntryCondition e:
                return enrollment.SeenEvents.Contains(e.EventType);
            case HasTagCondition t:
            {
                var profile = await GetProfileAsync(enrollment.CustomerId, cancellationToken).ConfigureAwait(false);
                return profile is not null && (profile.StaticTags.Contains(t.Tag) || profile.DynamicTags.Contains(t.Tag));
            }
            case TraitEqualsCondition t:
            {
                var profile = await GetProfileAsync(enrollment.CustomerId, cancellationToken).ConfigureAwait(false);
                return profile is not null && profile.Trait(t.Trait) == t.Value;
            }
            default:
                throw new LifecycleException("Unknown journey condition type.");
        }
    }

    private ValueTask<CustomerProfile?> GetProfileAsync(CustomerId customer, CancellationToken cancellationToken) =>
        _profiles is { } profiles ? profiles.GetAsync(customer, cancellationToken) : ValueTask.FromResult<CustomerProfile?>(null);
}
