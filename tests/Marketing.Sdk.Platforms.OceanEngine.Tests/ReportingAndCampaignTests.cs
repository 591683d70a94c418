using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.OceanEngine.Tests;

public sealed class ReportingTests
{
    private static readonly DateOnly Day1 = new(2026, 3, 1);
    private static readonly DateOnly Day2 = new(2026, 3, 2);

    private static void Seed(OceanEngineEmulator emulator, int promotions)
    {
        emulator.SeedReportRows(Enumerable.Range(0, promotions).SelectMany(i => new[]
        {
            new OceanEngineReportSeedRow(OceanHarness.Advertiser, Day1, "7" + (i % 3), "8" + i) { ProjectName = "项目" + (i % 3), Cost = 12.34m, Shows = 1000, Clicks = 30, Conversions = 2, PayOrderAmount = 99.90m },
            new OceanEngineReportSeedRow(OceanHarness.Advertiser, Day2, "7" + (i % 3), "8" + i) { ProjectName = "项目" + (i % 3), Cost = 0.01m, Shows = 10, Clicks = 1, Conversions = 0, PayOrderAmount = 0m },
        }));
    }

    [Fact]
    public async Task Promotion_rows_are_paged_to_the_end_with_yuan_read_exactly()
    {
        await using var h = await OceanHarness.StartAsync();
        Seed(h.Emulator, 25);
        var client = h.Client(o => o.ReportPageSize = 7);

        var rows = await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, Day1, Day2, ReportLevel.AdSet)).ToListAsync();

        Assert.Equal(50, rows.Count);
        Assert.Equal(8, h.Emulator.ReportPagesServed); // ceil(50 / 7)
        Assert.Equal(50, rows.Select(r => (r.Date, r.AdSetId)).Distinct().Count());
        Assert.Equal(25 * 12.35m, rows.Sum(r => r.Spend.Amount)); // 12.34 + 0.01 per promotion, no float drift
        Assert.All(rows, r => Assert.Equal("CNY", r.Spend.Currency));
        Assert.All(rows, r => Assert.Equal(Channel.OceanEngine, r.Platform));
        var first = rows.First(r => r.Date == Day1 && r.AdSetId == "80");
        Assert.Equal(("70", 1000L, 30L, 2d), (first.CampaignId, first.Impressions, first.Clicks, first.Conversions));
    }

    [Fact]
    public async Task Project_level_sums_the_promotions_of_each_project_and_day()
    {
        await using var h = await OceanHarness.StartAsync();
        Seed(h.Emulator, 6);
        var client = h.Client();

        var rows = await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, Day1, Day1)).ToListAsync();

        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(24.68m, r.Spend.Amount));
        Assert.All(rows, r => Assert.Null(r.AdSetId));
        Assert.Equal("项目0", rows.Single(r => r.CampaignId == "70").CampaignName);
    }

    [Fact]
    public async Task Qianchuan_reports_ad_plans_with_the_paid_order_amount_as_value()
    {
        await using var h = await OceanHarness.StartAsync();
        Seed(h.Emulator, 5);
        var client = h.Client(o => { o.Product = OceanEngineProduct.Qianchuan; o.ReportPageSize = 3; });

        var rows = await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, Day1, Day2, ReportLevel.AdSet)).ToListAsync();

        Assert.Equal(10, rows.Count);
        Assert.Equal(4, h.Emulator.ReportPagesServed);
        var row = rows.First(r => r.Date == Day1 && r.AdSetId == "80");
        Assert.Equal(new Money(99.90m, "CNY"), row.ConversionValue);
        Assert.Equal(new Money(12.34m, "CNY"), row.Spend);
        await Assert.ThrowsAsync<PlatformRequestException>(async () =>
            await client.GetReportAsync(new AdReportQuery(OceanHarness.Advertiser, Day1, Day2)).ToListAsync());
    }
}

public sealed class CampaignTests
{
    private const string A = OceanHarness.Advertiser;

