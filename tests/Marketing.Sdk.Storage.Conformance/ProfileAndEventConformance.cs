using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

public abstract class ProfileStoreConformance : StoreConformanceBase
{
    [SkippableFact]
    public async Task Saved_profile_reads_back_exactly_with_incremented_version()
    {
        var profile = Profile(Customer("p1"), Start);
        var saved = await Store.Profiles.SaveAsync(profile);
        Assert.Equal(1, saved.Version);
        var read = await Store.Profiles.GetAsync(profile.Id);
        Assert.NotNull(read);
        Assert.Equal(Json(profile with { Version = 1 }), Json(read));
        Assert.Equal(TimeSpan.FromMinutes(345), read.LastSeen.Offset);
        Assert.Null(await Store.Profiles.GetAsync(Customer("missing")));
    }

    [SkippableFact]
    public async Task Profiles_of_many_ids_read_back_like_one_by_one()
    {
        var ids = Enumerable.Range(0, 520).Select(i => Customer($"gm{i:D3}")).ToList();
        foreach (var id in ids.Where((_, i) => i % 4 != 0))
        {
            await Store.Profiles.SaveAsync(Profile(id, Start));
        }

        var found = await Store.Profiles.GetManyAsync([.. ids, ids[1], Customer("missing")]);

        Assert.Equal(390, found.Count);
        foreach (var id in ids)
        {
            var one = await Store.Profiles.GetAsync(id);
            Assert.Equal(one is null ? null : Json(one), found.TryGetValue(id, out var p) ? Json(p) : null);
        }
        Assert.Empty(await Store.Profiles.GetManyAsync([]));
    }

    [SkippableFact]
    public async Task Stale_version_is_a_concurrency_conflict()
    {
        var profile = Profile(Customer("p2"), Start);
        var v1 = await Store.Profiles.SaveAsync(profile);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await Store.Profiles.SaveAsync(profile));
        var v2 = await Store.Profiles.SaveAsync(v1 with { EventCount = 43 });
        Assert.Equal(2, v2.Version);
        var ex = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await Store.Profiles.SaveAsync(v1 with { EventCount = 44 }));
        Assert.Equal(1, ex.ExpectedVersion);
        Assert.Equal(43, (await Store.Profiles.GetAsync(profile.Id))!.EventCount);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await Store.Profiles.SaveAsync(Profile(Customer("p-none"), Start) with { Version = 5 }));
    }

    [SkippableFact]
    public async Task Concurrent_writers_from_one_version_have_exactly_one_winner()
    {
        var v1 = await Store.Profiles.SaveAsync(Profile(Customer("p3"), Start));
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await Store.Profiles.SaveAsync(v1 with { EventCount = i });
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, (await Store.Profiles.GetAsync(v1.Id))!.Version);
    }

    [SkippableFact]
    public async Task Delete_stream_and_count()
    {
        for (var i = 0; i < 1200; i++)
        {
            await Store.Profiles.SaveAsync(new CustomerProfile { Id = Customer($"s{i:D5}"), FirstSeen = Start, LastSeen = Start });
        }
        Assert.Equal(1200, await Store.Profiles.CountAsync());
        Assert.True(await Store.Profiles.DeleteAsync(Customer("s00007")));
        Assert.False(await Store.Profiles.DeleteAsync(Customer("s00007")));
        var ids = (await Store.Profiles.StreamAsync().ToListAsync()).Select(p => p.Id.Value).ToList();
        Assert.Equal(1199, ids.Count);
        Assert.Equal(ids.OrderBy(x => x, StringComparer.Ordinal), ids);
        Assert.DoesNotContain("c_s00007", ids);
    }
}

