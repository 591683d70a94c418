using Marketing.Sdk.Platforms.Google;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class ReportingTests
{
    private static readonly DateOnly Day1 = new(2026, 3, 1);

    private static void Seed(GoogleEmulator emulator)
    {
        emulator.SeedAccount(GoogleEnv.Customer, "USD");
        var rows = new List<GoogleReportSeed>();
        for (var d = 0; d < 3; d++)
        {
            foreach (var campaign in new[] { "11", "12" })
            {
                foreach (var adGroup in new[] { "1", "2" })
                {
                    rows.Add(new GoogleReportSeed(GoogleEnv.Customer, Day1.AddDays(d), campaign, "Campaign " + campaign, campaign + adGroup, "Group " + adGroup,
                        CostMicros: 1_230_000 * (d + 1), Impressions: 100, Clicks: 7, Conversions: 1.5, ConversionsValue: 10.25));
                }
            }
        }
        emulator.SeedReport(rows);
        emulator.StreamBatchSize = 2;
    }

    [Fact]
    public async Task Campaign_report_streams_every_batch_with_micros_as_money()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: Seed);
        var reporting = env.Provider.GetRequiredKeyedService<IAdReporting>("google");

        var rows = await reporting.GetReportAsync(new AdReportQuery("123-456-7890", Day1, Day1.AddDays(2))).ToListAsync();

        Assert.Equal(6, rows.Count); // 3 days × 2 campaigns, served in 3 batches of 2
        var first = rows[0];
        Assert.Equal(Day1, first.Date);
        Assert.Equal("11", first.CampaignId);
        Assert.Equal("Campaign 11", first.CampaignName);
        Assert.Null(first.AdSetId);
        Assert.Equal(new Money(2.46m, "USD"), first.Spend); // two ad groups × 1 230 000 micros
        Assert.Equal(200, first.Impressions);
        Assert.Equal(14, first.Clicks);
        Assert.Equal(3.0, first.Conversions);
        Assert.Equal(new Money(20.5m, "USD"), first.ConversionValue);
        Assert.Equal(14.76m, rows.Where(r => r.CampaignId == "11").Sum(r => r.Spend.Amount)); // 2.46 + 4.92 + 7.38
        Assert.Contains("segments.date BETWEEN '2026-03-01' AND '2026-03-03'", Assert.Single(env.Emulator.Queries));
        Assert.Contains("customer.currency_code", env.Emulator.Queries[0]);
        Assert.Equal("v26", env.Emulator.LastApiVersion);
        Assert.Equal("1112223333", env.Emulator.LastLoginCustomerId);
        Assert.Equal("dev-token", env.Emulator.LastDeveloperToken);
    }

    [Fact]
    public async Task Ad_group_report_returns_one_row_per_day_and_ad_group_within_the_range()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.GoogleAdsApiVersion = "v25", Seed);
        var rows = await env.Client.GetReportAsync(new AdReportQuery(GoogleEnv.Customer, Day1.AddDays(1), Day1.AddDays(2), ReportLevel.AdSet)).ToListAsync();

        Assert.Equal(8, rows.Count);
        Assert.All(rows, r => Assert.InRange(r.Date, Day1.AddDays(1), Day1.AddDays(2)));
        Assert.Equal(["111", "112", "121", "122"], rows.Where(r => r.Date == Day1.AddDays(1)).Select(r => r.AdSetId!));
        Assert.All(rows.Where(r => r.Date == Day1.AddDays(2)), r => Assert.Equal(new Money(3.69m, "USD"), r.Spend));
        Assert.Contains("FROM ad_group", env.Emulator.Queries[0]);
        Assert.Equal("v25", env.Emulator.LastApiVersion);
    }

    [Fact]
    public async Task An_empty_range_yields_no_rows()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: Seed);
        Assert.Empty(await env.Client.GetReportAsync(new AdReportQuery(GoogleEnv.Customer, new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 2))).ToListAsync());
    }

    [Fact]
    public async Task A_stream_that_ends_with_an_error_throws_after_the_rows_it_delivered()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: e => { Seed(e); e.FailStreamAfterBatches = 1; });
        var seen = new List<AdReportRow>();
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var row in env.Client.GetReportAsync(new AdReportQuery(GoogleEnv.Customer, Day1, Day1.AddDays(2))))
            {
                seen.Add(row);
            }
        });
        Assert.Equal(2, seen.Count);
        Assert.Equal(PlatformErrorClass.Transient, ex.ErrorClass);
        Assert.Equal("InternalError.TRANSIENT_ERROR", ex.PlatformSubCode);
    }

    [Fact]
    public async Task An_account_without_access_is_unauthorized()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: Seed);
        var ex = await Assert.ThrowsAsync<PlatformApiException>(async () => await env.Client.GetReportAsync(new AdReportQuery("999", Day1, Day1)).ToListAsync());
        Assert.Equal(PlatformErrorClass.Unauthorized, ex.ErrorClass);
        Assert.Equal("PERMISSION_DENIED", ex.PlatformCode);
        Assert.Equal("AuthorizationError.USER_PERMISSION_DENIED", ex.PlatformSubCode);
        Assert.StartsWith("emu-", ex.RequestId);
    }

    [Fact]
    public void The_GAQL_selects_the_account_currency_and_a_date_range()
    {
        var gaql = GooglePlatformClient.BuildQuery(new AdReportQuery("1", new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31)));
        Assert.Equal("SELECT customer.currency_code, campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value FROM campaign WHERE segments.date BETWEEN '2026-01-01' AND '2026-01-31'", gaql);
    }
}
