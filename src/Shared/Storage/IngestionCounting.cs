namespace Marketing.Sdk.Storage;

/// <summary>
/// The arithmetic every <see cref="IIngestionStore"/> shares: which events of an append were stored, what they
/// add to each profile's counters, and where a merged-away customer's events go. Compiled into the core package
/// (in-memory stores) and the relational providers.
/// </summary>
internal static class IngestionCounting
{
    /// <summary>The events an append stored: the first occurrence of each id, unless the result reports every occurrence as a duplicate.</summary>
    public static IReadOnlyList<MarketingEvent> Stored(IReadOnlyList<MarketingEvent> events, AppendResult result)
    {
        if (result.DuplicateIds.Count == 0)
        {
            return events;
        }
        var duplicates = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in result.DuplicateIds)
        {
            duplicates[id] = duplicates.GetValueOrDefault(id) + 1;
        }
        var occurrences = new Dictionary<string, int>(events.Count, StringComparer.Ordinal);
        foreach (var e in events)
        {
            occurrences[e.Id] = occurrences.GetValueOrDefault(e.Id) + 1;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stored = new List<MarketingEvent>(events.Count);
        foreach (var e in events)
        {
            if (seen.Add(e.Id) && occurrences[e.Id] > duplicates.GetValueOrDefault(e.Id))
            {
                stored.Add(e);
            }
        }
        return stored;
    }

    /// <summary>Per customer, the number of stored events and their earliest and latest occurrence.</summary>
    public static SortedDictionary<CustomerId, Counters> PerCustomer(IReadOnlyList<MarketingEvent> stored)
    {
        var result = new SortedDictionary<CustomerId, Counters>();
        foreach (var e in stored)
        {
            var c = e.CustomerId!.Value;
            result[c] = result.TryGetValue(c, out var k)
                ? new Counters(k.Count + 1, e.OccurredAt < k.First ? e.OccurredAt : k.First, e.OccurredAt > k.Last ? e.OccurredAt : k.Last)
                : new Counters(1, e.OccurredAt, e.OccurredAt);
        }
        return result;
    }

    /// <summary>The profile with <paramref name="added"/> counted in (a new profile when <paramref name="profile"/> is <see langword="null"/>).</summary>
    public static CustomerProfile Count(CustomerProfile? profile, CustomerId id, Counters added)
    {
        if (profile is null)
        {
            return new CustomerProfile { Id = id, FirstSeen = added.First, LastSeen = added.Last, EventCount = added.Count };
        }
        return profile with
        {
            FirstSeen = profile.EventCount == 0 || added.First < profile.FirstSeen ? added.First : profile.FirstSeen,
            LastSeen = profile.EventCount == 0 || added.Last > profile.LastSeen ? added.Last : profile.LastSeen,
            EventCount = profile.EventCount + added.Count,
        };
    }

    /// <summary>Follows <paramref name="customer"/> through merged → survivor links to the customer that survives.</summary>
    public static CustomerId Follow(IReadOnlyDictionary<CustomerId, CustomerId> mergedInto, CustomerId customer)
    {
        // Survivors are never merged into a customer merged into them, so chains end; the bound guards bad data.
        for (var steps = 0; steps <= mergedInto.Count && mergedInto.TryGetValue(customer, out var next); steps++)
        {
            customer = next;
        }
        return customer;
    }

    /// <summary>The events with each customer replaced by its survivor, and the customers that were replaced.</summary>
    public static (IReadOnlyList<MarketingEvent> Events, Dictionary<CustomerId, CustomerId> Redirected) Redirect(IReadOnlyList<MarketingEvent> events, IReadOnlyDictionary<CustomerId, CustomerId> mergedInto)
    {
        var redirected = new Dictionary<CustomerId, CustomerId>();
        if (mergedInto.Count == 0)
        {
            return (events, redirected);
        }
        var result = new MarketingEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var from = e.CustomerId!.Value;
            var to = Follow(mergedInto, from);
            if (to != from)
            {
                redirected[from] = to;
                e = e with { CustomerId = to };
            }
            result[i] = e;
        }
        return (redirected.Count == 0 ? events : result, redirected);
    }

    /// <summary>What newly stored events add to one profile.</summary>
    /// <param name="Count">Number of events.</param>
    /// <param name="First">Earliest occurrence.</param>
    /// <param name="Last">Latest occurrence.</param>
    internal readonly record struct Counters(long Count, DateTimeOffset First, DateTimeOffset Last);
}
