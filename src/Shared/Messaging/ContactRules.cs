namespace Marketing.Sdk.Messaging;

/// <summary>
/// The rules every customer contact follows, wherever it is decided (the journey gates of the lifecycle
/// package and the message sender of the messaging package): the customer's time zone, when quiet hours
/// end, and the consent purpose a channel's messages need.
/// </summary>
internal static class ContactRules
{
    /// <summary>The customer's time zone: the profile's zone trait, else its region's zone, else <paramref name="fallback"/>.</summary>
    /// <param name="profile">The profile, if any.</param>
    /// <param name="zoneTrait">The trait holding an IANA zone id.</param>
    /// <param name="regionTrait">The trait holding a region code, or <see langword="null"/> to skip it.</param>
    /// <param name="regionZones">IANA zone id per region code, or <see langword="null"/>.</param>
    /// <param name="fallback">The shop's zone.</param>
    public static TimeZoneInfo ZoneOf(CustomerProfile? profile, string zoneTrait, string? regionTrait, IDictionary<string, string>? regionZones, TimeZoneInfo fallback)
    {
        if (profile?.Trait(zoneTrait).AsString() is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var own))
        {
            return own;
        }
        if (regionTrait is not null && regionZones is not null && profile?.Trait(regionTrait).AsString() is { } region
            && regionZones.TryGetValue(region, out var regionZone) && TimeZoneInfo.TryFindSystemTimeZoneById(regionZone, out var byRegion))
        {
            return byRegion;
        }
        return fallback;
    }

    /// <summary>
    /// When the quiet hours from <paramref name="start"/> to <paramref name="end"/> (local time of <paramref name="zone"/>,
    /// wrapping past midnight when <paramref name="start"/> is later) that contain <paramref name="at"/> end, in UTC;
    /// <see langword="null"/> when <paramref name="at"/> is outside them or there are none.
    /// </summary>
    public static DateTimeOffset? QuietUntil(DateTimeOffset at, TimeZoneInfo zone, TimeOnly? start, TimeOnly end)
    {
        if (start is not { } from || from == end)
        {
            return null;
        }
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var quiet = from < end ? time >= from && time < end : time >= from || time < end;
        if (!quiet)
        {
            return null;
        }
        var endDate = DateOnly.FromDateTime(local.DateTime);
        if (time >= end)
        {
            endDate = endDate.AddDays(1);
        }
        var endLocal = endDate.ToDateTime(end, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(endLocal))
        {
            endLocal = endLocal.AddHours(1); // the end falls into a spring-forward gap
        }
        return new DateTimeOffset(endLocal, zone.GetUtcOffset(endLocal)).ToUniversalTime();
    }

    /// <summary>The consent purpose a channel's marketing messages need by default, or <see langword="null"/> when the channel has none.</summary>
    public static ConsentPurpose? DefaultPurposeOf(Channel channel)
    {
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
