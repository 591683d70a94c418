using Marketing.Sdk.Storage.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

public sealed class SqliteTelemetryTests
{
    [Fact]
    public async Task Every_store_call_records_an_activity_a_duration_and_a_count_without_personal_data()
    {
        var customer = new CustomerId("c_telemetry_person");
        var path = SqliteHarness.NewDatabasePath();
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var events = provider.GetRequiredService<IEventStore>();

        using var capture = new TelemetryCapture();
        await events.AppendAsync([Samples.Event("tel-1", customer, DateTimeOffset.UnixEpoch), Samples.Event("tel-2", customer, DateTimeOffset.UnixEpoch)]);
        Assert.Equal(2, (await events.ReadAsync(new EventQuery { CustomerId = customer }).ToListAsync()).Count);
        await using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await conn.OpenAsync();
            await using var drop = conn.CreateCommand();
            drop.CommandText = "DROP TABLE events";
            await drop.ExecuteNonQueryAsync();
        }
        await Assert.ThrowsAsync<StoreProviderException>(async () => await events.CountAsync(new EventQuery { CustomerId = customer }));

        var activities = capture.Activities;
        Assert.Equal(["storage.event.append", "storage.event.read", "storage.event.count"], activities.Select(a => a.OperationName));
        Assert.All(activities, a =>
        {
            Assert.Equal(capture.Root.SpanId, a.ParentSpanId);
            Assert.Equal("sqlite", a.GetTagItem("marketing.storage.provider"));
            Assert.Equal("event", a.GetTagItem("marketing.storage.store"));
            Assert.All(a.TagObjects, t => Assert.DoesNotContain(customer.Value, t.Value?.ToString() ?? "", StringComparison.Ordinal));
        });
        Assert.Equal(System.Diagnostics.ActivityStatusCode.Unset, activities[0].Status);
        Assert.Equal("append", activities[0].GetTagItem("marketing.storage.operation"));
        Assert.Equal(System.Diagnostics.ActivityStatusCode.Error, activities[2].Status);
        Assert.Equal("1", activities[2].GetTagItem("error.type")); // SQLITE_ERROR (no such table)

        var measurements = capture.Measurements;
        bool Has(string instrument, string operation, string? error) => measurements.Any(m =>
            m.Instrument == instrument && m.Value >= 0 &&
            m.Tags.GetValueOrDefault("marketing.storage.provider") == "sqlite" &&
            m.Tags.GetValueOrDefault("marketing.storage.store") == "event" &&
            m.Tags.GetValueOrDefault("marketing.storage.operation") == operation &&
            m.Tags.GetValueOrDefault("error.type") == error);
        foreach (var instrument in new[] { "marketing.storage.operations", "marketing.storage.operation.duration" })
        {
            Assert.True(Has(instrument, "append", null), instrument + " append");
            Assert.True(Has(instrument, "read", null), instrument + " read");
            Assert.True(Has(instrument, "count", "1"), instrument + " count failure");
        }
        Assert.All(measurements, m => Assert.All(m.Tags.Values, v => Assert.DoesNotContain(customer.Value, v ?? "", StringComparison.Ordinal)));
        Assert.All(measurements.Where(m => m.Instrument == "marketing.storage.operations"), m => Assert.Equal(1, m.Value));
    }
}

public sealed class SqliteMeterFactoryTests
{
    [Fact]
    public async Task Storage_metrics_come_from_each_hosts_meter_factory_and_do_not_cross_service_providers()
    {
        var customer = new CustomerId("c_meter_person");
        await using var first = await StartAsync();
        await using var second = await StartAsync();
        using var firstCalls = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            first.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Marketing.Sdk.Storage", "marketing.storage.operations");
        using var secondCalls = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            second.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Marketing.Sdk.Storage", "marketing.storage.operations");
        using var firstDurations = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<double>(
            first.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Marketing.Sdk.Storage", "marketing.storage.operation.duration");

        await first.GetRequiredService<IEventStore>().AppendAsync([Samples.Event("meter-1", customer, DateTimeOffset.UnixEpoch)]);

        var call = Assert.Single(firstCalls.GetMeasurementSnapshot());
        Assert.Equal(1, call.Value);
        Assert.Equal("sqlite", call.Tags["marketing.storage.provider"]);
        Assert.Equal("append", call.Tags["marketing.storage.operation"]);
        Assert.Single(firstDurations.GetMeasurementSnapshot());
        Assert.Empty(secondCalls.GetMeasurementSnapshot());
    }

    private static async Task<ServiceProvider> StartAsync()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        new TestMarketingBuilder(services).UseSqlite($"Data Source={SqliteHarness.NewDatabasePath()}");
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        return provider;
    }
}
