using Marketing.Sdk.Platforms.Http;
using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.TencentAds.Tests;

public sealed class ReportingAndCampaignTests
{
    private static readonly DateOnly Day1 = new(2026, 3, 1);

    private static void Seed(TencentAdsEmulator emulator, int days)
    {
        emulator.SeedReportRows(Enumerable.Range(0, days).SelectMany(d => new[]
        {
            new TencentAdsReportSeedRow(TencentHarness.Account, Day1.AddDays(d), "301", "401") { CampaignName = "spring", CostFen = 12_345, Views = 1000, Clicks = 30, Conversions = 3, OrderAmountFen = 99_901 },
            new TencentAdsReportSeedRow(TencentHarness.Account, Day1.AddDays(d), "301", "402") { CampaignName = "spring", CostFen = 1, Views = 10, Clicks = 1, Conversions = 0, OrderAmountFen = 0 },
        }));
    }

    [Fact]
    public async Task Campaign_rows_are_paged_to_the_end_with_money_converted_from_fen_exactly()
    {
        await using var h = await TencentHarness.StartAsync();
        Seed(h.Emulator, 25);
        var client = h.Client(o => o.ReportPageSize = 10);

        var rows = await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, Day1, Day1.AddDays(24))).ToListAsync();

        Assert.Equal(25, rows.Count);
        Assert.Equal(3, h.Emulator.ReportPagesServed);
        Assert.Equal(Enumerable.Range(0, 25).Select(d => Day1.AddDays(d)), rows.Select(r => r.Date));
        var row = rows[0];
        Assert.Equal(Channel.TencentAds, row.Platform);
        Assert.Equal("301", row.CampaignId);
        Assert.Equal("spring", row.CampaignName);
        Assert.Equal(new Money(123.46m, "CNY"), row.Spend);
        Assert.Equal(123.46m, row.Spend.Amount);
        Assert.Equal(new Money(999.01m, "CNY"), row.ConversionValue);
        Assert.Equal((1010L, 31L, 3d), (row.Impressions, row.Clicks, row.Conversions));
    }

    [Fact]
    public async Task Ad_group_rows_name_their_ad_group()
    {
        await using var h = await TencentHarness.StartAsync();
        Seed(h.Emulator, 2);
        var client = h.Client(o => o.ReportPageSize = 3);

        var rows = await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, Day1, Day1.AddDays(1), ReportLevel.AdSet)).ToListAsync();

        Assert.Equal(["401", "402", "401", "402"], rows.Select(r => r.AdSetId));
        Assert.Equal(0.01m, rows[1].Spend.Amount);
        Assert.Equal(2, h.Emulator.ReportPagesServed);
    }

    [Fact]
    public async Task Paging_stops_at_MaxPages_with_a_typed_error()
    {
        await using var h = await TencentHarness.StartAsync();
        Seed(h.Emulator, 10);
        var client = h.Client(o => { o.ReportPageSize = 1; o.MaxPages = 4; });

        var error = await Assert.ThrowsAsync<PlatformApiException>(async () => await client.GetReportAsync(new AdReportQuery(TencentHarness.Account, Day1, Day1.AddDays(9))).ToListAsync());

        Assert.Equal(PlatformApiClient.PageLimitCode, error.PlatformCode);
    }

    [Fact]
    public async Task Ad_groups_are_paused_resumed_and_budgeted_in_fen_with_a_result_per_change()
    {
        await using var h = await TencentHarness.StartAsync();
        h.Emulator.AddAdGroup(TencentHarness.Account, "401");
        h.Emulator.AddAdGroup(TencentHarness.Account, "402");
        var client = h.Client();

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(TencentHarness.Account, "401", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(TencentHarness.Account, "499", CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(TencentHarness.Account, "402", new Money(123.45m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(TencentHarness.Account, "401", new Money(10m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(TencentHarness.Account, "401", new Money(100.001m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.Pause(TencentHarness.Account, "301"),
        ]);

        Assert.Equal([true, false, true, false, false, false], results.Select(r => r.Applied));
        Assert.Equal("31003", results[1].Code);
        Assert.Equal(TencentAdsPlatformClient.PreSendRejectionCode, results[3].Code);
        Assert.Equal(TencentAdsPlatformClient.PreSendRejectionCode, results[5].Code);
        Assert.Equal("AD_STATUS_SUSPEND", h.Emulator.GetAdGroup("401")!.ConfiguredStatus);
        Assert.Equal(12_345, h.Emulator.GetAdGroup("402")!.DailyBudgetFen);
        Assert.Equal(10_000, h.Emulator.GetAdGroup("401")!.DailyBudgetFen);

        var resumed = await client.ApplyAsync([CampaignChange.Resume(TencentHarness.Account, "401", CampaignObjectLevel.AdSet)]);
        Assert.True(Assert.Single(resumed).Applied);
        Assert.Equal("AD_STATUS_NORMAL", h.Emulator.GetAdGroup("401")!.ConfiguredStatus);
    }
}
