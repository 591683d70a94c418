using Marketing.Sdk.Lifecycle.Journeys;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Waits count from the triggering event's time, not from the moment the event reached the engine.</summary>
public class JourneyTimingTests
{
    private static void CartAbandonment(LifecycleOptions o) =>
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart)
            .ExitOn(EventType.Purchase)
            .Wait(TimeSpan.FromHours(1))
            .IssueCoupon("CART10", Channel.Email));

    [Fact]
    public async Task A_late_event_waits_only_the_rest_of_its_wait()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        await h.TrackAllAsync([h.Event(EventType.AddToCart, at: now.AddMinutes(-50))]);
        Assert.Empty(h.Handler.Calls);
        Assert.Equal(now.AddMinutes(10), (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.DueAt);

        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(9));
        Assert.Empty(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1));
        Assert.Single(h.Handler.Calls);
    }

    [Fact]
    public async Task An_event_already_past_its_wait_fires_at_once_and_the_action_is_not_backdated()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        await h.TrackAllAsync([h.Event(EventType.AddToCart, at: now.AddHours(-3))]);
        var call = Assert.Single(h.Handler.Calls);
        Assert.Equal(now, call.RequestedAt);
        var record = Assert.Single(await h.LogAsync());
        Assert.Equal(now, record.At);
    }

    [Fact]
    public async Task A_replayed_batch_honours_an_exit_event_that_happened_during_the_wait()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        // Both events arrive together, two hours late: the purchase came 30 minutes into the wait.
        await h.TrackAllAsync([h.Event(EventType.AddToCart, at: now.AddHours(-2)), h.Event(EventType.Purchase, at: now.AddHours(-1.5))]);
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(2));
        Assert.Empty(h.Handler.Calls);
        Assert.Equal(EnrollmentStatus.Exited, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task A_wait_after_an_action_counts_from_the_event_time_of_a_late_trigger()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.QuietHoursStart = null;
            o.Journeys.Add("post_purchase", j => j
                .OnEvent(EventType.Purchase)
                .SendMessage(Channel.Email, "thanks")
                .Wait(TimeSpan.FromDays(7))
                .SendMessage(Channel.Email, "please_review"));
        });
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        await h.TrackAllAsync([h.Event(EventType.Purchase, at: now.AddDays(-3))]);
        Assert.Equal("thanks", Assert.Single(h.Handler.Calls).Action.Parameters["template"]);

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(4) - TimeSpan.FromMinutes(1));
        Assert.Single(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1)); // 7 days after the purchase, not after it was ingested
        Assert.Equal(["thanks", "please_review"], h.Handler.Calls.Select(c => c.Action.Parameters["template"]));
    }

    [Fact]
    public async Task A_wait_after_a_branch_counts_from_the_event_time()
    {
        using var h = new Harness(o => o.Journeys.Add("vip_cart", j => j
            .OnEvent(EventType.AddToCart)
            .Branch(new HasTagCondition { Tag = "blocked" }, "end")
            .Wait(TimeSpan.FromHours(1))
            .IssueCoupon("CART10")
            .Exit(label: "end")));
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        await h.TrackAllAsync([h.Event(EventType.AddToCart, at: now.AddMinutes(-45))]);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(15));
        Assert.Single(h.Handler.Calls);
    }

    [Fact]
    public async Task Wait_for_event_continues_the_timeline_from_the_awaited_events_time()
    {
        using var h = new Harness(o => o.Journeys.Add("review", j => j
            .OnEvent(EventType.Purchase)
            .WaitForEvent(EventType.Review, TimeSpan.FromDays(3))
            .Wait(TimeSpan.FromDays(1))
            .IssueCoupon("THANKS5")));
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        await h.TrackAllAsync([h.Event(EventType.Purchase, at: now.AddDays(-2)), h.Event(EventType.Review, at: now.AddHours(-20))]);
        Assert.Empty(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(4)); // one day after the review
        Assert.Single(h.Handler.Calls);
    }

    [Fact]
    public async Task A_trigger_time_in_the_future_never_shortens_the_wait_and_nothing_acts_before_enrolment()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        var now = h.Time.GetUtcNow();
        // A skewed client clock reports the event two hours ahead: the wait starts at enrolment (now).
        await h.TrackAllAsync([h.Event(EventType.AddToCart, at: now.AddHours(2))]);
        var enrollment = (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!;
        Assert.Equal(now, enrollment.EnteredAt);
        Assert.Equal(now.AddHours(1), enrollment.DueAt);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(59));
        Assert.Empty(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1));
        Assert.Single(h.Handler.Calls);
    }

    [Fact]
    public async Task A_quiet_hours_deferral_moves_the_timeline_to_when_the_message_went_out()
    {
        // 21:30 in Shanghai; the welcome waits for 08:00, the follow-up comes a day after the welcome.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 2, 13, 30, 0, TimeSpan.Zero));
        using var h = new Harness(o => o.Journeys.Add("welcome", j => j
            .OnEvent(EventType.SignUp)
            .SendMessage(Channel.Email, "welcome")
            .Wait(TimeSpan.FromDays(1))
            .IssueCoupon("FIRST10")), time: time);
        h.AddCustomer(Harness.Alice, "Asia/Shanghai");
        await h.Track(EventType.SignUp);
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(10.5));
        Assert.Single(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1));
        Assert.Single(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, h.Handler.Calls.Count);
    }
}
