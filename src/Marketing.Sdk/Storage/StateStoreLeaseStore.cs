using System.Globalization;

namespace Marketing.Sdk.Storage;

/// <summary>
/// <see cref="ILeaseStore"/> on any <see cref="IStateStore"/>: a lease is one state document changed
/// only by compare-and-swap on its version, so two hosts can never both take it. The document's
/// version at the moment of taking becomes the fencing token; a released lease keeps its document
/// (marked lapsed) so versions, and therefore tokens, only ever grow.
/// </summary>
internal sealed class StateStoreLeaseStore(IStateStore store, TimeProvider timeProvider) : ILeaseStore
{
    internal const string Scope = "marketing.leases";
    private const int MaxNameLength = 200;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public async ValueTask<LeaseGrant?> TryAcquireAsync(string name, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        Check(name, nameof(name));
        Check(owner, nameof(owner));
        CheckDuration(duration);
        var now = timeProvider.GetUtcNow();
        var entry = await store.GetAsync(Scope, name, cancellationToken).ConfigureAwait(false);
        var current = entry is null ? null : Parse(entry.Value);
        if (current is { } held && held.ExpiresAt > now && !string.Equals(held.Owner, owner, StringComparison.Ordinal))
        {
            return null;
        }
        var version = entry?.Version ?? 0;
        // The same owner re-taking a current lease keeps its token; anyone else gets the new version.
        var keepToken = current is { } mine && mine.ExpiresAt > now && string.Equals(mine.Owner, owner, StringComparison.Ordinal);
        var token = keepToken ? current!.Value.Token : version + 1;
        var expires = now + duration;
        try
        {
            var saved = await store.SaveAsync(Scope, name, Format(token, expires, owner), version, cancellationToken).ConfigureAwait(false);
            return new LeaseGrant(name, owner, token, expires) { Version = saved };
        }
        catch (ConcurrencyConflictException)
        {
            return null;
        }
    }

    public async ValueTask<LeaseGrant?> RenewAsync(LeaseGrant grant, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        CheckDuration(duration);
        var now = timeProvider.GetUtcNow();
        if (grant.ExpiresAt <= now)
        {
            // Lapsed: another host may have acted on it already. Taking it again is a new lease.
            return null;
        }
        var expires = now + duration;
        try
        {
            var saved = await store.SaveAsync(Scope, grant.Name, Format(grant.FencingToken, expires, grant.Owner), grant.Version, cancellationToken).ConfigureAwait(false);
            return grant with { ExpiresAt = expires, Version = saved };
        }
        catch (ConcurrencyConflictException)
        {
            return null;
        }
    }

    public async ValueTask<bool> ReleaseAsync(LeaseGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        try
        {
            await store.SaveAsync(Scope, grant.Name, Format(grant.FencingToken, DateTimeOffset.UnixEpoch, grant.Owner), grant.Version, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    // token|expires (Unix ms)|owner — the owner last, so it may hold any character.
    private static string Format(long token, DateTimeOffset expires, string owner) =>
        string.Create(CultureInfo.InvariantCulture, $"{token}|{expires.ToUnixTimeMilliseconds()}|{owner}");

    /// <summary>Reads a lease document; one that cannot be read counts as lapsed (it is overwritten by the next taker).</summary>
    private static (long Token, DateTimeOffset ExpiresAt, string Owner)? Parse(string value)
    {
        var first = value.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : value.IndexOf('|', first + 1);
        if (second < 0
            || !long.TryParse(value.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var token)
            || !long.TryParse(value.AsSpan(first + 1, second - first - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms)
            || ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }
        return (token, DateTimeOffset.FromUnixTimeMilliseconds(ms), value[(second + 1)..]);
    }

    private static void Check(string value, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, parameter);
        if (value.Length > MaxNameLength)
        {
            throw new ArgumentOutOfRangeException(parameter, $"At most {MaxNameLength} characters.");
        }
    }

    private static void CheckDuration(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "The lease duration must be positive and at most one day.");
        }
    }
}
