namespace Marketing.Sdk.Storage;

/// <summary>
/// One entry of a customer's consent history for one purpose: consent was given or withdrawn at a
/// point in time, through a source, under a policy version, with an optional proof hash. Records are
/// never changed once written; the current state of a purpose is its latest record.
/// </summary>
public sealed record ConsentRecord
{
    /// <summary>Position in the store's append order; assigned by the store (0 on records not yet stored).</summary>
    public long Sequence { get; init; }

    /// <summary>The customer.</summary>
    [PseudonymousData]
    public required CustomerId CustomerId { get; init; }

    /// <summary>The purpose consent was given or withdrawn for.</summary>
    public required ConsentPurpose Purpose { get; init; }

    /// <summary><see langword="true"/> when consent was granted, <see langword="false"/> when it was withdrawn.</summary>
    public required bool Granted { get; init; }

    /// <summary>When the customer gave or withdrew consent (with the original UTC offset).</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>Where the decision was captured (e.g. <c>checkout_form</c>, <c>mini_program</c>, <c>tcf</c>).</summary>
    public required string Source { get; init; }

    /// <summary>The version of the privacy policy or consent text shown, if known.</summary>
    public string? PolicyVersion { get; init; }

    /// <summary>A hash of the evidence (signed form, TC string, screenshot), if kept.</summary>
    [PseudonymousData]
    public string? ProofHash { get; init; }

    /// <summary>Describes the record (the customer id is pseudonymous; no personal data).</summary>
    public override string ToString() =>
        $"ConsentRecord {{ Sequence = {Sequence}, CustomerId = {CustomerId}, Purpose = {Purpose}, Granted = {Granted}, RecordedAt = {RecordedAt:O} }}";
}

/// <summary>The current record of one customer and purpose, as <see cref="IConsentStore.GetCurrentManyAsync"/> reads it.</summary>
/// <param name="Record">The current record: the latest <see cref="ConsentRecord.RecordedAt"/>, ties broken by the later <see cref="ConsentRecord.Sequence"/> (as <see cref="IConsentStore.GetCurrentAsync"/>).</param>
/// <param name="WithdrawnAtSameInstant">
/// <see langword="true"/> when <paramref name="Record"/> is a grant and a withdrawal of the same purpose
/// was recorded at the same instant (the consent gate counts such a grant as withdrawn);
/// <see langword="false"/> otherwise, and always when <paramref name="Record"/> is a withdrawal.
/// </param>
public sealed record CurrentConsent(ConsentRecord Record, bool WithdrawnAtSameInstant)
{
    /// <summary>Whether consent is in force: the current record is a grant and no withdrawal shares its instant.</summary>
    public bool IsGranted => Record.Granted && !WithdrawnAtSameInstant;
}

/// <summary>
/// The current consent state of one customer and purpose narrowed to two flags, as
/// <see cref="IConsentStore.GetCurrentStatusManyAsync"/> reads it for the consent gate: the same answer as
/// the <see cref="CurrentConsent"/> of that customer and purpose, without the record's other fields.
/// </summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Purpose">The purpose.</param>
/// <param name="IsGranted">Whether consent is in force (<see cref="CurrentConsent.IsGranted"/>): the current record is a grant and no withdrawal shares its instant.</param>
/// <param name="CurrentIsGrant">Whether the current record is a grant (<see cref="CurrentConsent.Record"/>'s <see cref="ConsentRecord.Granted"/>), even if a withdrawal shares its instant.</param>
public readonly record struct ConsentStatus([property: PseudonymousData] CustomerId CustomerId, ConsentPurpose Purpose, bool IsGranted, bool CurrentIsGrant)
{
    /// <summary>The status of a current record.</summary>
    /// <param name="current">The current record of a customer and purpose.</param>
    public static ConsentStatus From(CurrentConsent current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return new(current.Record.CustomerId, current.Record.Purpose, current.IsGranted, current.Record.Granted);
    }
}

