using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>
/// <see cref="IIngestionStore"/>: an append after a merge lands on the survivor, counters are written with the
/// events, a merge moves counters, and a claim never links an identity to a customer without a profile.
/// </summary>
public abstract class IngestionConformance : StoreConformanceBase
{
    private static CustomerProfile Combine(CustomerProfile? kept, CustomerProfile gone, CustomerId survivor) =>
        kept is null
            ? gone with { Id = survivor, Version = 0 }
            : kept with
            {
                Identities = [.. kept.Identities.Union(gone.Identities)],
                EventCount = kept.EventCount + gone.EventCount,
                FirstSeen = gone.EventCount > 0 && (kept.EventCount == 0 || gone.FirstSeen < kept.FirstSeen) ? gone.FirstSeen : kept.FirstSeen,
                LastSeen = gone.EventCount > 0 && (kept.EventCount == 0 || gone.LastSeen > kept.LastSeen) ? gone.LastSeen : kept.LastSeen,
                MergedFrom = [.. kept.MergedFrom, gone.Id],
            };

    private ValueTask<bool> MergeAsync(CustomerId survivor, CustomerId merged) =>
        Store.Ingestion.MergeAsync(new MergeRecord(survivor, merged, Start, IdentityKind.Email, "evt-merge"), (k, g) => Combine(k, g, survivor));

    private async Task<long> StoredAsync(CustomerId customer) => await Store.Events.CountAsync(new EventQuery { CustomerId = customer });

    /// <summary>Counters equal the customer's stored events: count, earliest and latest occurrence.</summary>
    protected async Task AssertCountersMatchEventsAsync(CustomerId customer)
    {
        var profile = await Store.Profiles.GetAsync(customer);
        var events = new List<MarketingEvent>();
        await foreach (var e in Store.Events.ReadAsync(new EventQuery { CustomerId = customer }))
        {
            events.Add(e);
        }
        Assert.NotNull(profile);
        Assert.Equal(events.Count, profile.EventCount);
        if (events.Count > 0)
        {
            Assert.Equal(events.Min(e => e.OccurredAt).UtcTicks, profile.FirstSeen.UtcTicks);
            Assert.Equal(events.Max(e => e.OccurredAt).UtcTicks, profile.LastSeen.UtcTicks);
        }
    }

    [SkippableFact]
    public async Task Claim_creates_the_profile_with_the_linked_identities()
    {
        var x = Customer("claim-x");
        var email = Identity.Email("x@example.com");
        var phone = Identity.Phone("+8613800000001");
        var owners = await Store.Ingestion.ClaimAsync([email, phone], x, Start);
        Assert.Equal(x, owners[email]);
        Assert.Equal(x, owners[phone]);
        var profile = await Store.Profiles.GetAsync(x);
        Assert.NotNull(profile);
        Assert.Equal(0, profile.EventCount);
        Assert.Equal(new[] { email, phone }.OrderBy(i => i.Kind), profile.Identities.OrderBy(i => i.Kind));

        // A second candidate gets nothing already owned, and no profile for nothing.
        var y = Customer("claim-y");
        var again = await Store.Ingestion.ClaimAsync([email], y, Start);
        Assert.Equal(x, again[email]);
        Assert.Null(await Store.Profiles.GetAsync(y));
    }

