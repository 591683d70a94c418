using System.Text;
using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>SQL metacharacters, unusual Unicode and oversized values in every string field: stored byte-exact or rejected with a validation error, never an injection.</summary>
public abstract class BadInputConformance : StoreConformanceBase
{
    public static TheoryData<int> NastyIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Nasty.Length; i++)
        {
            data.Add(i);
        }
        return data;
    }

    [SkippableFact]
    public async Task Null_collections_and_empty_customer_ids_are_a_typed_rejection_not_a_crash()
    {
        var c = Customer("nulls");
        var e = RichEvent("n1", c, Start);
        (MarketingEvent Event, string Field)[] events =
        [
            (e with { Properties = null! }, "properties"),
            (e with { Identities = null! }, "identities"),
            (e with { Order = e.Order! with { Lines = null! } }, "order.lines"),
            (e with { CustomerId = default(CustomerId) }, "customerId"),
        ];
        foreach (var (bad, field) in events)
        {
            var ex = await Assert.ThrowsAsync<MarketingValidationException>(async () => await Store.Events.AppendAsync([RichEvent("ok", c, Start), bad]));
            Assert.Equal((field, 1), (ex.Field, ex.Index));
        }
        Assert.Equal(0, await Store.Events.CountAsync(EventQuery.All));

        var p = Profile(c, Start);
        (CustomerProfile Profile, string Field)[] profiles =
        [
            (p with { Traits = null! }, "traits"),
            (p with { StaticTags = null! }, "staticTags"),
            (p with { Identities = null! }, "identities"),
            (p with { Id = default(CustomerId) }, "id"),
        ];
        foreach (var (bad, field) in profiles)
        {
            var ex = await Assert.ThrowsAsync<MarketingValidationException>(async () => await Store.Profiles.SaveAsync(bad));
            Assert.Equal(field, ex.Field);
        }
        Assert.Equal(0, await Store.Profiles.CountAsync());
    }

    [SkippableTheory]
    [MemberData(nameof(NastyIndexes))]
    public async Task Metacharacters_in_every_field_round_trip_exactly(int index)
    {
        var s = Nasty[index];
        var c = Customer($"bad{index}");
        var e = RichEvent(s, c, Start) with
        {
            Identities = [Identity.Email(s), Identity.External(s + "x")],
            CampaignId = s,
            SessionId = s,
            Region = s,
            IpAddress = s,
            Properties = new Dictionary<string, PropertyValue> { [s] = s, ["k"] = s },
        };
        await Store.Events.AppendAsync([e]);
        var read = (await Store.Events.ReadAsync(new EventQuery { CustomerId = c }).ToListAsync()).Single();
        Assert.Equal(Json(e), Json(read));
        Assert.Equal(s, read.Id);
        Assert.Equal(1, await Store.Events.CountAsync(EventQuery.All));

        var p = Profile(c, Start) with { Identities = [Identity.Email(s)], Traits = new Dictionary<string, PropertyValue> { [s] = s }, StaticTags = new HashSet<string> { s } };
        await Store.Profiles.SaveAsync(p);
        Assert.Equal(Json(p with { Version = 1 }), Json((await Store.Profiles.GetAsync(c))!));

        Assert.Equal(c, await Store.Identities.ClaimAsync(Identity.Email(s), c));
        Assert.Equal(c, (await Store.Identities.FindAsync([Identity.Email(s)]))[Identity.Email(s)]);
        Assert.Equal(1, await Store.Identities.ObserveAsync(Identity.Email(s), s));
        await Store.Identities.RecordMergeAsync(new MergeRecord(c, Customer("m"), Start, IdentityKind.Email, s));
        Assert.Equal(s, (await Store.Identities.ReadMergesAsync().ToListAsync()).Single().EventId);

        var consent = await Store.Consents.AppendAsync(new ConsentRecord { CustomerId = c, Purpose = ConsentPurpose.Email, Granted = true, RecordedAt = Start, Source = s, PolicyVersion = s, ProofHash = s });
        Assert.Equal(consent, (await Store.Consents.ReadHistoryAsync(c).ToListAsync()).Single());

        var audit = await Store.Audit.AppendAsync(new AuditRecord { RecordedAt = Start, Actor = s, Action = s, Details = s });
        Assert.Equal(audit, await Store.Audit.GetLastAsync());

        var message = Message(s, s, c) with { Headers = new Dictionary<string, string> { [s] = s }, ContentType = s };
        await Store.Outbox.EnqueueAsync([message]);
        var claimed = (await Store.Outbox.ClaimAsync(s, 1, TimeSpan.FromMinutes(1), s)).Single();
        Assert.Equal(s, claimed.Message.Destination);
        Assert.Equal(s, claimed.Message.IdempotencyKey);
        Assert.Equal(s, claimed.Message.ContentType);
        Assert.Equal(s, claimed.LeaseOwner);
        Assert.Equal(message.Headers, claimed.Message.Headers);
        Assert.True(await Store.Outbox.RetryAsync(claimed.Id, claimed.LeaseToken, Start, s));
        Assert.Equal(s, (await Store.Outbox.GetAsync(claimed.Id))!.LastError);
    }

    [SkippableFact]
    public async Task Unpaired_surrogates_are_stored_exactly_or_rejected_with_a_validation_error()
    {
        var c = Customer("sur");
        const string lone = "ab\uD800cd";
        var e = Event("sur-1", c, Start) with { Properties = new Dictionary<string, PropertyValue> { ["q"] = lone } };
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Events.AppendAsync([e]),
            async () => Assert.Equal(lone, (await Store.Events.ReadAsync(EventQuery.All).ToListAsync()).Single().Property("q").AsString()));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Events.AppendAsync([Event("id\uDC00", c, Start)]),
            async () => Assert.Contains(await Store.Events.ReadAsync(EventQuery.All).ToListAsync(), x => x.Id == "id\uDC00"));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Identities.ClaimAsync(Identity.Email("x\uD83D"), c),
            async () => Assert.Single(await Store.Identities.FindAsync([Identity.Email("x\uD83D")])));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Audit.AppendAsync(new AuditRecord { RecordedAt = Start, Actor = "a", Action = "b", Details = lone }),
            async () => Assert.Equal(lone, (await Store.Audit.GetLastAsync())!.Record.Details));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Outbox.EnqueueAsync([Message("d", "k") with { Headers = new Dictionary<string, string> { ["h"] = lone } }]),
            async () => Assert.Equal(lone, (await Store.Outbox.ClaimAsync("w", 1, TimeSpan.FromMinutes(1))).Single().Message.Headers["h"]));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Consents.AppendAsync(new ConsentRecord { CustomerId = c, Purpose = ConsentPurpose.Email, Granted = true, RecordedAt = Start, Source = lone }),
            async () => Assert.Equal(lone, (await Store.Consents.ReadHistoryAsync(c).ToListAsync()).Single().Source));
    }

    [SkippableFact]
    public async Task Oversized_values_are_stored_exactly_or_rejected_with_a_validation_error()
    {
        var c = Customer("huge");
        var megabyte = string.Concat(Enumerable.Repeat("大🎉'\"\\\0", 1 << 17));
        var e = Event("huge-1", c, Start) with { Properties = new Dictionary<string, PropertyValue> { ["blob"] = megabyte } };
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Events.AppendAsync([e]),
            async () => Assert.Equal(megabyte, (await Store.Events.ReadAsync(EventQuery.All).ToListAsync()).Single().Property("blob").AsString()));

        var longKey = new string('k', 100_000);
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Events.AppendAsync([Event(longKey, c, Start)]),
            async () => Assert.Contains(await Store.Events.ReadAsync(EventQuery.All).ToListAsync(), x => x.Id == longKey));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Identities.ClaimAsync(Identity.Email(longKey), c),
            async () => Assert.Single(await Store.Identities.FindAsync([Identity.Email(longKey)])));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Outbox.EnqueueAsync([Message(longKey, longKey)]),
            async () => Assert.Equal(longKey, (await Store.Outbox.ClaimAsync("w", 5, TimeSpan.FromMinutes(1), longKey)).Single().Message.IdempotencyKey));
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Audit.AppendAsync(new AuditRecord { RecordedAt = Start, Actor = "a", Action = "b", Details = megabyte }),
            async () => Assert.Equal(megabyte, (await Store.Audit.GetLastAsync())!.Record.Details));

        var keyWithNul = "a\0b";
        await StoredExactlyOrRejectedAsync(
            async () => await Store.Events.AppendAsync([Event(keyWithNul, c, Start)]),
            async () => Assert.Contains(await Store.Events.ReadAsync(EventQuery.All).ToListAsync(), x => x.Id == keyWithNul));
        Assert.True(Encoding.UTF8.GetByteCount(megabyte) > 1_000_000);
    }

    [SkippableFact]
    public async Task Extreme_instants_and_offsets_round_trip()
    {
        var c = Customer("time");
        var events = new[]
        {
            Event("t-min", c, new DateTimeOffset(1, 1, 2, 0, 0, 0, TimeSpan.FromHours(14))),
            Event("t-max", c, new DateTimeOffset(9999, 12, 30, 23, 59, 59, TimeSpan.FromHours(-14)).AddTicks(9_999_999)),
            Event("t-tick", c, Start.AddTicks(1).ToOffset(TimeSpan.FromMinutes(-570))),
        };
        await Store.Events.AppendAsync(events);
        var read = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        Assert.Equal(events.OrderBy(x => x.OccurredAt.UtcTicks).Select(Json), read.Select(Json));
        Assert.Single(await Store.Events.ReadAsync(new EventQuery { From = Start.AddTicks(1), To = Start.AddTicks(2) }).ToListAsync());
    }
}

