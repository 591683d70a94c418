using System.Text.Json;
using Marketing.Sdk.Experimentation.Statistics;
using Marketing.Sdk.Platforms.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Campaigns.Tests;

public sealed class CampaignTests
{
    private static async Task<Dictionary<string, RecipientRecord>> RecordsAsync(Host host, string campaignId)
    {
        var records = new Dictionary<string, RecipientRecord>();
        await foreach (var e in host.State.StreamAsync(CampaignRunner.RecipientScope, campaignId + "|"))
        {
            records[e.Key[(campaignId.Length + 1)..]] = JsonSerializer.Deserialize(e.Value, CampaignJsonContext.Default.RecipientRecord)!;
        }
        return records;
    }

    private static async Task<Host> PlannedAsync(List<CampaignAudienceMember> audience, CampaignDefinition campaign, Action<CampaignOptions>? configure = null)
    {
        var host = new Host(audience, configure: configure);
        await host.AddProfilesAsync(audience);
        await host.Runner.StartAsync(campaign);
        await host.Runner.RunOnceAsync(campaign.Id);
        return host;
    }

    [Fact]
    public void The_holdout_share_lies_within_binomial_bounds_and_is_the_same_on_every_call()
    {
        const int n = 20_000;
        var d = Host.Campaign(holdout: 0.1);
        var first = CampaignRunner.AssignerOf(d, ["active"]);
        var second = CampaignRunner.AssignerOf(d, ["active"]);
        var held = Enumerable.Range(0, n).Select(i => $"c{i}").Where(c => first.Assign(CampaignRunner.HoldoutKey(d.Id), c).Variant == CampaignRunner.HoldoutVariant).ToList();
        var again = Enumerable.Range(0, n).Select(i => $"c{i}").Where(c => second.Assign(CampaignRunner.HoldoutKey(d.Id), c).Variant == CampaignRunner.HoldoutVariant).ToList();

        // 4 standard deviations of Binomial(20000, 0.1): sqrt(20000 * 0.1 * 0.9) = 42.4.
        Assert.InRange(held.Count, 2000 - 170, 2000 + 170);
        Assert.Equal(held, again);
        // Another campaign id draws another holdout.
        var other = CampaignRunner.AssignerOf(d with { Id = "winter" }, ["active"]);
        var otherHeld = Enumerable.Range(0, n).Select(i => $"c{i}").Where(c => other.Assign(CampaignRunner.HoldoutKey("winter"), c).Variant == CampaignRunner.HoldoutVariant).ToHashSet();
        Assert.InRange(held.Count(otherHeld.Contains), 200 - 60, 200 + 60); // independent: about 10 % of 2000
    }

    [Fact]
    public async Task Two_hosts_plan_the_same_holdout_and_variants()
    {
        var audience = Host.Audience(400, i => i % 4 == 0 ? "loyal" : "active");
        await using var a = await PlannedAsync(audience, Host.Campaign(holdout: 0.2, maxPerHour: 1000));
        await using var b = await PlannedAsync(audience, Host.Campaign(holdout: 0.2, maxPerHour: 1000));

        var ra = await RecordsAsync(a, "summer");
        var rb = await RecordsAsync(b, "summer");
        Assert.Equal(400, ra.Count);
        Assert.All(ra, kv => Assert.Equal((kv.Value.Status == RecipientStatus.Holdout, kv.Value.Variant), (rb[kv.Key].Status == RecipientStatus.Holdout, rb[kv.Key].Variant)));
        Assert.InRange(ra.Values.Count(r => r.Status == RecipientStatus.Holdout), 80 - 32, 80 + 32); // 4 sd of Binomial(400, 0.2) = 32
    }

