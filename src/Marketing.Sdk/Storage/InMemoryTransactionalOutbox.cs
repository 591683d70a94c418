namespace Marketing.Sdk.Storage;

/// <summary>
/// <see cref="ITransactionalOutbox"/> and <see cref="ICustomerDataEraser"/> over the in-memory stores.
/// Everything that can be rejected (validation, a version conflict) is checked before anything is
/// written, so a rejected call changes nothing; there is no crash to survive in memory.
/// </summary>
public sealed class InMemoryTransactionalOutbox : ITransactionalOutbox, ICustomerDataEraser, IDisposable
{
    private readonly IProfileStore _profiles;
    private readonly IEventStore _events;
    private readonly IIdentityGraphStore _identities;
    private readonly InMemoryConsentStore _consents;
    private readonly InMemoryOutboxStore _outbox;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the unit of work over the given stores.</summary>
    /// <param name="profiles">The profile store.</param>
    /// <param name="events">The event store.</param>
    /// <param name="identities">The identity graph.</param>
    /// <param name="consents">The consent store.</param>
    /// <param name="outbox">The outbox.</param>
    public InMemoryTransactionalOutbox(IProfileStore profiles, IEventStore events, IIdentityGraphStore identities, InMemoryConsentStore consents, InMemoryOutboxStore outbox)
    {
        _profiles = profiles;
        _events = events;
        _identities = identities;
        _consents = consents;
        _outbox = outbox;
    }

    /// <inheritdoc />
    public async ValueTask<(AppendResult Events, OutboxEnqueueResult Messages)> AppendEventsAsync(IReadOnlyList<MarketingEvent> events, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        InMemoryOutboxStore.Validate(messages);
        for (var i = 0; i < events.Count; i++)
        {
            StoreLimits.EnsureKey(events[i]?.Id, "id", i);
            if (events[i].CustomerId is null)
            {
                throw new MarketingValidationException("customerId", ValidationReason.Missing, "Stored events need a resolved customer id.", i);
            }
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var appended = events.Count == 0 ? new AppendResult(0, []) : await _events.AppendAsync(events, cancellationToken).ConfigureAwait(false);
            return (appended, await _outbox.EnqueueAsync(messages, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<(CustomerProfile Profile, OutboxEnqueueResult Messages)> SaveProfileAsync(CustomerProfile profile, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        InMemoryOutboxStore.Validate(messages);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var saved = await _profiles.SaveAsync(profile, cancellationToken).ConfigureAwait(false);
            return (saved, await _outbox.EnqueueAsync(messages, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<(ConsentRecord Record, OutboxEnqueueResult Messages)> AppendConsentAsync(ConsentRecord record, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        InMemoryConsentStore.Validate(record);
        InMemoryOutboxStore.Validate(messages);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await _consents.AppendAsync(record, cancellationToken).ConfigureAwait(false);
            return (stored, await _outbox.EnqueueAsync(messages, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ErasureReport> EraseAsync(CustomerId customerId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var identities = (await _identities.GetIdentitiesAsync(customerId, cancellationToken).ConfigureAwait(false)).Count;
            long merges = 0;
            await foreach (var m in _identities.ReadMergesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (m.Survivor == customerId || m.Merged == customerId)
                {
                    merges++;
                }
            }
            var graph = await _identities.DeleteCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                ["identities"] = identities,
                ["identity_merges"] = merges,
                ["identity_observations"] = graph - identities - merges,
                ["events"] = await _events.DeleteCustomerAsync(customerId, cancellationToken).ConfigureAwait(false),
                ["profiles"] = await _profiles.DeleteAsync(customerId, cancellationToken).ConfigureAwait(false) ? 1 : 0,
                ["consent_records"] = _consents.DeleteCustomer(customerId),
                ["outbox_messages"] = _outbox.DeleteCustomer(customerId),
            };
            return new ErasureReport(customerId, counts);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
