using System.Text.Json;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Lifecycle.Tests;

public class ErasureTests
{
    private static readonly string[] Scopes =
    [
        LifecycleStageTracker.Scope, JourneyEngine.EnrollmentScope, JourneyEngine.WatchScope, JourneyEngine.ActionScope,
        JourneyEngine.ContactScope, JourneyEngine.DueScope,
    ];

    private static readonly CustomerId Bob = new("c_bob");

    private static void Journeys(LifecycleOptions o)
    {
        o.Journeys.Add("cart", j => j.OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).AddTag("cart")
            .Wait(TimeSpan.FromHours(24)).AddTag("cart_late"));
        o.Journeys.Add("recall", j => j.OnInactivity(TimeSpan.FromDays(5), EventType.Login).AddTag("recall"));
    }

    /// <summary>Every state entry that belongs to the customer, per scope (the due index by the entry it names).</summary>
    private static async Task<Dictionary<string, int>> EntriesOfAsync(IStateStore store, CustomerId customer)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var scope in Scopes)
        {
            var n = 0;
            await foreach (var e in store.StreamAsync(scope))
            {
                var mine = scope == JourneyEngine.DueScope
                    ? JsonSerializer.Deserialize(e.Value, LifecycleJsonContext.Default.DueEntry)!.CustomerId == customer
                    : e.Key.StartsWith(customer.Value + "|", StringComparison.Ordinal);
                n += mine ? 1 : 0;
            }
            counts[scope] = n;
        }
        return counts;
    }

    [Fact]
    public async Task Erasure_removes_every_lifecycle_record_of_the_customer_and_nothing_of_others()
    {
        using var h = new Harness(Journeys);
        foreach (var c in new[] { Harness.Alice, Bob })
        {
            h.AddCustomer(c);
            await h.TrackAllAsync([h.Event(EventType.Login, c), h.Event(EventType.Purchase, c)]);
            await h.TrackAllAsync([h.Event(EventType.AddToCart, c)]);
        }
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(2)); // the first cart step runs: the action ledger has entries

        var alice = await EntriesOfAsync(h.Store, Harness.Alice);
        var bob = await EntriesOfAsync(h.Store, Bob);
        foreach (var scope in new[] { LifecycleStageTracker.Scope, JourneyEngine.EnrollmentScope, JourneyEngine.WatchScope, JourneyEngine.ActionScope, JourneyEngine.DueScope })
        {
            Assert.True(alice[scope] > 0, $"the scenario left nothing in {scope} to erase");
        }

        var eraser = Assert.Single(h.Provider.GetServices<IPersonalDataEraser>());
        Assert.Equal("lifecycle.state", eraser.Name);
        var deleted = await eraser.EraseAsync(Harness.Alice, []);

        Assert.Equal(alice.Values.Sum(), deleted);
        Assert.All(await EntriesOfAsync(h.Store, Harness.Alice), kv => Assert.Equal(0, kv.Value));
        Assert.Equal(bob, await EntriesOfAsync(h.Store, Bob));
        Assert.Null(await h.Provider.GetRequiredService<LifecycleStageTracker>().GetAsync(Harness.Alice));

        // Nothing is scheduled for the erased customer any more; the other customer's journey goes on.
        var before = h.Handler.Calls.Count(c => c.CustomerId == Harness.Alice);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(6));
        Assert.Equal(before, h.Handler.Calls.Count(c => c.CustomerId == Harness.Alice));
        Assert.Contains(h.Handler.Calls, c => c.CustomerId == Bob && c.Action.Parameters["tag"] == "cart_late");

        Assert.Equal(0, await eraser.EraseAsync(Harness.Alice, [])); // erasing again deletes nothing and succeeds
    }
}
