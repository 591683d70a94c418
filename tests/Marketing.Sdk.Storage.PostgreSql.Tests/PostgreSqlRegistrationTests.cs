using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

public sealed class PostgreSqlRegistrationTests
{
    [Fact]
    public void UsePostgreSql_registers_and_resolves_every_service_without_connecting()
    {
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        Assert.Same(builder, builder.UsePostgreSql("Host=127.0.0.1;Port=1;Username=u;Database=d"));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Assert.Equal("RelationalProfileStore", provider.GetRequiredService<IProfileStore>().GetType().Name);
        Assert.NotNull(provider.GetRequiredService<IEventStore>());
        Assert.NotNull(provider.GetRequiredService<IIdentityGraphStore>());
        Assert.NotNull(provider.GetRequiredService<IConsentStore>());
        Assert.NotNull(provider.GetRequiredService<IAuditLogStore>());
        Assert.NotNull(provider.GetRequiredService<IOutboxStore>());
        Assert.NotNull(provider.GetRequiredService<ITransactionalOutbox>());
        Assert.NotNull(provider.GetRequiredService<ICustomerDataEraser>());
        Assert.NotNull(provider.GetRequiredService<IStorageMigrator>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Single(services, d => d.ServiceType == typeof(IOutboxStore));
    }

    [Theory]
    [InlineData("", "marketing")]
    [InlineData("Host=x;Bogus Keyword=1", "marketing")]
    [InlineData("Host=x", "Bad-Schema")]
    [InlineData("Host=x", "x\"; DROP SCHEMA public; --")]
    public void Invalid_options_fail_validation(string connectionString, string schema)
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql(connectionString, o => o.Schema = schema);
        using var provider = services.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value);
    }

    [SkippableFact]
    public async Task An_application_owned_data_source_is_used_and_not_disposed()
    {
        var cs = PostgreSqlHarness.ConnectionString();
        var schema = PostgreSqlHarness.NewSchema();
        await using var dataSource = NpgsqlDataSource.Create(cs);
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql(dataSource, o => o.Schema = schema);
        try
        {
            await using (var provider = services.BuildServiceProvider())
            {
                var events = provider.GetRequiredService<IEventStore>();
                await events.AppendAsync([Samples.Event("ds-1", Samples.Customer("ds"), DateTimeOffset.UnixEpoch)]);
                Assert.Equal(1, await events.CountAsync(EventQuery.All));
            }
            await using var conn = await dataSource.OpenConnectionAsync();
            Assert.Equal(System.Data.ConnectionState.Open, conn.State);
        }
        finally
        {
            await PostgreSqlHarness.DropSchemaAsync(cs, schema);
        }
    }

    [SkippableFact]
    public async Task The_audit_log_table_refuses_updates_and_deletes()
    {
        var cs = PostgreSqlHarness.ConnectionString();
        await using var harness = await PostgreSqlHarness.CreateAsync(TimeProvider.System);
        await harness.Audit.AppendAsync(new AuditRecord { RecordedAt = DateTimeOffset.UnixEpoch, Actor = "a", Action = "b" });
        var schema = ((ServiceProviderHarness)harness).Provider.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value.Schema;
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DELETE FROM \"{schema}\".audit_log", conn);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Contains("append-only", ex.MessageText);
    }
}
