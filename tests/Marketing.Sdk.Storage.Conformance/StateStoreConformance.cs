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
}
