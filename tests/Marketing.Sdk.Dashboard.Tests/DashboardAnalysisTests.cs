using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketing.Sdk.Dashboard.Data;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Messaging;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Dashboard.Tests;

/// <summary>The analysis pages (attribution and ROI, lifecycle, experiments, messages), the overview's anomaly flags and spend KPIs, and the new write actions.</summary>
public sealed class DashboardAnalysisTests
{
    private static readonly DateTimeOffset Now = DashboardHost.Now;

    // ---------------------------------------------------------------- the anomaly rule on constructed series

    [Fact]
    public void A_spike_outside_median_plus_k_mad_of_the_trailing_window_is_flagged_and_ordinary_wobble_is_not()
    {
        double[] series = [10, 12, 9, 11, 10, 13, 10, 11, 12, 40, 10, 11];
        var flagged = RobustAnomaly.Detect(series, window: 7, k: 3);
        var band = Assert.Single(flagged);
        Assert.Equal(9, band.Index);
        // Trailing window of day 9: 11, 10, 13, 10, 11, 12 and 9 → median 11, MAD 1 → band 11 ± 3·1.4826.
        Assert.Equal(11, band.Median);
        Assert.Equal(11 - 3 * RobustAnomaly.MadToSigma, band.Low, 9);
        Assert.Equal(11 + 3 * RobustAnomaly.MadToSigma, band.High, 9);
    }

    [Fact]
    public void One_wild_day_in_the_window_does_not_hide_the_next_one_and_drops_are_flagged_too()
    {
        // The spike at 7 is in the trailing window of day 8: the median and MAD barely move, so the drop on day 8 is still caught.
        double[] series = [20, 21, 19, 20, 22, 20, 21, 200, 2];
        var flagged = RobustAnomaly.Detect(series, window: 7, k: 3);
        Assert.Equal([7, 8], flagged.Select(f => f.Index));
        Assert.True(series[8] < flagged[1].Low);
    }

    [Fact]
    public void Days_without_a_full_trailing_window_are_not_judged_and_a_flat_zero_window_flags_any_activity()
    {
        Assert.Empty(RobustAnomaly.Detect([0, 0, 500], window: 7, k: 3));
        Assert.Equal([7], RobustAnomaly.Detect([0, 0, 0, 0, 0, 0, 0, 1], window: 7, k: 3).Select(f => f.Index));
        Assert.Empty(RobustAnomaly.Detect([0, 0, 0, 0, 0, 0, 0, 0], window: 7, k: 3));
        // A flat non-zero window: the 10 % floor keeps one more order from being "unusual".
        Assert.Empty(RobustAnomaly.Detect([5, 5, 5, 5, 5, 5, 5, 6], window: 7, k: 3));
        // Small counts alternating 2 and 3 (MAD 0): the mean absolute deviation keeps them ordinary, a jump to 9 is not.
        Assert.Empty(RobustAnomaly.Detect([2, 3, 2, 3, 2, 3, 2, 3, 2, 3], window: 7, k: 3));
        Assert.Equal([9], RobustAnomaly.Detect([2, 3, 2, 3, 2, 3, 2, 3, 2, 9], window: 7, k: 3).Select(f => f.Index));
        Assert.Equal(2.5, RobustAnomaly.Median([1, 2, 3, 4]));
    }

    // ---------------------------------------------------------------- overview

    private static async Task SeedDailyOrdersAsync(DashboardHost host, int spikeOrders)
    {
        var events = new List<MarketingEvent>();
        for (var day = 1; day <= 27; day++)
        {
            for (var o = 0; o < 2 + day % 2; o++)
            {
                events.Add(Seed.Event(1 + o, EventType.Purchase, Now.AddDays(-day).AddMinutes(-o), 50m, "social"));
            }
        }
        for (var o = 0; o < spikeOrders; o++)
        {
            events.Add(Seed.Event(1 + o % 3, EventType.Purchase, Now.AddMinutes(-o - 1), 50m, "social"));
        }
        await Seed.EventsAsync(host, [.. events]);
    }