public abstract class EventStoreConformance : StoreConformanceBase
{
    [SkippableFact]
    public async Task Reads_of_several_types_match_the_filtered_full_read_across_pages()
    {
        EventType[] types = [EventType.PageView, EventType.Search, EventType.AddToCart, EventType.Purchase];
        var customers = new[] { Customer("mt-a"), Customer("mt-b"), Customer("mt-c") };
        // Ties on the instant across types, and ids whose UTF-16 and code point orders differ.
        string[] suffixes = ["", "é", "\uE000", "🎉", "~"];
        var events = Enumerable.Range(0, 3200).Select(i => Event(
            $"mt-{i % 97:D2}{suffixes[i % suffixes.Length]}-{i}",
            customers[i % customers.Length],
            Start.AddMinutes(i / 7),
            types[(i * 7 + i / 5) % types.Length])).ToList();
        foreach (var batch in events.Chunk(800))
        {
            await Store.Events.AppendAsync(batch);
        }
        var all = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        // The full read itself in instant, then id order by code point (UTF-8 bytes), across all types.
        var byCodePoint = Comparer<string>.Create((x, y) => System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)));
        Assert.Equal(events.OrderBy(e => e.OccurredAt.UtcTicks).ThenBy(e => e.Id, byCodePoint).Select(e => e.Id), all.Select(e => e.Id));

        async Task Check(EventQuery query)
        {
            var set = query.Types?.ToHashSet();
            var expected = all.Where(e => (set is null || set.Contains(e.Type))
                && (query.CustomerId is null || e.CustomerId == query.CustomerId)
                && (query.From is null || e.OccurredAt >= query.From)
                && (query.To is null || e.OccurredAt < query.To))
                .Take(query.Limit ?? int.MaxValue)
                .Select(e => e.Id).ToList();
            var actual = (await Store.Events.ReadAsync(query).ToListAsync()).Select(e => e.Id).ToList();
            Assert.Equal(expected, actual);
            Assert.Equal(query.Limit is null ? expected.Count : (await Store.Events.CountAsync(query with { Limit = null })), await Store.Events.CountAsync(query));
        }

        await Check(new EventQuery { Types = [types[0]] });
        await Check(new EventQuery { Types = [types[0], types[1]] });
        await Check(new EventQuery { Types = [types[0], types[1], types[3]] });
        await Check(new EventQuery { Types = types });
        await Check(new EventQuery { Types = [types[2], types[2], EventType.Create("never_stored")] });
        await Check(new EventQuery { Types = [types[1], types[3]], From = Start.AddMinutes(50), To = Start.AddMinutes(300) });
        await Check(new EventQuery { Types = [types[0], types[1], types[2]], Limit = 1234 });
        await Check(new EventQuery { Types = [types[0], types[3]], CustomerId = customers[1] });
        await Check(new EventQuery { Types = [types[0], types[3]], CustomerId = customers[2], Limit = 10, From = Start.AddMinutes(100) });
        await Check(new EventQuery { From = Start.AddMinutes(50), To = Start.AddMinutes(300) });
        await Check(new EventQuery { From = Start.AddMinutes(200), Limit = 777 });
        await Check(new EventQuery { To = Start.AddMinutes(20) });
        await Check(new EventQuery { Limit = 1500 });
    }

    [SkippableFact]
    public async Task Appended_events_read_back_exactly_in_instant_then_id_order()
    {
        var c = Customer("e1");
        var rich = RichEvent("ev-rich", c, Start.ToOffset(TimeSpan.FromHours(8)));
        // Same instant in different offsets, then an earlier instant written with a later wall-clock time.
        var sameInstant = Event("ev-a", c, Start.ToOffset(TimeSpan.FromHours(-7)));
        var earlier = Event("ev-z", c, Start.AddMinutes(-1).ToOffset(TimeSpan.FromHours(14)));
        var result = await Store.Events.AppendAsync([rich, sameInstant, earlier]);
        Assert.Equal(3, result.Inserted);
        Assert.Empty(result.DuplicateIds);
        var read = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        Assert.Equal(["ev-z", "ev-a", "ev-rich"], read.Select(e => e.Id));
        Assert.Equal(Json(rich), Json(read[2]));
        Assert.Equal(Json(earlier), Json(read[0]));
        Assert.Equal(TimeSpan.FromHours(14), read[0].OccurredAt.Offset);
    }

    [SkippableFact]
    public async Task Duplicates_are_stored_once_and_reported()
    {
        var c = Customer("e2");
        await Store.Events.AppendAsync([Event("d1", c, Start)]);
        var result = await Store.Events.AppendAsync([Event("d1", c, Start), Event("d2", c, Start), Event("d2", c, Start), Event("d3", c, Start)]);
        Assert.Equal(2, result.Inserted);
        Assert.Equal(["d1", "d2"], result.DuplicateIds);
        Assert.Equal(3, await Store.Events.CountAsync(EventQuery.All));
    }

    [SkippableFact]
    public async Task Large_batches_report_stored_ids_and_repeats_in_batch_order()
    {
        // Large enough for the bulk paths (multi-row chunks, binary COPY), with stored ids spread across chunks.
        var c = Customer("bulk");
        var stored = Enumerable.Range(0, 300).Where(i => i % 97 == 5).Select(i => Event($"b{i:D4}", c, Start.AddSeconds(i))).ToList();
        await Store.Events.AppendAsync(stored);
        var batch = Enumerable.Range(0, 300).Select(i => RichEvent($"b{i:D4}", c, Start.AddSeconds(i).ToOffset(TimeSpan.FromHours(8)))).ToList();
        batch.Insert(200, batch[10]);
        batch.Add(batch[299]);
        var result = await Store.Events.AppendAsync(batch);
        Assert.Equal(300 - stored.Count, result.Inserted);
        Assert.Equal(["b0005", "b0102", "b0199", "b0010", "b0296", "b0298"], result.DuplicateIds);
        Assert.Equal(300, await Store.Events.CountAsync(EventQuery.All));
        var read = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        Assert.Equal(Json(batch[0]), Json(read[0]));
        Assert.Equal(Json(stored[0]), Json(read[5]));

        // A large batch of new ids only is stored whole and reads back exactly.
        var fresh = Enumerable.Range(0, 300).Select(i => RichEvent($"f{i:D4}", c, Start.AddDays(1).AddSeconds(i))).ToList();
        var all = await Store.Events.AppendAsync(fresh);
        Assert.Equal(300, all.Inserted);
        Assert.Empty(all.DuplicateIds);
        var back = await Store.Events.ReadAsync(new EventQuery { From = Start.AddDays(1) }).ToListAsync();
        Assert.Equal(fresh.Select(e => Json(e)), back.Select(e => Json(e)));
    }

    [SkippableFact]
    public async Task Large_batches_in_random_time_order_read_back_in_time_then_id_order()
    {
        // Bulk paths insert large batches in time order: nothing stored or reported may depend on that.
        var c = Customer("shuffled");
        var other = Customer("shuffled-2");
        var random = new Random(11);
        var batch = Enumerable.Range(0, 500).Select(i => (i % 3 == 0 ? RichEvent($"s{i:D4}", i % 2 == 0 ? c : other, Start.AddMinutes(random.Next(0, 50)).ToOffset(TimeSpan.FromHours(i % 5)))
            : Event($"s{i:D4}", i % 2 == 0 ? c : other, Start.AddMinutes(random.Next(0, 50)), i % 4 == 0 ? EventType.Purchase : EventType.PageView))).ToList();
        var stored = new[] { batch[7], batch[250], batch[499] };
        await Store.Events.AppendAsync(stored);
        batch.Insert(100, batch[3]);
        var result = await Store.Events.AppendAsync(batch);
        Assert.Equal(497, result.Inserted);
        Assert.Equal(["s0007", "s0003", "s0250", "s0499"], result.DuplicateIds);
        var expected = batch.DistinctBy(e => e.Id).OrderBy(e => e.OccurredAt.UtcTicks).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var read = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        Assert.Equal(expected.Select(e => Json(e)), read.Select(e => Json(e)));
        var purchases = await Store.Events.ReadAsync(new EventQuery { CustomerId = c, Types = [EventType.Purchase] }).ToListAsync();
        Assert.Equal(expected.Where(e => e.CustomerId == c && e.Type == EventType.Purchase).Select(e => e.Id), purchases.Select(e => e.Id));
    }

    [SkippableFact]
    public async Task A_batch_with_an_invalid_event_stores_nothing()
    {
        var c = Customer("e3");
        var bad = Event("bad", c, Start) with { CustomerId = null };
        await Assert.ThrowsAnyAsync<MarketingException>(async () => await Store.Events.AppendAsync([Event("ok1", c, Start), bad]));
        Assert.Equal(0, await Store.Events.CountAsync(EventQuery.All));
    }

    [SkippableFact]
    public async Task Queries_filter_by_customer_type_and_time_and_count_ignores_limit()
    {
        var a = Customer("qa");
        var b = Customer("qb");
        var events = new List<MarketingEvent>();
        for (var i = 0; i < 30; i++)
        {
            events.Add(Event($"q{i:D2}", i % 2 == 0 ? a : b, Start.AddHours(i), i % 3 == 0 ? EventType.Purchase : EventType.PageView));
        }
        await Store.Events.AppendAsync(events);
        var query = new EventQuery { CustomerId = a, Types = [EventType.Purchase], From = Start.AddHours(6), To = Start.AddHours(24) };
        var read = await Store.Events.ReadAsync(query).ToListAsync();
        Assert.Equal(["q06", "q12", "q18"], read.Select(e => e.Id));
        Assert.All(read, e => Assert.Equal(a, e.CustomerId));
        Assert.Equal(3, await Store.Events.CountAsync(query with { Limit = 1 }));
        Assert.Single(await Store.Events.ReadAsync(query with { Limit = 1 }).ToListAsync());
        Assert.Empty(await Store.Events.ReadAsync(query with { Limit = 0 }).ToListAsync());
        Assert.Equal(15, await Store.Events.CountAsync(new EventQuery { CustomerId = b }));
    }

    [SkippableFact]
    public async Task Reads_for_many_customers_equal_one_read_per_customer()
    {
        // 600 customers (more than one IN list), 0–4 events each of two types over a day, shuffled.
        var random = new Random(7);
        var customers = Enumerable.Range(0, 600).Select(i => Customer($"m{i:D3}")).ToList();
        var events = new List<MarketingEvent>();
        foreach (var (c, i) in customers.Select((c, i) => (c, i)))
        {
            for (var k = 0; k < i % 5; k++)
            {
                events.Add(Event($"m{i:D3}-{k}", c, Start.AddMinutes(random.Next(1440)), k % 2 == 0 ? EventType.Purchase : EventType.PageView));
            }
        }
        await Store.Events.AppendAsync([.. events.OrderBy(_ => random.Next())]);
        var query = new EventQuery { Types = [EventType.Purchase], From = Start.AddHours(6), To = Start.AddHours(20) };
        var asked = customers.Append(customers[3]).Append(Customer("nobody")).ToList();

        var many = await Store.Events.ReadManyAsync(asked, query);

        foreach (var c in customers.Append(Customer("nobody")))
        {
            var one = await Store.Events.ReadAsync(query with { CustomerId = c }).ToListAsync();
            if (one.Count == 0)
            {
                Assert.False(many.ContainsKey(c));
            }
            else
            {
                Assert.Equal(one.Select(Json), many[c].Select(Json));
            }
        }
        Assert.Contains(many.Values, l => l.Count > 1);
        Assert.Empty(await Store.Events.ReadManyAsync([], query));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.Events.ReadManyAsync(customers, query with { Limit = 3 }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.Events.ReadManyAsync(customers, query with { CustomerId = customers[0] }));
    }

    [SkippableFact]
    public async Task Large_batches_stream_in_order_across_pages()
    {
        var c = Customer("big");
        var events = Enumerable.Range(0, 5000).Select(i => Event($"b{i:D5}", c, Start.AddSeconds(i % 1700))).ToList();
        var result = await Store.Events.AppendAsync(events);
        Assert.Equal(5000, result.Inserted);
        var read = await Store.Events.ReadAsync(EventQuery.All).ToListAsync();
        var expected = events.OrderBy(e => e.OccurredAt.UtcTicks).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id);
        Assert.Equal(expected, read.Select(e => e.Id));
        Assert.Equal(2500, (await Store.Events.ReadAsync(EventQuery.All with { Limit = 2500 }).ToListAsync()).Count);
    }

    [SkippableFact]
    public async Task Reassign_and_delete_by_customer()
    {
        var a = Customer("ra");
        var b = Customer("rb");
        await Store.Events.AppendAsync([Event("r1", a, Start), Event("r2", a, Start), Event("r3", b, Start)]);
        Assert.Equal(2, await Store.Events.ReassignAsync(a, b));
        var moved = await Store.Events.ReadAsync(new EventQuery { CustomerId = b }).ToListAsync();
        Assert.Equal(3, moved.Count);
        Assert.All(moved, e => Assert.Equal(b, e.CustomerId));
        Assert.Equal(3, await Store.Events.DeleteCustomerAsync(b));
        Assert.Equal(0, await Store.Events.CountAsync(EventQuery.All));
    }
}
