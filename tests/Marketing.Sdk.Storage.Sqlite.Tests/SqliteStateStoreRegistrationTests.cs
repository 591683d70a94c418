using System.Reflection;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

public sealed class SqliteStateStoreRegistrationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_durable_state_store_wins_over_the_lifecycle_fallback_in_either_order(bool storageFirst)
    {
        var path = SqliteHarness.NewDatabasePath();
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        if (storageFirst)
        {
            builder.UseSqlite($"Data Source={path}");
            builder.AddLifecycle();
            builder.AddCompliance();
        }
        else
        {
            builder.AddLifecycle();
            builder.AddCompliance();
            builder.UseSqlite($"Data Source={path}");
        }
        await using var provider = services.BuildServiceProvider();
        var state = provider.GetRequiredService<IStateStore>();
        Assert.Equal("RelationalStateStore", state.GetType().Name);
        Assert.Single(services, d => d.ServiceType == typeof(IStateStore));

        var dsr = provider.GetRequiredService<DataSubjectRequestService>();
        var field = typeof(DataSubjectRequestService).GetFields(BindingFlags.Instance | BindingFlags.NonPublic).Single(f => f.FieldType == typeof(IStateStore));
        Assert.Same(state, field.GetValue(dsr));

        // Durable: a second host on the same file sees the document.
        await state.SaveAsync("lifecycle.stage", "c_1|", "{}", 0);
        var again = new ServiceCollection();
        new TestMarketingBuilder(again).UseSqlite($"Data Source={path}");
        await using var other = again.BuildServiceProvider();
        Assert.Equal(1, (await other.GetRequiredService<IStateStore>().GetAsync("lifecycle.stage", "c_1|"))!.Version);
    }
}
