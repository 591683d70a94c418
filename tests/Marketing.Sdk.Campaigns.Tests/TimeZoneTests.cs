using System.Text.Json;

namespace Marketing.Sdk.Campaigns.Tests;

/// <summary>The best hour is an hour of the shop's day: across a daylight-saving change it stays the same local hour.</summary>
public sealed class TimeZoneTests
{
    /// <summary>Central European Time without the host's zone database: +01:00, +02:00 from the last Sunday of March (01:00 UTC) to the last Sunday of October.</summary>
    private static readonly TimeZoneInfo Cet = TimeZoneInfo.CreateCustomTimeZone("test-cet", TimeSpan.FromHours(1), "CET", "CET", "CEST",
    [
        TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date, TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
    ]);

    private static DateTimeOffset Utc(int month, int day, int hour) => new(2026, month, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_same_local_hour_on_both_sides_of_the_change_falls_in_one_bin()
    {
        // 09:00 local: 08:00 UTC on 27 March (CET), 07:00 UTC on 30 and 31 March (CEST; the clocks went forward on the 29th).
        DateTimeOffset[] purchases = [Utc(3, 27, 8), Utc(3, 30, 7), Utc(3, 31, 7)];

        Assert.Equal(9, SendTime.BestHour(SendTime.Histogram(purchases, Cet), 3));
        Assert.Equal(3, SendTime.Histogram(purchases, Cet)[9]);
        // Read in UTC the habit splits over two hours (07:00 twice, 08:00 once).
        Assert.Equal([2, 1], SendTime.Histogram(purchases)[7..9]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_customer_who_buys_at_nine_is_sent_to_at_nine_local_time_after_the_clocks_go_forward(bool shopZone)
    {
        var audience = new List<CampaignAudienceMember> { new(new CustomerId("a"), "active"), new(new CustomerId("b"), "active") };
        var windowStart = Utc(3, 28, 0);
        await using var host = new Host(audience, now: windowStart, configure: o =>
        {
            if (shopZone)
            {
                o.TimeZone = Cet;
            }
        });
        await host.AddProfilesAsync(audience);
        // Both bought at 09:00 local three days running in winter (08:00 UTC).
        await host.Events.AppendAsync([.. audience.SelectMany(m => Enumerable.Range(1, 3).Select(d => new MarketingEvent
        {
            Id = $"{m.CustomerId.Value}-{d}",
            Type = EventType.Purchase,
            CustomerId = m.CustomerId,
            OccurredAt = windowStart.AddDays(-d).AddHours(8),
        }))]);
        // One message an hour over 28-29 March: the second customer goes to the next 09:00, which is on the other side of the change.
        await host.Runner.StartAsync(Host.Campaign(holdout: 0, maxPerHour: 1, chooseSendTime: true) with { WindowStart = windowStart, WindowEnd = windowStart.AddDays(2) });
        await host.Runner.RunOnceAsync("summer");

        var due = new List<DateTimeOffset>();
        await foreach (var e in host.State.StreamAsync(CampaignRunner.RecipientScope, "summer|"))
        {
            due.Add(JsonSerializer.Deserialize(e.Value, CampaignJsonContext.Default.RecipientRecord)!.DueAt!.Value);
        }
        due.Sort();
        Assert.Equal(Utc(3, 28, 8), due[0]); // 09:00 CET
        // In the shop's zone: 09:00 CEST = 07:00 UTC. In UTC only: 08:00 UTC, which is 10:00 for the customer.
        Assert.Equal(shopZone ? Utc(3, 29, 7) : Utc(3, 29, 8), due[1]);
        Assert.Equal(shopZone ? 9 : 10, TimeZoneInfo.ConvertTime(due[1], Cet).Hour);

        // Sent by state on the fake clock: nothing before the first slot, the second only from its own slot on.
        host.Time.SetUtcNow(Utc(3, 28, 8));
        Assert.Equal(1, (await host.Runner.RunOnceAsync("summer")).HandedOver);
        host.Time.SetUtcNow(due[1].AddMinutes(-1));
        Assert.Equal(0, (await host.Runner.RunOnceAsync("summer")).HandedOver);
        host.Time.SetUtcNow(due[1]);
        Assert.Equal(1, (await host.Runner.RunOnceAsync("summer")).HandedOver);
        await host.DeliverAllAsync();
        Assert.Equal(2, host.Channel.Sent.Count);
    }

    [Fact]
    public void A_missing_time_zone_is_refused_at_start()
    {
        var errors = new CampaignOptionsValidator().Validate(null, new CampaignOptions { TimeZone = null! });
        Assert.True(errors.Failed);
        Assert.Contains("TimeZone", errors.FailureMessage, StringComparison.Ordinal);
    }
}