    [Fact]
    public async Task Projects_and_promotions_pause_resume_and_take_yuan_budgets_with_per_item_errors()
    {
        await using var h = await OceanHarness.StartAsync();
        h.Emulator.AddObject(OceanEngineObjectKind.Project, A, "701");
        h.Emulator.AddObject(OceanEngineObjectKind.Promotion, A, "801");
        h.Emulator.AddObject(OceanEngineObjectKind.Promotion, A, "802");
        h.Emulator.AddObject(OceanEngineObjectKind.Promotion, A, "803");
        h.Emulator.FailItem("803");
        var client = h.Client();

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(A, "701"),
            CampaignChange.Pause(A, "801", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(A, "803", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(A, "999", CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(A, "802", new Money(1234.56m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(A, "701", new Money(100m, "CNY")),
            CampaignChange.SetDailyBudget(A, "801", new Money(300.005m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(A, "801", new Money(500m, "USD"), CampaignObjectLevel.AdSet),
        ]);

        Assert.Equal([true, true, false, false, true, false, false, false], results.Select(r => r.Applied));
        Assert.Equal(OceanEnginePlatformClient.ItemErrorCode, results[2].Code);
        Assert.Equal(OceanEnginePlatformClient.ItemErrorCode, results[3].Code);
        Assert.Equal(OceanEnginePlatformClient.ItemErrorCode, results[5].Code); // below the emulator's 300 yuan minimum
        Assert.Contains("300", results[5].Reason, StringComparison.Ordinal);
        Assert.Equal(OceanEnginePlatformClient.PreSendRejectionCode, results[6].Code);
        Assert.Equal(OceanEnginePlatformClient.PreSendRejectionCode, results[7].Code);
        Assert.Equal("DISABLE", h.Emulator.GetObject(OceanEngineObjectKind.Project, "701")!.OptStatus);
        Assert.Equal("DISABLE", h.Emulator.GetObject(OceanEngineObjectKind.Promotion, "801")!.OptStatus);
        Assert.Equal("ENABLE", h.Emulator.GetObject(OceanEngineObjectKind.Promotion, "803")!.OptStatus);
        Assert.Equal(1234.56m, h.Emulator.GetObject(OceanEngineObjectKind.Promotion, "802")!.Budget);
        Assert.Equal("BUDGET_MODE_DAY", h.Emulator.GetObject(OceanEngineObjectKind.Promotion, "802")!.BudgetMode);

        var resumed = await client.ApplyAsync([CampaignChange.Resume(A, "801", CampaignObjectLevel.AdSet)]);
        Assert.True(Assert.Single(resumed).Applied);
        Assert.Equal("ENABLE", h.Emulator.GetObject(OceanEngineObjectKind.Promotion, "801")!.OptStatus);
    }

    [Fact]
    public async Task More_changes_than_one_request_takes_are_split_and_each_keeps_its_own_result()
    {
        await using var h = await OceanHarness.StartAsync();
        for (var i = 0; i < 23; i++)
        {
            h.Emulator.AddObject(OceanEngineObjectKind.Promotion, A, (900 + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        h.Emulator.FailItem("915");
        var client = h.Client();

        var results = await client.ApplyAsync([.. Enumerable.Range(0, 23).Select(i => CampaignChange.Pause(A, (900 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), CampaignObjectLevel.AdSet))]);

        Assert.Equal(22, results.Count(r => r.Applied));
        Assert.False(results[15].Applied);
    }

    [Fact]
    public async Task Qianchuan_ad_plans_pause_and_take_budgets_and_campaign_level_is_refused()
    {
        await using var h = await OceanHarness.StartAsync();
        h.Emulator.AddObject(OceanEngineObjectKind.QianchuanAd, A, "501");
        h.Emulator.AddObject(OceanEngineObjectKind.QianchuanAd, A, "502");
        var client = h.Client(o => o.Product = OceanEngineProduct.Qianchuan);

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(A, "501", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(A, "599", CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(A, "502", new Money(888.80m, "CNY"), CampaignObjectLevel.AdSet),
            CampaignChange.Pause(A, "501"),
        ]);

        Assert.Equal([true, false, true, false], results.Select(r => r.Applied));
        Assert.Equal(OceanEnginePlatformClient.ItemErrorCode, results[1].Code);
        Assert.Equal(OceanEnginePlatformClient.PreSendRejectionCode, results[3].Code);
        Assert.Equal("DISABLE", h.Emulator.GetObject(OceanEngineObjectKind.QianchuanAd, "501")!.OptStatus);
        Assert.Equal(888.80m, h.Emulator.GetObject(OceanEngineObjectKind.QianchuanAd, "502")!.Budget);
    }
}
