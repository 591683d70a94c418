using Marketing.Sdk.Storage;
using Marketing.Sdk.Messaging;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// Vetoes a message unless the customer's profile grants the message's consent purpose (from the
/// action, or derived from the channel). Fails closed: no profile store, no profile or no purpose
/// means no message.
/// </summary>
internal sealed class ConsentSummaryGate(IOptions<LifecycleOptions> options, IProfileStore? profiles = null) : IJourneyActionGate
{
    public async ValueTask<GateDecision> EvaluateAsync(JourneyActionRequest request, CancellationToken cancellationToken = default)
    {
        if (!request.Action.IsMessage || !options.Value.Journeys.RequireMessageConsent)
        {
            return GateDecision.Allow;
        }
        if (PurposeOf(request.Action) is not { } purpose)
        {
            return GateDecision.Veto("the channel has no consent purpose; set JourneyAction.Purpose");
        }
        var profile = profiles is null ? null : await profiles.GetAsync(request.CustomerId, cancellationToken).ConfigureAwait(false);
        if (profile is null)
        {
            return GateDecision.Veto("no profile with a consent record");
        }
        return profile.HasConsent(purpose) ? GateDecision.Allow : GateDecision.Veto("no consent for " + purpose.Value);
    }

    internal static ConsentPurpose? PurposeOf(JourneyAction action) => action.Purpose ?? ContactRules.DefaultPurposeOf(action.Channel!.Value);
}

/// <summary>Defers messages that fall into the quiet hours of the customer's time zone to the end of the quiet hours.</summary>
internal sealed class QuietHoursGate(IOptions<LifecycleOptions> options, IProfileStore? profiles = null) : IJourneyActionGate
{
    public async ValueTask<GateDecision> EvaluateAsync(JourneyActionRequest request, CancellationToken cancellationToken = default)
    {
        var o = options.Value.Journeys;
        if (!request.Action.IsMessage || o.QuietHoursStart is not { } start || start == o.QuietHoursEnd)
        {
            return GateDecision.Allow;
        }
        var profile = profiles is null ? null : await profiles.GetAsync(request.CustomerId, cancellationToken).ConfigureAwait(false);
        return ContactRules.QuietUntil(request.RequestedAt, ZoneOf(profile, o), start, o.QuietHoursEnd) is { } until
            ? GateDecision.Defer(until, "quiet hours")
            : GateDecision.Allow;
    }

    internal static TimeZoneInfo ZoneOf(CustomerProfile? profile, JourneyOptions options) =>
        ContactRules.ZoneOf(profile, options.TimeZoneTrait, null, null, options.DefaultTimeZone);
}