    [Fact]
    public async Task Each_layer_gets_its_variants_and_a_layer_without_variants_is_left_out()
    {
        var audience = Host.Audience(600, i => (i % 3) switch { 0 => "loyal", 1 => "active", _ => "churned" });
        await using var host = await PlannedAsync(audience, Host.Campaign(holdout: 0, maxPerHour: 1000));
        await host.DeliverAllAsync();

        var records = await RecordsAsync(host, "summer");
        Assert.Equal(400, records.Count); // churned has no variants and no default
        Assert.All(records.Values.Where(r => r.Layer == "loyal"), r => Assert.Equal("thanks", r.Variant));
        var active = records.Values.Where(r => r.Layer == "active").ToList();
        Assert.Equal(200, active.Count);
        Assert.InRange(active.Count(r => r.Variant == "a"), 100 - 29, 100 + 29); // 4 sd of Binomial(200, 0.5)
        // The channel got the template of each recipient's variant.
        var templateOf = new Dictionary<string, string> { ["thanks"] = "edm_loyal", ["a"] = "edm_a", ["b"] = "edm_b" };
        Assert.Equal(400, host.Channel.Sent.Count);
        Assert.All(host.Channel.Sent, m => Assert.Equal(templateOf[records[m.CustomerId.Value].Variant!], m.Template.Id));

        // With default variants the churned layer is in.
        await using var withDefault = await PlannedAsync(audience, Host.Campaign(holdout: 0, maxPerHour: 1000) with { DefaultVariants = [new CampaignVariant { Key = "plain", TemplateId = "edm_a" }] });
        var all = await RecordsAsync(withDefault, "summer");
        Assert.Equal(600, all.Count);
        Assert.All(all.Values.Where(r => r.Layer == "churned"), r => Assert.Equal("plain", r.Variant));
    }

    [Fact]
    public async Task The_hourly_limit_is_never_exceeded_even_after_the_runner_was_stopped_for_hours()
    {
        var audience = Host.Audience(500);
        await using var host = new Host(audience);
        await host.AddProfilesAsync(audience);
        var campaign = Host.Campaign(holdout: 0, maxPerHour: 40, window: TimeSpan.FromDays(2));
        await host.Runner.StartAsync(campaign);

        for (var step = 0; step < 60; step++)
        {
            await host.Runner.RunOnceAsync("summer");
            host.Time.Advance(TimeSpan.FromMinutes(7));
        }
        host.Time.Advance(TimeSpan.FromHours(5)); // nobody ran the campaign for five hours: the due recipients pile up
        CampaignProgress progress;
        do
        {
            progress = await host.Runner.RunOnceAsync("summer");
            host.Time.Advance(TimeSpan.FromMinutes(13));
        }
        while (progress.State != CampaignState.Completed);

        var records = await RecordsAsync(host, "summer");
        Assert.All(records.Values, r => Assert.Equal(RecipientStatus.HandedOver, r.Status));
        var perHour = records.Values.GroupBy(r => r.HandedAt!.Value.UtcDateTime.ToString("yyyyMMddHH")).Select(g => g.Count()).ToList();
        Assert.All(perHour, c => Assert.InRange(c, 1, 40));
        Assert.Contains(40, perHour); // the limit was reached, not just respected by accident
        Assert.All(records.Values, r => Assert.True(r.HandedAt >= r.DueAt)); // nobody before their slot
        Assert.Equal(500, await host.DeliverAllAsync());
    }

    [Fact]
    public void The_best_hour_needs_the_minimum_of_observations()
    {
        var h = SendTime.Histogram([Host.Start.AddHours(20), Host.Start.AddDays(1).AddHours(20.5), Host.Start.AddHours(9)]);
        Assert.Equal(20, SendTime.BestHour(h, 3));
        Assert.Null(SendTime.BestHour(h, 4));
        Assert.Equal(3, SendTime.BestHour(SendTime.Histogram([Host.Start.AddHours(3), Host.Start.AddHours(5)]), 1)); // ties go to the earlier hour
    }

