namespace Marketing.Sdk.Storage;

/// <summary>A message to deliver later, through the durable outbox.</summary>
public sealed record OutboxMessage
{
    /// <summary>Where the message goes, e.g. <c>meta.conversions</c> or <c>wecom.message</c> (a worker claims by destination).</summary>
    public required string Destination { get; init; }

    /// <summary>De-duplication key, unique per <see cref="Destination"/>: enqueuing the same key twice stores the message once.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>The payload (e.g. UTF-8 JSON), stored and returned byte for byte.</summary>
    [PersonalData]
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Media type of <see cref="Payload"/>.</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>Headers the worker needs (no secrets: credentials are added at delivery time).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    /// <summary>The customer the message is about, if any; erasure deletes the customer's messages.</summary>
    [PseudonymousData]
    public CustomerId? CustomerId { get; init; }

    /// <summary>Deliver no earlier than this instant; now when <see langword="null"/>.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Describes the message without payload or headers.</summary>
    public override string ToString() =>
        $"OutboxMessage {{ Destination = {Destination}, Payload = {Payload.Length} bytes, Headers = {Headers.Count} }}";

    internal static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>(0);
}

/// <summary>Where a stored outbox message stands.</summary>
public enum OutboxState
{
    /// <summary>Waiting for its next attempt time.</summary>
    Pending = 0,
    /// <summary>Claimed by a worker whose lease has not been released (it may have expired).</summary>
    Leased = 1,
    /// <summary>Delivered and acknowledged.</summary>
    Delivered = 2,
    /// <summary>Given up on; <see cref="OutboxEntry.LastError"/> says why.</summary>
    DeadLettered = 3,
}

/// <summary>A stored outbox message with its delivery state.</summary>
public sealed record OutboxEntry
{
    /// <summary>Store-assigned id, increasing in enqueue order.</summary>
    public required long Id { get; init; }

    /// <summary>The message as enqueued.</summary>
    public required OutboxMessage Message { get; init; }

    /// <summary>The delivery state.</summary>
    public required OutboxState State { get; init; }

    /// <summary>How many times the message was claimed.</summary>
    public int AttemptCount { get; init; }

    /// <summary>When the message was enqueued.</summary>
    public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>When the message may be claimed next.</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>The worker holding the lease, while <see cref="OutboxState.Leased"/>.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>Proof of the current claim; pass it to ack, retry and dead-letter. Changes with every claim.</summary>
    public Guid LeaseToken { get; init; }

    /// <summary>When the lease expires, while <see cref="OutboxState.Leased"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>The last failure reason (retry or dead-letter), if any.</summary>
    public string? LastError { get; init; }

    /// <summary>When the message was delivered or dead-lettered.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
}

/// <summary>The outcome of enqueuing messages.</summary>
/// <param name="Enqueued">Number of messages stored.</param>
/// <param name="Duplicates">Messages skipped because their destination and idempotency key were already stored (or repeated in the batch).</param>
public sealed record OutboxEnqueueResult(int Enqueued, IReadOnlyList<OutboxMessage> Duplicates);

/// <summary>The outbox backlog of one destination, as health checks read it.</summary>
/// <param name="Destination">The destination.</param>
/// <param name="Pending">Messages not yet delivered (pending or leased).</param>
/// <param name="OldestPendingEnqueuedAt">When the oldest of them was enqueued, or <see langword="null"/> when none is waiting.</param>
/// <param name="DeadLettered">Messages dead-lettered at or after the <c>deadLetteredSince</c> instant of the query (without the ignored reasons).</param>
public sealed record OutboxDestinationBacklog(string Destination, long Pending, DateTimeOffset? OldestPendingEnqueuedAt, long DeadLettered);

/// <summary>Number of outbox messages per state.</summary>
/// <param name="Pending">Waiting for an attempt.</param>
/// <param name="Leased">Claimed by a worker (including expired, not yet reclaimed leases).</param>
/// <param name="Delivered">Delivered.</param>
/// <param name="DeadLettered">Given up on.</param>
public sealed record OutboxCounts(long Pending, long Leased, long Delivered, long DeadLettered);

