using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

public abstract class IdentityGraphConformance : StoreConformanceBase
{
    [SkippableFact]
    public async Task Claim_links_a_free_identity_and_keeps_an_owned_one()
    {
        var email = Identity.Email("x@example.com");
        Assert.Equal(Customer("i1"), await Store.Identities.ClaimAsync(email, Customer("i1")));
        Assert.Equal(Customer("i1"), await Store.Identities.ClaimAsync(email, Customer("i2")));
        var found = await Store.Identities.FindAsync([email, Identity.Phone("+10000000000")]);
        Assert.Single(found);
        Assert.Equal(Customer("i1"), found[email]);
    }

    [SkippableFact]
    public async Task Concurrent_claims_agree_on_one_owner()
    {
        var device = Identity.Device("shared-device");
        var owners = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Store.Identities.ClaimAsync(device, Customer($"w{i}")).AsTask()));
        Assert.Single(owners.Distinct());
    }

    [SkippableFact]
    public async Task Identities_are_listed_reassigned_and_deleted_with_observations_and_merges()
    {
        var a = Customer("ga");
        var b = Customer("gb");
        await Store.Identities.ClaimAsync(Identity.Email("a@x.io"), a);
        await Store.Identities.ClaimAsync(Identity.Cookie("ck-1"), a);
        await Store.Identities.ClaimAsync(Identity.Member("m-b"), b);
        Assert.Equal(2, (await Store.Identities.GetIdentitiesAsync(a)).Count);
        Assert.Equal(1, await Store.Identities.ObserveAsync(Identity.Cookie("ck-1"), "anchor-1"));
        Assert.Equal(1, await Store.Identities.ObserveAsync(Identity.Cookie("ck-1"), "anchor-1"));
        Assert.Equal(2, await Store.Identities.ObserveAsync(Identity.Cookie("ck-1"), "anchor-2"));
        Assert.Equal(2, await Store.Identities.ObserveAsync(Identity.Cookie("ck-1"), null));
        Assert.Equal(0, await Store.Identities.ObserveAsync(Identity.Cookie("never-seen"), null));
        var merge = new MergeRecord(b, a, Start.ToOffset(TimeSpan.FromHours(8)), IdentityKind.Email, "ev-9");
        await Store.Identities.RecordMergeAsync(merge);
        await Store.Identities.RecordMergeAsync(merge with { EventId = null, Merged = Customer("gz") });
        var merges = await Store.Identities.ReadMergesAsync().ToListAsync();
        Assert.Equal([merge, merge with { EventId = null, Merged = Customer("gz") }], merges);
        Assert.Equal(TimeSpan.FromHours(8), merges[0].MergedAt.Offset);

        Assert.Equal(2, await Store.Identities.ReassignAsync(a, b));
        Assert.Empty(await Store.Identities.GetIdentitiesAsync(a));
        Assert.Equal(3, (await Store.Identities.GetIdentitiesAsync(b)).Count);

        var deleted = await Store.Identities.DeleteCustomerAsync(b);
        Assert.Equal(3 + 2 + 2, deleted); // identities, observations of its cookie, merges it survived
        Assert.Empty(await Store.Identities.GetIdentitiesAsync(b));
        Assert.Empty(await Store.Identities.ReadMergesAsync().ToListAsync());
        Assert.Equal(1, await Store.Identities.ObserveAsync(Identity.Cookie("ck-1"), "anchor-3"));
    }

    [SkippableFact]
    public async Task Observe_many_answers_as_the_same_observations_made_one_by_one()
    {
        var (d, e) = (Identity.Device("dev-many-1"), Identity.Cookie("ck-many-1"));
        Assert.Equal(1, await Store.Identities.ObserveAsync(d, "anchor-0"));
        var counts = await Store.Identities.ObserveManyAsync(
            [new(d, "anchor-0"), new(d, "anchor-1"), new(e, null), new(d, "anchor-1"), new(e, "anchor-1"), new(d, null), new(d, "anchor-2"), new(e, "anchor-1")]);
        Assert.Equal([1, 2, 0, 2, 1, 2, 3, 1], counts);
        // Stored as well: later single observations see them.
        Assert.Equal(3, await Store.Identities.ObserveAsync(d, null));
        Assert.Equal(3, await Store.Identities.ObserveAsync(d, "anchor-1"));
        Assert.Equal(1, await Store.Identities.ObserveAsync(e, null));
        Assert.Empty(await Store.Identities.ObserveManyAsync([]));
    }
}

