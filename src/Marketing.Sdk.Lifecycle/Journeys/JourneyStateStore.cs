using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Lifecycle.Journeys;

/// <summary>
/// The journey state in the <see cref="IStateStore"/>: enrollments, inactivity watches and the due index
/// that keeps both findable in due order (see <see cref="JourneyEngine.RunDueAsync"/>).
/// </summary>
/// <param name="store">Where enrollments, watches and the due index are kept.</param>
internal sealed class JourneyStateStore(IStateStore store)
{
    private const string DueIndexMarker = "due-index-v1";
    private readonly IStateStore _store = store;
    private bool _dueIndexReady;

    /// <summary>
    /// Writes what a batch held back (when this view is over a <see cref="StateWriteBuffer"/>): called before
    /// every action, and at the end of a batch. Nothing to do over the store itself.
    /// </summary>
    internal ValueTask FlushAsync(CancellationToken cancellationToken) =>
        _store is StateWriteBuffer buffer ? buffer.FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>The underlying store (action and contact ledgers, merges).</summary>
    internal IStateStore Store => _store;

    /// <summary>The due-index entries due by <paramref name="now"/>, with their keys, in due order.</summary>
    internal async ValueTask<List<(string Key, DueEntry Entry)>> ReadDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureDueIndexAsync(cancellationToken).ConfigureAwait(false);
        var limit = now.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
        var entries = new List<(string Key, DueEntry Entry)>();
        await foreach (var entry in _store.StreamAsync(JourneyEngine.DueScope, null, cancellationToken).ConfigureAwait(false))
        {
            if (string.CompareOrdinal(entry.Key, 0, limit, 0, limit.Length) > 0)
            {
                break; // Keys are in due order: everything after this is later.
            }
            if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.DueEntry) is { } due)
            {
                entries.Add((entry.Key, due));
            }
        }
        return entries;
    }

    /// <summary>Drops a due-index entry found stale.</summary>
    internal ValueTask DeleteDueAsync(string indexKey, CancellationToken cancellationToken) =>
        DeleteAsync(JourneyEngine.DueScope, indexKey, cancellationToken);

    internal async ValueTask<(JourneyEnrollment? Enrollment, long Version)> LoadAsync(CustomerId customer, string journeyId, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(JourneyEngine.EnrollmentScope, Key(customer, journeyId), cancellationToken).ConfigureAwait(false);
        return entry is null ? (null, 0) : (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment), entry.Version);
    }

    /// <summary>
    /// Saves an enrollment and keeps the due index in step: the new index entry is written before the
    /// document (a crash leaves at most a stale entry, which a run drops; never a missing one), the
    /// entry of the <paramref name="stored"/> version is removed after it.
    /// </summary>
    internal async ValueTask<long> SaveAsync(JourneyEnrollment enrollment, JourneyEnrollment? stored, long version, CancellationToken cancellationToken)
    {
        var oldDue = DueOf(stored);
        var newDue = DueOf(enrollment);
        if (newDue is { } n && n != oldDue)
        {
            await AddDueAsync(new DueEntry(DueKind.Enrollment, enrollment.CustomerId, enrollment.JourneyId, n), cancellationToken).ConfigureAwait(false);
        }
        var saved = await _store.SaveAsync(JourneyEngine.EnrollmentScope, Key(enrollment.CustomerId, enrollment.JourneyId), JsonSerializer.Serialize(enrollment, LifecycleJsonContext.Default.JourneyEnrollment), version, cancellationToken).ConfigureAwait(false);
        if (oldDue is { } o && o != newDue)
        {
            await DeleteAsync(JourneyEngine.DueScope, DueKey(new DueEntry(DueKind.Enrollment, stored!.CustomerId, stored.JourneyId, o)), cancellationToken).ConfigureAwait(false);
        }
        return saved;
    }

    /// <summary>Deletes a document: with the batch when this view is over a <see cref="StateWriteBuffer"/> (no read first), else at once.</summary>
    private async ValueTask DeleteAsync(string scope, string key, CancellationToken cancellationToken)
    {
        if (_store is StateWriteBuffer buffer)
        {
            buffer.Delete(scope, key);
            return;
        }
        await _store.DeleteAsync(scope, key, cancellationToken).ConfigureAwait(false);
    }

    internal static DateTimeOffset? DueOf(JourneyEnrollment? e) => e is { Status: EnrollmentStatus.Active, DueAt: { } due } ? due : null;

    internal async ValueTask DeleteEnrollmentAsync(JourneyEnrollment enrollment, CancellationToken cancellationToken)
    {
        await DeleteAsync(JourneyEngine.EnrollmentScope, Key(enrollment.CustomerId, enrollment.JourneyId), cancellationToken).ConfigureAwait(false);
        if (DueOf(enrollment) is { } due)
        {
            await DeleteAsync(JourneyEngine.DueScope, DueKey(new DueEntry(DueKind.Enrollment, enrollment.CustomerId, enrollment.JourneyId, due)), cancellationToken).ConfigureAwait(false);
        }
    }

    internal async ValueTask SaveWatchAsync(InactivityWatch watch, InactivityWatch? stored, long version, CancellationToken cancellationToken)
    {
        if (watch.DueAt != stored?.DueAt)
        {
            await AddDueAsync(new DueEntry(DueKind.Watch, watch.CustomerId, watch.JourneyId, watch.DueAt), cancellationToken).ConfigureAwait(false);
        }
        await _store.SaveAsync(JourneyEngine.WatchScope, Key(watch.CustomerId, watch.JourneyId), JsonSerializer.Serialize(watch, LifecycleJsonContext.Default.InactivityWatch), version, cancellationToken).ConfigureAwait(false);
        if (stored is not null && stored.DueAt != watch.DueAt)
        {
            await DeleteAsync(JourneyEngine.DueScope, DueKey(new DueEntry(DueKind.Watch, stored.CustomerId, stored.JourneyId, stored.DueAt)), cancellationToken).ConfigureAwait(false);
        }
    }

    internal async ValueTask DeleteWatchAsync(StateEntry entry, CancellationToken cancellationToken)
    {
        await DeleteAsync(JourneyEngine.WatchScope, entry.Key, cancellationToken).ConfigureAwait(false);
        if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch) is { } watch)
        {
            await DeleteAsync(JourneyEngine.DueScope, DueKey(new DueEntry(DueKind.Watch, watch.CustomerId, watch.JourneyId, watch.DueAt)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The due index key: the due instant as 19-digit UTC ticks first, so the scope's key order is due
    /// order and a run reads the index only up to now.
    /// </summary>
    internal static string DueKey(DueEntry e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.DueAt.UtcTicks:D19}|{(e.Kind == DueKind.Watch ? 'w' : 'e')}|{e.CustomerId.Value}|{e.JourneyId}");

    internal async ValueTask AddDueAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        if (_store is StateWriteBuffer buffer)
        {
            // The entry's value follows from its key: an entry already indexed is the same entry.
            buffer.AddIfAbsent(JourneyEngine.DueScope, DueKey(entry), JsonSerializer.Serialize(entry, LifecycleJsonContext.Default.DueEntry));
            return;
        }
        try
        {
            await _store.SaveAsync(JourneyEngine.DueScope, DueKey(entry), JsonSerializer.Serialize(entry, LifecycleJsonContext.Default.DueEntry), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // The same entry is already indexed.
        }
    }

    /// <summary>Indexes enrollments and watches stored before the due index existed (once per store).</summary>
    internal async ValueTask EnsureDueIndexAsync(CancellationToken cancellationToken)
    {
        if (_dueIndexReady)
        {
            return;
        }
        if (await _store.GetAsync(JourneyEngine.MetaScope, DueIndexMarker, cancellationToken).ConfigureAwait(false) is null)
        {
            await foreach (var entry in _store.StreamAsync(JourneyEngine.EnrollmentScope, null, cancellationToken).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.JourneyEnrollment) is { } e && DueOf(e) is { } due)
                {
                    await AddDueAsync(new DueEntry(DueKind.Enrollment, e.CustomerId, e.JourneyId, due), cancellationToken).ConfigureAwait(false);
                }
            }
            await foreach (var entry in _store.StreamAsync(JourneyEngine.WatchScope, null, cancellationToken).ConfigureAwait(false))
            {
                if (JsonSerializer.Deserialize(entry.Value, LifecycleJsonContext.Default.InactivityWatch) is { } w)
                {
                    await AddDueAsync(new DueEntry(DueKind.Watch, w.CustomerId, w.JourneyId, w.DueAt), cancellationToken).ConfigureAwait(false);
                }
            }
            try
            {
                await _store.SaveAsync(JourneyEngine.MetaScope, DueIndexMarker, "1", 0, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // Another instance finished the same backfill.
            }
        }
        _dueIndexReady = true;
    }

    internal async ValueTask<List<StateEntry>> CollectAsync(string scope, string prefix, CancellationToken cancellationToken)
    {
        var list = new List<StateEntry>();
        await foreach (var entry in _store.StreamAsync(scope, prefix, cancellationToken).ConfigureAwait(false))
        {
            list.Add(entry);
        }
        return list;
    }

    internal static string Key(CustomerId customer, string journeyId) => customer.Value + "|" + journeyId;

    internal static string StemOf(JourneyEnrollment e) => string.Create(CultureInfo.InvariantCulture, $"{e.JourneyId}:{e.CustomerId.Value}:{e.Sequence}");
}