    [Fact]
    public async Task Overview_flags_a_day_far_outside_its_trailing_window_and_says_spend_is_unknown_without_ad_accounts()
    {
        await using var host = await DashboardHost.StartAsync();
        await Seed.ProfilesAsync(host, 3);
        await SeedDailyOrdersAsync(host, spikeOrders: 20);

        var data = await host.GetJsonAsync("overview");
        var anomalies = data.GetProperty("anomalies").EnumerateArray().ToList();
        var orders = Assert.Single(anomalies, a => a.GetProperty("kpi").GetString() == "orders");
        Assert.Equal("2026-11-20", orders.GetProperty("date").GetString());
        Assert.Equal(20, orders.GetProperty("value").GetDouble());
        Assert.Equal("up", orders.GetProperty("direction").GetString());
        Assert.Contains(anomalies, a => a.GetProperty("kpi").GetString() == "revenue");
        // The ordinary days (2 or 3 orders) are not flagged.
        Assert.DoesNotContain(anomalies, a => a.GetProperty("kpi").GetString() == "orders" && a.GetProperty("date").GetString() != "2026-11-20");
        Assert.Equal(7, data.GetProperty("anomalyRule").GetProperty("windowDays").GetInt32());
        var spend = data.GetProperty("spend");
        Assert.False(spend.GetProperty("known").GetBoolean());
        Assert.Equal("no_ad_accounts", spend.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, spend.GetProperty("cpa").ValueKind);
    }

    [Fact]
    public async Task Overview_computes_cpa_cac_roas_and_roi_from_the_platforms_reported_spend()
    {
        await using var host = await DashboardHost.StartAsync(
            configure: o => o.AdAccounts.Add(new DashboardAdAccount { Platform = "meta", AccountId = "1", Channel = "social" }),
            services: s => s.AddKeyedSingleton<IAdReporting>("meta", new FakeReporting(Now, dailySpend: 10m)));
        await Seed.ProfilesAsync(host, 3);
        await Seed.EventsAsync(host,
            Seed.Event(1, EventType.Purchase, Now.AddDays(-1), 300m, "social"),
            Seed.Event(2, EventType.Purchase, Now.AddDays(-2), 100m, "social"),
            Seed.Event(2, EventType.Purchase, Now.AddDays(-20), 100m, "social"));

        var spend = (await host.GetJsonAsync("overview")).GetProperty("spend");
        Assert.True(spend.GetProperty("known").GetBoolean());
        // 14 days × 10 CNY reported; 2 orders of 400 in total; one buyer is new (the other bought in the previous period).
        Assert.Equal(140m, spend.GetProperty("spend").GetDecimal());
        Assert.Equal("CNY", spend.GetProperty("currency").GetString());
        Assert.Equal(70m, spend.GetProperty("cpa").GetDecimal());
        Assert.Equal(1, spend.GetProperty("newCustomers").GetInt64());
        Assert.Equal(140m, spend.GetProperty("cac").GetDecimal());
        Assert.Equal(400.0 / 140, spend.GetProperty("roas").GetDouble(), 9);
        Assert.Equal(260.0 / 140, spend.GetProperty("roi").GetDouble(), 9);
    }

    // ---------------------------------------------------------------- attribution

    private static async Task SeedJourneysAsync(DashboardHost host)
    {
        var events = new List<MarketingEvent>();
        for (var c = 1; c <= 12; c++)
        {
            var start = Now.AddDays(-10).AddHours(c);
            events.Add(Seed.Event(c, EventType.PageView, start, channel: c % 2 == 0 ? "social" : "search"));
            events.Add(Seed.Event(c, EventType.PageView, start.AddHours(2), channel: c % 3 == 0 ? "email" : "social"));
            if (c <= 8)
            {
                events.Add(Seed.Event(c, EventType.Purchase, start.AddHours(3), 100m, c % 3 == 0 ? "email" : "social"));
            }
        }
        await Seed.EventsAsync(host, [.. events]);
    }

