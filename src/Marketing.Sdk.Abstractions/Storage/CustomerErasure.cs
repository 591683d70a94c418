namespace Marketing.Sdk.Storage;

/// <summary>What an erasure deleted.</summary>
/// <param name="CustomerId">The erased customer.</param>
/// <param name="DeletedRows">Rows (records) deleted per table, by table name; tables with nothing to delete are listed with 0.</param>
public sealed record ErasureReport([property: PseudonymousData] CustomerId CustomerId, IReadOnlyDictionary<string, long> DeletedRows)
{
    /// <summary>Total number of rows deleted.</summary>
    public long Total => DeletedRows.Values.Sum();
}

/// <summary>
/// Deletes every stored record of one customer across all stores of a provider in one transaction:
/// profile, events, identities (with their co-observations), merge records, consent records and
/// outbox messages about the customer. The audit log is not touched: it holds only pseudonymous ids,
/// is the record of the erasure itself and cannot lose entries without breaking its hash chain.
/// The compliance package builds data-subject erasure requests on this seam.
/// </summary>
public interface ICustomerDataEraser
{
    /// <summary>Erases a customer; erasing an unknown customer deletes nothing and succeeds.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ErasureReport> EraseAsync(CustomerId customerId, CancellationToken cancellationToken = default);
}
