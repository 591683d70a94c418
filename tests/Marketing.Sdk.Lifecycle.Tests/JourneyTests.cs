using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Lifecycle.Tests;

public class JourneyTests
{
    private static void CartAbandonment(LifecycleOptions o) =>
        o.Journeys.Add("cart_abandoned", j => j
            .OnEvent(EventType.AddToCart)
            .ExitOn(EventType.Purchase)
            .Wait(TimeSpan.FromHours(1))
            .IssueCoupon("CART10", Channel.Email));

    [Fact]
    public async Task Cart_abandonment_coupon_fires_once_after_one_hour()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        await h.Track(EventType.AddToCart);
        await h.Track(EventType.AddToCart); // a second item: still one enrollment

        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(59));
        Assert.Empty(h.Handler.Calls);

        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1));
        var call = Assert.Single(h.Handler.Calls);
        Assert.Equal(JourneyActionKinds.IssueCoupon, call.Action.Kind);
        Assert.Equal("CART10", call.Action.Parameters["coupon"]);

        await h.AdvanceAndRunAsync(TimeSpan.FromHours(2));
        await h.Engine.RunDueAsync();
        Assert.Single(h.Handler.Calls);
        Assert.Equal(EnrollmentStatus.Completed, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task Cart_abandonment_coupon_does_not_fire_when_the_purchase_happens_first()
    {
        using var h = new Harness(CartAbandonment);
        h.AddCustomer(Harness.Alice);
        await h.Track(EventType.AddToCart);
        h.Time.Advance(TimeSpan.FromMinutes(30));
        await h.Track(EventType.Purchase);

        await h.AdvanceAndRunAsync(TimeSpan.FromHours(3));
        Assert.Empty(h.Handler.Calls);
        Assert.Equal(EnrollmentStatus.Exited, (await h.Engine.GetEnrollmentAsync("cart_abandoned", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task Seven_days_without_login_sends_the_recall_and_each_login_resets_the_clock()
    {
        using var h = new Harness(o => o.Journeys.Add("recall", j => j
            .OnInactivity(TimeSpan.FromDays(7), EventType.Login)
            .SendMessage(Channel.Email, "we_miss_you")));
        h.AddCustomer(Harness.Alice);
        await h.Track(EventType.Login);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(3));
        await h.Track(EventType.Login);

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(6));
        Assert.Empty(h.Handler.Calls); // 9 days after the first login, 6 after the last

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(1));
        Assert.Equal("we_miss_you", Assert.Single(h.Handler.Calls).Action.Parameters["template"]);

        await h.AdvanceAndRunAsync(TimeSpan.FromDays(7));
        Assert.Single(h.Handler.Calls); // no new login, no new deadline
    }

    [Fact]
    public async Task Quiet_hours_defer_a_message_to_the_end_of_the_quiet_period_in_the_customers_zone()
    {
        // 21:30 in Shanghai (13:30 UTC); quiet hours 21:00-08:00 local.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 2, 13, 30, 0, TimeSpan.Zero));
        using var h = new Harness(o => o.Journeys.Add("welcome", j => j.OnEvent(EventType.SignUp).SendMessage(Channel.Email, "welcome")), time: time);
        h.AddCustomer(Harness.Alice, "Asia/Shanghai");
        await h.Track(EventType.SignUp);
        Assert.Empty(h.Handler.Calls);
        var enrollment = await h.Engine.GetEnrollmentAsync("welcome", Harness.Alice);
        Assert.Equal(new DateTimeOffset(2025, 6, 3, 0, 0, 0, TimeSpan.Zero), enrollment!.DueAt); // 08:00 Shanghai

        await h.AdvanceAndRunAsync(TimeSpan.FromHours(10.5) - TimeSpan.FromMinutes(1));
        Assert.Empty(h.Handler.Calls);
        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(1));
        Assert.Single(h.Handler.Calls);
    }

    [Fact]
    public async Task Frequency_cap_holds_under_concurrent_triggers()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.DefaultChannelCap = new FrequencyCap(1, TimeSpan.FromDays(1));
            for (var i = 0; i < 5; i++)
            {
                o.Journeys.Add("promo" + i, j => j.OnEvent(EventType.AddToCart).SendMessage(Channel.Email, "promo"));
            }
        });
        h.AddCustomer(Harness.Alice);
        var events = Enumerable.Range(0, 8).Select(_ => h.Event(EventType.AddToCart)).ToList();
        await Task.WhenAll(events.Select(e => Task.Run(async () => await h.TrackAllAsync([e]))));

        Assert.Single(h.Handler.Effects);
        var log = await h.LogAsync();
        Assert.Equal(1, log.Count(r => r.Status == JourneyActionStatus.Executed));
        Assert.Contains(log, r => r.Status == JourneyActionStatus.Capped);

        // A day later the cap has room again.
        h.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await h.Track(EventType.AddToCart);
        Assert.Equal(2, h.Handler.Effects.Count);
    }

    [Fact]
    public async Task Restart_mid_journey_resumes_without_repeating_an_action()
    {
        var store = new InMemoryStateStore();
        var time = new FakeTimeProvider(Harness.Start);
        var handler = new RecordingHandler();
        var profiles = new FakeProfileStore();
        static void Onboarding(LifecycleOptions o) => o.Journeys.Add("onboarding", j => j
            .OnEvent(EventType.SignUp)
            .SendMessage(Channel.Email, "welcome")
            .Wait(TimeSpan.FromDays(1))
            .IssueCoupon("FIRST10", Channel.Email));

        using (var first = new Harness(Onboarding, store, time, handler, profiles))
        {
            first.AddCustomer(Harness.Alice);
            await first.Track(EventType.SignUp);
            await first.AdvanceAndRunAsync(TimeSpan.FromHours(5));
        }
        Assert.Single(handler.Calls);

        using var second = new Harness(Onboarding, store, time, handler, profiles);
        await second.AdvanceAndRunAsync(TimeSpan.FromDays(1));
        await second.AdvanceAndRunAsync(TimeSpan.FromDays(1));
        Assert.Equal(["welcome", "FIRST10"], handler.Calls.Select(c => c.Action.Parameters.Values.Single()));
        Assert.Equal(2, handler.Calls.Select(c => c.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task A_crash_after_the_handler_ran_retries_with_the_same_idempotency_key()
    {
        var store = new CrashOnceStore(new InMemoryStateStore());
        using var h = new Harness(o => o.Journeys.Add("coupon", j => j.OnEvent(EventType.SignUp).IssueCoupon("HELLO")), store);
        h.AddCustomer(Harness.Alice);
        await Assert.ThrowsAsync<MarketingStoreException>(async () => await h.Track(EventType.SignUp));

        // The enrollment was saved before the action; the next run performs the step again with the same key.
        var enrollment = await h.Engine.GetEnrollmentAsync("coupon", Harness.Alice);
        Assert.Equal((EnrollmentStatus.Active, 0), (enrollment!.Status, enrollment.StepIndex));
        await h.Engine.RunDueAsync();
        await h.Engine.RunDueAsync();
        Assert.Equal(2, h.Handler.Calls.Count);
        Assert.Single(h.Handler.Calls.Select(c => c.IdempotencyKey).Distinct());
        Assert.Single(h.Handler.Effects);
        Assert.Equal(EnrollmentStatus.Completed, (await h.Engine.GetEnrollmentAsync("coupon", Harness.Alice))!.Status);
    }

    [Fact]
    public async Task Failed_handler_is_retried_with_the_same_key_and_the_coupon_is_issued_once()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.RetryDelay = TimeSpan.FromMinutes(5);
            o.Journeys.Add("coupon", j => j.OnEvent(EventType.SignUp).IssueCoupon("HELLO"));
        });
        h.Handler.FailuresToInject = 1;
        h.AddCustomer(Harness.Alice);
        await h.Track(EventType.SignUp);
        Assert.Single(h.Handler.Calls);
        Assert.Empty(h.Handler.Effects);

        await h.AdvanceAndRunAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(2, h.Handler.Calls.Count);
        Assert.Single(h.Handler.Calls.Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal(2, h.Handler.Calls.Last().Attempt);
        Assert.Single(h.Handler.Effects);
    }

    [Fact]
    public async Task Messages_without_consent_are_vetoed_and_a_plugged_in_gate_can_veto_any_action()
    {
        using (var h = new Harness(o => o.Journeys.Add("welcome", j => j.OnEvent(EventType.SignUp).SendMessage(Channel.Email, "welcome"))))
        {
            h.AddCustomer(Harness.Alice, emailConsent: false);
            await h.Track(EventType.SignUp);
            Assert.Empty(h.Handler.Calls);
            Assert.Equal(JourneyActionStatus.Vetoed, Assert.Single(await h.LogAsync()).Status);
        }
        var gate = new Moq.Mock<IJourneyActionGate>();
        gate.Setup(g => g.EvaluateAsync(Moq.It.IsAny<JourneyActionRequest>(), Moq.It.IsAny<CancellationToken>()))
            .Returns(() => ValueTask.FromResult(GateDecision.Veto("suppressed")));
        using (var h = new Harness(o => o.Journeys.Add("tag", j => j.OnEvent(EventType.SignUp).AddTag("new")), more: s => s.AddSingleton(gate.Object)))
        {
            h.AddCustomer(Harness.Alice);
            await h.Track(EventType.SignUp);
            Assert.Empty(h.Handler.Calls);
            var record = Assert.Single(await h.LogAsync());
            Assert.Equal(("suppressed", JourneyActionStatus.Vetoed), (record.Reason, record.Status));
        }
    }

    [Fact]
    public async Task Segment_enter_enrolls_and_lifecycle_stage_changes_arrive_as_segment_changes()
    {
        using var h = new Harness(o =>
        {
            o.Journeys.Add("vip", j => j.OnSegmentEnter("vip").AddTag("vip_welcome"));
            o.Journeys.Add("thanks", j => j.OnSegmentEnter(LifecycleStages.SegmentId(LifecycleStages.Repurchase)).SendMessage(Channel.Email, "thanks"));
        });
        h.AddCustomer(Harness.Alice);
        await h.Engine.OnMembershipChangedAsync([new SegmentMembershipChange("vip", Harness.Alice, true, h.Time.GetUtcNow())]);
        await h.Engine.OnMembershipChangedAsync([new SegmentMembershipChange("vip", Harness.Alice, false, h.Time.GetUtcNow())]);
        Assert.Single(h.Handler.Calls);

        await h.Track(EventType.Purchase);
        Assert.Single(h.Handler.Calls);
        await h.Track(EventType.Purchase); // second purchase: stage repurchase
        Assert.Equal("thanks", h.Handler.Calls.Last().Action.Parameters["template"]);
    }

    [Fact]
    public async Task A_segment_change_delivered_again_under_its_id_never_enrolls_twice()
    {
        // Re-entry allowed without cooldown: only the change id tells a redelivery from a new entry.
        using var h = new Harness(o => o.Journeys.Add("vip", j => j.OnSegmentEnter("vip").AddTag("vip_welcome")));
        h.AddCustomer(Harness.Alice);
        var enter = new SegmentMembershipChange("vip", Harness.Alice, true, h.Time.GetUtcNow()) { ChangeId = "0193a1b2c3d4e5f60718293a4b5c6d7e" };
        await h.Engine.OnMembershipChangedAsync([enter]);
        Assert.Single(h.Handler.Calls);
        // The host that recorded the change stopped before its sweep deleted it: the sweep delivers it again.
        h.Time.Advance(TimeSpan.FromMinutes(1));
        await h.Engine.OnMembershipChangedAsync([enter]);
        await h.Engine.OnMembershipChangedAsync([enter]);
        Assert.Single(h.Handler.Calls);
        Assert.Single(await h.LogAsync());

        // A new entry (another change id) enrolls again, as re-entry allows.
        await h.Engine.OnMembershipChangedAsync([enter with { ChangeId = "0193a1b2c3d4e5f60718293a4b5c6d7f", At = h.Time.GetUtcNow() }]);
        Assert.Equal(2, h.Handler.Calls.Count);
    }

    [Fact]
    public async Task Birthday_greeting_is_sent_once_on_the_local_birthday()
    {
        // 2025-06-15 02:00 UTC is 10:00 in Shanghai: birthday morning there, still the 14th in UTC.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 15, 2, 0, 0, TimeSpan.Zero));
        using var h = new Harness(o =>
        {
            o.Journeys.QuietHoursStart = null;
            o.Journeys.Add("birthday", j => j.OnAnniversary().SendMessage(Channel.Email, "happy_birthday"));
        }, time: time);
        h.AddCustomer(Harness.Alice, "Asia/Shanghai", birthday: "1990-06-15");
        h.AddCustomer(new CustomerId("c_bob"), "UTC", birthday: "06-15");
        await h.Engine.RunDueAsync();
        Assert.Equal(Harness.Alice, Assert.Single(h.Handler.Calls).CustomerId);

        await h.AdvanceAndRunAsync(TimeSpan.FromHours(8)); // 10:00 UTC: Bob's turn; Alice not again
        Assert.Equal(2, h.Handler.Calls.Count);
        await h.AdvanceAndRunAsync(TimeSpan.FromHours(3));
        Assert.Equal(2, h.Handler.Calls.Count);
    }

    [Fact]
    public async Task Wait_for_event_and_branch_follow_the_customers_behaviour()
    {
        using var h = new Harness(o => o.Journeys.Add("review", j => j
            .OnEvent(EventType.Purchase)
            .WaitForEvent(EventType.Review, TimeSpan.FromDays(3), onEventGoTo: "thank")
            .SendMessage(Channel.Email, "please_review")
            .Exit()
            .SendMessage(Channel.Email, "thanks_for_review", label: "thank")));
        var bob = new CustomerId("c_bob");
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(bob);
        await h.TrackAllAsync([h.Event(EventType.Purchase), h.Event(EventType.Purchase, bob)]);
        h.Time.Advance(TimeSpan.FromDays(1));
        await h.Track(EventType.Review, bob);
        await h.AdvanceAndRunAsync(TimeSpan.FromDays(3));
        var sent = h.Handler.Calls.ToDictionary(c => c.CustomerId, c => c.Action.Parameters["template"]);
        Assert.Equal("please_review", sent[Harness.Alice]);
        Assert.Equal("thanks_for_review", sent[bob]);
    }

    [Fact]
    public void Journey_definitions_round_trip_through_json_and_invalid_ones_are_rejected()
    {
        var journey = new JourneyBuilder("win_back")
            .OnEvent(EventType.AddToCart, new Dictionary<string, PropertyValue> { ["category"] = "shoes" })
            .ExitOn(EventType.Purchase)
            .Reentry(true, TimeSpan.FromDays(30))
            .WaitForEvent(EventType.Login, TimeSpan.FromDays(2), onTimeoutGoTo: "coupon")
            .Branch(new TraitEqualsCondition { Trait = "member_level", Value = "gold" }, "coupon")
            .SendMessage(Channel.Sms, "come_back")
            .IssueCoupon("BACK15", Channel.Email, label: "coupon")
            .Build();
        var json = journey.ToJson();
        var back = JourneyDefinition.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Contains("\"type\":\"wait_for_event\"", json);

        Assert.Throws<LifecycleException>(() => new JourneyBuilder("bad").OnEvent(EventType.Login).Branch(new HasTagCondition { Tag = "x" }, "nowhere").Build());
        Assert.Throws<LifecycleException>(() => JourneyDefinition.FromJson("{\"id\":\"x\",\"trigger\":{\"type\":\"nope\"},\"steps\":[]}"));
    }

    [Fact]
    public async Task AddLifecycle_registers_resolvable_services_and_validates_options_on_start()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddMarketingSdk(b => b.AddLifecycle(o => CartAbandonment(o)).AddLifecycle(o => CartAbandonment(o)));
        using var provider = services.BuildServiceProvider();
        foreach (var d in services.Where(d => d.ServiceType.Namespace?.StartsWith("Marketing.Sdk", StringComparison.Ordinal) == true || d.ServiceType.Name.Contains("Hosted")))
        {
            Assert.NotEmpty(provider.GetServices(d.ServiceType).OfType<object>());
        }
        Assert.Single(provider.GetRequiredService<IOptions<LifecycleOptions>>().Value.Journeys.Definitions);
        Assert.Equal(2, provider.GetServices<IMarketingEventListener>().Count(l => l.GetType().Namespace!.StartsWith("Marketing.Sdk.Lifecycle", StringComparison.Ordinal)));
        Assert.IsType<JourneyEngine>(Assert.Single(provider.GetServices<ISegmentMembershipListener>()));
        Assert.Equal(2, provider.GetServices<IProfileMergeListener>().Count(l => l.GetType().Namespace!.StartsWith("Marketing.Sdk.Lifecycle", StringComparison.Ordinal)));
        // No store registered by the host: the core package's process-local one, which keeps what is saved.
        var store = Assert.IsType<InMemoryStateStore>(provider.GetRequiredService<IStateStore>());
        var version = await store.SaveAsync("scope", "key", "value", 0);
        Assert.Equal("value", (await store.GetAsync("scope", "key"))!.Value);
        Assert.True(version > 0);

        // Invalid options stop the host at start (ValidateOnStart), before any option is read.
        var host = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        host.Services.AddLogging();
        host.Services.AddMarketingSdk(b => b.AddLifecycle(o => o.Journeys.PollInterval = TimeSpan.Zero));
        using var app = host.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("PollInterval", StringComparison.OrdinalIgnoreCase));
    }
}
