using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Tests;

/// <summary>A service provider with the core SDK, a fake clock and a capturing logger.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public TestHost(Action<IMarketingBuilder>? configure = null)
    {
        Time = new FakeTimeProvider(Now);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddMarketingSdk(m =>
        {
            m.ConfigureIngestion(o => o.DefaultPhoneRegion = "CN");
            configure?.Invoke(m);
        });
        Provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public FakeTimeProvider Time { get; }
    public FakeLoggerProvider Logs { get; } = new();
    public ServiceProvider Provider { get; }
    public IEventCollector Collector => Provider.GetRequiredService<IEventCollector>();
    public IProfileService Profiles => Provider.GetRequiredService<IProfileService>();
    public IProfileStore ProfileStore => Provider.GetRequiredService<IProfileStore>();
    public IEventStore Events => Provider.GetRequiredService<IEventStore>();
    public IIdentityGraphStore Graph => Provider.GetRequiredService<IIdentityGraphStore>();

    private int _next;

    public MarketingEvent Event(EventType type, params Identity[] identities) => new()
    {
        Id = $"evt-{Interlocked.Increment(ref _next)}",
        Type = type,
        OccurredAt = Time.GetUtcNow().AddMinutes(-1),
        Identities = identities,
    };

    public async Task<CustomerId> Track(params Identity[] identities)
    {
        var r = await Collector.TrackAsync(Event(EventType.Login, identities));
        Assert.Equal(TrackStatus.Accepted, r.Status);
        return r.CustomerId!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        Logs.Dispose();
    }
}
