using static Marketing.Sdk.Storage.Conformance.Samples;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>The <see cref="IStateStore"/> contract: versioned documents by scope and key.</summary>
public abstract partial class StateStoreConformance : StoreConformanceBase
{
    [SkippableFact]
    public async Task Documents_are_inserted_read_replaced_and_deleted_with_versions()
    {
        var state = Store.State;
        Assert.Null(await state.GetAsync("lifecycle.stage", "c1|"));
        Assert.Equal(1, await state.SaveAsync("lifecycle.stage", "c1|", """{"stage":"new"}""", 0));
        Assert.Equal(new StateEntry("c1|", """{"stage":"new"}""", 1), await state.GetAsync("lifecycle.stage", "c1|"));
        Assert.Equal(2, await state.SaveAsync("lifecycle.stage", "c1|", """{"stage":"active"}""", 1));
        Assert.Equal(new StateEntry("c1|", """{"stage":"active"}""", 2), await state.GetAsync("lifecycle.stage", "c1|"));
        Assert.Null(await state.GetAsync("other.scope", "c1|"));
        Assert.True(await state.DeleteAsync("lifecycle.stage", "c1|"));
        Assert.False(await state.DeleteAsync("lifecycle.stage", "c1|"));
        Assert.Null(await state.GetAsync("lifecycle.stage", "c1|"));
        Assert.Equal(1, await state.SaveAsync("lifecycle.stage", "c1|", "{}", 0));
    }

