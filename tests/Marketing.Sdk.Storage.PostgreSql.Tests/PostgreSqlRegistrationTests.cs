using Marketing.Sdk.Storage.Conformance;
using Marketing.Sdk.Storage.Relational;
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
        Assert.IsType<RelationalEventStore>(provider.GetRequiredService<IEventStore>());
        Assert.IsType<RelationalIdentityGraphStore>(provider.GetRequiredService<IIdentityGraphStore>());
        Assert.IsType<RelationalConsentStore>(provider.GetRequiredService<IConsentStore>());
        Assert.IsType<RelationalAuditLogStore>(provider.GetRequiredService<IAuditLogStore>());
        Assert.IsType<RelationalOutboxStore>(provider.GetRequiredService<IOutboxStore>());
        Assert.IsType<RelationalStateStore>(provider.GetRequiredService<IStateStore>());
        Assert.Same(Assert.IsType<RelationalUnitOfWork>(provider.GetRequiredService<ITransactionalOutbox>()), provider.GetRequiredService<ICustomerDataEraser>());
        Assert.Same(provider.GetRequiredService<PostgreSqlDatabase>(), provider.GetRequiredService<IStorageMigrator>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Single(services, d => d.ServiceType == typeof(IOutboxStore));
    }

    [Theory]
    [InlineData("", "marketing")]
    [InlineData("Host=x;Bogus Keyword=1", "marketing")]
    [InlineData("Host=x", "Bad-Schema")]
    [InlineData("Host=x", "x\"; DROP SCHEMA public; --")]
    public async Task Invalid_options_fail_at_host_start(string connectionString, string schema)
    {
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UsePostgreSql(connectionString, o => o.Schema = schema);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(nameof(PostgreSqlStorageOptions), ex.Message, StringComparison.Ordinal);
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
