using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Platforms.Meta.Tests;

public sealed class InsightsTests
{
    private static List<MetaInsightsSeedRow> Seed()
    {
        var rows = new List<MetaInsightsSeedRow>();
        var start = new DateOnly(2026, 3, 1);
        for (var d = 0; d < 10; d++)
        {
            foreach (var (campaign, adset) in new[] { ("111", "1111"), ("111", "1112"), ("222", "2221") })
            {
                rows.Add(new MetaInsightsSeedRow
                {
                    Date = start.AddDays(d),
                    CampaignId = campaign,
                    CampaignName = "Campaign " + campaign,
                    AdSetId = adset,
                    Spend = 10.25m + d,
                    Impressions = 1000 + d,
                    Clicks = 30 + d,
                    Actions = new Dictionary<string, decimal> { ["purchase"] = 2, ["omni_purchase"] = 3, ["link_click"] = 30 + d },
                    ActionValues = new Dictionary<string, decimal> { ["purchase"] = 99.5m, ["omni_purchase"] = 120m },
                });
            }
        }
        return rows;
    }

    [Fact]
    public async Task Campaign_rows_are_read_to_the_end_across_cursor_pages()
    {
        await using var scope = await MetaScope.StartAsync(currency: "EUR");
        scope.Emulator.SeedInsights(MetaScope.Account, Seed());
        var client = scope.Client(o => o.InsightsPageSize = 3);

        var rows = new List<AdReportRow>();
        await foreach (var row in client.GetReportAsync(new AdReportQuery("act_" + MetaScope.Account, new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 8))))
        {
            rows.Add(row);
        }

        Assert.Equal(14, rows.Count); // 7 days × 2 campaigns
        Assert.Equal(5, scope.Emulator.RequestCount); // ceil(14 / 3)
        Assert.Equal(rows.Count, rows.Select(r => (r.Date, r.CampaignId)).Distinct().Count());
        var first = rows.First(r => r.CampaignId == "111" && r.Date == new DateOnly(2026, 3, 2));
        Assert.Equal(new Money(2 * 11.25m, "EUR"), first.Spend);
        Assert.Equal(2 * 1001, first.Impressions);
        Assert.Equal(2 * 31, first.Clicks);
        Assert.Equal(4, first.Conversions); // the purchase action, not purchase + omni_purchase
        Assert.Equal(new Money(199m, "EUR"), first.ConversionValue);
        Assert.Equal("Campaign 111", first.CampaignName);
        Assert.Null(first.AdSetId);
        Assert.Equal(Channel.Meta, first.Platform);
        var total = Money.Sum(rows.Select(r => r.Spend), "EUR");
        Assert.Equal(new Money(Enumerable.Range(1, 7).Sum(d => 3 * (10.25m + d)), "EUR"), total);
    }

    [Fact]
    public async Task Ad_set_rows_carry_the_ad_set_and_the_configured_action_priority()
    {
        await using var scope = await MetaScope.StartAsync();
        scope.Emulator.SeedInsights(MetaScope.Account, Seed());
        var client = scope.Client(o =>
        {
            o.InsightsPageSize = 500;
            o.ConversionActionTypes.Clear();
            o.ConversionActionTypes.Add("omni_purchase");
        });

        var rows = new List<AdReportRow>();
        await foreach (var row in client.GetReportAsync(new AdReportQuery(MetaScope.Account, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 10), ReportLevel.AdSet)))
        {
            rows.Add(row);
        }

        Assert.Equal(30, rows.Count);
        Assert.Equal(1, scope.Emulator.RequestCount);
        Assert.Equal(["1111", "1112", "2221"], rows.Select(r => r.AdSetId!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(3, r.Conversions));
        Assert.All(rows, r => Assert.Equal(new Money(120m, "USD"), r.ConversionValue));
    }

    [Fact]
    public async Task An_empty_range_yields_nothing_and_a_bad_query_is_refused()
    {
        await using var scope = await MetaScope.StartAsync();
        scope.Emulator.SeedInsights(MetaScope.Account, Seed());
        var client = scope.Client();

        var none = new List<AdReportRow>();
        await foreach (var row in client.GetReportAsync(new AdReportQuery(MetaScope.Account, new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 31))))
        {
            none.Add(row);
        }
        Assert.Empty(none);

        await Assert.ThrowsAsync<MarketingValidationException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery(MetaScope.Account, new DateOnly(2026, 3, 5), new DateOnly(2026, 3, 1)))) { }
        });
        await Assert.ThrowsAsync<PlatformRequestException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("act_abc", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 5)))) { }
        });
        var unknown = await Assert.ThrowsAsync<PlatformApiException>(async () =>
        {
            await foreach (var _ in client.GetReportAsync(new AdReportQuery("42", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 5)))) { }
        });
        Assert.Equal(PlatformErrorClass.Unauthorized, unknown.ErrorClass);
    }
}

