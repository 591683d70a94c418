using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>Every store of one provider, over a fresh, isolated database.</summary>
public interface IStoreHarness : IAsyncDisposable
{
    IProfileStore Profiles { get; }
    IEventStore Events { get; }
    IIdentityGraphStore Identities { get; }
    IIngestionStore Ingestion { get; }
    IConsentStore Consents { get; }
    IAuditLogStore Audit { get; }
    IOutboxStore Outbox { get; }
    ITransactionalOutbox Transactions { get; }
    ICustomerDataEraser Eraser { get; }
    IStateStore State { get; }

    /// <summary>Whether <see cref="Eraser"/> also deletes the customer's state documents (keys starting with its id and '|').</summary>
    bool EraserCoversState { get; }

    /// <summary>The migrator, for providers with a schema (null for in-memory stores).</summary>
    IStorageMigrator? Migrator { get; }

    /// <summary>Counts every stored row that refers to the customer, in every table, by the provider's own means.</summary>
    ValueTask<long> CountCustomerRowsAsync(CustomerId customerId, IReadOnlyList<Identity> identities);
}

/// <summary>A harness over a built service provider (the registration path users take).</summary>
public class ServiceProviderHarness : IStoreHarness
{
    private readonly Func<CustomerId, IReadOnlyList<Identity>, ValueTask<long>> _count;
    private readonly Func<ValueTask>? _cleanup;

    public ServiceProviderHarness(ServiceProvider provider, Func<CustomerId, IReadOnlyList<Identity>, ValueTask<long>> count, Func<ValueTask>? cleanup = null)
    {
        Provider = provider;
        _count = count;
        _cleanup = cleanup;
    }

    public ServiceProvider Provider { get; }
    public IProfileStore Profiles => Provider.GetRequiredService<IProfileStore>();
    public IEventStore Events => Provider.GetRequiredService<IEventStore>();
    public IIdentityGraphStore Identities => Provider.GetRequiredService<IIdentityGraphStore>();
    public IIngestionStore Ingestion => Provider.GetRequiredService<IIngestionStore>();
    public IConsentStore Consents => Provider.GetRequiredService<IConsentStore>();
    public IAuditLogStore Audit => Provider.GetRequiredService<IAuditLogStore>();
    public IOutboxStore Outbox => Provider.GetRequiredService<IOutboxStore>();
    public ITransactionalOutbox Transactions => Provider.GetRequiredService<ITransactionalOutbox>();
    public ICustomerDataEraser Eraser => Provider.GetRequiredService<ICustomerDataEraser>();
    public IStateStore State => Provider.GetRequiredService<IStateStore>();
    public bool EraserCoversState => true;
    public IStorageMigrator? Migrator => Provider.GetService<IStorageMigrator>();

    public ValueTask<long> CountCustomerRowsAsync(CustomerId customerId, IReadOnlyList<Identity> identities) => _count(customerId, identities);

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        if (_cleanup is not null)
        {
            await _cleanup();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A minimal <see cref="IMarketingBuilder"/> over a service collection, for registration tests.</summary>
public sealed class TestMarketingBuilder(IServiceCollection services) : IMarketingBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Base of every conformance test class: a fresh harness per test, on a fake clock.</summary>
public abstract class StoreConformanceBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    protected IStoreHarness Store { get; private set; } = null!;

    /// <summary>Creates the provider's stores over a fresh, empty, migrated database.</summary>
    protected abstract ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider);

    public async Task InitializeAsync() => Store = await CreateHarnessAsync(Time);

    public async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
    }
}
