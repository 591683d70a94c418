namespace Marketing.Sdk;

/// <summary>
/// A component that keeps its own data about customers (journey state, experiment exposures,
/// platform delivery logs, caches) and erases it when a data-subject erasure request arrives.
/// Register implementations with <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IPersonalDataEraser, T&gt;())</c>;
/// the compliance package calls every registered eraser after the store's own erasure.
/// </summary>
public interface IPersonalDataEraser
{
    /// <summary>A stable name for the erasure report (e.g. <c>lifecycle.journeys</c>).</summary>
    string Name { get; }

    /// <summary>Erases everything the component holds about the customer; returns how many records were deleted. Erasing an unknown customer succeeds and returns 0.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="identities">The customer's identities as known before the erasure (for components keyed by identity). Personal data: never log them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> EraseAsync(CustomerId customerId, IReadOnlyList<Identity> identities, CancellationToken cancellationToken = default);
}
