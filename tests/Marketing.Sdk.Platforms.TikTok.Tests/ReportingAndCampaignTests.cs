using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.TikTok.Tests;

public sealed class ReportingAndCampaignTests
{
    private static readonly DateOnly Day1 = new(2026, 3, 1);

    private static IEnumerable<TikTokReportSeedRow> Rows(int days) =>
        from d in Enumerable.Range(0, days)
        from c in new[] { "c1", "c2" }
        from g in new[] { "g1", "g2" }
        select new TikTokReportSeedRow(TikTokHarness.Advertiser, Day1.AddDays(d), c, $"{c}-{g}")
        {
            CampaignName = "Campaign " + c,
            Spend = 10.25m + d,
            Impressions = 1000 + d,
            Clicks = 10,
            Conversions = 2,
            ConversionValue = 99.5m,
        };

    [Fact]
    public async Task A_campaign_report_pages_to_the_end()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.SeedReportRows(Rows(12));
        h.Emulator.SeedReportRows([new TikTokReportSeedRow("other-advertiser", Day1, "cX") { Spend = 1 }]);
        var client = h.Client(o => o.ReportPageSize = 10);

        var rows = await client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, Day1, Day1.AddDays(11))).ToListAsync();

        Assert.Equal(24, rows.Count);
        Assert.Equal(3, h.Emulator.RequestCount);
        Assert.Equal(24, rows.Select(r => (r.Date, r.CampaignId)).Distinct().Count());
        var first = rows.Single(r => r.Date == Day1 && r.CampaignId == "c1");
        Assert.Equal(Channel.TikTok, first.Platform);
        Assert.Equal(new Money(20.50m, "USD"), first.Spend);
        Assert.Equal(2000, first.Impressions);
        Assert.Equal(20, first.Clicks);
        Assert.Equal(4, first.Conversions);
        Assert.Equal(new Money(199m, "USD"), first.ConversionValue);
        Assert.Equal("Campaign c1", first.CampaignName);
        Assert.Null(first.AdSetId);
        var expectedSpend = Rows(12).Sum(r => r.Spend);
        Assert.Equal(expectedSpend, rows.Sum(r => r.Spend.Amount));
    }

    [Fact]
    public async Task An_ad_group_report_names_the_campaign_of_each_ad_group()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.SeedReportRows(Rows(3));
        var client = h.Client(o => o.AccountCurrency = "EUR");

        var rows = await client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, Day1, Day1.AddDays(2), ReportLevel.AdSet)).ToListAsync();

        Assert.Equal(12, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.AdSetId![..2], r.CampaignId));
        Assert.All(rows, r => Assert.Equal("EUR", r.Spend.Currency));
    }

    [Fact]
    public async Task A_long_range_is_split_into_windows_the_platform_accepts()
    {
        await using var h = await TikTokHarness.StartAsync();
        h.Emulator.SeedReportRows(Rows(45).Where(r => r.Date == Day1 || r.Date == Day1.AddDays(44)));
        var client = h.Client();

        var rows = await client.GetReportAsync(new AdReportQuery(TikTokHarness.Advertiser, Day1, Day1.AddDays(44))).ToListAsync();

        Assert.Equal(4, rows.Count);
        Assert.Equal(2, h.Emulator.RequestCount);
        Assert.Equal([Day1, Day1.AddDays(44)], rows.Select(r => r.Date).Distinct());
    }

    [Fact]
    public async Task Pause_resume_and_budget_changes_are_applied()
    {
        await using var h = await TikTokHarness.StartAsync();
        const string adv = TikTokHarness.Advertiser;
        h.Emulator.AddCampaign(adv, "c1");
        h.Emulator.AddCampaign(adv, "c2", status: "DISABLE");
        h.Emulator.AddAdGroup(adv, "g1", budget: 50);
        var client = h.Client();

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(adv, "c1"),
            CampaignChange.Resume(adv, "c2"),
            CampaignChange.SetDailyBudget(adv, "c1", new Money(120.555m, "USD")),
            CampaignChange.SetDailyBudget(adv, "g1", new Money(75m, "USD"), CampaignObjectLevel.AdSet),
            CampaignChange.Pause(adv, "g1", CampaignObjectLevel.AdSet),
        ]);

        Assert.All(results, r => Assert.True(r.Applied, r.Reason));
        Assert.Equal("DISABLE", h.Emulator.GetCampaign("c1")!.Status);
        Assert.Equal("ENABLE", h.Emulator.GetCampaign("c2")!.Status);
        Assert.Equal(120.56m, h.Emulator.GetCampaign("c1")!.Budget);
        Assert.Equal(75m, h.Emulator.GetAdGroup("g1")!.Budget);
        Assert.Equal("DISABLE", h.Emulator.GetAdGroup("g1")!.Status);
    }

    [Fact]
    public async Task A_partly_refused_status_change_is_mapped_to_the_right_change()
    {
        await using var h = await TikTokHarness.StartAsync();
        const string adv = TikTokHarness.Advertiser;
        h.Emulator.AddCampaign(adv, "c1");
        h.Emulator.AddCampaign(adv, "c3");
        var client = h.Client();

        var results = await client.ApplyAsync([CampaignChange.Pause(adv, "c1"), CampaignChange.Pause(adv, "missing"), CampaignChange.Pause(adv, "c3")]);

        Assert.Equal([true, false, true], results.Select(r => r.Applied));
        Assert.Equal("20001", results[1].Code);
        Assert.Contains("missing", results[1].Reason);
        Assert.Equal(1, h.Emulator.RequestCount);
        Assert.Equal("DISABLE", h.Emulator.GetCampaign("c3")!.Status);
    }

    [Fact]
    public async Task Refused_changes_do_not_stop_the_others()
    {
        await using var h = await TikTokHarness.StartAsync();
        const string adv = TikTokHarness.Advertiser;
        h.Emulator.AddCampaign(adv, "c1");
        var client = h.Client();

        var results = await client.ApplyAsync(
        [
            CampaignChange.SetDailyBudget(adv, "unknown", new Money(10m, "USD")),
            CampaignChange.SetDailyBudget(adv, "c1", new Money(10m, "EUR")),
            CampaignChange.SetDailyBudget(adv, "c1", new Money(30m, "USD")),
        ]);

        Assert.Equal([false, false, true], results.Select(r => r.Applied));
        Assert.Equal("40002", results[0].Code);
        Assert.Equal(TikTokPlatformClient.PreSendRejectionCode, results[1].Code);
        Assert.Equal(30m, h.Emulator.GetCampaign("c1")!.Budget);
        Assert.Equal(2, h.Emulator.RequestCount);
    }
}