/// <summary>
/// Append-only consent ledger per customer and purpose. The compliance package builds its consent
/// gate and data-subject exports on it.
/// </summary>
public interface IConsentStore
{
    /// <summary>Appends a record; returns it with its <see cref="ConsentRecord.Sequence"/>.</summary>
    /// <param name="record">The record (its <see cref="ConsentRecord.Sequence"/> is ignored).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ConsentRecord> AppendAsync(ConsentRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// The current state per purpose of a customer: for each purpose the record with the latest
    /// <see cref="ConsentRecord.RecordedAt"/> (ties broken by the later <see cref="ConsentRecord.Sequence"/>).
    /// Purposes without any record are absent.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyDictionary<ConsentPurpose, ConsentRecord>> GetCurrentAsync(CustomerId customerId, CancellationToken cancellationToken = default);

    /// <summary>Streams the history of a customer in append order, optionally for one purpose only.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="purpose">Only this purpose, or every purpose when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<ConsentRecord> ReadHistoryAsync(CustomerId customerId, ConsentPurpose? purpose = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The current state of many customers at once (the consent gate's batched read): one entry per
    /// customer and purpose that has a record, with the current record chosen as by
    /// <see cref="GetCurrentAsync"/> and <see cref="CurrentConsent.WithdrawnAtSameInstant"/> telling
    /// whether a withdrawal shares a current grant's instant. Customers without a record in the
    /// requested purposes are absent; entries come in no particular order. The relational stores
    /// answer in one query per few hundred customers; this default asks per customer.
    /// </summary>
    /// <param name="customerIds">The customers (duplicates are read once).</param>
    /// <param name="purposes">Only these purposes, or every purpose when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyList<CurrentConsent>> GetCurrentManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var result = new List<CurrentConsent>();
        foreach (var customerId in new HashSet<CustomerId>(customerIds))
        {
            var current = await GetCurrentAsync(customerId, cancellationToken).ConfigureAwait(false);
            HashSet<ConsentPurpose>? tied = null;
            if (current.Values.Any(r => r.Granted && (purposes is null || purposes.Contains(r.Purpose))))
            {
                await foreach (var record in ReadHistoryAsync(customerId, null, cancellationToken).ConfigureAwait(false))
                {
                    if (!record.Granted && current.TryGetValue(record.Purpose, out var latest) && latest.Granted && latest.RecordedAt == record.RecordedAt)
                    {
                        (tied ??= []).Add(record.Purpose);
                    }
                }
            }
            foreach (var (purpose, record) in current)
            {
                if (purposes is null || purposes.Contains(purpose))
                {
                    result.Add(new CurrentConsent(record, tied is not null && tied.Contains(purpose)));
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The consent gate's batched read: for each customer and purpose with a record, only whether consent is
    /// in force and whether the current record is a grant (<see cref="ConsentStatus"/>) — exactly what
    /// <see cref="GetCurrentManyAsync"/> answers for the same customers and purposes, without reading the
    /// records' other fields. The relational stores resolve both flags in the database; this default derives
    /// them from <see cref="GetCurrentManyAsync"/>. Entries come in no particular order.
    /// </summary>
    /// <param name="customerIds">The customers (duplicates are read once).</param>
    /// <param name="purposes">Only these purposes, or every purpose when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<IReadOnlyList<ConsentStatus>> GetCurrentStatusManyAsync(IReadOnlyCollection<CustomerId> customerIds, IReadOnlyCollection<ConsentPurpose>? purposes = null, CancellationToken cancellationToken = default)
    {
        var current = await GetCurrentManyAsync(customerIds, purposes, cancellationToken).ConfigureAwait(false);
        var result = new ConsentStatus[current.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = ConsentStatus.From(current[i]);
        }
        return result;
    }

    /// <summary>Moves every record of <paramref name="source"/> to <paramref name="target"/> (after a profile merge); returns how many moved.</summary>
    /// <param name="source">The merged-away profile.</param>
    /// <param name="target">The surviving profile.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> ReassignAsync(CustomerId source, CustomerId target, CancellationToken cancellationToken = default);
}