    [Fact]
    public async Task Attribution_compares_the_models_per_channel_and_says_spend_is_unknown_without_reporting()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m => m.AddAttribution());
        await Seed.ProfilesAsync(host, 12);
        await SeedJourneysAsync(host);

        var data = await host.GetJsonAsync("attribution");
        Assert.True(data.GetProperty("available").GetBoolean());
        var channels = data.GetProperty("channels").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["email", "search", "social"], channels);
        var models = data.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("model").GetString()!);
        Assert.Contains("first_touch", models.Keys);
        Assert.Contains("last_touch", models.Keys);
        Assert.Contains("linear", models.Keys);
        Assert.Contains(models.Keys, k => k.StartsWith("markov", StringComparison.Ordinal));
        Assert.Contains(models.Keys, k => k.StartsWith("shapley", StringComparison.Ordinal));
        foreach (var model in models.Values)
        {
            Assert.Equal(8, model.GetProperty("conversions").EnumerateArray().Sum(v => v.GetDouble()), 2); // credits are rounded to 4 places
        }
        // First touch credits search for the odd customers who bought (1, 3, 5, 7): 4 conversions.
        Assert.Equal(4, models["first_touch"].GetProperty("conversions")[channels.IndexOf("search")].GetDouble(), 6);
        Assert.False(data.GetProperty("spend").GetProperty("known").GetBoolean());
        Assert.Equal("no_ad_accounts", data.GetProperty("spend").GetProperty("reason").GetString());
        Assert.Empty(data.GetProperty("channelRoi").EnumerateArray());
        Assert.Empty(data.GetProperty("proposals").EnumerateArray());
    }

    [Fact]
    public async Task Channel_roi_uses_the_reported_spend_and_the_budget_rules_propose_changes()
    {
        await using var host = await DashboardHost.StartAsync(
            marketing: m => m.AddAttribution(),
            configure: o => o.AdAccounts.Add(new DashboardAdAccount { Platform = "meta", AccountId = "1", Channel = "social" }),
            services: s => s.AddKeyedSingleton<IAdReporting>("meta", new FakeReporting(Now, dailySpend: 100m)));
        await Seed.ProfilesAsync(host, 12);
        await SeedJourneysAsync(host);

        var data = await host.GetJsonAsync("attribution");
        var spend = data.GetProperty("spend");
        Assert.True(spend.GetProperty("known").GetBoolean());
        Assert.Equal(3000m, spend.GetProperty("total").GetDecimal()); // 30 days × 100
        Assert.Equal("linear", data.GetProperty("roiModel").GetString());
        var social = Assert.Single(data.GetProperty("channelRoi").EnumerateArray());
        Assert.Equal("social", social.GetProperty("channel").GetString());
        Assert.Equal(3000m, social.GetProperty("spend").GetDecimal());
        Assert.True(social.GetProperty("roas").GetDouble() < 1.5);
        // ROAS far below the 1.5 floor: the ROI floor rule proposes a cut for the campaign.
        var proposals = data.GetProperty("proposals").EnumerateArray().ToList();
        Assert.Contains(proposals, p => p.GetProperty("rule").GetString() == "roi_floor" && p.GetProperty("channel").GetString() == "social");
    }

    // ---------------------------------------------------------------- lifecycle, CLV, churn, journeys

    private static void Journeys(Lifecycle.LifecycleOptions o)
    {
        o.Journeys.RunScheduler = false;
        o.Journeys.Add("cart_abandoned", j => j.OnEvent(EventType.AddToCart).ExitOn(EventType.Purchase).Wait(TimeSpan.FromHours(1)).IssueCoupon("CART10"));
    }

    private static async Task SeedPurchaseHistoryAsync(DashboardHost host)
    {
        var events = new List<MarketingEvent>();
        for (var c = 1; c <= 24; c++)
        {
            var first = Now.AddDays(-200 + 3 * c);
            var gap = 14 + c % 5 * 9;
            var repeats = c % 4 == 0 ? 0 : 1 + c % 5;
            for (var k = 0; k <= repeats; k++)
            {
                var at = first.AddDays(k * gap);
                if (at < Now)
                {
                    events.Add(Seed.Event(c, EventType.Purchase, at, 40m + 7 * (c % 6) + k));
                }
            }
        }
        await Seed.EventsAsync(host, [.. events]);
    }

    [Fact]
    public async Task Lifecycle_shows_stages_clv_bands_churn_bands_and_journeys()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m => m.AddLifecycle(Journeys));
        await Seed.ProfilesAsync(host, 24);
        await SeedPurchaseHistoryAsync(host);
        var collector = host.Get<Ingestion.IEventCollector>();
        foreach (var (member, type) in new[] { (1, EventType.ProductView), (2, EventType.AddToCart), (3, EventType.Purchase) })
        {
            await collector.TrackAsync(new MarketingEvent { Id = $"live-{member}", Type = type, OccurredAt = Now, Identities = [Identity.Member($"member-{member}")], Value = type == EventType.Purchase ? new Money(10m, "CNY") : null });
        }

        var data = await host.GetJsonAsync("lifecycle");
        Assert.True(data.GetProperty("available").GetBoolean());
        var stages = data.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("count").GetInt64());
        Assert.Equal(["awareness", "interest", "purchase", "repurchase", "advocacy"], stages.Keys.Take(5));
        Assert.Equal(3, data.GetProperty("stagedCustomers").GetInt64());
        var clv = data.GetProperty("clv");
        Assert.True(clv.GetProperty("fitted").GetBoolean(), clv.ToString());
        Assert.Equal("CNY", clv.GetProperty("currency").GetString());
        var customers = clv.GetProperty("customers").GetInt64();
        Assert.True(customers >= 20, customers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(customers, clv.GetProperty("bands").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
        Assert.True(clv.GetProperty("mean").GetDouble() > 0);
        Assert.Equal(customers, data.GetProperty("churnBands").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
        Assert.Equal(["Low", "Medium", "High", "Critical"], data.GetProperty("churnBands").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        var journey = Assert.Single(data.GetProperty("journeys").EnumerateArray());
        Assert.Equal("cart_abandoned", journey.GetProperty("id").GetString());
        Assert.Equal("event", journey.GetProperty("trigger").GetString());
        Assert.False(journey.GetProperty("paused").GetBoolean());
        Assert.Equal(1, journey.GetProperty("active").GetInt64());
        Assert.False(data.GetProperty("canWrite").GetBoolean());
        Assert.True((await host.GetJsonAsync("lifecycle", "admin")).GetProperty("canWrite").GetBoolean());
    }

    [Fact]
    public async Task Clv_says_when_the_history_is_too_short_to_fit()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m => m.AddLifecycle(Journeys));
        await Seed.EventsAsync(host, Seed.Event(1, EventType.Purchase, Now.AddHours(-1), 10m));
        var clv = (await host.GetJsonAsync("lifecycle")).GetProperty("clv");
        Assert.False(clv.GetProperty("fitted").GetBoolean());
        Assert.Equal("not_enough_history", clv.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_writer_pauses_and_resumes_a_journey_and_a_viewer_cannot()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m => m.AddLifecycle(Journeys));
        var engine = host.Get<JourneyEngine>();
        using var viewer = host.Client("viewer");
        using (var refused = await viewer.PostAsync("/dash/api/lifecycle/journeys/cart_abandoned/pause", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using var admin = host.Client("admin");
        using (var noToken = await admin.PostAsync("/dash/api/lifecycle/journeys/cart_abandoned/pause", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }
        Assert.False(await engine.IsPausedAsync("cart_abandoned"));

        var (token, cookie) = await DashboardHost.ReadTokenAsync(admin, "/dash/lifecycle");
        Assert.NotNull(token);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(admin, "/dash/api/lifecycle/journeys/cart_abandoned/pause", token!, cookie!));
        Assert.True(await engine.IsPausedAsync("cart_abandoned"));
        Assert.True((await host.GetJsonAsync("lifecycle")).GetProperty("journeys")[0].GetProperty("paused").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(admin, "/dash/api/lifecycle/journeys/no_such_journey/pause", token!, cookie!));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(admin, "/dash/api/lifecycle/journeys/cart_abandoned/resume", token!, cookie!));
        Assert.False(await engine.IsPausedAsync("cart_abandoned"));
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string path, string token, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    // ---------------------------------------------------------------- delivery: discard

    [Fact]
    public async Task A_writer_discards_a_failed_dead_letter_but_never_a_withheld_one_and_a_viewer_cannot()
    {
        await using var host = await DashboardHost.StartAsync();
        var outbox = host.Get<IOutboxStore>();
        await outbox.EnqueueAsync([Seed.Message("meta.conversions", "a", 1), Seed.Message("meta.conversions", "b", 2)]);
        var claimed = await outbox.ClaimAsync("w", 10, TimeSpan.FromMinutes(1));
        Assert.True(await outbox.DeadLetterAsync(claimed[0].Id, claimed[0].LeaseToken, "rejected: invalid"));
        Assert.True(await outbox.DeadLetterAsync(claimed[1].Id, claimed[1].LeaseToken, "consent_withheld: denied (ad_measurement)"));

        using var viewer = host.Client("viewer");
        using (var refused = await viewer.PostAsync($"/dash/api/delivery/dead-letters/{claimed[0].Id}/discard", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using var admin = host.Client("admin");
        var (token, cookie) = await DashboardHost.ReadTokenAsync(admin);
        using (var noToken = await admin.PostAsync($"/dash/api/delivery/dead-letters/{claimed[0].Id}/discard", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(admin, $"/dash/api/delivery/dead-letters/{claimed[1].Id}/discard", token!, cookie!));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(admin, $"/dash/api/delivery/dead-letters/{claimed[0].Id}/discard", token!, cookie!));
        Assert.Null(await outbox.GetAsync(claimed[0].Id));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(admin, $"/dash/api/delivery/dead-letters/{claimed[0].Id}/discard", token!, cookie!));
        Assert.Equal(OutboxState.DeadLettered, (await outbox.GetAsync(claimed[1].Id))!.State);
        var data = await host.GetJsonAsync("delivery");
        Assert.Empty(data.GetProperty("deadLetters").EnumerateArray());
        Assert.Equal(1, data.GetProperty("totals").GetProperty("withheld").GetInt64());
    }

    [Fact]
    public async Task Read_only_maps_neither_discard_nor_pause()
    {
        await using var host = await DashboardHost.StartAsync(writePolicy: null, marketing: m => m.AddLifecycle(Journeys));
        using var admin = host.Client("admin");
        using var discard = await admin.PostAsync("/dash/api/delivery/dead-letters/1/discard", null);
        Assert.True(discard.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, discard.StatusCode.ToString());
        using var pause = await admin.PostAsync("/dash/api/lifecycle/journeys/cart_abandoned/pause", null);
        Assert.True(pause.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, pause.StatusCode.ToString());
        Assert.False((await host.GetJsonAsync("lifecycle", "admin")).GetProperty("canWrite").GetBoolean());
    }

    // ---------------------------------------------------------------- experiments

    [Fact]
    public async Task Experiments_count_exposed_units_and_their_later_purchases_per_variant_with_the_decision()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m => m.AddExperimentation(o => o.Experiments.Add(new ExperimentDefinition
        {
            Key = "checkout_button",
            Variants = [new() { Key = "blue" }, new() { Key = "green" }],
            ControlVariant = "blue",
        })));
        await Seed.ProfilesAsync(host, 40);
        var events = new List<MarketingEvent>();
        for (var c = 1; c <= 40; c++)
        {
            var variant = c % 2 == 0 ? "green" : "blue";
            var at = Now.AddDays(-5).AddMinutes(c);
            events.Add(Exposure(c, variant, at));
            events.Add(Exposure(c, variant, at.AddHours(1))); // a second exposure counts once
            // Green buys more: 15 of 20; blue 5 of 20. Customer 1 bought before the exposure only (not a conversion).
            if ((variant == "green" && c <= 30) || (variant == "blue" && c is > 1 and <= 10))
            {
                events.Add(Seed.Event(c, EventType.Purchase, at.AddHours(2), 10m));
            }
        }
        events.Add(Seed.Event(1, EventType.Purchase, Now.AddDays(-6), 10m));
        await Seed.EventsAsync(host, [.. events]);

        var data = await host.GetJsonAsync("experiments");
        Assert.True(data.GetProperty("available").GetBoolean());
        var experiment = Assert.Single(data.GetProperty("experiments").EnumerateArray());
        Assert.Equal("checkout_button", experiment.GetProperty("key").GetString());
        Assert.Equal("blue", experiment.GetProperty("control").GetString());
        var variants = experiment.GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("variant").GetString()!);
        Assert.Equal(20, variants["blue"].GetProperty("units").GetInt64());
        Assert.Equal(20, variants["green"].GetProperty("units").GetInt64());
        Assert.Equal(4, variants["blue"].GetProperty("conversions").GetInt64());
        Assert.Equal(15, variants["green"].GetProperty("conversions").GetInt64());
        Assert.Equal("ShipTreatment", experiment.GetProperty("decision").GetString());
        Assert.Equal("green", experiment.GetProperty("winner").GetString());
        Assert.True(variants["green"].GetProperty("significant").GetBoolean());
    }

    [Fact]
    public async Task Pages_of_packages_the_host_did_not_add_say_so()
    {
        await using var host = await DashboardHost.StartAsync();
        Assert.False((await host.GetJsonAsync("experiments")).GetProperty("available").GetBoolean());
        Assert.False((await host.GetJsonAsync("messages")).GetProperty("available").GetBoolean());
        Assert.False((await host.GetJsonAsync("lifecycle")).GetProperty("available").GetBoolean());
        Assert.False((await host.GetJsonAsync("attribution")).GetProperty("available").GetBoolean());
    }

    private static MarketingEvent Exposure(int customer, string variant, DateTimeOffset at) => new()
    {
        Id = $"exp-{customer}-{at.UtcTicks}",
        Type = new EventType(ExperimentEventProperties.ExposureEventType),
        OccurredAt = at,
        CustomerId = Seed.Customer(customer),
        Properties = new Dictionary<string, PropertyValue>
        {
            [ExperimentEventProperties.ExperimentKey] = "checkout_button",
            [ExperimentEventProperties.Variant] = variant,
        },
    };

    // ---------------------------------------------------------------- messages

    [Fact]
    public async Task Messages_count_decisions_per_channel_and_suppressions_by_reason()
    {
        await using var host = await DashboardHost.StartAsync(marketing: m =>
        {
            m.AddLifecycle(o => o.Journeys.RunScheduler = false);
            m.AddMessaging(o =>
            {
                o.Delivery.RunInBackground = false;
                o.QuietHoursStart = null;
                o.ConsentPurposes[InboxChannel.InApp] = ConsentPurpose.PrivateDomainMessaging;
                o.AddTemplate(new MessageTemplate { Id = "thanks", Channel = InApp });
                o.AddTemplate(new MessageTemplate { Id = "shipped", Channel = InApp, DefaultPurpose = MessagePurpose.Transactional });
            });
            m.Services.AddSingleton<IMessageChannel>(new InboxChannel());
        });
        await Seed.ProfilesAsync(host, 2);
        var sender = host.Get<IMessageSender>();
        Assert.Equal(MessageSendStatus.Sent, (await sender.SendAsync(new MessageRequest { CustomerId = Seed.Customer(1), Channel = InApp, TemplateId = "shipped", IdempotencyKey = "k1" })).Status);
        Assert.Equal(MessageSkipReason.NoConsent, (await sender.SendAsync(new MessageRequest { CustomerId = Seed.Customer(1), Channel = InApp, TemplateId = "thanks", IdempotencyKey = "k2" })).Reason);
        Assert.Equal(MessageSkipReason.NoAddress, (await sender.SendAsync(new MessageRequest { CustomerId = Seed.Customer(9), Channel = InApp, TemplateId = "shipped", IdempotencyKey = "k3" })).Reason);

        var data = await host.GetJsonAsync("messages");
        Assert.True(data.GetProperty("available").GetBoolean());
        Assert.Equal(3, data.GetProperty("records").GetInt64());
        var channel = Assert.Single(data.GetProperty("channels").EnumerateArray());
        Assert.Equal("in_app", channel.GetProperty("channel").GetString());
        Assert.Equal(1, channel.GetProperty("sent").GetInt64());
        Assert.Equal(2, channel.GetProperty("suppressed").GetInt64());
        var reasons = data.GetProperty("reasons").EnumerateArray().Select(r => (r.GetProperty("reason").GetString(), r.GetProperty("status").GetString(), r.GetProperty("count").GetInt64())).Order().ToList();
        Assert.Equal([("NoAddress", "Suppressed", 1L), ("NoConsent", "Suppressed", 1L)], reasons);
    }

    private static readonly Channel InApp = InboxChannel.InApp;

    private sealed class InboxChannel : IMessageChannel
    {
        public static readonly Channel InApp = new("in_app");
        public Channel Name => InApp;
        public MessageChannelCapabilities Capabilities => MessageChannelCapabilities.None;
        public MessageTemplateRules TemplateRules { get; } = new();
        public IReadOnlyList<IdentityKind> AddressKinds { get; } = [IdentityKind.MemberId];
        public int MaxBatchSize => 10;

        public ValueTask<IReadOnlyList<RecipientResult>> SendAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<RecipientResult>>([.. messages.Select((_, i) => RecipientResult.Accepted(i))]);
    }

    /// <summary>A platform's reporting that reports one campaign spending <c>dailySpend</c> CNY on every day asked for.</summary>
    private sealed class FakeReporting(DateTimeOffset now, decimal dailySpend) : IAdReporting
    {
        public Channel Platform { get; } = new("meta");

        public async IAsyncEnumerable<AdReportRow> GetReportAsync(AdReportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            for (var day = query.From; day <= query.To && day <= today; day = day.AddDays(1))
            {
                yield return new AdReportRow { Platform = Platform, Date = day, CampaignId = "cmp-1", Spend = new Money(dailySpend, "CNY"), Impressions = 1000, Clicks = 50 };
            }
        }
    }
}
