namespace Marketing.Sdk.Platforms.Meta;

/// <summary>
/// Meta's limit of budget changes per ad set per rolling hour (exceeding it blocks the ad set's
/// budget for an hour with error 17). A change takes a slot before it is sent and gives it back if
/// the platform did not apply it. Thread-safe.
/// </summary>
internal sealed class BudgetChangeLimiter(int perHour, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly Dictionary<string, List<DateTimeOffset>> _changes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Takes a slot for <paramref name="adSetId"/>, or says when the next one frees up.</summary>
    public bool TryAcquire(string adSetId, out DateTimeOffset slot, out DateTimeOffset nextAllowed)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_changes.TryGetValue(adSetId, out var list))
            {
                _changes[adSetId] = list = [];
            }
            list.RemoveAll(t => now - t >= Window);
            if (list.Count >= perHour)
            {
                slot = default;
                nextAllowed = list.Min() + Window;
                return false;
            }
            list.Add(now);
            slot = now;
            nextAllowed = now;
            return true;
        }
    }

    /// <summary>Gives a slot back (the change was not applied).</summary>
    public void Release(string adSetId, DateTimeOffset slot)
    {
        lock (_lock)
        {
            if (_changes.TryGetValue(adSetId, out var list))
            {
                list.Remove(slot);
            }
        }
    }

    /// <summary>Changes counted for an ad set within the last hour.</summary>
    public int Count(string adSetId)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _changes.TryGetValue(adSetId, out var list) ? list.Count(t => now - t < Window) : 0;
        }
    }
}