public abstract class ConsentStoreConformance : StoreConformanceBase
{
    private static ConsentRecord Record(CustomerId c, ConsentPurpose p, bool granted, DateTimeOffset at, string source = "checkout_form") =>
        new() { CustomerId = c, Purpose = p, Granted = granted, RecordedAt = at, Source = source, PolicyVersion = "2025-01", ProofHash = "sha256:ab" };

    [SkippableFact]
    public async Task History_is_append_only_and_current_state_is_the_latest_record_per_purpose()
    {
        var c = Customer("k1");
        var first = await Store.Consents.AppendAsync(Record(c, ConsentPurpose.Email, true, Start.ToOffset(TimeSpan.FromHours(8))));
        Assert.True(first.Sequence > 0);
        var withdrawn = await Store.Consents.AppendAsync(Record(c, ConsentPurpose.Email, false, Start.AddDays(1)));
        // Recorded later but happened earlier (an offline import): does not change the current state.
        await Store.Consents.AppendAsync(Record(c, ConsentPurpose.Email, true, Start.AddHours(1), "import"));
        await Store.Consents.AppendAsync(Record(c, ConsentPurpose.AdTargeting, true, Start));
        await Store.Consents.AppendAsync(Record(Customer("k2"), ConsentPurpose.Sms, true, Start));

        var current = await Store.Consents.GetCurrentAsync(c);
        Assert.Equal(2, current.Count);
        Assert.Equal(withdrawn, current[ConsentPurpose.Email]);
        Assert.True(current[ConsentPurpose.AdTargeting].Granted);

        var history = await Store.Consents.ReadHistoryAsync(c).ToListAsync();
        Assert.Equal(4, history.Count);
        Assert.Equal(history.OrderBy(h => h.Sequence), history);
        Assert.Equal(first, history[0]);
        Assert.Equal(TimeSpan.FromHours(8), history[0].RecordedAt.Offset);
        Assert.Equal(3, (await Store.Consents.ReadHistoryAsync(c, ConsentPurpose.Email).ToListAsync()).Count);
    }

    [SkippableFact]
    public async Task Equal_timestamps_resolve_to_the_later_append()
    {
        var c = Customer("k3");
        await Store.Consents.AppendAsync(Record(c, ConsentPurpose.Analytics, true, Start));
        var last = await Store.Consents.AppendAsync(Record(c, ConsentPurpose.Analytics, false, Start));
        Assert.Equal(last, (await Store.Consents.GetCurrentAsync(c))[ConsentPurpose.Analytics]);
    }

