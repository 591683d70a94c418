namespace Marketing.Sdk;

/// <summary>
/// Receives profile merges after identity resolution committed them (identities, events and the
/// profile already belong to the survivor), so that packages keeping their own per-customer state
/// (lifecycle stages, journey enrollments, ledgers) can move it to the survivor. Register any number
/// as singletons; the identity resolver calls each one in registration order. A listener that throws
/// does not undo the merge: the error is logged and the next listener is called. Listeners must be
/// idempotent: the same merge may be reported again after a crash or retry.
/// </summary>
public interface IProfileMergeListener
{
    /// <summary>Moves per-customer state of the merged-away profiles to the survivor.</summary>
    /// <param name="survivor">The profile that remains.</param>
    /// <param name="merged">The profiles merged into it, in the order they were merged; they no longer exist.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnMergedAsync(CustomerId survivor, IReadOnlyList<CustomerId> merged, CancellationToken cancellationToken = default);
}
