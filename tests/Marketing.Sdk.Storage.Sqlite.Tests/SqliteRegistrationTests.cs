using Marketing.Sdk.Storage.Conformance;
using Marketing.Sdk.Storage.Relational;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Moq;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

public sealed class SqliteRegistrationTests
{
    [Fact]
    public void UseSqlite_replaces_existing_store_registrations_and_resolves_every_service()
    {
        var services = new ServiceCollection();
        services.AddSingleton(Mock.Of<IProfileStore>());
        services.AddSingleton(Mock.Of<IEventStore>());
        var builder = new TestMarketingBuilder(services);
        Assert.Same(builder, builder.UseSqlite($"Data Source={SqliteHarness.NewDatabasePath()}"));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Assert.Single(services, d => d.ServiceType == typeof(IProfileStore));
        Assert.Equal("RelationalProfileStore", provider.GetRequiredService<IProfileStore>().GetType().Name);
        Assert.Equal("RelationalEventStore", provider.GetRequiredService<IEventStore>().GetType().Name);
        Assert.IsType<RelationalIdentityGraphStore>(provider.GetRequiredService<IIdentityGraphStore>());
        Assert.IsType<RelationalConsentStore>(provider.GetRequiredService<IConsentStore>());
        Assert.IsType<RelationalAuditLogStore>(provider.GetRequiredService<IAuditLogStore>());
        Assert.IsType<RelationalOutboxStore>(provider.GetRequiredService<IOutboxStore>());
        Assert.IsType<RelationalStateStore>(provider.GetRequiredService<IStateStore>());
        // One unit of work over the one database serves both seams.
        Assert.Same(Assert.IsType<RelationalUnitOfWork>(provider.GetRequiredService<ITransactionalOutbox>()), provider.GetRequiredService<ICustomerDataEraser>());
        Assert.Same(provider.GetRequiredService<SqliteDatabase>(), provider.GetRequiredService<IStorageMigrator>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Same(provider.GetRequiredService<IProfileStore>(), provider.GetRequiredService<IProfileStore>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=x.db;Mode=ReadOnly")]
    [InlineData("Nonsense Keyword=1")]
    public async Task Invalid_connection_strings_fail_at_host_start(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UseSqlite(connectionString);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Busy_timeout_is_validated_at_host_start()
    {
        var path = SqliteHarness.NewDatabasePath();
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UseSqlite($"Data Source={path}", o => o.BusyTimeout = TimeSpan.Zero);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("BusyTimeout", ex.Message, StringComparison.Ordinal);
        // Validation stops the start before the migration touches the file.
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Host_start_validates_options_and_runs_migrations()
    {
        var path = SqliteHarness.NewDatabasePath();
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UseSqlite($"Data Source={path}", o => o.MigrateOnStart = true);
        using (var host = builder.Build())
        {
            await host.StartAsync();
            Assert.Equal(SqliteSchema.Migrations.Count, await host.Services.GetRequiredService<IStorageMigrator>().GetVersionAsync());
            await host.StopAsync();
        }

        var bad = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(bad.Services).UseSqlite("Data Source=:memory:");
        using var badHost = bad.Build();
        await Assert.ThrowsAsync<OptionsValidationException>(() => badHost.StartAsync());
    }

    [Fact]
    public async Task Migrate_on_start_can_be_turned_off()
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UseSqlite($"Data Source={SqliteHarness.NewDatabasePath()}", o => o.MigrateOnStart = false);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IHostedService>().StartAsync(default);
        Assert.Equal(0, await provider.GetRequiredService<IStorageMigrator>().GetVersionAsync());
    }

    [Fact]
    public async Task Shared_in_memory_databases_work()
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UseSqlite($"Data Source=mem-{Guid.NewGuid():N};Mode=Memory;Cache=Shared");
        await using var provider = services.BuildServiceProvider();
        var events = provider.GetRequiredService<IEventStore>();
        await events.AppendAsync([Samples.Event("m1", Samples.Customer("mem"), DateTimeOffset.UnixEpoch)]);
        Assert.Equal(1, await events.CountAsync(EventQuery.All));
    }

    [Fact]
    public async Task Two_store_instances_on_one_file_share_the_outbox_without_double_claims()
    {
        var path = SqliteHarness.NewDatabasePath();
        ServiceProvider Build()
        {
            var services = new ServiceCollection();
            new TestMarketingBuilder(services).UseSqlite($"Data Source={path}");
            return services.BuildServiceProvider();
        }
        await using var hostA = Build();
        await using var hostB = Build();
        var a = hostA.GetRequiredService<IOutboxStore>();
        var b = hostB.GetRequiredService<IOutboxStore>();
        await a.EnqueueAsync(Enumerable.Range(0, 500).Select(i => Samples.Message("d", $"k{i}")).ToList());
        var claimed = await Task.WhenAll(
            Task.Run(async () => await Drain(a, "a")),
            Task.Run(async () => await Drain(b, "b")));
        var all = claimed.SelectMany(x => x).ToList();
        Assert.Equal(500, all.Count);
        Assert.Equal(500, all.Distinct().Count());

        static async Task<List<long>> Drain(IOutboxStore store, string worker)
        {
            var ids = new List<long>();
            while (true)
            {
                var batch = await store.ClaimAsync(worker, 7, TimeSpan.FromMinutes(1));
                if (batch.Count == 0)
                {
                    return ids;
                }
                ids.AddRange(batch.Select(e => e.Id));
            }
        }
    }
}
