using Marketing.Sdk.Messaging;

namespace Marketing.Sdk.SharedSource.Tests;

public class ContactRulesTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Theory]
    [InlineData("2026-12-04T23:00:00+08:00", "2026-12-05T08:00:00+08:00")] // late evening: the next morning
    [InlineData("2026-12-05T07:59:00+08:00", "2026-12-05T08:00:00+08:00")] // early morning: this morning
    [InlineData("2026-12-05T21:00:00+08:00", "2026-12-06T08:00:00+08:00")] // the start itself is quiet
    [InlineData("2026-12-05T08:00:00+08:00", null)] // the end itself is not
    [InlineData("2026-12-05T15:00:00+08:00", null)]
    public void Quiet_hours_wrapping_past_midnight_end_at_the_next_end_time(string at, string? until)
    {
        var result = ContactRules.QuietUntil(DateTimeOffset.Parse(at), Shanghai, new TimeOnly(21, 0), new TimeOnly(8, 0));
        Assert.Equal(until is null ? null : DateTimeOffset.Parse(until), result);
        Assert.True(result is null || result.Value.Offset == TimeSpan.Zero);
    }

    [Fact]
    public void Daytime_quiet_hours_and_no_quiet_hours()
    {
        var noon = DateTimeOffset.Parse("2026-12-05T12:30:00+08:00");
        Assert.Equal(DateTimeOffset.Parse("2026-12-05T14:00:00+08:00"), ContactRules.QuietUntil(noon, Shanghai, new TimeOnly(12, 0), new TimeOnly(14, 0)));
        Assert.Null(ContactRules.QuietUntil(noon, Shanghai, null, new TimeOnly(14, 0)));
        Assert.Null(ContactRules.QuietUntil(noon, Shanghai, new TimeOnly(14, 0), new TimeOnly(14, 0)));
    }

    [Fact]
    public void An_end_inside_a_spring_forward_gap_moves_past_the_gap()
    {
        // 2026-03-08 02:00–03:00 does not exist in New York.
        var at = DateTimeOffset.Parse("2026-03-08T01:30:00-05:00");
        var until = ContactRules.QuietUntil(at, NewYork, new TimeOnly(22, 0), new TimeOnly(2, 30));
        Assert.Equal(DateTimeOffset.Parse("2026-03-08T03:30:00-04:00"), until);
    }

    [Fact]
    public void The_zone_comes_from_the_profile_then_the_region_then_the_shop()
    {
        var regions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["CN"] = "Asia/Shanghai" };
        CustomerProfile Profile(params (string Name, string Value)[] traits) => new()
        {
            Id = new CustomerId("c1"),
            Traits = traits.ToDictionary(t => t.Name, t => PropertyValue.From(t.Value)),
        };

        Assert.Equal(NewYork.Id, ContactRules.ZoneOf(Profile(("time_zone", "America/New_York"), ("region", "cn")), "time_zone", "region", regions, TimeZoneInfo.Utc).Id);
        Assert.Equal(Shanghai.Id, ContactRules.ZoneOf(Profile(("time_zone", "Not/AZone"), ("region", "cn")), "time_zone", "region", regions, TimeZoneInfo.Utc).Id);
        Assert.Equal(TimeZoneInfo.Utc.Id, ContactRules.ZoneOf(Profile(("region", "cn")), "time_zone", null, null, TimeZoneInfo.Utc).Id);
        Assert.Equal(TimeZoneInfo.Utc.Id, ContactRules.ZoneOf(null, "time_zone", "region", regions, TimeZoneInfo.Utc).Id);
    }

    [Fact]
    public void Channels_map_to_their_default_consent_purpose()
    {
        Assert.Equal(ConsentPurpose.Email, ContactRules.DefaultPurposeOf(Channel.Email));
        Assert.Equal(ConsentPurpose.Sms, ContactRules.DefaultPurposeOf(Channel.Sms));
        Assert.Equal(ConsentPurpose.PrivateDomainMessaging, ContactRules.DefaultPurposeOf(Channel.WeCom));
        Assert.Equal(ConsentPurpose.PrivateDomainMessaging, ContactRules.DefaultPurposeOf(Channel.WeChat));
        Assert.Null(ContactRules.DefaultPurposeOf(new Channel("billboard")));
    }
}