    [SkippableFact]
    public async Task Claim_many_links_each_free_identity_to_its_candidate_with_profiles_in_one_call()
    {
        var (a, b, old, gone, keep) = (Customer("cmany-a"), Customer("cmany-b"), Customer("cmany-old"), Customer("cmany-gone"), Customer("cmany-keep"));
        var owned = Identity.Email("owned@example.com");
        await Store.Ingestion.ClaimAsync([owned], old, Start);
        await Store.Ingestion.AppendAsync([Event("cmany-e1", old, Start.AddHours(1))]);
        await Store.Ingestion.ClaimAsync([Identity.Email("gone@example.com")], gone, Start);
        await Store.Ingestion.ClaimAsync([Identity.Email("keep@example.com")], keep, Start);
        Assert.True(await MergeAsync(keep, gone));

        var (a1, a2, b1, o1, late, both) = (Identity.Phone("+8613800000011"), Identity.Member("m-a"), Identity.Phone("+8613800000012"),
            Identity.Device("dev-old"), Identity.Phone("+8613800000013"), Identity.Cookie("ck-both"));
        var owners = await Store.Ingestion.ClaimManyAsync(
            [new(a1, a), new(b1, b), new(a2, a), new(owned, b), new(o1, old), new(late, gone), new(both, a), new(both, b)], Start.AddHours(2));

        // Free identities go to their candidates, the first claim of an identity wins, owned ones keep their owner.
        Assert.Equal(a, owners[a1]);
        Assert.Equal(a, owners[a2]);
        Assert.Equal(a, owners[both]);
        Assert.Equal(b, owners[b1]);
        Assert.Equal(old, owners[owned]);
        Assert.Equal(old, owners[o1]);
        // A merged-away candidate gets nothing and no profile.
        Assert.False(owners.ContainsKey(late));
        Assert.Empty(await Store.Identities.FindAsync([late]));
        Assert.Null(await Store.Profiles.GetAsync(gone));

        // Every linked identity's customer has a profile holding it; an existing profile keeps its counters.
        var pa = (await Store.Profiles.GetAsync(a))!;
        Assert.Equal(new[] { a1, a2, both }.OrderBy(i => i.Kind), pa.Identities.OrderBy(i => i.Kind));
        Assert.Equal(0, pa.EventCount);
        Assert.Equal(Start.AddHours(2).UtcTicks, pa.FirstSeen.UtcTicks);
        Assert.Equal([b1], (await Store.Profiles.GetAsync(b))!.Identities);
        var po = (await Store.Profiles.GetAsync(old))!;
        Assert.Contains(o1, po.Identities);
        Assert.Contains(owned, po.Identities);
        Assert.Equal(1, po.EventCount);
        await AssertCountersMatchEventsAsync(old);

        // Nothing free: nothing changes, no profile for nothing.
        var c = Customer("cmany-c");
        var again = await Store.Ingestion.ClaimManyAsync([new(a1, c), new(b1, c)], Start);
        Assert.Equal(a, again[a1]);
        Assert.Equal(b, again[b1]);
        Assert.Null(await Store.Profiles.GetAsync(c));
        Assert.Empty(await Store.Ingestion.ClaimManyAsync([], Start));
    }

    [SkippableFact]
    public async Task Concurrent_claim_many_of_overlapping_identities_agree_on_one_owner_each()
    {
        var identities = Enumerable.Range(0, 40).Select(i => Identity.Device($"dev-race-{i}")).ToArray();
        var candidates = Enumerable.Range(0, 4).Select(w => Customer($"cmany-race-{w}")).ToArray();
        var results = await Task.WhenAll(candidates.Select((c, w) => Task.Run(async () =>
            await Store.Ingestion.ClaimManyAsync([.. identities.Skip(w * 5).Take(25).Select(i => new IdentityClaim(i, c))], Start))));
        var stored = await Store.Identities.FindAsync(identities);
        Assert.Equal(40, stored.Count);
        foreach (var owners in results)
        {
            foreach (var (identity, owner) in owners)
            {
                Assert.Equal(stored[identity], owner);
            }
        }
        // No identity points to a customer without a profile that holds it.
        foreach (var group in stored.GroupBy(kv => kv.Value))
        {
            var profile = await Store.Profiles.GetAsync(group.Key);
            Assert.NotNull(profile);
            Assert.All(group, kv => Assert.Contains(kv.Key, profile.Identities));
        }
    }

    [SkippableFact]
    public async Task Claim_for_a_merged_away_candidate_links_nothing()
    {
        var (y, x) = (Customer("cm-a"), Customer("cm-b"));
        await Store.Ingestion.ClaimAsync([Identity.Email("y@example.com")], y, Start);
        await Store.Ingestion.ClaimAsync([Identity.Email("x@example.com")], x, Start);
        Assert.True(await MergeAsync(y, x));
        var late = Identity.Phone("+8613800000002");
        var owners = await Store.Ingestion.ClaimAsync([late], x, Start);
        Assert.False(owners.ContainsKey(late));
        Assert.Empty(await Store.Identities.FindAsync([late]));
        Assert.Null(await Store.Profiles.GetAsync(x));
    }