public sealed class CampaignControlTests
{
    [Fact]
    public async Task Status_and_budget_changes_reach_the_platform_in_minor_units()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();

        var results = await client.ApplyAsync(
        [
            CampaignChange.Pause(MetaScope.Account, MetaScope.Campaign),
            CampaignChange.SetDailyBudget(MetaScope.Account, MetaScope.AdSet, new Money(20m, "USD"), CampaignObjectLevel.AdSet),
        ]);

        Assert.All(results, r => Assert.True(r.Applied, r.Reason));
        Assert.Equal("PAUSED", scope.Emulator.GetObject(MetaScope.Campaign).Status);
        Assert.Equal(2000, scope.Emulator.GetObject(MetaScope.AdSet).DailyBudget);

        await client.ApplyAsync([CampaignChange.Resume(MetaScope.Account, MetaScope.Campaign)]);
        Assert.Equal("ACTIVE", scope.Emulator.GetObject(MetaScope.Campaign).Status);
    }

    [Theory]
    [InlineData("JPY", "2500", 2500)]
    [InlineData("USD", "19.999", 2000)]
    [InlineData("KWD", "1.5", 1500)]
    public async Task Budgets_use_the_currencys_minor_unit_digits(string currency, string amount, long expected)
    {
        await using var scope = await MetaScope.StartAsync(currency);
        var client = scope.Client();

        var result = Assert.Single(await client.ApplyAsync([CampaignChange.SetDailyBudget(MetaScope.Account, MetaScope.Campaign, new Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency))]));

        Assert.True(result.Applied, result.Reason);
        Assert.Equal(expected, scope.Emulator.GetObject(MetaScope.Campaign).DailyBudget);
    }

    [Fact]
    public async Task The_fifth_budget_change_of_an_ad_set_within_an_hour_is_refused_client_side()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client();
        var changes = Enumerable.Range(1, 5).Select(i => CampaignChange.SetDailyBudget(MetaScope.Account, MetaScope.AdSet, new Money(10m * i, "USD"), CampaignObjectLevel.AdSet)).ToList();

        var results = await client.ApplyAsync(changes);

        Assert.Equal([true, true, true, true, false], results.Select(r => r.Applied));
        Assert.Equal("budget_change_limit", results[4].Code);
        Assert.Contains("4 budget changes per ad set per hour", results[4].Reason, StringComparison.Ordinal);
        Assert.Contains("2026-03-10T13:00:00", results[4].Reason, StringComparison.Ordinal);
        Assert.Equal(4, scope.Emulator.GetObject(MetaScope.AdSet).BudgetChanges.Count);
        Assert.Equal(4, scope.Emulator.RequestCount);
        Assert.Equal(4000, scope.Emulator.GetObject(MetaScope.AdSet).DailyBudget);

        // Status changes and campaign budgets are not limited; an hour later the ad set may change again.
        Assert.True(Assert.Single(await client.ApplyAsync([CampaignChange.Pause(MetaScope.Account, MetaScope.AdSet, CampaignObjectLevel.AdSet)])).Applied);
        scope.Time.Advance(TimeSpan.FromHours(1));
        Assert.True(Assert.Single(await client.ApplyAsync([changes[4]])).Applied);
        Assert.Equal(5000, scope.Emulator.GetObject(MetaScope.AdSet).DailyBudget);
    }

    [Fact]
    public async Task A_refused_change_does_not_stop_the_others_and_does_not_use_a_budget_slot()
    {
        await using var scope = await MetaScope.StartAsync();
        var client = scope.Client(o => o.AccountCurrency = "USD");

        var results = await client.ApplyAsync(
        [
            CampaignChange.SetDailyBudget(MetaScope.Account, "777", new Money(5m, "USD"), CampaignObjectLevel.AdSet),
            CampaignChange.SetDailyBudget(MetaScope.Account, MetaScope.AdSet, new Money(5m, "EUR"), CampaignObjectLevel.AdSet),
            CampaignChange.Pause(MetaScope.Account, "not-a-number"),
            CampaignChange.Pause(MetaScope.Account, MetaScope.Campaign),
        ]);

        Assert.Equal([false, false, false, true], results.Select(r => r.Applied));
        Assert.Equal("100", results[0].Code);
        Assert.Equal("currency_mismatch", results[1].Code);
        Assert.Equal("invalid_id", results[2].Code);
        Assert.Equal(0, client.BudgetChangesInLastHour("777"));
    }
}