    [SkippableFact]
    public async Task Current_many_reads_many_customers_at_once_like_get_current()
    {
        var a = Customer("m1");
        var b = Customer("m2");
        var none = Customer("m3");
        // a: email withdrawn later; ad targeting granted; analytics granted then (offline import) an older withdrawal.
        await Store.Consents.AppendAsync(Record(a, ConsentPurpose.Email, true, Start));
        var aEmail = await Store.Consents.AppendAsync(Record(a, ConsentPurpose.Email, false, Start.AddDays(1)));
        var aAds = await Store.Consents.AppendAsync(Record(a, ConsentPurpose.AdTargeting, true, Start.ToOffset(TimeSpan.FromHours(8))));
        var aAnalytics = await Store.Consents.AppendAsync(Record(a, ConsentPurpose.Analytics, true, Start.AddHours(2)));
        await Store.Consents.AppendAsync(Record(a, ConsentPurpose.Analytics, false, Start.AddHours(1), "import"));
        // b: SMS granted and withdrawn at the same instant, the grant appended last (the withdrawal wins);
        // email withdrawn and granted at the same instant, the withdrawal appended last (it is current).
        await Store.Consents.AppendAsync(Record(b, ConsentPurpose.Sms, false, Start));
        var bSms = await Store.Consents.AppendAsync(Record(b, ConsentPurpose.Sms, true, Start, "app"));
        await Store.Consents.AppendAsync(Record(b, ConsentPurpose.Email, true, Start));
        var bEmail = await Store.Consents.AppendAsync(Record(b, ConsentPurpose.Email, false, Start));
        // A grant at a later instant than an earlier same-instant pair is not tied.
        await Store.Consents.AppendAsync(Record(b, ConsentPurpose.AdTargeting, false, Start));
        await Store.Consents.AppendAsync(Record(b, ConsentPurpose.AdTargeting, true, Start));
        var bAds = await Store.Consents.AppendAsync(Record(b, ConsentPurpose.AdTargeting, true, Start.AddMinutes(1)));
        await Store.Consents.AppendAsync(Record(Customer("m4"), ConsentPurpose.Email, true, Start));

        var all = await Store.Consents.GetCurrentManyAsync([a, b, none, a]);
        var expected = new[]
        {
            new CurrentConsent(aEmail, false), new CurrentConsent(aAds, false), new CurrentConsent(aAnalytics, false),
            new CurrentConsent(bSms, true), new CurrentConsent(bEmail, false), new CurrentConsent(bAds, false),
        };
        Assert.Equal(expected.OrderBy(e => e.Record.Sequence), all.OrderBy(e => e.Record.Sequence));
        Assert.Equal(TimeSpan.FromHours(8), all.Single(e => e.Record.Sequence == aAds.Sequence).Record.RecordedAt.Offset);
        Assert.False(all.Single(e => e.Record.Sequence == bSms.Sequence).IsGranted);
        Assert.True(all.Single(e => e.Record.Sequence == bAds.Sequence).IsGranted);

        // The same answers as GetCurrentAsync, customer by customer.
        foreach (var customer in new[] { a, b, none })
        {
            var single = await Store.Consents.GetCurrentAsync(customer);
            Assert.Equal(single.Values.OrderBy(r => r.Sequence), all.Where(e => e.Record.CustomerId == customer).Select(e => e.Record).OrderBy(r => r.Sequence));
        }

        var some = await Store.Consents.GetCurrentManyAsync([a, b], [ConsentPurpose.Sms, ConsentPurpose.Analytics, ConsentPurpose.Personalisation]);
        Assert.Equal([aAnalytics.Sequence, bSms.Sequence], some.Select(e => e.Record.Sequence).Order());
        Assert.Empty(await Store.Consents.GetCurrentManyAsync([none]));
        Assert.Empty(await Store.Consents.GetCurrentManyAsync([]));
        Assert.Empty(await Store.Consents.GetCurrentManyAsync([a], []));
    }

    [SkippableFact]
    public async Task Current_many_reads_more_customers_than_one_query_binds()
    {
        var customers = Enumerable.Range(0, 640).Select(i => Customer($"n{i}")).ToList();
        for (var i = 0; i < customers.Count; i++)
        {
            if (i % 3 != 0)
            {
                await Store.Consents.AppendAsync(Record(customers[i], ConsentPurpose.AdMeasurement, i % 3 == 1, Start.AddSeconds(i)));
            }
        }
        var current = await Store.Consents.GetCurrentManyAsync(customers, [ConsentPurpose.AdMeasurement]);
        Assert.Equal(customers.Where((_, i) => i % 3 != 0).Order(), current.Select(e => e.Record.CustomerId).Order());
        Assert.All(current, e => Assert.Equal(int.Parse(e.Record.CustomerId.Value[3..], System.Globalization.CultureInfo.InvariantCulture) % 3 == 1, e.IsGranted));
    }

