using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>A store that fails the first enrollment write after an action was recorded: a crash between the ledger and the enrollment.</summary>
internal sealed class CrashAfterLedgerStore(IStateStore inner) : IStateStore
{
    private bool _ledgerWritten;
    public bool Armed { get; set; } = true;
    public ValueTask<StateEntry?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.GetAsync(scope, key, cancellationToken);
    public ValueTask<long> SaveAsync(string scope, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        if (Armed && scope == JourneyEngine.ActionScope)
        {
            _ledgerWritten = true;
        }
        else if (Armed && _ledgerWritten && scope == JourneyEngine.EnrollmentScope)
        {
            Armed = false;
            throw new MarketingStoreException("simulated crash");
        }
        return inner.SaveAsync(scope, key, value, expectedVersion, cancellationToken);
    }
    public ValueTask<bool> DeleteAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(scope, key, cancellationToken);
    public IAsyncEnumerable<StateEntry> StreamAsync(string scope, string? keyPrefix = null, CancellationToken cancellationToken = default) => inner.StreamAsync(scope, keyPrefix, cancellationToken);
}

public class MergeTests
{
    private static readonly CustomerId Bob = new("c_bob");

    private static void Onboarding(LifecycleOptions o)
    {
        o.Journeys.QuietHoursStart = null;
        o.Journeys.Add("onboarding", j => j
            .OnEvent(EventType.SignUp)
            .SendMessage(Channel.Email, "welcome")
            .Wait(TimeSpan.FromDays(1))
            .IssueCoupon("FIRST10", Channel.Email));
    }

    private static async Task MergeAsync(Harness h, CustomerId survivor, params CustomerId[] merged)
    {
        foreach (var listener in h.Provider.GetServices<IProfileMergeListener>())
        {
            await listener.OnMergedAsync(survivor, merged);
        }
    }

    private static async Task<int> CountAsync(IStateStore store, string scope, CustomerId customer)
    {
        var n = 0;
        await foreach (var _ in store.StreamAsync(scope, customer.Value + "|"))
        {
            n++;
        }
        return n;
    }

