using Marketing.Sdk.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Storage.InMemory.Tests;

/// <summary>The in-memory stores, counted through their own APIs.</summary>
internal sealed class InMemoryHarness : IStoreHarness
{
    private readonly InMemoryTransactionalOutbox _unitOfWork;

    private InMemoryHarness(TimeProvider time)
    {
        Profiles = new InMemoryProfileStore();
        Events = new InMemoryEventStore();
        Identities = new InMemoryIdentityGraphStore();
        Ingestion = new InMemoryIngestionStore(Profiles, Events, Identities);
        var consents = new InMemoryConsentStore();
        var outbox = new InMemoryOutboxStore(time);
        Consents = consents;
        Outbox = outbox;
        Audit = new InMemoryAuditLogStore();
        _unitOfWork = new InMemoryTransactionalOutbox(Profiles, Events, Identities, consents, outbox);
        // The process-local state store every host falls back to.
        State = new InMemoryStateStore();
    }

    public static ValueTask<IStoreHarness> CreateAsync(TimeProvider time) => ValueTask.FromResult<IStoreHarness>(new InMemoryHarness(time));

    public IProfileStore Profiles { get; }
    public IEventStore Events { get; }
    public IIdentityGraphStore Identities { get; }
    public IIngestionStore Ingestion { get; }
    public IConsentStore Consents { get; }
    public IAuditLogStore Audit { get; }
    public IOutboxStore Outbox { get; }
    public ITransactionalOutbox Transactions => _unitOfWork;
    public ICustomerDataEraser Eraser => _unitOfWork;
    public IStorageMigrator? Migrator => null;
    public IStateStore State { get; }
    public bool EraserCoversState => false;

    public async ValueTask<long> CountCustomerRowsAsync(CustomerId customerId, IReadOnlyList<Identity> identities)
    {
        long total = await Profiles.GetAsync(customerId) is null ? 0 : 1;
        total += await Events.CountAsync(new EventQuery { CustomerId = customerId });
        total += (await Identities.GetIdentitiesAsync(customerId)).Count;
        await foreach (var m in Identities.ReadMergesAsync())
        {
            total += m.Survivor == customerId || m.Merged == customerId ? 1 : 0;
        }
        await foreach (var _ in Consents.ReadHistoryAsync(customerId))
        {
            total++;
        }
        foreach (var state in Enum.GetValues<OutboxState>())
        {
            await foreach (var e in Outbox.ReadAsync(state))
            {
                total += e.Message.CustomerId == customerId ? 1 : 0;
            }
        }
        foreach (var id in identities)
        {
            total += await Identities.ObserveAsync(id, null);
        }
        return total;
    }

    public ValueTask DisposeAsync()
    {
        _unitOfWork.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class InMemoryProfileStoreTests : ProfileStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryEventStoreTests : EventStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryIdentityGraphTests : IdentityGraphConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryConsentStoreTests : ConsentStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryAuditLogTests : AuditLogConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryOutboxTests : OutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryTransactionalOutboxTests : TransactionalOutboxConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryErasureTests : ErasureConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryBadInputTests : BadInputConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryStateStoreTests : StateStoreConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}

public sealed class InMemoryIngestionTests : IngestionConformance
{
    protected override ValueTask<IStoreHarness> CreateHarnessAsync(TimeProvider timeProvider) => InMemoryHarness.CreateAsync(timeProvider);
}