/// <summary>
/// A durable outbox: everything that must leave the process is enqueued here (ideally in the same
/// transaction as the state change that caused it, see <see cref="ITransactionalOutbox"/>) and
/// delivered by workers that claim messages under a lease. While a lease is held no other worker can
/// claim the message; a lease that expires (the worker crashed) makes the message claimable again.
/// Every time comparison uses the store's <see cref="TimeProvider"/>.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Stores messages atomically; a message whose destination and idempotency key are already stored is skipped.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<OutboxEnqueueResult> EnqueueAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="maxCount"/> messages that are due (pending with a next-attempt time
    /// not in the future, or leased with an expired lease), oldest due first, for <paramref name="workerId"/>
    /// until now + <paramref name="leaseDuration"/>. Each claim increments the attempt count and issues
    /// a new <see cref="OutboxEntry.LeaseToken"/>.
    /// </summary>
    /// <param name="workerId">The claiming worker (for diagnostics).</param>
    /// <param name="maxCount">The batch size (at least 1).</param>
    /// <param name="leaseDuration">How long the worker may hold the messages (positive).</param>
    /// <param name="destination">Only messages for this destination, or any when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<OutboxEntry>> ClaimAsync(string workerId, int maxCount, TimeSpan leaseDuration, string? destination = null, CancellationToken cancellationToken = default);

    /// <summary>Marks a claimed message delivered. Returns <see langword="false"/> when the claim is no longer current (the lease was reclaimed).</summary>
    /// <param name="id">The message id.</param>
    /// <param name="leaseToken">The token of the claim.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> AckAsync(long id, Guid leaseToken, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks many claimed messages delivered in one operation (one transaction in the relational
    /// stores) and returns how many of the claims were still current; a stale claim is skipped, as
    /// <see cref="AckAsync"/> would refuse it.
    /// </summary>
    /// <param name="claims">The message ids with the tokens of their claims.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<int> AckManyAsync(IReadOnlyList<(long Id, Guid LeaseToken)> claims, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var acknowledged = 0;
        foreach (var (id, token) in claims)
        {
            acknowledged += await AckAsync(id, token, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        return acknowledged;
    }

    /// <summary>Releases a claimed message for another attempt at <paramref name="nextAttemptAt"/>. Returns <see langword="false"/> when the claim is no longer current.</summary>
    /// <param name="id">The message id.</param>
    /// <param name="leaseToken">The token of the claim.</param>
    /// <param name="nextAttemptAt">The earliest time of the next attempt.</param>
    /// <param name="reason">Why the attempt failed (no personal data).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> RetryAsync(long id, Guid leaseToken, DateTimeOffset nextAttemptAt, string reason, CancellationToken cancellationToken = default);

    /// <summary>Gives up on a claimed message. Returns <see langword="false"/> when the claim is no longer current.</summary>
    /// <param name="id">The message id.</param>
    /// <param name="leaseToken">The token of the claim.</param>
    /// <param name="reason">Why (e.g. the platform's rejection reason; no personal data).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> DeadLetterAsync(long id, Guid leaseToken, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a dead-lettered message back in line (an operator's retry, e.g. from the dashboard): it becomes
    /// pending again with a fresh attempt count, due at <paramref name="nextAttemptAt"/>, and keeps its last
    /// error until the next attempt replaces it. Returns <see langword="false"/> when no dead letter has this id.
    /// Stores written before this operation existed throw <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="id">The message id.</param>
    /// <param name="nextAttemptAt">The earliest time of the next attempt.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> RequeueDeadLetterAsync(long id, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This outbox store cannot requeue dead letters.");

    /// <summary>
    /// Removes a dead-lettered message for good (an operator's discard, e.g. from the dashboard): it will never be
    /// delivered and no longer counts as dead-lettered. Returns <see langword="false"/> when no dead letter has this
    /// id (pending, leased and delivered messages are never removed by this call). Stores written before this
    /// operation existed throw <see cref="NotSupportedException"/>.
    /// </summary>
    /// <param name="id">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> DiscardDeadLetterAsync(long id, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This outbox store cannot discard dead letters.");

    /// <summary>Returns every message whose lease has expired to <see cref="OutboxState.Pending"/> (due now); returns how many.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> ReclaimExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts messages per state.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<OutboxCounts> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the backlog per destination: how many messages wait (pending or leased), since when the
    /// oldest waits, and how many were dead-lettered at or after <paramref name="deadLetteredSince"/>.
    /// Destinations without waiting or recent dead-lettered messages are absent. The default
    /// implementation streams the entries; stores override it with one aggregate query.
    /// </summary>
    /// <param name="deadLetteredSince">Count dead letters completed at or after this instant.</param>
    /// <param name="ignoredReasonPrefix">Dead letters whose reason starts with this text are not counted (e.g. items withheld by consent), or <see langword="null"/> to count all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyList<OutboxDestinationBacklog>> GetBacklogAsync(DateTimeOffset deadLetteredSince, string? ignoredReasonPrefix = null, CancellationToken cancellationToken = default)
    {
        var acc = new SortedDictionary<string, (long Pending, DateTimeOffset? Oldest, long Dead)>(StringComparer.Ordinal);
        foreach (var state in new[] { OutboxState.Pending, OutboxState.Leased })
        {
            await foreach (var e in ReadAsync(state, cancellationToken).ConfigureAwait(false))
            {
                var a = acc.GetValueOrDefault(e.Message.Destination);
                acc[e.Message.Destination] = (a.Pending + 1, a.Oldest is { } o && o <= e.EnqueuedAt ? o : e.EnqueuedAt, a.Dead);
            }
        }
        await foreach (var e in ReadAsync(OutboxState.DeadLettered, cancellationToken).ConfigureAwait(false))
        {
            if (e.CompletedAt is { } done && done >= deadLetteredSince
                && (ignoredReasonPrefix is null || e.LastError is null || !e.LastError.StartsWith(ignoredReasonPrefix, StringComparison.Ordinal)))
            {
                var a = acc.GetValueOrDefault(e.Message.Destination);
                acc[e.Message.Destination] = (a.Pending, a.Oldest, a.Dead + 1);
            }
        }
        return [.. acc.Select(kv => new OutboxDestinationBacklog(kv.Key, kv.Value.Pending, kv.Value.Oldest, kv.Value.Dead))];
    }

    /// <summary>Reads one message, or <see langword="null"/>.</summary>
    /// <param name="id">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<OutboxEntry?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Streams the messages in one state in id order (e.g. the dead letters for an operator).</summary>
    /// <param name="state">The state.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<OutboxEntry> ReadAsync(OutboxState state, CancellationToken cancellationToken = default);

    /// <summary>Deletes delivered messages completed before <paramref name="completedBefore"/> (their idempotency keys are forgotten); returns how many.</summary>
    /// <param name="completedBefore">The cut-off.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> PurgeDeliveredAsync(DateTimeOffset completedBefore, CancellationToken cancellationToken = default);
}

/// <summary>
/// Writes a state change and the outbox messages it causes in one transaction: either both are
/// stored or neither is, so a crash can never lose the message nor send one for a change that
/// did not happen.
/// </summary>
public interface ITransactionalOutbox
{
    /// <summary>Appends events (as <see cref="IEventStore.AppendAsync"/>) and enqueues messages (as <see cref="IOutboxStore.EnqueueAsync"/>) atomically.</summary>
    /// <param name="events">The events.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<(AppendResult Events, OutboxEnqueueResult Messages)> AppendEventsAsync(IReadOnlyList<MarketingEvent> events, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Saves a profile (as <see cref="IProfileStore.SaveAsync"/>) and enqueues messages atomically; nothing is enqueued on a concurrency conflict.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<(CustomerProfile Profile, OutboxEnqueueResult Messages)> SaveProfileAsync(CustomerProfile profile, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Appends a consent record (as <see cref="IConsentStore.AppendAsync"/>) and enqueues messages atomically.</summary>
    /// <param name="record">The consent record.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<(ConsentRecord Record, OutboxEnqueueResult Messages)> AppendConsentAsync(ConsentRecord record, IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);
}