    [Fact]
    public async Task A_merged_customers_enrollment_moves_to_the_survivor_and_finishes_there()
    {
        using var h = new Harness(Onboarding);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        await h.Track(EventType.SignUp, Bob);
        Assert.Single(h.Handler.Calls);

        await MergeAsync(h, Harness.Alice, Bob);
        Assert.Null(await h.Engine.GetEnrollmentAsync("onboarding", Bob));
        var moved = (await h.Engine.GetEnrollmentAsync("onboarding", Harness.Alice))!;
        Assert.Equal((EnrollmentStatus.Active, 1), (moved.Status, moved.StepIndex)); // waiting a day before the coupon
        Assert.Equal(0, await CountAsync(h.Store, JourneyEngine.ActionScope, Bob));
        Assert.Single(await h.Engine.ReadActionLogAsync(Harness.Alice).ToListAsync());

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(1));
        Assert.Equal(2, h.Handler.Calls.Count);
        Assert.Equal(Harness.Alice, h.Handler.Calls.Last().CustomerId);
        Assert.Equal(EnrollmentStatus.Completed, (await h.Engine.GetEnrollmentAsync("onboarding", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task The_survivors_own_enrollment_in_the_same_journey_is_not_duplicated()
    {
        using var h = new Harness(Onboarding);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        await h.Track(EventType.SignUp, Harness.Alice);
        h.Time.Advance(TimeSpan.FromHours(2));
        await h.Track(EventType.SignUp, Bob);
        Assert.Equal(2, h.Handler.Calls.Count); // a welcome each, before anyone knew they are one person

        await MergeAsync(h, Harness.Alice, Bob);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(2));
        Assert.Single(h.Handler.Calls, c => c.Action.Kind == JourneyActionKinds.IssueCoupon); // one coupon, not two
        Assert.Equal(0, await CountAsync(h.Store, JourneyEngine.EnrollmentScope, Bob));
        var kept = (await h.Engine.GetEnrollmentAsync("onboarding", Harness.Alice))!;
        Assert.Equal(Harness.Start, kept.EnteredAt); // of two active enrollments the earlier one continues
    }

    [Fact]
    public async Task An_action_performed_before_the_merge_is_not_performed_again_after_it()
    {
        var store = new CrashAfterLedgerStore(new InMemoryStateStore());
        using var h = new Harness(Onboarding, store);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        // The welcome goes out and is recorded, then the host crashes before the enrollment moves on.
        await Assert.ThrowsAsync<MarketingStoreException>(async () => await h.Track(EventType.SignUp, Bob));
        Assert.Single(h.Handler.Calls);
        Assert.Equal(0, (await h.Engine.GetEnrollmentAsync("onboarding", Bob))!.StepIndex);

        await MergeAsync(h, Harness.Alice, Bob);
        await h.Engine.RunDueAsync(); // resumes at the welcome step under the survivor: already done
        Assert.Single(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(1));
        Assert.Equal(["welcome", "FIRST10"], h.Handler.Calls.Select(c => c.Action.Parameters.Values.Single()));
        Assert.Equal(2, h.Handler.Calls.Select(c => c.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task Contact_ledgers_unite_so_frequency_caps_count_messages_sent_to_either_id()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.QuietHoursStart = null;
            o.Journeys.DefaultChannelCap = new FrequencyCap(1, TimeSpan.FromDays(1));
            o.Journeys.Add("promo", j => j.OnEvent(EventType.AddToCart).SendMessage(Channel.Email, "promo"));
            o.Journeys.Add("welcome", j => j.OnEvent(EventType.SignUp).SendMessage(Channel.Email, "welcome"));
        });
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        await h.Track(EventType.AddToCart, Bob);
        await MergeAsync(h, Harness.Alice, Bob);
        await h.Track(EventType.SignUp, Harness.Alice);
        Assert.Single(h.Handler.Calls);
        Assert.Contains(await h.LogAsync(), r => r.Status == JourneyActionStatus.Capped && r.CustomerId == Harness.Alice);
    }

    [Fact]
    public async Task Inactivity_deadline_follows_the_latest_activity_of_either_id()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.QuietHoursStart = null;
            o.Journeys.Add("recall", j => j.OnInactivity(TimeSpan.FromDays(7), EventType.Login).SendMessage(Channel.Email, "we_miss_you"));
        });
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        await h.Track(EventType.Login, Harness.Alice);
        h.Time.Advance(TimeSpan.FromDays(3));
        await h.Track(EventType.Login, Bob);
        await MergeAsync(h, Harness.Alice, Bob);

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(5)); // 8 days after Alice's login, 5 after Bob's
        Assert.Empty(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(2));
        Assert.Equal(Harness.Alice, Assert.Single(h.Handler.Calls).CustomerId);
    }

    [Fact]
    public async Task Stage_records_merge_into_the_most_advanced_stage_with_the_earliest_first_seen()
    {
        using var h = new Harness(_ => { });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        var bobFirst = h.Event(EventType.PageView, Bob, Harness.Start.AddDays(-30));
        await h.TrackAllAsync([bobFirst, h.Event(EventType.Purchase, Bob, Harness.Start.AddDays(-20)), h.Event(EventType.Purchase, Bob, Harness.Start.AddDays(-10))]);
        await h.TrackAllAsync([h.Event(EventType.Login, Harness.Alice, Harness.Start.AddDays(-5)), h.Event(EventType.Purchase, Harness.Alice, Harness.Start.AddDays(-1))]);
        Assert.Equal(LifecycleStages.Repurchase, (await tracker.GetAsync(Bob))!.Stage);
        Assert.Equal(LifecycleStages.Purchase, (await tracker.GetAsync(Harness.Alice))!.Stage);

        await MergeAsync(h, Harness.Alice, Bob);
        await MergeAsync(h, Harness.Alice, Bob); // repeated: nothing changes
        Assert.Null(await tracker.GetAsync(Bob));
        var merged = (await tracker.GetAsync(Harness.Alice))!;
        Assert.Equal(LifecycleStages.Repurchase, merged.Stage);
        Assert.Equal(Harness.Start.AddDays(-10), merged.EnteredAt);
        Assert.Equal(Harness.Start.AddDays(-30), merged.FirstSeen);
        Assert.Equal(3, merged.Purchases);
        Assert.Equal(5, merged.History.Count);
        Assert.Equal(merged.History.OrderBy(t => t.At).ToList(), merged.History.ToList());
        Assert.Equal([Bob], merged.MergedFrom);
        Assert.Single(await tracker.StreamAsync().ToListAsync());

        // A redelivered event of the merged-away id is still recognised.
        await h.TrackAllAsync([bobFirst with { CustomerId = Harness.Alice }]);
        Assert.Equal(3, (await tracker.GetAsync(Harness.Alice))!.Purchases);
    }

    [Fact]
    public async Task Same_stage_keeps_the_earlier_entry_time()
    {
        using var h = new Harness(_ => { });
        var tracker = h.Provider.GetRequiredService<LifecycleStageTracker>();
        await h.TrackAllAsync([h.Event(EventType.Purchase, Bob, Harness.Start.AddDays(-9))]);
        await h.TrackAllAsync([h.Event(EventType.Purchase, Harness.Alice, Harness.Start.AddDays(-2))]);
        await MergeAsync(h, Harness.Alice, Bob);
        var merged = (await tracker.GetAsync(Harness.Alice))!;
        Assert.Equal((LifecycleStages.Purchase, Harness.Start.AddDays(-9), 2), (merged.Stage, merged.EnteredAt, merged.Purchases));
    }
}
