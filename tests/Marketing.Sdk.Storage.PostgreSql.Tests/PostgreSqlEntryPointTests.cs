using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Storage.PostgreSql.Tests;

/// <summary>The entry points of the package template: none, <c>Action&lt;TOptions&gt;</c>, <c>IConfigurationSection</c>.</summary>
public sealed class PostgreSqlEntryPointTests
{
    [Fact]
    public void Options_bound_from_a_configuration_section_are_used()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marketing:PostgreSql:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=u;Database=d",
            ["Marketing:PostgreSql:Schema"] = "shop_marketing",
            ["Marketing:PostgreSql:ErasureVacuum"] = "Full",
            ["Marketing:PostgreSql:CopyThreshold"] = "128",
        }).Build();
        var services = new ServiceCollection();
        var builder = new TestMarketingBuilder(services);
        Assert.Same(builder, builder.UsePostgreSql(config.GetSection("Marketing:PostgreSql")));
        using var provider = services.BuildServiceProvider();
        var o = provider.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value;
        Assert.Equal("shop_marketing", o.Schema);
        Assert.Equal(PostgreSqlErasureVacuum.Full, o.ErasureVacuum);
        Assert.Equal(128, o.CopyThreshold);
    }

    [Fact]
    public void The_options_action_and_the_no_argument_overload_configure_the_same_options()
    {
        var services = new ServiceCollection();
        new TestMarketingBuilder(services).UsePostgreSql(o => o.ConnectionString = "Host=x").UsePostgreSql();
        services.Configure<PostgreSqlStorageOptions>(o => o.Schema = "other");
        using var provider = services.BuildServiceProvider();
        var o = provider.GetRequiredService<IOptions<PostgreSqlStorageOptions>>().Value;
        Assert.Equal("Host=x", o.ConnectionString);
        Assert.Equal("other", o.Schema);
        Assert.Single(services, d => d.ServiceType == typeof(IOutboxStore));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<PostgreSqlStorageOptions>));
    }

    [Fact]
    public async Task The_no_argument_overload_without_a_connection_fails_at_host_start()
    {
        var builder = Host.CreateApplicationBuilder();
        new TestMarketingBuilder(builder.Services).UsePostgreSql();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }
}
