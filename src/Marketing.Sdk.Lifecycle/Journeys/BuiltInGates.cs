using Marketing.Sdk.Storage;
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

    internal static ConsentPurpose? PurposeOf(JourneyAction action)
    {
        if (action.Purpose is { } p)
        {
            return p;
        }
        var channel = action.Channel!.Value;
        if (channel == Channel.Email)
        {
            return ConsentPurpose.Email;
        }
        if (channel == Channel.Sms)
        {
            return ConsentPurpose.Sms;
        }
        if (channel == Channel.WeChat || channel == Channel.WeCom || channel == Channel.PrivateDomain)
        {
            return ConsentPurpose.PrivateDomainMessaging;
        }
        return null;
    }
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
        var zone = ZoneOf(profile, o);
        var local = TimeZoneInfo.ConvertTime(request.RequestedAt, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var end = o.QuietHoursEnd;
        var quiet = start < end ? time >= start && time < end : time >= start || time < end;
        if (!quiet)
        {
            return GateDecision.Allow;
        }
        var endDate = DateOnly.FromDateTime(local.DateTime);
        if (time >= end)
        {
            endDate = endDate.AddDays(1);
        }
        var endLocal = endDate.ToDateTime(end, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(endLocal))
        {
            endLocal = endLocal.AddHours(1);
        }
        var until = new DateTimeOffset(endLocal, zone.GetUtcOffset(endLocal));
        return GateDecision.Defer(until.ToUniversalTime(), "quiet hours");
    }

    internal static TimeZoneInfo ZoneOf(CustomerProfile? profile, JourneyOptions options)
    {
        var id = profile?.Trait(options.TimeZoneTrait).AsString();
        return id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : options.DefaultTimeZone;
    }
}
