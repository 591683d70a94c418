using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

internal sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Performs every action, at most once per idempotency key (as real handlers must).</summary>
internal sealed class RecordingHandler : IJourneyActionHandler
{
    private readonly ConcurrentDictionary<string, JourneyActionRequest> _effects = new();
    public ConcurrentQueue<JourneyActionRequest> Calls { get; } = new();
    public int FailuresToInject { get; set; }
    public Func<Exception>? Failure { get; set; }
    public IReadOnlyCollection<JourneyActionRequest> Effects => _effects.Values.ToList();

    public bool CanHandle(JourneyAction action) => true;

    public ValueTask ExecuteAsync(JourneyActionRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue(request);
        if (FailuresToInject > 0)
        {
            FailuresToInject--;
            throw Failure?.Invoke() ?? new InvalidOperationException("platform unavailable");
        }
        _effects.TryAdd(request.IdempotencyKey, request);
        return ValueTask.CompletedTask;
    }
}

internal sealed class FakeProfileStore : IProfileStore
{
    private readonly ConcurrentDictionary<CustomerId, CustomerProfile> _profiles = new();

    public void Put(CustomerProfile profile) => _profiles[profile.Id] = profile;

    public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) => ValueTask.FromResult(_profiles.GetValueOrDefault(id));
    public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) { Put(profile); return ValueTask.FromResult(profile); }
    public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) => ValueTask.FromResult(_profiles.TryRemove(id, out _));
    public async IAsyncEnumerable<CustomerProfile> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var p in _profiles.Values.OrderBy(p => p.Id))
        {
            yield return p;
        }
        await Task.CompletedTask;
    }
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult((long)_profiles.Count);
}

/// <summary>A state store that fails once when the action ledger is written: a crash right after the handler ran.</summary>
internal sealed class CrashOnceStore(IStateStore inner) : IStateStore
{
    public bool Armed { get; set; } = true;
    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.GetAsync(scope, key, cancellationToken);
    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        if (Armed && scope == JourneyEngine.ActionScope)
        {
            Armed = false;
            throw new MarketingStoreException("simulated crash");
        }
        return inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
    }
    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(scope, key, cancellationToken);
    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) => inner.StreamAsync(scope, keyPrefix, cancellationToken);
}

internal sealed class Harness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 6, 2, 4, 0, 0, TimeSpan.Zero); // 12:00 in Shanghai, 04:00 UTC

    private int _eventSeq;

    public Harness(Action<LifecycleOptions> configure, IStateStore? store = null, FakeTimeProvider? time = null, RecordingHandler? handler = null, FakeProfileStore? profiles = null, Action<IServiceCollection>? more = null)
    {
        Time = time ?? new FakeTimeProvider(Start);
        Handler = handler ?? new RecordingHandler();
        Profiles = profiles ?? new FakeProfileStore();
        Store = store ?? new InMemoryStateStore();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IJourneyActionHandler>(Handler);
        services.AddSingleton<IProfileStore>(Profiles);
        services.AddSingleton(Store);
        more?.Invoke(services);
        new TestMarketingBuilder(services).AddLifecycle(o =>
        {
            o.Journeys.RunScheduler = false;
            configure(o);
        });
        Provider = services.BuildServiceProvider();
        Engine = Provider.GetRequiredService<JourneyEngine>();
    }

    public FakeTimeProvider Time { get; }
    public RecordingHandler Handler { get; }
    public FakeProfileStore Profiles { get; }
    public IStateStore Store { get; }
    public ServiceProvider Provider { get; }
    public JourneyEngine Engine { get; }

    public static CustomerId Alice { get; } = new("c_alice");

    public void AddCustomer(CustomerId id, string timeZone = "Asia/Shanghai", bool emailConsent = true, string? birthday = null)
    {
        var traits = new Dictionary<string, PropertyValue> { ["time_zone"] = timeZone };
        if (birthday is not null)
        {
            traits["birthday"] = birthday;
        }
        Profiles.Put(new CustomerProfile
        {
            Id = id,
            Traits = traits,
            Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(emailConsent, Start) },
        });
    }

    public MarketingEvent Event(EventType type, CustomerId? customer = null, DateTimeOffset? at = null) => new()
    {
        Id = "e" + Interlocked.Increment(ref _eventSeq),
        Type = type,
        OccurredAt = at ?? Time.GetUtcNow(),
        CustomerId = customer ?? Alice,
    };

    public ValueTask Track(EventType type, CustomerId? customer = null) => TrackAllAsync([Event(type, customer)]);

    public async ValueTask TrackAllAsync(IReadOnlyList<MarketingEvent> events)
    {
        foreach (var listener in Provider.GetServices<IMarketingEventListener>())
        {
            await listener.OnEventsAcceptedAsync(events);
        }
    }

    public async Task<int> AdvanceAndRunAsync(TimeSpan by)
    {
        Time.Advance(by);
        return await Engine.RunDueAsync();
    }

    public async Task<List<JourneyActionRecord>> LogAsync()
    {
        var list = new List<JourneyActionRecord>();
        await foreach (var r in Engine.ReadActionLogAsync())
        {
            list.Add(r);
        }
        return list;
    }

    public void Dispose() => Provider.Dispose();
}