    [SkippableFact]
    public async Task Append_counts_new_events_in_the_profile_and_duplicates_change_nothing()
    {
        var c = Customer("count");
        var first = await Store.Ingestion.AppendAsync([Event("n1", c, Start.AddHours(2)), Event("n2", c, Start), Event("n2", c, Start), Event("n3", c, Start.AddHours(1))]);
        Assert.Equal(3, first.Inserted);
        Assert.Empty(first.Redirected);
        await AssertCountersMatchEventsAsync(c);
        Assert.Equal(3, (await Store.Profiles.GetAsync(c))!.EventCount);

        var second = await Store.Ingestion.AppendAsync([Event("n1", c, Start.AddHours(2)), Event("n4", c, Start.AddDays(-1))]);
        Assert.Equal(1, second.Inserted);
        Assert.Equal(["n1"], second.DuplicateIds);
        await AssertCountersMatchEventsAsync(c);
        var profile = await Store.Profiles.GetAsync(c);
        Assert.Equal(4, profile!.EventCount);
        Assert.Equal(Start.AddDays(-1).UtcTicks, profile.FirstSeen.UtcTicks);
    }

    [SkippableFact]
    public async Task Append_keeps_traits_set_by_other_writers_and_bumps_the_version()
    {
        var c = Customer("traits");
        await Store.Ingestion.ClaimAsync([Identity.Email("t@example.com")], c, Start);
        var before = (await Store.Profiles.GetAsync(c))!;
        await Store.Profiles.SaveAsync(before with { Traits = new Dictionary<string, PropertyValue> { ["tier"] = "gold" } });
        var read = (await Store.Profiles.GetAsync(c))!;
        await Store.Ingestion.AppendAsync([Event("t1", c, Start)]);
        var after = (await Store.Profiles.GetAsync(c))!;
        Assert.Equal("gold", after.Trait("tier").ToString());
        Assert.True(after.Version > read.Version);
        // A writer holding the version from before the append must read again.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await Store.Profiles.SaveAsync(read with { Traits = new Dictionary<string, PropertyValue>() }));
        await AssertCountersMatchEventsAsync(c);
    }

