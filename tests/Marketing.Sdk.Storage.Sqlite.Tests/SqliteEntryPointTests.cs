using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Storage.Sqlite.Tests;

/// <summary>The entry points of the package template: none, <c>Action&lt;TOptions&gt;</c>, <c>IConfigurationSection</c>.</summary>
public sealed class SqliteEntryPointTests
{
    private static async Task<int> StartAndReadVersionAsync(Action<IMarketingBuilder, IServiceCollection> register)
    {
        var builder = Host.CreateApplicationBuilder();
        register(new TestMarketingBuilder(builder.Services), builder.Services);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            return await host.Services.GetRequiredService<IStorageMigrator>().GetVersionAsync();
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Options_bound_from_a_configuration_section_are_used()
    {
        var path = SqliteHarness.NewDatabasePath();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marketing:Sqlite:ConnectionString"] = $"Data Source={path}",
            ["Marketing:Sqlite:BusyTimeout"] = "00:00:07",
        }).Build();
        var version = await StartAndReadVersionAsync((m, s) =>
        {
            Assert.Same(m, m.UseSqlite(config.GetSection("Marketing:Sqlite")));
            s.AddSingleton<IConfiguration>(config);
        });
        Assert.Equal(SqliteSchema.Migrations.Count, version);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task The_options_action_and_the_no_argument_overload_configure_the_same_options()
    {
        var first = SqliteHarness.NewDatabasePath();
        Assert.Equal(SqliteSchema.Migrations.Count, await StartAndReadVersionAsync((m, _) => m.UseSqlite(o => o.ConnectionString = $"Data Source={first}")));
        var second = SqliteHarness.NewDatabasePath();
        Assert.Equal(SqliteSchema.Migrations.Count, await StartAndReadVersionAsync((m, s) =>
        {
            m.UseSqlite();
            s.Configure<SqliteStorageOptions>(o => o.ConnectionString = $"Data Source={second}");
        }));
        Assert.True(File.Exists(first) && File.Exists(second));
    }

    [Fact]
    public async Task The_no_argument_overload_without_a_connection_string_fails_at_host_start()
    {
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UseSqlite();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_call_registers_nothing_twice()
    {
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        builder.UseSqlite($"Data Source={SqliteHarness.NewDatabasePath()}").UseSqlite(o => o.BusyTimeout = TimeSpan.FromSeconds(3));
        foreach (var type in new[] { typeof(IProfileStore), typeof(IEventStore), typeof(IOutboxStore), typeof(IStorageMigrator), typeof(IValidateOptions<SqliteStorageOptions>) })
        {
            Assert.Single(services, d => d.ServiceType == type);
        }
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        using var provider = services.BuildServiceProvider();
        Assert.Equal(TimeSpan.FromSeconds(3), provider.GetRequiredService<IOptions<SqliteStorageOptions>>().Value.BusyTimeout);
    }
}