    [Fact]
    public void A_full_slot_sends_the_customer_at_the_nearest_hour_with_room()
    {
        var slots = new SlotPlanner(Host.Start.AddMinutes(30), Host.Start.AddDays(1), 1);
        Assert.Equal(Host.Start.AddHours(20), slots.Take(20));
        Assert.Equal(Host.Start.AddHours(19), slots.Take(20)); // 19 and 21 are as near: the earlier
        Assert.Equal(Host.Start.AddHours(21), slots.Take(20));
        Assert.Equal(Host.Start.AddMinutes(30), slots.Take(null)); // the first slot starts with the window
        Assert.Equal(24, slots.Capacity);
    }

    [Fact]
    public async Task Each_customer_is_scheduled_at_their_best_hour_else_at_the_segment_s()
    {
        var audience = new List<CampaignAudienceMember>
        {
            new(new CustomerId("a_evening"), "active"),
            new(new CustomerId("b_few"), "active"),
            new(new CustomerId("c_morning"), "active"),
            new(new CustomerId("d_none"), "active"),
        };
        await using var host = new Host(audience);
        await host.AddProfilesAsync(audience);
        var history = new List<MarketingEvent>();
        void Add(string customer, EventType type, params double[] hoursBefore)
        {
            foreach (var h in hoursBefore)
            {
                history.Add(new MarketingEvent { Id = $"{customer}-{history.Count}", Type = type, CustomerId = new CustomerId(customer), OccurredAt = Host.Start.AddHours(-h) });
            }
        }
        Add("a_evening", EventType.MessageOpen, 4, 28, 52);           // 20:00 three days running
        Add("a_evening", EventType.Purchase, 75.5, 99.5);             // 20:30 twice
        Add("b_few", EventType.MessageClick, 21, 45);                 // 03:00, only twice: below the minimum of 3
        Add("c_morning", EventType.MessageClick, 15, 39, 63, 87);     // 09:00 four times
        Add("c_morning", EventType.PageView, 4, 28, 52, 76, 100);     // not a send-time event
        await host.Events.AppendAsync(history);

        await host.Runner.StartAsync(Host.Campaign(holdout: 0, chooseSendTime: true));
        await host.Runner.RunOnceAsync("summer");

        var records = await RecordsAsync(host, "summer");
        Assert.Equal(Host.Start.AddHours(20), records["a_evening"].DueAt);
        Assert.Equal(Host.Start.AddHours(9), records["c_morning"].DueAt);
        // The segment's hours: 20:00 five times, 09:00 four times, 03:00 twice.
        Assert.Equal(Host.Start.AddHours(20), records["b_few"].DueAt);
        Assert.Equal(Host.Start.AddHours(20), records["d_none"].DueAt);

        host.Time.Advance(TimeSpan.FromHours(9));
        Assert.Equal(1, (await host.Runner.RunOnceAsync("summer")).HandedOver);
        host.Time.Advance(TimeSpan.FromHours(11));
        Assert.Equal(3, (await host.Runner.RunOnceAsync("summer")).HandedOver);
    }

    [Fact]
    public void Lift_over_the_holdout_matches_a_hand_computed_example()
    {
        // Treatment 60/1000, holdout 40/1000. By hand: lift = 0.06 / 0.04 - 1 = 0.5; Katz log interval
        // se = sqrt(1/60 - 1/1000 + 1/40 - 1/1000) = 0.199165, 0.5 -> [1.5 e^(-1.959964 se) - 1, 1.5 e^(1.959964 se) - 1]
        // = [0.015224, 1.216260]; Newcombe difference 0.02 in [0.000817, 0.039527]; pooled z = 2.05196, p = 0.04017.
        var lift = CampaignRunner.LiftOf(
        [
            new CampaignGroupCounts("active", "a", 600, 590, 10, 580, 200, 50, 36),
            new CampaignGroupCounts("active", "b", 400, 395, 5, 390, 150, 40, 24),
            new CampaignGroupCounts("active", null, 1000, 0, 0, 0, 0, 0, 40),
        ], 0.95);

        Assert.Equal(new ConversionCounts(1000, 60), lift.Treatment);
        Assert.Equal(new ConversionCounts(1000, 40), lift.Holdout);
        Assert.Equal(0.5, lift.RelativeLift!.Value, 1e-12);
        Assert.Equal(0.015224, lift.RelativeLiftInterval!.Lower, 1e-5);
        Assert.Equal(1.216260, lift.RelativeLiftInterval.Upper, 1e-5);
        Assert.Equal(0.000817, lift.Test!.DifferenceInterval.Lower, 1e-5);
        Assert.Equal(0.039527, lift.Test.DifferenceInterval.Upper, 1e-5);
        Assert.Equal(2.05196, lift.Test.ZStatistic, 1e-4);
        Assert.Equal(0.04017, lift.Test.PValue, 1e-4);
        Assert.Null(CampaignRunner.LiftOf([new CampaignGroupCounts("active", "a", 10, 10, 0, 10, 0, 0, 1)], 0.95).Test); // no holdout, no test
    }