    [SkippableFact]
    public async Task Concurrent_appends_to_one_customer_lose_no_count()
    {
        var c = Customer("busy");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await Store.Ingestion.AppendAsync([Event($"b{w}-{i}", c, Start.AddMinutes(w * 10 + i)), Event($"shared-{i}", c, Start.AddMinutes(i))]);
            }
        })));
        Assert.Equal(90, await StoredAsync(c));
        await AssertCountersMatchEventsAsync(c);
    }

    [SkippableFact]
    public async Task Merge_moves_identities_events_and_counters_and_deletes_the_merged_profile()
    {
        var (y, x) = (Customer("m-a"), Customer("m-b"));
        await Store.Ingestion.ClaimAsync([Identity.Email("a@example.com")], y, Start);
        await Store.Ingestion.ClaimAsync([Identity.Phone("+8613800000003")], x, Start);
        await Store.Ingestion.AppendAsync([Event("y1", y, Start.AddHours(1)), Event("y2", y, Start.AddHours(2))]);
        await Store.Ingestion.AppendAsync([Event("x1", x, Start.AddHours(-1)), Event("x2", x, Start.AddHours(5)), Event("x3", x, Start)]);

        Assert.True(await MergeAsync(y, x));

        Assert.Null(await Store.Profiles.GetAsync(x));
        Assert.Equal(0, await StoredAsync(x));
        Assert.Equal(5, await StoredAsync(y));
        await AssertCountersMatchEventsAsync(y);
        Assert.Equal(2, (await Store.Identities.GetIdentitiesAsync(y)).Count);
        Assert.Empty(await Store.Identities.GetIdentitiesAsync(x));
        var merges = new List<MergeRecord>();
        await foreach (var m in Store.Identities.ReadMergesAsync())
        {
            merges.Add(m);
        }
        Assert.Equal((y, x), (Assert.Single(merges).Survivor, merges[0].Merged));

        // Merging a merged-away customer again, or into one, changes nothing.
        Assert.False(await MergeAsync(y, x));
        Assert.False(await MergeAsync(x, y));
        Assert.False(await MergeAsync(y, y));
        Assert.Equal(5, (await Store.Profiles.GetAsync(y))!.EventCount);
    }

    [SkippableFact]
    public async Task Merge_of_a_customer_without_a_profile_counts_its_events()
    {
        var (y, x) = (Customer("np-a"), Customer("np-b"));
        await Store.Ingestion.ClaimAsync([Identity.Email("np@example.com")], y, Start);
        // Events stored before this store existed: no profile counts them.
        await Store.Events.AppendAsync([Event("legacy-1", x, Start.AddHours(3)), Event("legacy-2", x, Start.AddHours(4))]);
        Assert.True(await MergeAsync(y, x));
        await AssertCountersMatchEventsAsync(y);
        Assert.Equal(2, (await Store.Profiles.GetAsync(y))!.EventCount);
    }

    [SkippableFact]
    public async Task Append_after_a_merge_is_stored_under_the_survivor_following_chains()
    {
        var (z, y, x) = (Customer("ch-a"), Customer("ch-b"), Customer("ch-c"));
        foreach (var (c, email) in new[] { (z, "z@example.com"), (y, "y@example.com"), (x, "x@example.com") })
        {
            await Store.Ingestion.ClaimAsync([Identity.Email(email)], c, Start);
        }
        await Store.Ingestion.AppendAsync([Event("before", x, Start)]);
        Assert.True(await MergeAsync(y, x));
        Assert.True(await MergeAsync(z, y));

        // A host that resolved the event to x before the merges appends it now.
        var late = await Store.Ingestion.AppendAsync([Event("late-x", x, Start.AddHours(1)), Event("late-y", y, Start.AddHours(2)), Event("own-z", z, Start.AddHours(3))]);
        Assert.Equal(3, late.Inserted);
        Assert.Equal(z, late.Redirected[x]);
        Assert.Equal(z, late.Redirected[y]);
        Assert.False(late.Redirected.ContainsKey(z));
        Assert.Equal(0, await StoredAsync(x));
        Assert.Equal(0, await StoredAsync(y));
        Assert.Equal(4, await StoredAsync(z));
        Assert.Null(await Store.Profiles.GetAsync(x));
        Assert.Null(await Store.Profiles.GetAsync(y));
        await AssertCountersMatchEventsAsync(z);

        // The survivor's erasure covers the late events.
        await Store.Eraser.EraseAsync(z);
        Assert.Equal(0, await Store.Events.CountAsync(EventQuery.All));
    }

    [SkippableFact]
    public async Task Merges_racing_appends_strand_no_event_and_lose_no_count()
    {
        // Pairs (survivor, merged): appends to the merged customer run while the merge runs.
        const int Pairs = 6;
        var customers = Enumerable.Range(0, Pairs).Select(i => (S: Customer($"r{i}-a"), M: Customer($"r{i}-b"))).ToList();
        foreach (var (s, m) in customers)
        {
            await Store.Ingestion.ClaimAsync([Identity.Email(s.Value + "@example.com")], s, Start);
            await Store.Ingestion.ClaimAsync([Identity.Email(m.Value + "@example.com")], m, Start);
        }
        var appends = customers.Select((p, i) => Task.Run(async () =>
        {
            for (var k = 0; k < 8; k++)
            {
                await Store.Ingestion.AppendAsync([Event($"e{i}-{k}-m", p.M, Start.AddMinutes(k)), Event($"e{i}-{k}-s", p.S, Start.AddMinutes(-k))]);
            }
        }));
        var merges = customers.Select(p => Task.Run(async () => await MergeAsync(p.S, p.M)));
        await Task.WhenAll([.. appends, .. merges]);
        foreach (var (s, m) in customers)
        {
            Assert.Equal(0, await StoredAsync(m));
            Assert.Null(await Store.Profiles.GetAsync(m));
            Assert.Equal(16, await StoredAsync(s));
            await AssertCountersMatchEventsAsync(s);
        }
    }
}
