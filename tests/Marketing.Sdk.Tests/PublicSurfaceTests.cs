using System.Reflection;
using Marketing.Sdk.Diagnostics;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Marketing.Sdk.Tests;

public class PublicSurfaceTests
{
    private static readonly Assembly Core = typeof(IEventCollector).Assembly;

    [Theory]
    [InlineData(typeof(EventValidator))]
    [InlineData(typeof(IdentityNormalizer))]
    [InlineData(typeof(IdentityGraph))]
    [InlineData(typeof(IdentityTable))]
    public void Implementation_helpers_are_not_public(Type type) =>
        Assert.DoesNotContain(type, Core.GetExportedTypes());

    [Fact]
    public void Core_entry_points_follow_the_builder_template()
    {
        var extensions = Core.GetExportedTypes().Where(t => t.Name.EndsWith("Extensions", StringComparison.Ordinal)).ToList();
        Assert.All(extensions, t => Assert.Equal("Microsoft.Extensions.DependencyInjection", t.Namespace));
        var builder = Assert.Single(extensions, t => t.Name == "CoreMarketingBuilderExtensions");
        var methods = builder.GetMethods(BindingFlags.Public | BindingFlags.Static);
        Assert.All(methods, m =>
        {
            Assert.Equal(typeof(IMarketingBuilder), m.GetParameters()[0].ParameterType);
            Assert.Equal(typeof(IMarketingBuilder), m.ReturnType);
        });
        foreach (var name in new[] { nameof(CoreMarketingBuilderExtensions.ConfigureIngestion), nameof(CoreMarketingBuilderExtensions.ConfigureIdentityResolution) })
        {
            var overloads = methods.Where(m => m.Name == name).Select(m => m.GetParameters()[1].ParameterType).ToList();
            Assert.Contains(typeof(Microsoft.Extensions.Configuration.IConfigurationSection), overloads);
            Assert.Contains(overloads, t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Action<>));
        }
        // The only IServiceCollection entry point is AddMarketingSdk, which creates the builder.
        var root = Assert.Single(extensions, t => t.Name == nameof(MarketingServiceCollectionExtensions));
        Assert.Equal([nameof(MarketingServiceCollectionExtensions.AddMarketingSdk)], root.GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).Distinct());
    }

    [Fact]
    public void Calling_every_core_builder_method_twice_registers_once()
    {
        var services = new ServiceCollection();
        for (var i = 0; i < 2; i++)
        {
            services.AddMarketingSdk(m => m
                .UseGeoResolver<NullGeo>()
                .AddEventListener<NullListener>());
        }
        Assert.Single(services, d => d.ServiceType == typeof(IGeoResolver));
        Assert.Single(services, d => d.ServiceType == typeof(IMarketingEventListener));
    }

    [Fact]
    public void Core_log_event_ids_lie_in_the_core_range()
    {
        var ids = typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .Where(a => a is not null)
            .Select(a => a!.EventId)
            .ToList();
        Assert.True(ids.Count >= 10);
        Assert.All(ids, id => Assert.InRange(id, 1000, 1999));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task An_empty_customer_id_is_rejected_wherever_it_enters()
    {
        await using var host = new TestHost();
        var empty = default(CustomerId);
        Assert.Equal("customerId", (await Assert.ThrowsAsync<MarketingValidationException>(() => host.Profiles.GetAsync(empty).AsTask())).Field);
        Assert.Equal("customerId", (await Assert.ThrowsAsync<MarketingValidationException>(() => host.Profiles.TagAsync(empty, ["vip"]).AsTask())).Field);
        Assert.Equal("id", (await Assert.ThrowsAsync<MarketingValidationException>(() => new InMemoryProfileStore().SaveAsync(new CustomerProfile { Id = empty }).AsTask())).Field);
        Assert.Equal("candidate", (await Assert.ThrowsAsync<MarketingValidationException>(() => new InMemoryIdentityGraphStore().ClaimAsync(Identity.Member("m"), empty).AsTask())).Field);
        var append = await Assert.ThrowsAsync<MarketingValidationException>(() => new InMemoryEventStore().AppendAsync(
            [new MarketingEvent { Id = "e", Type = EventType.Login, OccurredAt = TestHost.Now, CustomerId = empty }]).AsTask());
        Assert.Equal(("customerId", ValidationReason.Missing, 0), (append.Field, append.Reason, append.Index));
    }

    private sealed class NullGeo : IGeoResolver
    {
        public ValueTask<string?> ResolveRegionAsync(string ipAddress, CancellationToken cancellationToken = default) => ValueTask.FromResult<string?>(null);
    }

    private sealed class NullListener : IMarketingEventListener
    {
        public ValueTask OnEventsAcceptedAsync(IReadOnlyList<MarketingEvent> events, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