    [Fact]
    public async Task The_report_counts_sends_deliveries_opens_clicks_and_conversions_per_layer_and_variant()
    {
        var audience = Host.Audience(60, i => i % 2 == 0 ? "loyal" : "active");
        await using var host = await PlannedAsync(audience, Host.Campaign(holdout: 0.3, maxPerHour: 1000));
        await host.DeliverAllAsync();
        var records = await RecordsAsync(host, "summer");
        var reporter = host.Provider.GetRequiredService<IMessageStatusReporter>();
        var treated = records.Where(r => r.Value.Variant is not null).OrderBy(r => r.Key).ToList();
        var held = records.Where(r => r.Value.Variant is null).OrderBy(r => r.Key).ToList();
        host.Time.Advance(TimeSpan.FromHours(1));
        var now = host.Time.GetUtcNow();
        foreach (var (customer, r) in treated)
        {
            await reporter.ReportAsync(Channel.Email, "p-" + r.MessageId, ProviderMessageStatus.Delivered, now);
        }
        foreach (var (customer, r) in treated.Take(10))
        {
            await reporter.ReportAsync(Channel.Email, "p-" + r.MessageId, ProviderMessageStatus.Opened, now);
            await reporter.ReportAsync(Channel.Email, "p-" + r.MessageId, ProviderMessageStatus.Opened, now.AddMinutes(1)); // twice: one member
        }
        foreach (var (customer, r) in treated.Take(4))
        {
            await reporter.ReportAsync(Channel.Email, "p-" + r.MessageId, ProviderMessageStatus.Clicked, now);
        }
        var buyers = treated.Take(3).Concat(held.Take(2)).Select(r => r.Key).ToList();
        await host.Events.AppendAsync([.. buyers.Select(c => new MarketingEvent { Id = "buy-" + c, Type = EventType.Purchase, CustomerId = new CustomerId(c), OccurredAt = now.AddDays(2) })]);
        // A purchase after the conversion window does not count.
        await host.Events.AppendAsync([new MarketingEvent { Id = "late", Type = EventType.Purchase, CustomerId = new CustomerId(treated[5].Key), OccurredAt = Host.Start.AddDays(9) }]);

        var report = await host.Runner.GetReportAsync("summer");

        Assert.Equal(CampaignState.Completed, report.State);
        Assert.Equal(60, report.Groups.Sum(g => g.Members));
        foreach (var g in report.Groups)
        {
            var members = records.Where(r => r.Value.Layer == g.Layer && r.Value.Variant == g.Variant).Select(r => r.Key).ToHashSet();
            Assert.Equal(members.Count, g.Members);
            var treatedHere = treated.Where(t => members.Contains(t.Key)).Select(t => t.Key).ToList();
            Assert.Equal(g.Variant is null ? 0 : members.Count, g.Sent);
            Assert.Equal(g.Variant is null ? 0 : members.Count, g.Delivered);
            Assert.Equal(treated.Take(10).Count(t => members.Contains(t.Key)), g.Opened);
            Assert.Equal(treated.Take(4).Count(t => members.Contains(t.Key)), g.Clicked);
            Assert.Equal(buyers.Count(members.Contains), g.Converted);
            Assert.Equal(0, g.NotSent);
        }
        Assert.Equal(new ConversionCounts(treated.Count, 3), report.Lift.Treatment);
        Assert.Equal(new ConversionCounts(held.Count, 2), report.Lift.Holdout);
        Assert.Equal(ProportionTest.TwoSample(report.Lift.Holdout, report.Lift.Treatment), report.Lift.Test);
        Assert.Equal(["active", "loyal"], report.LayerLift.Keys.Order());
    }