    [SkippableFact]
    public async Task Current_status_many_answers_exactly_like_current_many()
    {
        // Histories full of ties: per customer 1-6 records over three purposes and three instants, the same
        // instant often holding both a grant and a withdrawal in either append order; more customers than one
        // query binds.
        var random = new Random(20250301);
        var purposes = new[] { ConsentPurpose.AdMeasurement, ConsentPurpose.ThirdPartySharing, ConsentPurpose.Email };
        var customers = Enumerable.Range(0, 300).Select(i => Customer($"s{i}")).ToList();
        foreach (var customer in customers.Take(280))
        {
            for (var n = random.Next(1, 7); n > 0; n--)
            {
                await Store.Consents.AppendAsync(Record(customer, purposes[random.Next(purposes.Length)], random.Next(2) == 0, Start.AddMinutes(random.Next(3))));
            }
        }
        // Two fixed tie cases: withdrawal appended after the grant, and grant appended after the withdrawal.
        await Store.Consents.AppendAsync(Record(customers[280], ConsentPurpose.Email, true, Start));
        await Store.Consents.AppendAsync(Record(customers[280], ConsentPurpose.Email, false, Start));
        await Store.Consents.AppendAsync(Record(customers[281], ConsentPurpose.Email, false, Start));
        await Store.Consents.AppendAsync(Record(customers[281], ConsentPurpose.Email, true, Start));

        foreach (var wanted in new ConsentPurpose[]?[] { null, [ConsentPurpose.AdMeasurement, ConsentPurpose.Email, ConsentPurpose.Sms], [] })
        {
            var expected = (await Store.Consents.GetCurrentManyAsync(customers, wanted)).Select(ConsentStatus.From).OrderBy(s => s.CustomerId).ThenBy(s => s.Purpose.Value).ToList();
            var actual = (await Store.Consents.GetCurrentStatusManyAsync(customers, wanted)).OrderBy(s => s.CustomerId).ThenBy(s => s.Purpose.Value).ToList();
            Assert.Equal(expected, actual);
        }
        var statuses = await Store.Consents.GetCurrentStatusManyAsync([customers[280], customers[281], customers[299]]);
        Assert.Equal(
            [new ConsentStatus(customers[280], ConsentPurpose.Email, false, false), new ConsentStatus(customers[281], ConsentPurpose.Email, false, true)],
            statuses.OrderBy(s => s.CustomerId));
        Assert.Empty(await Store.Consents.GetCurrentStatusManyAsync([]));
        Assert.Empty(await Store.Consents.GetCurrentStatusManyAsync([customers[0]], []));
    }

    [SkippableFact]
    public async Task Reassign_moves_history_to_the_survivor()
    {
        await Store.Consents.AppendAsync(Record(Customer("k4"), ConsentPurpose.Email, true, Start));
        Assert.Equal(1, await Store.Consents.ReassignAsync(Customer("k4"), Customer("k5")));
        Assert.Empty(await Store.Consents.GetCurrentAsync(Customer("k4")));
        Assert.True((await Store.Consents.GetCurrentAsync(Customer("k5")))[ConsentPurpose.Email].Granted);
    }
}

public abstract class AuditLogConformance : StoreConformanceBase
{
    private static AuditRecord Record(int i) => new()
    {
        RecordedAt = Start.AddSeconds(i).ToOffset(TimeSpan.FromHours(i % 3)),
        Actor = "dsr-worker",
        Action = i % 2 == 0 ? "consent.withdrawn" : "dsr.erased",
        Subject = i % 4 == 0 ? null : Customer($"a{i}"),
        Details = i % 5 == 0 ? null : $"{{\"n\":{i}}}",
    };

    [SkippableFact]
    public async Task Entries_form_a_verifiable_hash_chain()
    {
        Assert.Null(await Store.Audit.GetLastAsync());
        var first = await Store.Audit.AppendAsync(Record(0));
        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChain.GenesisHash, first.PreviousHash);
        for (var i = 1; i < 20; i++)
        {
            await Store.Audit.AppendAsync(Record(i));
        }
        var entries = await Store.Audit.ReadAsync().ToListAsync();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(Record(7), entries[7].Record);
        Assert.Null(await AuditChain.VerifyAsync(Store.Audit.ReadAsync()));
        Assert.Equal(entries[^1], await Store.Audit.GetLastAsync());
        Assert.Equal(entries.Skip(14), await Store.Audit.ReadAsync(15).ToListAsync());

        var tampered = entries.Select(e => e.Sequence == 9 ? e with { Record = e.Record with { Action = "nothing" } } : e).ToAsyncEnumerable();
        Assert.Equal(9, await AuditChain.VerifyAsync(tampered));
        var removed = entries.Where(e => e.Sequence != 5).ToAsyncEnumerable();
        Assert.Equal(5, await AuditChain.VerifyAsync(removed));
    }

    [SkippableFact]
    public async Task Concurrent_appends_never_fork_the_chain()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await Store.Audit.AppendAsync(Record(w * 100 + i));
            }
        })));
        var entries = await Store.Audit.ReadAsync().ToListAsync();
        Assert.Equal(200, entries.Count);
        Assert.Null(await AuditChain.VerifyAsync(entries.ToAsyncEnumerable()));
    }
}

