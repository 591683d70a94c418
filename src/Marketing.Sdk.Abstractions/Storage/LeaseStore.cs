namespace Marketing.Sdk.Storage;

/// <summary>
/// A lease on a named background duty (segment refresh, model retraining, the journey scheduler,
/// retention): while it is current, no other host holds the same name.
/// </summary>
/// <param name="Name">The duty the lease is for.</param>
/// <param name="Owner">The host (or worker) holding it.</param>
/// <param name="FencingToken">
/// Increases every time the lease passes to a new holder (a renewal keeps it). A writer that stamps
/// its work with the token can refuse work stamped with an older one after a takeover.
/// </param>
/// <param name="ExpiresAt">When the lease lapses unless renewed.</param>
public sealed record LeaseGrant(string Name, string Owner, long FencingToken, DateTimeOffset ExpiresAt)
{
    /// <summary>The store's version of the lease document when it was granted (used to renew and release).</summary>
    public long Version { get; init; }
}

/// <summary>
/// Grants leases so that a background duty runs on one host at a time when many hosts share one
/// database. Leases expire by the holder's clock: choose durations well above the clock skew
/// between hosts, and renew before half the duration has passed.
/// </summary>
public interface ILeaseStore
{
    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="owner"/> when it is free, lapsed,
    /// or already held by <paramref name="owner"/>; returns <see langword="null"/> when another
    /// holder's lease is current.
    /// </summary>
    /// <param name="name">The duty (at most 200 characters).</param>
    /// <param name="owner">The host or worker asking (at most 200 characters).</param>
    /// <param name="duration">How long the lease lasts (positive, at most one day).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<LeaseGrant?> TryAcquireAsync(string name, string owner, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a lease still held by its owner; returns <see langword="null"/> when it was lost
    /// (lapsed and taken by another holder, or released).
    /// </summary>
    /// <param name="grant">The lease to extend.</param>
    /// <param name="duration">How long it lasts from now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<LeaseGrant?> RenewAsync(LeaseGrant grant, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease up so another host may take it at once; returns <see langword="false"/> when it was no longer held.</summary>
    /// <param name="grant">The lease to give up.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> ReleaseAsync(LeaseGrant grant, CancellationToken cancellationToken = default);
}
