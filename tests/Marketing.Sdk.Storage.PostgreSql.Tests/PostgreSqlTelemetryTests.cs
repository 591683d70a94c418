using Marketing.Sdk.Storage.Conformance;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

public sealed class PostgreSqlTelemetryTests
{
    [SkippableFact]
    public async Task Store_calls_are_traced_and_measured_with_the_postgresql_provider_tag()
    {
        await using var harness = await PostgreSqlHarness.CreateAsync(TimeProvider.System);
        var customer = new CustomerId("c_pg_telemetry_person");
        using var capture = new TelemetryCapture();
        await harness.Profiles.SaveAsync(Samples.Profile(customer, DateTimeOffset.UnixEpoch));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await harness.Profiles.SaveAsync(Samples.Profile(customer, DateTimeOffset.UnixEpoch)));
        Assert.Single(await harness.Profiles.StreamAsync().ToListAsync());

        var activities = capture.Activities;
        Assert.Equal(["storage.profile.save", "storage.profile.save", "storage.profile.stream"], activities.Select(a => a.OperationName));
        Assert.All(activities, a => Assert.Equal("postgresql", a.GetTagItem("marketing.storage.provider")));
        Assert.Equal(typeof(ConcurrencyConflictException).FullName, activities[1].GetTagItem("error.type"));
        Assert.Null(activities[0].GetTagItem("error.type"));
        Assert.Contains(capture.Measurements, m => m.Instrument == "marketing.storage.operation.duration"
            && m.Tags.GetValueOrDefault("marketing.storage.provider") == "postgresql"
            && m.Tags.GetValueOrDefault("marketing.storage.operation") == "stream");
        Assert.All(activities.SelectMany(a => a.TagObjects), t => Assert.DoesNotContain(customer.Value, t.Value?.ToString() ?? "", StringComparison.Ordinal));
    }
}
