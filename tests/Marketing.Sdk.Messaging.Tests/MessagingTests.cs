using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketing.Sdk.Messaging.Tests;

public sealed class MessagingTests
{
    private static readonly DateTimeOffset ShanghaiMorning = new(2026, 6, 3, 0, 0, 0, TimeSpan.Zero); // 08:00 in Shanghai

    [Fact]
    public async Task Marketing_needs_consent_through_the_gate_but_a_transactional_notice_does_not()
    {
        var gate = new FakeConsentGate();
        await using var h = new Harness(gate: gate, configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice, consent: false);

        var marketing = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        var notice = await h.Sender.SendAsync(new MessageRequest { CustomerId = Harness.Alice, Channel = Channel.Email, TemplateId = "order_shipped", Parameters = new Dictionary<string, string> { ["order"] = "o1" }, IdempotencyKey = "o1:shipped" });
        gate.Granted.Add((Harness.Alice, ConsentPurpose.Email));
        var granted = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k2"));
        await h.DeliverAsync();

        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.NoConsent), (marketing.Status, marketing.Reason));
        Assert.Equal(MessageSendStatus.Sent, notice.Status);
        Assert.Equal(MessageSendStatus.Sent, granted.Status);
        Assert.Equal(2, h.Email.Sent.Count);
    }

    [Fact]
    public async Task Suppression_list_is_honoured_unsubscribe_stops_marketing_only_and_bounce_stops_everything()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        await h.Suppressions.AddAsync(Harness.Alice, Channel.Email, SuppressionReason.Unsubscribed);

        var coupon = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        var notice = await h.Sender.SendAsync(new MessageRequest { CustomerId = Harness.Alice, Channel = Channel.Email, TemplateId = "order_shipped", Parameters = new Dictionary<string, string> { ["order"] = "o1" }, IdempotencyKey = "n1" });
        await h.Suppressions.AddAsync(Harness.Alice, null, SuppressionReason.Bounced);
        var notice2 = await h.Sender.SendAsync(new MessageRequest { CustomerId = Harness.Alice, Channel = Channel.Email, TemplateId = "order_shipped", Parameters = new Dictionary<string, string> { ["order"] = "o2" }, IdempotencyKey = "n2" });
        Assert.True(await h.Suppressions.RemoveAsync(Harness.Alice, null));
        Assert.True(await h.Suppressions.RemoveAsync(Harness.Alice, Channel.Email));
        var after = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k3"));

        Assert.Equal(MessageSkipReason.Unsubscribed, coupon.Reason);
        Assert.Equal(MessageSendStatus.Sent, notice.Status);
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.Bounced), (notice2.Status, notice2.Reason));
        Assert.Equal(MessageSendStatus.Sent, after.Status);
        Assert.Empty(await h.Suppressions.GetAsync(Harness.Alice));
    }

    [Fact]
    public async Task A_suppression_added_after_the_send_stops_the_message_at_delivery()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        Assert.Equal(MessageSendStatus.Sent, (await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"))).Status);
        await h.Suppressions.AddAsync(Harness.Alice, Channel.Email, SuppressionReason.Complained);

        var round = await h.DeliverAsync();

        Assert.Equal(1, round.Suppressed);
        Assert.Equal(0, h.Email.Calls);
        var replay = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.Complained), (replay.Status, replay.Reason));
    }

    [Fact]
    public async Task Frequency_cap_counts_across_channels_and_defers_when_allowed()
    {
        await using var h = new Harness(configure: o =>
        {
            o.QuietHoursStart = null;
            o.CustomerCap = new FrequencyCap(2, TimeSpan.FromDays(1));
            o.DefaultChannelCap = null;
        });
        h.AddCustomer(Harness.Alice);
        var first = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        h.Time.Advance(TimeSpan.FromHours(1));
        var second = await h.Sender.SendAsync(new MessageRequest { CustomerId = Harness.Alice, Channel = Channel.Sms, TemplateId = "recall", IdempotencyKey = "s1" });
        var third = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k2"));
        var deferred = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k3", allowDeferral: true));

        Assert.Equal(MessageSendStatus.Sent, first.Status);
        Assert.Equal(MessageSendStatus.Sent, second.Status);
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.FrequencyCap), (third.Status, third.Reason));
        Assert.Equal((MessageSendStatus.Deferred, MessageSkipReason.FrequencyCap), (deferred.Status, deferred.Reason));
        Assert.Equal(Harness.Start.AddDays(1), deferred.DeferredUntil);
        Assert.Equal(1, (await h.DeliverAsync()).Accepted); // the deferred one is not due yet
        h.Time.SetUtcNow(Harness.Start.AddDays(1));
        Assert.Equal(1, (await h.DeliverAsync()).Accepted);
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("region")]
    [InlineData("shop")]
    public async Task A_message_due_at_23_local_waits_for_the_morning_whichever_source_gives_the_zone(string source)
    {
        await using var h = new Harness(configure: o =>
        {
            o.RegionTimeZones["CN"] = "Asia/Shanghai";
            if (source != "shop")
            {
                o.ShopTimeZone = "America/New_York"; // 11:00 there: only the customer's own zone makes it quiet
            }
        });
        h.AddCustomer(Harness.Alice, timeZone: source == "profile" ? "Asia/Shanghai" : null, region: source == "region" ? "CN" : null);
        h.AddCustomer(Harness.Bob, timeZone: "America/New_York");

        var alice = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1", allowDeferral: true));
        var aliceStrict = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k2"));
        var bob = await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k1", allowDeferral: true));

        Assert.Equal((MessageSendStatus.Deferred, MessageSkipReason.QuietHours, ShanghaiMorning), (alice.Status, alice.Reason, alice.DeferredUntil));
        Assert.Equal((MessageSendStatus.Suppressed, MessageSkipReason.QuietHours), (aliceStrict.Status, aliceStrict.Reason));
        Assert.Equal(MessageSendStatus.Sent, bob.Status);
        Assert.Equal(1, (await h.DeliverAsync()).Accepted);
        Assert.DoesNotContain(h.Email.Sent, m => m.CustomerId == Harness.Alice);
        h.Time.SetUtcNow(ShanghaiMorning);
        Assert.Equal(1, (await h.DeliverAsync()).Accepted);
        Assert.Contains(h.Email.Sent, m => m.CustomerId == Harness.Alice);
    }

    [Fact]
    public async Task A_retried_send_reaches_the_channel_once()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        var first = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "order-1:coupon"));
        var retry = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "order-1:coupon"));
        await h.DeliverAsync();
        var afterDelivery = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "order-1:coupon"));
        await h.DeliverAsync();

        Assert.Equal(first, retry);
        Assert.Equal(first.MessageId, afterDelivery.MessageId);
        Assert.Single(h.Email.Sent);
        Assert.Equal(first.MessageId, h.Email.Sent.Single().MessageId);
    }

    [Fact]
    public async Task A_journey_action_retried_by_the_engine_reaches_the_channel_once()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        var handler = h.Provider.GetServices<IJourneyActionHandler>().Single(x => x.CanHandle(new JourneyAction { Kind = JourneyActionKinds.SendMessage, Channel = Channel.Email }));
        var action = new JourneyAction { Kind = JourneyActionKinds.SendMessage, Channel = Channel.Email, Parameters = new Dictionary<string, string> { ["template"] = "coupon", ["code"] = "CART10" } };
        var request = new JourneyActionRequest("cart:c_alice:1:2", "cart", 2, Harness.Alice, action, Harness.Start, 1);

        await handler.ExecuteAsync(request);
        await handler.ExecuteAsync(request with { Attempt = 2 });
        await h.DeliverAsync();

        Assert.Single(h.Email.Sent);
    }

    [Fact]
    public async Task Transient_rejections_are_retried_and_permanent_ones_dead_lettered_with_class_and_code_only()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Harness.Bob);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k1"));
        h.Email.Script.Enqueue(i => RecipientResult.Transient(i, "45009"));
        h.Email.Script.Enqueue(i => RecipientResult.Permanent(i, "43004"));

        var round1 = await h.DeliverAsync();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var round2 = await h.DeliverAsync();

        Assert.Equal((2, 0, 1, 1), (round1.Claimed, round1.Accepted, round1.Retried, round1.Failed));
        Assert.Equal(1, round2.Accepted);
        var dead = await h.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync();
        Assert.Equal("rejected:Permanent:43004", Assert.Single(dead).LastError);
        var failed = Assert.Single(h.Listener.Of(MessageEventTypes.Failed));
        Assert.Equal("rejected:Permanent:43004", failed.Property(MessageEventTypes.ErrorCodeProperty).AsString());
        var replay = await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k1"));
        Assert.Equal(MessageSendStatus.Failed, replay.Status);
    }

    [Fact]
    public async Task A_provider_deferral_waits_its_whole_hint_and_does_not_use_up_the_attempts()
    {
        await using var h = new Harness(configure: o => { o.QuietHoursStart = null; o.Delivery.MaxAttempts = 2; });
        h.AddCustomer(Harness.Alice);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        for (var i = 0; i < 3; i++)
        {
            h.Email.Script.Enqueue(i => RecipientResult.Deferred(i, "flow_limit", TimeSpan.FromHours(20))); // an SMS number's daily limit
        }

        var rounds = new List<MessageDeliveryRound>();
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            rounds.Add(await h.DeliverAsync());
            if (await h.Outbox.ReadAsync(OutboxState.Pending).FirstOrDefaultAsync() is { } pending)
            {
                waits.Add(pending.NextAttemptAt - h.Time.GetUtcNow());
                h.Time.Advance(pending.NextAttemptAt - h.Time.GetUtcNow());
            }
        }

        Assert.Equal([1, 1, 1, 0], rounds.Select(r => r.Retried));
        Assert.Equal(1, rounds[3].Accepted); // four claims, three of them deferrals: one attempt of two used
        Assert.All(waits, w => Assert.Equal(TimeSpan.FromHours(20), w)); // the whole hint, beyond RetryMaxDelay
        Assert.Empty(await h.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync());
        Assert.Single(h.Email.Sent);
    }

    [Fact]
    public async Task Deferrals_have_a_bound_of_their_own()
    {
        await using var h = new Harness(configure: o => { o.QuietHoursStart = null; o.Delivery.MaxDeferrals = 2; });
        h.AddCustomer(Harness.Alice);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        for (var i = 0; i < 5; i++)
        {
            h.Email.Script.Enqueue(i => RecipientResult.Deferred(i, "flow_limit", TimeSpan.FromDays(5)));
        }

        for (var i = 0; i < 3; i++)
        {
            await h.DeliverAsync();
            h.Time.Advance(TimeSpan.FromDays(2)); // a hint is cut to MaxDeferral (2 days)
        }

        var dead = Assert.Single(await h.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync());
        Assert.Equal("gave_up_deferred:2:deferred:flow_limit", dead.LastError);
        Assert.Empty(h.Email.Sent);
    }

    [Fact]
    public async Task A_retry_that_would_land_in_quiet_hours_waits_for_the_morning()
    {
        await using var h = new Harness();
        h.AddCustomer(Harness.Alice); // Asia/Shanghai
        h.Time.SetUtcNow(new DateTimeOffset(2026, 6, 3, 12, 30, 0, TimeSpan.Zero)); // 20:30 in Shanghai
        Assert.Equal(MessageSendStatus.Sent, (await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"))).Status);
        h.Email.Script.Enqueue(i => RecipientResult.Transient(i, "-1", TimeSpan.FromMinutes(50)));

        await h.DeliverAsync();
        h.Time.Advance(TimeSpan.FromMinutes(50)); // 21:20: the retry is due inside the quiet hours
        var night = await h.DeliverAsync();
        var held = Assert.Single(await h.Outbox.ReadAsync(OutboxState.Pending).ToListAsync());
        h.Time.SetUtcNow(held.NextAttemptAt);
        var morning = await h.DeliverAsync();

        Assert.Equal((1, 0, 1), (night.Claimed, night.Accepted, night.Retried));
        Assert.Equal(new DateTimeOffset(2026, 6, 4, 0, 0, 0, TimeSpan.Zero), held.NextAttemptAt); // 08:00 in Shanghai
        Assert.Equal("held:QuietHours", held.LastError);
        Assert.Equal(1, morning.Accepted);
        Assert.Equal(2, h.Email.Calls); // the failed call and the morning's: nothing at night
    }

    [Fact]
    public async Task A_cap_counts_when_messages_really_went_out_so_a_late_one_holds_back_the_next()
    {
        await using var h = new Harness(configure: o => { o.QuietHoursStart = null; o.CustomerCap = null; o.DefaultChannelCap = new(1, TimeSpan.FromDays(1)); });
        h.AddCustomer(Harness.Alice);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        h.Email.Script.Enqueue(i => RecipientResult.Transient(i, "-1", TimeSpan.FromMinutes(50)));
        await h.DeliverAsync();
        var second = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k2", allowDeferral: true)); // planned a day after the first's plan
        h.Time.Advance(TimeSpan.FromMinutes(50));
        await h.DeliverAsync(); // the first goes out 50 minutes late

        h.Time.SetUtcNow(second.DeferredUntil!.Value);
        var planned = await h.DeliverAsync();
        var held = Assert.Single(await h.Outbox.ReadAsync(OutboxState.Pending).ToListAsync());
        h.Time.SetUtcNow(held.NextAttemptAt);
        var late = await h.DeliverAsync();

        Assert.Equal(MessageSendStatus.Deferred, second.Status);
        Assert.Equal(Harness.Start.AddDays(1), second.DeferredUntil);
        Assert.Equal((1, 0, 1), (planned.Claimed, planned.Accepted, planned.Retried));
        Assert.Equal(Harness.Start.AddMinutes(50).AddDays(1), held.NextAttemptAt); // a day after the first really went out
        Assert.Equal(1, late.Accepted);
        Assert.Equal(2, h.Email.Sent.Count);
    }

    [Fact]
    public async Task A_whole_call_failure_follows_the_error_class_and_attempts_run_out_into_a_dead_letter()
    {
        await using var h = new Harness(configure: o => { o.QuietHoursStart = null; o.Delivery.MaxAttempts = 2; });
        h.AddCustomer(Harness.Alice);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        h.Email.Throw = () => new PlatformApiException("email", PlatformErrorClass.Transient, System.Net.HttpStatusCode.ServiceUnavailable, "busy", "-1");

        var first = await h.DeliverAsync();
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var second = await h.DeliverAsync();

        Assert.Equal(1, first.Retried);
        Assert.Equal(1, second.Failed);
        var dead = Assert.Single(await h.Outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync());
        Assert.Equal("gave_up:2:retry:Transient:-1", dead.LastError);
    }

    [Fact]
    public async Task Status_flows_back_as_events_without_personal_data_and_bounces_suppress()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        var sent = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        await h.DeliverAsync();
        var reporter = h.Provider.GetRequiredService<IMessageStatusReporter>();
        var providerId = "p-" + sent.MessageId;

        Assert.True(await reporter.ReportAsync(Channel.Email, providerId, ProviderMessageStatus.Delivered, Harness.Start.AddMinutes(1)));
        Assert.True(await reporter.ReportAsync(Channel.Email, providerId, ProviderMessageStatus.Opened, Harness.Start.AddMinutes(2)));
        Assert.True(await reporter.ReportAsync(Channel.Email, providerId, ProviderMessageStatus.Clicked, Harness.Start.AddMinutes(3)));
        Assert.True(await reporter.ReportAsync(Channel.Email, providerId, ProviderMessageStatus.Bounced, Harness.Start.AddMinutes(4), "550"));
        Assert.False(await reporter.ReportAsync(Channel.Email, "unknown", ProviderMessageStatus.Delivered, Harness.Start));

        foreach (var type in new[] { MessageEventTypes.Sent, MessageEventTypes.Delivered, MessageEventTypes.Open, MessageEventTypes.Click, MessageEventTypes.Failed })
        {
            var e = Assert.Single(h.Listener.Of(type));
            Assert.Equal(Harness.Alice, e.CustomerId);
            Assert.Equal("email", e.Property("channel").AsString());
            Assert.Equal("coupon", e.Property("template").AsString());
            Assert.Equal(sent.MessageId, e.Property("message_id").AsString());
            Assert.DoesNotContain(e.Properties.Values, v => v.AsString() is { } s && (s.Contains("CART10", StringComparison.Ordinal) || s.Contains(PiiLogAssert.Email, StringComparison.Ordinal)));
        }
        Assert.Equal(SuppressionReason.Bounced, Assert.Single(await h.Suppressions.GetAsync(Harness.Alice)).Reason);
    }

    [Fact]
    public async Task An_erasure_removes_the_customers_ledgers_provider_links_and_suppressions_and_nobody_elses()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        h.AddCustomer(Harness.Bob);
        var alices = await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        var bobs = await h.Sender.SendAsync(Harness.Coupon(Harness.Bob, "k1"));
        await h.DeliverAsync();
        await h.Suppressions.AddAsync(Harness.Alice, Channel.Sms, SuppressionReason.Unsubscribed);
        var store = h.Provider.GetRequiredService<IStateStore>();
        async Task<List<string>> MessagingState()
        {
            var found = new List<string>();
            foreach (var scope in new[] { "messaging.sends", "messaging.contacts", "messaging.suppression", "messaging.provider" })
            {
                await foreach (var e in store.StreamAsync(scope))
                {
                    found.Add(scope + " " + e.Key + " " + e.Value);
                }
            }
            return found;
        }
        Assert.Contains(await MessagingState(), s => s.Contains("c_alice", StringComparison.Ordinal));

        var eraser = Assert.Single(h.Provider.GetServices<IPersonalDataEraser>(), e => e.Name == "messaging.state");
        Assert.Equal(4, await eraser.EraseAsync(Harness.Alice, []));

        var left = await MessagingState();
        Assert.DoesNotContain(left, s => s.Contains("c_alice", StringComparison.Ordinal) || s.Contains(alices.MessageId, StringComparison.Ordinal));
        Assert.Contains(left, s => s.Contains(bobs.MessageId, StringComparison.Ordinal) && s.StartsWith("messaging.provider", StringComparison.Ordinal));
        var reporter = h.Provider.GetRequiredService<IMessageStatusReporter>();
        Assert.False(await reporter.ReportAsync(Channel.Email, "p-" + alices.MessageId, ProviderMessageStatus.Delivered, Harness.Start));
        Assert.True(await reporter.ReportAsync(Channel.Email, "p-" + bobs.MessageId, ProviderMessageStatus.Delivered, Harness.Start));
        Assert.Equal(0, await eraser.EraseAsync(Harness.Alice, []));
    }

    [Fact]
    public async Task A_journey_sends_through_the_channel_with_no_host_code_deferring_out_of_quiet_hours()
    {
        await using var h = new Harness(lifecycle: o => o.Journeys.Add(new JourneyBuilder("cart")
            .OnEvent(EventType.AddToCart)
            .Wait(TimeSpan.FromHours(1))
            .SendMessage(Channel.Email, "coupon", new Dictionary<string, string> { ["code"] = "CART10" })
            .Build()));
        h.AddCustomer(Harness.Alice);
        var collector = h.Provider.GetRequiredService<IEventCollector>();
        // 23:00 in Shanghai: the hour's wait ends at midnight, inside the quiet hours.
        await collector.TrackAsync(new MarketingEvent { Id = "e1", Type = EventType.AddToCart, OccurredAt = h.Time.GetUtcNow(), CustomerId = Harness.Alice });
        var engine = h.Provider.GetRequiredService<JourneyEngine>();

        h.Time.Advance(TimeSpan.FromHours(1));
        await engine.RunDueAsync();
        await h.DeliverAsync();
        Assert.Empty(h.Email.Sent);
        h.Time.SetUtcNow(ShanghaiMorning);
        await engine.RunDueAsync();
        await h.DeliverAsync();

        var message = Assert.Single(h.Email.Sent);
        Assert.Equal("CART10", message.Parameters["code"]);
        Assert.Equal("Alice", message.Parameters["name"]); // from the profile trait the template names
        Assert.Equal(IdentityKind.Email, message.Recipient.Kind);
        Assert.Single(h.Listener.Of(MessageEventTypes.Sent));
    }

    [Fact]
    public async Task Parameters_are_validated_with_field_and_reason_never_the_value()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        var secret = new string('x', 41);

        var tooLong = await Assert.ThrowsAsync<MarketingValidationException>(async () => await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1") with { Parameters = new Dictionary<string, string> { ["code"] = secret } }));
        var bytes = await Assert.ThrowsAsync<MarketingValidationException>(async () => await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k2") with { Parameters = new Dictionary<string, string> { ["code"] = new string('优', 21) } }));
        var unknown = await Assert.ThrowsAsync<MarketingValidationException>(async () => await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k3") with { Parameters = new Dictionary<string, string> { ["code"] = "A", ["phone"] = PiiLogAssert.Phone } }));
        var missing = await Assert.ThrowsAsync<MarketingValidationException>(async () => await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k4") with { Parameters = new Dictionary<string, string>() }));

        Assert.Equal(("parameters.code", ValidationReason.TooLarge), (tooLong.Field, tooLong.Reason));
        Assert.DoesNotContain(secret, tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(("parameters.code", ValidationReason.TooLarge), (bytes.Field, bytes.Reason));
        Assert.Equal(("parameters.phone", ValidationReason.Inconsistent), (unknown.Field, unknown.Reason));
        Assert.DoesNotContain("13800138000", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(("parameters.code", ValidationReason.Missing), (missing.Field, missing.Reason));
        Assert.Empty(await h.Outbox.ReadAsync(OutboxState.Pending).ToListAsync());
    }

    [Fact]
    public async Task A_channel_exception_with_personal_data_never_reaches_the_logs_or_the_outbox()
    {
        await using var h = new Harness(configure: o => o.QuietHoursStart = null);
        h.AddCustomer(Harness.Alice);
        await h.Sender.SendAsync(Harness.Coupon(Harness.Alice, "k1"));
        h.Email.Throw = PiiLogAssert.ProviderException;

        var round = await h.DeliverAsync();

        Assert.Equal(1, round.Retried);
        PiiLogAssert.NoPersonalData(h.Logs);
        var pending = Assert.Single(await h.Outbox.ReadAsync(OutboxState.Pending).ToListAsync());
        Assert.StartsWith("channel_fault:InvalidOperationException", pending.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_at_start()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new Harness(configure: o => { o.ShopTimeZone = "Mars/Olympus"; o.CustomerCap = new FrequencyCap(0, TimeSpan.FromDays(1)); }));
        Assert.Contains("ShopTimeZone", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CustomerCap", ex.Message, StringComparison.Ordinal);
    }
}
