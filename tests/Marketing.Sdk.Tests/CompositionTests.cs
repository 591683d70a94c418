using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Tests;

public class CompositionTests
{
    [Fact]
    public void Every_registered_service_resolves()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddMarketingSdk();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        foreach (var descriptor in services.Where(d => d.ServiceType.Namespace?.StartsWith("Marketing.Sdk", StringComparison.Ordinal) == true && !d.ServiceType.IsGenericTypeDefinition))
        {
            Assert.NotNull(provider.GetService(descriptor.ServiceType));
        }
        Assert.IsType<InMemoryEventStore>(provider.GetRequiredService<IEventStore>());
        Assert.NotNull(provider.GetRequiredService<IEventCollector>());
        Assert.NotNull(provider.GetRequiredService<IProfileService>());
    }

    [Fact]
    public void Calling_AddMarketingSdk_twice_is_harmless()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddMarketingSdk();
        services.AddMarketingSdk();
        Assert.Single(services, d => d.ServiceType == typeof(IEventCollector));
        Assert.Single(services, d => d.ServiceType == typeof(IEventStore));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<IngestionOptions>));
        using var provider = services.BuildServiceProvider();
        Assert.Single(provider.GetServices<IEventCollector>());
    }

    [Fact]
    public void A_store_chosen_in_the_builder_wins_over_the_in_memory_default()
    {
        var custom = new InMemoryEventStore();
        var services = new ServiceCollection().AddLogging();
        services.AddMarketingSdk(m => m.Services.AddSingleton<IEventStore>(custom));
        using var provider = services.BuildServiceProvider();
        Assert.Same(custom, provider.GetRequiredService<IEventStore>());
    }

    [Fact]
    public async Task Invalid_ingestion_options_fail_host_start_with_the_field_named()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMarketingSdk(m => m.ConfigureIngestion(o => { o.MaxProperties = 0; o.DefaultPhoneRegion = "XX"; o.MaxEventIdLength = 513; }));
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(ex.Failures, f => f.Contains("MaxProperties", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("DefaultPhoneRegion", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MaxEventIdLength", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_identity_resolution_options_from_configuration_fail_host_start()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:MaxWriteRetries"] = "-1",
        }).Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMarketingSdk(m => m.ConfigureIdentityResolution(config.GetSection("Identity")));
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(typeof(IdentityResolutionOptions), ex.OptionsType);
        Assert.Contains(ex.Failures, f => f.Contains("MaxWriteRetries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Valid_options_let_the_host_start()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMarketingSdk(m => m.ConfigureIngestion(o => o.DefaultPhoneRegion = "CN"));
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public void Options_bind_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ingestion:DefaultPhoneRegion"] = "GB",
            ["Ingestion:BotMaxEventsPerSession"] = "40",
            ["Ingestion:MaxClockSkew"] = "00:01:00",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddMarketingSdk(m => m.ConfigureIngestion(config.GetSection("Ingestion")));
        using var provider = services.BuildServiceProvider();
        var o = provider.GetRequiredService<IOptions<IngestionOptions>>().Value;
        Assert.Equal(("GB", 40, TimeSpan.FromMinutes(1)), (o.DefaultPhoneRegion, o.BotMaxEventsPerSession, o.MaxClockSkew));
    }
}

public class InMemoryStoreConcurrencyTests
{
    private static MarketingEvent E(string id, CustomerId c) =>
        new() { Id = id, Type = EventType.PageView, OccurredAt = TestHost.Now, CustomerId = c, Identities = [Identity.Member("m")] };

    [Fact]
    public async Task Parallel_appends_keep_each_event_once()
    {
        var store = new InMemoryEventStore();
        var c = new CustomerId("c_1");
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            await store.AppendAsync(Enumerable.Range(0, 2000).Select(i => E($"e{i}", c)).ToList()))));
        Assert.Equal(2000, results.Sum(r => r.Inserted));
        Assert.Equal(16 * 2000 - 2000, results.Sum(r => r.DuplicateIds.Count));
        Assert.Equal(2000, await store.CountAsync(new EventQuery { CustomerId = c }));
    }

    [Fact]
    public async Task Parallel_claims_give_each_identity_one_owner()
    {
        var store = new InMemoryIdentityGraphStore();
        var owners = await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
            await store.ClaimAsync(Identity.Phone("+8613800138000"), new CustomerId($"c_{w}")))));
        Assert.Single(owners.Distinct());
    }

    [Fact]
    public async Task Optimistic_concurrency_lets_exactly_one_stale_writer_win()
    {
        var store = new InMemoryProfileStore();
        var created = await store.SaveAsync(new CustomerProfile { Id = new CustomerId("c_1") });
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.SaveAsync(created with { EventCount = i });
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })));
        Assert.Equal(1, outcomes.Count(x => x));
        Assert.Equal(2, (await store.GetAsync(created.Id))!.Version);
    }

    [Fact]
    public async Task Reads_are_ordered_by_instant_then_id_and_filtered()
    {
        var store = new InMemoryEventStore();
        var c = new CustomerId("c_1");
        var t = TestHost.Now;
        await store.AppendAsync([
            E("b", c) with { OccurredAt = t.ToOffset(TimeSpan.FromHours(8)) },
            E("a", c) with { OccurredAt = t },
            E("z", c) with { OccurredAt = t.AddSeconds(-1), Type = EventType.Purchase },
        ]);
        Assert.Equal(["z", "a", "b"], await store.ReadAsync(EventQuery.All).Select(e => e.Id).ToListAsync());
        Assert.Equal(["z"], await store.ReadAsync(new EventQuery { Types = [EventType.Purchase] }).Select(e => e.Id).ToListAsync());
        Assert.Equal(["a"], await store.ReadAsync(new EventQuery { From = t, Limit = 1 }).Select(e => e.Id).ToListAsync());
    }
}