/// <summary>Schema migrations: from an empty database, and again on an up-to-date one (providers with a schema only).</summary>
public abstract class MigrationConformance : StoreConformanceBase
{
    /// <summary>Creates a migrator over a brand-new, empty database (no migrations applied).</summary>
    protected abstract ValueTask<(IStorageMigrator Migrator, IAsyncDisposable Owner)> CreateEmptyAsync();

    [SkippableFact]
    public async Task Migrates_an_empty_database_and_rerunning_is_a_no_op()
    {
        var (migrator, owner) = await CreateEmptyAsync();
        await using var _ = owner;
        Assert.Equal(0, await migrator.GetVersionAsync());
        var first = await migrator.MigrateAsync();
        Assert.Equal(0, first.FromVersion);
        Assert.True(first.ToVersion >= 3);
        Assert.Equal(Enumerable.Range(1, first.ToVersion), first.Applied);
        var again = await migrator.MigrateAsync();
        Assert.Equal(first.ToVersion, again.FromVersion);
        Assert.Equal(first.ToVersion, again.ToVersion);
        Assert.Empty(again.Applied);
        Assert.Equal(first.ToVersion, await migrator.GetVersionAsync());
    }

    [SkippableFact]
    public async Task The_harness_database_is_fully_migrated()
    {
        Assert.NotNull(Store.Migrator);
        var result = await Store.Migrator.MigrateAsync();
        Assert.Empty(result.Applied);
        Assert.True(result.ToVersion >= 3);
    }
}