    [Fact]
    public async Task A_refused_definition_names_the_field_and_a_second_start_with_another_definition_is_refused()
    {
        await using var host = new Host([]);
        var e = await Assert.ThrowsAsync<MarketingValidationException>(async () => await host.Runner.StartAsync(Host.Campaign(holdout: 0.7)));
        Assert.Equal("holdoutShare", e.Field);
        await host.Runner.StartAsync(Host.Campaign());
        await host.Runner.StartAsync(Host.Campaign()); // the same again is harmless
        await Assert.ThrowsAsync<MarketingValidationException>(async () => await host.Runner.StartAsync(Host.Campaign(maxPerHour: 7)));
        await Assert.ThrowsAsync<CampaignNotFoundException>(async () => await host.Runner.RunOnceAsync("nope"));
    }

    [Fact]
    public async Task A_recipient_the_sender_refuses_is_counted_as_not_sent_and_never_retried()
    {
        var audience = Host.Audience(5);
        await using var host = new Host(audience);
        await host.AddProfilesAsync(audience.Skip(1)); // the first has no profile: no address, no consent
        await host.Runner.StartAsync(Host.Campaign(holdout: 0));
        var progress = await host.Runner.RunOnceAsync("summer");
        await host.DeliverAllAsync();

        Assert.Equal(CampaignState.Completed, progress.State);
        Assert.Equal(5, progress.HandedOver);
        var report = await host.Runner.GetReportAsync("summer");
        Assert.Equal(1, report.Groups.Sum(g => g.NotSent));
        Assert.Equal(4, report.Groups.Sum(g => g.Sent));
        Assert.Equal(RecipientStatus.Refused, (await RecordsAsync(host, "summer"))["c00000"].Status);
        Assert.Equal(4, host.Channel.Sent.Count);
    }

    [Fact]
    public async Task The_background_service_runs_every_active_campaign_and_one_failure_does_not_stop_the_others()
    {
        var audience = Host.Audience(10);
        await using var host = new Host(audience);
        await host.AddProfilesAsync(audience);
        var broken = Host.Campaign("broken", holdout: 0) with { LayerVariants = new Dictionary<string, IReadOnlyList<CampaignVariant>> { ["active"] = [new CampaignVariant { Key = "x", TemplateId = "no_such_template" }] } };
        var refused = await Assert.ThrowsAsync<MarketingValidationException>(async () => await host.Runner.StartAsync(broken));
        Assert.Equal("variants.templateId", refused.Field);
        // Stored anyway (as if the template had been registered on another host only): every run of it fails.
        await host.State.SaveAsync(CampaignRunner.CampaignScope, "broken", JsonSerializer.Serialize(new CampaignDocument(broken, CampaignState.Pending, 0, 0, Host.Start), CampaignJsonContext.Default.CampaignDocument), 0);
        await host.Runner.StartAsync(Host.Campaign("works", holdout: 0));
        var service = host.Provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<CampaignService>().Single();

        await service.RunActiveAsync(CancellationToken.None);

        Assert.Equal(["broken"], await host.Runner.ListActiveAsync());
        Assert.Equal(10, (await host.Runner.GetReportAsync("works")).Groups.Sum(g => g.Members));
    }
}
