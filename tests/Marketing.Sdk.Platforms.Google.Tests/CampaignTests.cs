using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Platforms.Google.Tests;

public sealed class CampaignTests
{
    private const string C = GoogleEnv.Customer;

    private static void Seed(GoogleEmulator e)
    {
        e.SeedAccount(C, "USD");
        e.SeedBudget(C, "301", 10_000_000);
        e.SeedBudget(C, "302", 10_000_000);
        e.SeedCampaign(C, "11");
        e.SeedCampaign(C, "12", "PAUSED");
        e.SeedAdGroup(C, "111", "PAUSED");
    }

    [Fact]
    public async Task Partial_failures_are_mapped_to_their_changes_and_the_rest_is_applied()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: Seed);
        var control = env.Provider.GetRequiredKeyedService<ICampaignControl>("google");
        var changes = new[]
        {
            CampaignChange.SetDailyBudget("123-456-7890", "301", new Money(50m, "USD")),
            CampaignChange.SetDailyBudget(C, "399", new Money(20m, "USD")),      // unknown budget
            CampaignChange.Pause(C, "11"),
            CampaignChange.Pause(C, "19"),                                     // unknown campaign
            CampaignChange.Resume(C, "12"),
            CampaignChange.SetDailyBudget(C, "302", new Money(12.345m, "USD")), // not a whole cent
            CampaignChange.Resume(C, "111", CampaignObjectLevel.AdSet),
            CampaignChange.Pause(C, "abc"),                                    // refused before sending
        };

        var results = await control.ApplyAsync(changes);

        Assert.Equal(changes, results.Select(r => r.Change));
        Assert.Equal([true, false, true, false, true, false, true, false], results.Select(r => r.Applied));
        Assert.Equal("MutateError.RESOURCE_NOT_FOUND", results[1].Code);
        Assert.Equal("Resource was not found.", results[1].Reason);
        Assert.Equal("MutateError.RESOURCE_NOT_FOUND", results[3].Code);
        Assert.Equal("CampaignBudgetError.NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT", results[5].Code);
        Assert.Equal("INVALID_RESOURCE_ID", results[7].Code);

        Assert.Equal(50_000_000, env.Emulator.BudgetMicros(C, "301"));
        Assert.Equal(10_000_000, env.Emulator.BudgetMicros(C, "302"));
        Assert.Equal("PAUSED", env.Emulator.CampaignStatus(C, "11"));
        Assert.Equal("ENABLED", env.Emulator.CampaignStatus(C, "12"));
        Assert.Equal("ENABLED", env.Emulator.AdGroupStatus(C, "111"));
        Assert.Equal("1112223333", env.Emulator.LastLoginCustomerId);
    }

    [Fact]
    public async Task Budgets_cannot_be_set_on_ad_groups()
    {
        await using var env = await GoogleEnv.CreateAsync(emulator: Seed);
        var result = Assert.Single(await env.Client.ApplyAsync([CampaignChange.SetDailyBudget(C, "111", new Money(5m, "USD"), CampaignObjectLevel.AdSet)]));
        Assert.False(result.Applied);
        Assert.Equal("BUDGET_LEVEL", result.Code);
    }

    [Fact]
    public async Task ValidateOnly_applies_nothing()
    {
        await using var env = await GoogleEnv.CreateAsync(o => o.ValidateOnly = true, Seed);
        var results = await env.Client.ApplyAsync([CampaignChange.Pause(C, "11"), CampaignChange.SetDailyBudget(C, "301", new Money(70m, "USD"))]);
        Assert.All(results, r => Assert.Equal("VALIDATE_ONLY", r.Code));
        Assert.Equal("ENABLED", env.Emulator.CampaignStatus(C, "11"));
        Assert.Equal(10_000_000, env.Emulator.BudgetMicros(C, "301"));
    }
}
