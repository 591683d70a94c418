using Marketing.Sdk.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.AspNetCore.Tests;

public sealed class HealthCheckTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 8, 0, 0, TimeSpan.Zero);

    private static ServiceProvider Build(FakeTimeProvider time, Action<IMarketingBuilder>? store = null)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time);
        services.AddMarketingSdk(m => store?.Invoke(m));
        services.AddHealthChecks().AddMarketingHealthChecks(o =>
        {
            o.BacklogAgeDegraded = TimeSpan.FromMinutes(5);
            o.BacklogAgeUnhealthy = TimeSpan.FromMinutes(30);
            o.DeadLettersDegraded = 1;
            o.DeadLettersUnhealthy = 3;
        });
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReportEntry> Check(ServiceProvider sp, string name) =>
        (await sp.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == name)).Entries[name];

    private static OutboxMessage Message(string destination, string key) =>
        new() { Destination = destination, IdempotencyKey = key, Payload = new byte[] { 1 } };

    [Fact]
    public async Task Outbox_backlog_age_turns_degraded_then_unhealthy_on_the_clock()
    {
        var time = new FakeTimeProvider(Start);
        await using var sp = Build(time);
        var outbox = sp.GetRequiredService<IOutboxStore>();
        Assert.Equal(HealthStatus.Healthy, (await Check(sp, "marketing-outbox")).Status);
        await outbox.EnqueueAsync([Message("meta.conversions", "1")]);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HealthStatus.Healthy, (await Check(sp, "marketing-outbox")).Status);
        time.Advance(TimeSpan.FromMinutes(1));
        var degraded = await Check(sp, "marketing-outbox");
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(300L, degraded.Data["meta.conversions.oldestAgeSeconds"]);
        time.Advance(TimeSpan.FromMinutes(25));
        Assert.Equal(HealthStatus.Unhealthy, (await Check(sp, "marketing-outbox")).Status);
        var claimed = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1));
        await outbox.AckAsync(claimed[0].Id, claimed[0].LeaseToken);
        Assert.Equal(HealthStatus.Healthy, (await Check(sp, "marketing-outbox")).Status);
    }

    [Fact]
    public async Task Dead_letters_count_per_destination_in_the_window_and_consent_withheld_ones_do_not()
    {
        var time = new FakeTimeProvider(Start);
        await using var sp = Build(time);
        var outbox = sp.GetRequiredService<IOutboxStore>();
        await outbox.EnqueueAsync([Message("tiktok.conversions", "a"), Message("tiktok.conversions", "b"), Message("tiktok.conversions", "c"), Message("google.conversions", "d")]);
        var claimed = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1));
        await outbox.DeadLetterAsync(claimed[3].Id, claimed[3].LeaseToken, "consent_withheld: denied (ad_measurement)");
        Assert.Equal(HealthStatus.Healthy, (await Check(sp, "marketing-outbox")).Status);
        await outbox.DeadLetterAsync(claimed[0].Id, claimed[0].LeaseToken, "invalid_parameter");
        var one = await Check(sp, "marketing-outbox");
        Assert.Equal(HealthStatus.Degraded, one.Status);
        Assert.Equal(0L, one.Data.GetValueOrDefault("google.conversions.deadLettered", 0L));
        await outbox.DeadLetterAsync(claimed[1].Id, claimed[1].LeaseToken, "invalid_parameter");
        await outbox.DeadLetterAsync(claimed[2].Id, claimed[2].LeaseToken, "invalid_parameter");
        Assert.Equal(HealthStatus.Unhealthy, (await Check(sp, "marketing-outbox")).Status);
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Healthy, (await Check(sp, "marketing-outbox")).Status);
    }

    [Fact]
    public async Task The_database_check_reports_an_unmigrated_schema_and_a_migrated_one()
    {
        var path = Path.Combine(Path.GetTempPath(), "aspnetcore-health-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            var time = new FakeTimeProvider(Start);
            await using var sp = Build(time, m => m.UseSqlite($"Data Source={path}", o => o.MigrateOnStart = false));
            var before = await Check(sp, "marketing-database");
            Assert.Equal(HealthStatus.Unhealthy, before.Status);
            Assert.Equal(0, before.Data["schemaVersion"]);
            var migrator = sp.GetRequiredService<IStorageMigrator>();
            await migrator.MigrateAsync();
            var after = await Check(sp, "marketing-database");
            Assert.Equal(HealthStatus.Healthy, after.Status);
            Assert.Equal(migrator.LatestVersion, after.Data["schemaVersion"]);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Invalid_thresholds_fail_at_start()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddMarketingHealthChecks(o => o.BacklogAgeUnhealthy = TimeSpan.FromMinutes(1));
        await using var sp = services.BuildServiceProvider();
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Marketing.Sdk.AspNetCore.HealthChecks.MarketingHealthCheckOptions>>().Value);
        Assert.Contains("BacklogAgeUnhealthy", ex.Message, StringComparison.Ordinal);
    }
}
