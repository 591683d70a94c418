using Marketing.Sdk.Lifecycle.Journeys;

namespace Marketing.Sdk.Lifecycle.Tests;

public class JourneyPauseTests
{
    private static readonly CustomerId Bob = new("c_bob");

    private static void CartAbandonment(LifecycleOptions o) =>
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart)
            .ExitOn(EventType.Purchase)
            .Wait(TimeSpan.FromHours(1))
            .IssueCoupon("CART10", Channel.Email));

    [Fact]
    public async Task A_paused_journey_enrolls_nobody_and_holds_its_actions_until_resumed()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Bob);
        await h.Track(EventType.AddToCart); // Alice enrolls before the pause

        Assert.True(await h.Engine.PauseAsync("cart_abandoned"));
        Assert.False(await h.Engine.PauseAsync("cart_abandoned"));
        Assert.True(await h.Engine.IsPausedAsync("cart_abandoned"));
        Assert.Equal(["cart_abandoned"], await h.Engine.GetPausedAsync());

        await h.Track(EventType.AddToCart, Bob); // not enrolled while paused
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(2));
        Assert.Empty(h.Handler.Calls);
        Assert.Null(await h.Engine.GetEnrollmentAsync("cart_abandoned", Bob));
        Assert.Equal(EnrollmentStatus.Active, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);

        Assert.True(await h.Engine.ResumeAsync("cart_abandoned"));
        Assert.False(await h.Engine.ResumeAsync("cart_abandoned"));
        Assert.False(await h.Engine.IsPausedAsync("cart_abandoned"));
        await h.Engine.RunDueAsync();
        var call = Assert.Single(h.Handler.Calls);
        Assert.Equal(Harness.Alice, call.CustomerId);
        Assert.Equal(EnrollmentStatus.Completed, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);

        var counts = await h.Engine.CountEnrollmentsAsync();
        Assert.Equal(1, counts["cart_abandoned"][EnrollmentStatus.Completed]);
        Assert.False(counts["cart_abandoned"].ContainsKey(EnrollmentStatus.Active));
    }

    [Fact]
    public async Task Exit_events_still_end_enrollments_of_a_paused_journey()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        await h.Track(EventType.AddToCart);
        await h.Engine.PauseAsync("cart_abandoned");
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(2));
        await h.Track(EventType.Purchase);
        await h.Engine.ResumeAsync("cart_abandoned");
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(1));
        Assert.Empty(h.Handler.Calls);
        Assert.Equal(EnrollmentStatus.Exited, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task Pausing_an_unknown_journey_is_refused()
    {
        using var h = new Harness(CartAbandonment);
        await Assert.ThrowsAsync<LifecycleException>(async () => await h.Engine.PauseAsync("nope"));
        await Assert.ThrowsAsync<LifecycleException>(async () => await h.Engine.ResumeAsync("nope"));
    }
}