    [SkippableFact]
    public async Task Stale_and_duplicate_writes_conflict_and_change_nothing()
    {
        var state = Store.State;
        await state.SaveAsync("s", "k", "v1", 0);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await state.SaveAsync("s", "k", "again", 0));
        await state.SaveAsync("s", "k", "v2", 1);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await state.SaveAsync("s", "k", "stale", 1));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await state.SaveAsync("s", "missing", "x", 3));
        Assert.Equal(new StateEntry("k", "v2", 2), await state.GetAsync("s", "k"));
        Assert.Null(await state.GetAsync("s", "missing"));
    }

    [SkippableFact]
    public async Task Concurrent_writers_on_one_version_have_exactly_one_winner()
    {
        var state = Store.State;
        await state.SaveAsync("s", "contended", "0", 0);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await state.SaveAsync("s", "contended", i.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })));
        Assert.Single(outcomes, o => o);
        Assert.Equal(2, (await state.GetAsync("s", "contended"))!.Version);
    }

    [SkippableFact]
    public async Task Streams_a_scope_in_key_order_across_pages_optionally_by_prefix()
    {
        var state = Store.State;
        var keys = new List<string>();
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 450; i++)
            {
                keys.Add($"c{c}|{i:D4}");
            }
        }
        keys.AddRange(["c1", "c1}", "c10|x", "c|", "b", "d"]);
        foreach (var k in keys.OrderBy(_ => Guid.NewGuid()).Take(keys.Count))
        {
            await state.SaveAsync("journeys.actions", k, "{\"k\":\"" + k + "\"}", 0);
        }
        await state.SaveAsync("other", "c1|0000", "x", 0);

        var all = await state.StreamAsync("journeys.actions").ToListAsync();
        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Select(e => e.Key));
        Assert.All(all, e => Assert.Equal("{\"k\":\"" + e.Key + "\"}", e.Value));

        var c1 = await state.StreamAsync("journeys.actions", "c1|").ToListAsync();
        Assert.Equal(keys.Where(k => k.StartsWith("c1|", StringComparison.Ordinal)).Order(StringComparer.Ordinal), c1.Select(e => e.Key));
        Assert.Equal(450, c1.Count);
        Assert.Equal(["c1", "c10|x", "c1}"], (await state.StreamAsync("journeys.actions", "c1").ToListAsync()).Where(e => !e.Key.StartsWith("c1|", StringComparison.Ordinal)).Select(e => e.Key));
        Assert.Empty(await state.StreamAsync("journeys.actions", "zz").ToListAsync());
        Assert.Empty(await state.StreamAsync("empty.scope").ToListAsync());
        Assert.Equal(all.Count, (await state.StreamAsync("journeys.actions", "").ToListAsync()).Count);
    }

    [SkippableFact]
    public async Task Nasty_scopes_keys_and_values_round_trip_exactly()
    {
        var state = Store.State;
        foreach (var nasty in Nasty)
        {
            await state.SaveAsync(nasty, nasty, nasty, 0);
            Assert.Equal(new StateEntry(nasty, nasty, 1), await state.GetAsync(nasty, nasty));
            Assert.Equal([nasty], (await state.StreamAsync(nasty, nasty[..3]).ToListAsync()).Select(e => e.Value));
        }
        var big = string.Concat(Enumerable.Repeat("{\"大🎉\":\"'; DROP TABLE state_entries; --\"}", 30_000));
        await state.SaveAsync("s", "big", big, 0);
        Assert.Equal(big, (await state.GetAsync("s", "big"))!.Value);
    }

    [SkippableFact]
    public async Task Bad_keys_are_rejected_or_stored_exactly()
    {
        var state = Store.State;
        foreach (var bad in new[] { "a\0b", new string('k', StoreLimits.MaxKeyLength + 1), "lone\uD800" })
        {
            try
            {
                await state.SaveAsync("s", bad, "v", 0);
                Assert.Equal("v", (await state.GetAsync("s", bad))!.Value);
            }
            catch (MarketingValidationException)
            {
                // A clear rejection is also conforming.
            }
        }
    }

    [SkippableFact]
    public async Task Erasure_removes_the_customers_state_documents_in_every_scope_and_nothing_else()
    {
        Skip.IfNot(Store.EraserCoversState, "This provider's eraser does not own the state store.");
        var subject = Customer("state-subject");
        var other = Customer("state-subject-2");
        await Store.State.SaveAsync("lifecycle.stage", subject.Value + "|", "{}", 0);
        await Store.State.SaveAsync("journeys.actions", subject.Value + "|welcome|1", "{}", 0);
        await Store.State.SaveAsync("journeys.actions", other.Value + "|welcome|1", "{}", 0);
        await Store.State.SaveAsync("journeys.actions", subject.Value, "{}", 0);
        var report = await Store.Eraser.EraseAsync(subject);
        Assert.Equal(2, report.DeletedRows["state_entries"]);
        Assert.Equal(0, await Store.CountCustomerRowsAsync(subject, []));
        Assert.Null(await Store.State.GetAsync("lifecycle.stage", subject.Value + "|"));
        Assert.NotNull(await Store.State.GetAsync("journeys.actions", other.Value + "|welcome|1"));
        Assert.NotNull(await Store.State.GetAsync("journeys.actions", subject.Value));
    }

    [SkippableFact]
    public async Task Many_documents_are_read_at_once_and_missing_keys_are_absent()
    {
        var state = Store.State;
        var keys = Enumerable.Range(0, 333).Select(i => $"c{i}|j").ToList();
        foreach (var k in keys.Where((_, i) => i % 3 != 0))
        {
            await state.SaveAsync("journey.enrollment", k, "{\"k\":\"" + k + "\"}", 0);
        }
        await state.SaveAsync("other", keys[0], "x", 0);
        var asked = keys.Concat(keys.Take(5)).Append("nobody|j").ToList();

        var found = await state.GetManyAsync("journey.enrollment", asked);

        Assert.Equal(keys.Where((_, i) => i % 3 != 0).Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.All(found, kv => Assert.Equal(new StateEntry(kv.Key, "{\"k\":\"" + kv.Key + "\"}", 1), kv.Value));
        Assert.Empty(await state.GetManyAsync("journey.enrollment", []));
    }

    [SkippableFact]
    public async Task A_batch_inserts_and_replaces_documents_and_returns_their_versions_in_order()
    {
        var state = Store.State;
        await state.SaveAsync("lifecycle.stage", "c1|", "v1", 0);
        await state.SaveAsync("lifecycle.stage", "c1|", "v2", 1);
        var writes = new List<StateWrite> { new("lifecycle.stage", "c1|", "v3", 2) };
        writes.AddRange(Enumerable.Range(0, 300).Select(i => new StateWrite(i % 2 == 0 ? "journey.due" : "journey.enrollment", $"k{i:D3}", $"value {i}", 0)));

        var versions = await state.SaveManyAsync(writes);

        Assert.Equal([3L, .. Enumerable.Repeat(1L, 300)], versions);
        Assert.Equal(new StateEntry("c1|", "v3", 3), await state.GetAsync("lifecycle.stage", "c1|"));
        Assert.Equal(new StateEntry("k007", "value 7", 1), await state.GetAsync("journey.enrollment", "k007"));
        Assert.Equal(150, (await state.StreamAsync("journey.due").ToListAsync()).Count);

        var again = writes.Skip(1).Select((w, i) => w with { Value = "again " + i, ExpectedVersion = 1 }).ToList();
        Assert.Equal(Enumerable.Repeat(2L, 300), await state.SaveManyAsync(again));
        Assert.Equal(new StateEntry("k299", "again 299", 2), await state.GetAsync("journey.enrollment", "k299"));
        Assert.Empty(await state.SaveManyAsync([]));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_with_a_stale_write_writes_nothing_and_names_the_first_conflicting_key(bool staleInsert)
    {
        var state = Store.State;
        await state.SaveAsync("s", "kept", "original", 0);
        await state.SaveAsync("s", "taken", "someone else's", 0);
        await state.SaveAsync("s", "moved", "v1", 0);
        await state.SaveAsync("s", "moved", "v2", 1);
        var writes = new List<StateWrite>
        {
            new("s", "kept", "changed", 1),
            new("s", "fresh", "new", 0),
        };
        writes.AddRange(Enumerable.Range(0, 70).Select(i => new StateWrite("s", $"bulk{i:D2}", "b", 0)));
        writes.Add(staleInsert ? new StateWrite("s", "taken", "mine", 0) : new StateWrite("s", "moved", "stale", 1));
        writes.Add(new StateWrite("s", "moved-later", "x", 0));
        writes.Add(staleInsert ? new StateWrite("s", "moved", "stale", 1) : new StateWrite("s", "taken", "mine", 0));

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await state.SaveManyAsync(writes));

        Assert.Equal(staleInsert ? "taken" : "moved", conflict.Key);
        Assert.Equal(72, conflict.Index);
        Assert.Equal("s", conflict.Entity);
        Assert.DoesNotContain("taken", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(new StateEntry("kept", "original", 1), await state.GetAsync("s", "kept"));
        Assert.Equal(new StateEntry("moved", "v2", 2), await state.GetAsync("s", "moved"));
        Assert.Equal(new StateEntry("taken", "someone else's", 1), await state.GetAsync("s", "taken"));
        Assert.Null(await state.GetAsync("s", "fresh"));
        Assert.Null(await state.GetAsync("s", "bulk00"));
        Assert.Null(await state.GetAsync("s", "moved-later"));
        Assert.Equal(3, (await state.StreamAsync("s").ToListAsync()).Count);
    }

    [SkippableFact]
    public async Task A_batch_deletes_documents_with_its_writes_and_a_conflict_undoes_the_deletions_too()
    {
        var state = Store.State;
        await state.SaveManyAsync(Enumerable.Range(0, 300).Select(i => new StateWrite(i % 2 == 0 ? "journey.due" : "journey.watch", $"k{i:D3}", "v", 0)).ToList());
        await state.SaveAsync("journey.enrollment", "c1|j", "e1", 0);

        // A conflicting write anywhere in the batch: the deletions are not applied either.
        var stale = Enumerable.Range(0, 300).Select(i => StateWrite.Deletion(i % 2 == 0 ? "journey.due" : "journey.watch", $"k{i:D3}")).Append(new StateWrite("journey.enrollment", "c1|j", "e2", 7)).ToList();
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await state.SaveManyAsync(stale));
        Assert.Equal(300, conflict.Index);
        Assert.Equal(150, (await state.StreamAsync("journey.due").ToListAsync()).Count);
        Assert.Equal(150, (await state.StreamAsync("journey.watch").ToListAsync()).Count);

        // Deletions (of stored and of missing documents) with an insert and a replacement, in one batch.
        var writes = Enumerable.Range(0, 300).Where(i => i % 3 != 0).Select(i => StateWrite.Deletion(i % 2 == 0 ? "journey.due" : "journey.watch", $"k{i:D3}"))
            .Append(StateWrite.Deletion("journey.due", "never-stored"))
            .Append(new StateWrite("journey.enrollment", "c1|j", "e2", 1))
            .Append(new StateWrite("journey.due", "fresh", "f", 0))
            .ToList();
        var versions = await state.SaveManyAsync(writes);

        Assert.Equal([.. Enumerable.Repeat(0L, 201), 2L, 1L], versions);
        Assert.Equal(new StateEntry("c1|j", "e2", 2), await state.GetAsync("journey.enrollment", "c1|j"));
        var due = await state.StreamAsync("journey.due").ToListAsync();
        var watch = await state.StreamAsync("journey.watch").ToListAsync();
        Assert.Equal(["fresh", .. Enumerable.Range(0, 300).Where(i => i % 6 == 0).Select(i => $"k{i:D3}")], due.Select(e => e.Key));
        Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 6 == 3).Select(i => $"k{i:D3}"), watch.Select(e => e.Key));
        Assert.Null(await state.GetAsync("journey.due", "k002"));
        Assert.Null(await state.GetAsync("journey.due", "never-stored"));
    }

    [SkippableFact]
    public async Task A_batch_naming_one_key_twice_is_rejected_and_writes_nothing()
    {
        var state = Store.State;
        var ex = await Assert.ThrowsAsync<MarketingValidationException>(async () => await state.SaveManyAsync(
        [
            new StateWrite("s", "a", "1", 0),
            new StateWrite("t", "a", "1", 0),
            new StateWrite("s", "a", "2", 0),
        ]));
        Assert.Equal(2, ex.Index);
        Assert.Null(await state.GetAsync("s", "a"));
        Assert.Null(await state.GetAsync("t", "a"));
    }

    [SkippableFact]
    public async Task Concurrent_batches_over_the_same_documents_have_exactly_one_winner()
    {
        var state = Store.State;
        await state.SaveManyAsync(Enumerable.Range(0, 20).Select(i => new StateWrite("s", $"k{i:D2}", "0", 0)).ToList());
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            try
            {
                // Each writer touches the documents in its own order, plus one document of its own.
                var writes = Enumerable.Range(0, 20).Select(i => new StateWrite("s", $"k{(i + w * 3) % 20:D2}", "w" + w, 1)).Append(new StateWrite("s", "own" + w, "x", 0)).ToList();
                await state.SaveManyAsync(writes);
                return w;
            }
            catch (ConcurrencyConflictException)
            {
                return -1;
            }
        })));
        var winner = Assert.Single(outcomes, o => o >= 0);
        var all = await state.StreamAsync("s").ToListAsync();
        Assert.All(all.Where(e => e.Key.StartsWith('k')), e => Assert.Equal(new StateEntry(e.Key, "w" + winner, 2), e));
        Assert.Equal(["own" + winner], all.Where(e => e.Key.StartsWith("own", StringComparison.Ordinal)).Select(e => e.Key));
    }
}
