using Marketing.Sdk;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Lifecycle.Stages;
using QuickStart;

namespace QuickStart.Tests;

/// <summary>Runs every QuickStart step once, in order, on a 200-customer shop in a temporary directory.</summary>
public sealed class QuickStartRun : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "quickstart-" + Guid.NewGuid().ToString("N"));
    private QuickStartContext? _context;

    public StringWriter Output { get; } = new();

    internal QuickStartContext Context => _context ?? throw new InvalidOperationException("Not started.");

    internal IngestReport Ingest { get; private set; } = null!;

    internal ProfilesReport Profiles { get; private set; } = null!;

    internal SegmentationReport Segmentation { get; private set; } = null!;

    internal LifecycleReport Lifecycle { get; private set; } = null!;

    internal AttributionReport Attribution { get; private set; } = null!;

    internal ExperimentationReport Experimentation { get; private set; } = null!;

    internal RecommendationsReport Recommendations { get; private set; } = null!;

    internal ComplianceReport Compliance { get; private set; } = null!;

    internal PlatformsReport Platforms { get; private set; } = null!;

    internal MessagingReport Messaging { get; private set; } = null!;

    internal CampaignStepReport Campaigns { get; private set; } = null!;

    internal ContentStepReport Content { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _context = await QuickStartContext.CreateAsync(new QuickStartSettings { Customers = 200, DatabaseFile = Path.Combine(_directory, "marketing.db") }, Output);
        Ingest = await IngestionStep.RunAsync(_context);
        Profiles = await ProfilesStep.RunAsync(_context);
        Segmentation = await SegmentationStep.RunAsync(_context);
        Lifecycle = await LifecycleStep.RunAsync(_context);
        Attribution = await AttributionStep.RunAsync(_context);
        Experimentation = await ExperimentationStep.RunAsync(_context);
        Recommendations = await RecommendationsStep.RunAsync(_context);
        Compliance = await ComplianceStep.RunAsync(_context);
        Platforms = await PlatformsStep.RunAsync(_context);
        Messaging = await MessagingStep.RunAsync(_context);
        Campaigns = await CampaignStep.RunAsync(_context);
        Content = await ContentStep.RunAsync(_context);
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp file is harmless.
        }
    }
}

public sealed class QuickStartSmokeTests(QuickStartRun run) : IClassFixture<QuickStartRun>
{
    [Fact]
    public void Output_has_every_step_heading_in_order()
    {
        var text = run.Output.ToString();
        var positions = new[] { "1. Ingestion", "2. Identity resolution", "3. Segmentation", "4. Lifecycle", "5. Attribution", "6. Experimentation", "7. Recommendations", "8. Compliance", "9. Platforms", "10. Messaging", "11. Campaigns", "12. Content" }
            .Select(h => text.IndexOf(h, StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Output_contains_no_identity_values()
    {
        var text = run.Output.ToString();
        foreach (var identity in run.Context.Shop.People.SelectMany(p => p.Identities))
        {
            Assert.DoesNotContain(identity.Value.Trim(), text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.DoesNotMatch(@"[\w.+-]+@[\w-]+\.[\w.]+", text); // nothing that looks like an email address
    }

    [Fact]
    public void Ingestion_accounts_for_every_event_and_runs_journeys()
    {
        var r = run.Ingest;
        Assert.True(r.Sent > 1_000);
        Assert.Equal(r.Sent, r.Accepted + r.Duplicates + r.Dropped + r.Rejected);
        Assert.True(r.Accepted > r.Sent * 0.9);
        Assert.Equal(r.Rejected, r.RejectedByReason.Values.Sum());
        Assert.True(r.JourneyWork > 0);
        Assert.Equal(run.Context.ShopEnd, run.Context.Clock.GetUtcNow());
    }

    [Fact]
    public void Profiles_unify_phone_and_member_id_and_get_traits()
    {
        var r = run.Profiles;
        Assert.True(r.Profiles >= 150);
        Assert.True(r.Known > 0);
        Assert.Equal(r.Known, r.Unified);
        Assert.InRange(r.TraitsSet, 1, r.Profiles);
    }

    [Fact]
    public void Segmentation_reports_sizes_rfm_layers_and_lookalikes()
    {
        var r = run.Segmentation;
        Assert.Equal(SegmentationStep.Segments.Select(s => s.Id).Order(), r.SegmentSizes.Keys.Order());
        Assert.All(r.SegmentSizes.Values, size => Assert.InRange(size, 0, r.ProfilesEvaluated));
        Assert.True(r.SegmentSizes["purchased_last_30d"] > 0);
        // expecting_moms excludes recent buyers by a segment reference.
        Assert.True(r.SegmentSizes["expecting_moms"] <= r.ProfilesEvaluated - r.SegmentSizes["purchased_last_30d"]);
        Assert.True(r.Rfm.Values.Sum() > 0);
        Assert.Equal(r.ProfilesEvaluated, r.Layers.Values.Sum());
        Assert.Equal(r.SegmentSizes["big_spenders"], r.LookalikeSeed);
        Assert.InRange(r.Lookalikes.Count, 0, 100);
        Assert.Equal(r.Lookalikes.OrderByDescending(c => c.Score).Select(c => c.CustomerId), r.Lookalikes.Select(c => c.CustomerId));
        Assert.All(r.Lookalikes, c => Assert.InRange(c.Score, -1.0, 1.0));
    }

    [Fact]
    public void Lifecycle_fits_models_ranks_clv_and_records_journey_actions()
    {
        var r = run.Lifecycle;
        var all = r.Stages.Where(s => s.Cohort == LifecycleReports.AllCohorts).ToList();
        Assert.Equal(run.Profiles.Profiles, all.Sum(s => s.Count));
        Assert.Equal(1.0, all.Sum(s => s.Share), 9);
        foreach (var value in new[] { r.BgNbd.R, r.BgNbd.Alpha, r.BgNbd.A, r.BgNbd.B, r.GammaGamma.P, r.GammaGamma.Q, r.GammaGamma.Gamma })
        {
            Assert.True(double.IsFinite(value) && value > 0);
        }
        Assert.True(r.Buyers > 0);
        Assert.Equal(r.Buyers, r.ChurnBands.Values.Sum());
        Assert.True(r.HoldoutPredicted > 0 && r.HoldoutActual > 0);
        Assert.Equal(Math.Min(5, r.Buyers), r.TopClv.Count);
        Assert.Equal(r.TopClv.OrderByDescending(t => t.Score.LifetimeValue).Select(t => t.Customer), r.TopClv.Select(t => t.Customer));
        Assert.All(r.TopClv, t => Assert.InRange(t.Score.ProbabilityAlive, 0.0, 1.0));
        var coupons = r.JourneyActions.GetValueOrDefault(("cart_abandoned", JourneyActionStatus.Executed));
        Assert.True(coupons > 0);
        Assert.Equal(coupons, r.CartCoupons.Count);
        // Every message is handed to messaging, which decides consent, unsubscribes, caps and quiet hours (step 10):
        // the engine vetoes, caps or defers none of them itself.
        Assert.True(r.JourneyActions.GetValueOrDefault(("recall_7d", JourneyActionStatus.Executed)) > 0);
        Assert.True(r.JourneyActions.GetValueOrDefault(("review_request", JourneyActionStatus.Executed)) > 0);
        Assert.DoesNotContain(r.JourneyActions.Keys, k => k.Status is JourneyActionStatus.Vetoed or JourneyActionStatus.Capped or JourneyActionStatus.NoHandler or JourneyActionStatus.Failed);
    }

    [Fact]
    public async Task Cart_coupons_only_go_to_customers_without_a_purchase_within_the_hour()
    {
        var events = await run.Context.GetEventsAsync();
        // Stored events carry the surviving profile id; journeys keep the id the event had when it arrived.
        var survivor = new Dictionary<CustomerId, CustomerId>();
        await foreach (var merge in run.Context.Get<Marketing.Sdk.Storage.IIdentityGraphStore>().ReadMergesAsync())
        {
            survivor[merge.Merged] = merge.Survivor;
        }
        CustomerId Current(CustomerId id)
        {
            while (survivor.TryGetValue(id, out var next))
            {
                id = next;
            }
            return id;
        }
        var purchases = events.Where(e => e.Type == EventType.Purchase && e.CustomerId is not null)
            .GroupBy(e => e.CustomerId!.Value).ToDictionary(g => g.Key, g => g.Select(e => e.OccurredAt).ToList());
        var carts = events.Where(e => e.Type == EventType.AddToCart && e.CustomerId is not null)
            .GroupBy(e => e.CustomerId!.Value).ToDictionary(g => g.Key, g => g.Select(e => e.OccurredAt).Order().ToList());
        Assert.NotEmpty(run.Lifecycle.CartCoupons);
        foreach (var coupon in run.Lifecycle.CartCoupons)
        {
            // Some cart of this customer before the coupon was not followed by a purchase within an hour.
            var customerCarts = carts.GetValueOrDefault(Current(coupon.CustomerId)) ?? [];
            var bought = purchases.GetValueOrDefault(Current(coupon.CustomerId)) ?? [];
            Assert.Contains(customerCarts, c => c.AddHours(1) <= coupon.At && !bought.Any(p => p >= c && p <= c.AddHours(1)));
        }
    }

    [Fact]
    public void Attribution_models_conserve_conversions_and_budget_rules_explain_themselves()
    {
        var r = run.Attribution;
        Assert.True(r.Paths > 0 && r.Conversions > 0);
        Assert.Equal(8, r.Models.Count);
        foreach (var model in r.Models)
        {
            Assert.Equal(r.Conversions, model.Channels.Sum(c => c.Conversions), 6);
            Assert.All(model.Channels, c => Assert.True(c.Conversions >= -1e-9));
        }
        var steps = r.Funnel.Overall.Steps;
        Assert.Equal(["product_view", "add_to_cart", "begin_checkout", "purchase"], steps.Select(s => s.Name));
        Assert.True(steps[0].Reached > 0);
        for (var i = 1; i < steps.Count; i++)
        {
            Assert.True(steps[i].Reached <= steps[i - 1].Reached);
        }
        Assert.NotEmpty(r.Kpis);
        Assert.All(r.Kpis, k => Assert.True(k.Spend >= 0 && k.Clicks <= k.Impressions));
        Assert.NotEmpty(r.Plan.Proposals);
        Assert.All(r.Plan.Proposals, p => Assert.False(string.IsNullOrWhiteSpace(p.Explanation)));
    }

    [Fact]
    public void Experiment_buckets_everyone_once_and_states_a_decision()
    {
        var r = run.Experimentation;
        Assert.Equal(run.Context.Shop.People.Count, r.Counts.Values.Sum(c => c.Units));
        Assert.Equal(run.Context.Shop.People.Count, r.ExposuresStored);
        Assert.All(r.Counts.Values, c => Assert.InRange(c.Conversions, 0, c.Units));
        // 200 shoppers are far below the planned sample per variant.
        Assert.True(r.PlannedSample.Control > 200);
        Assert.Equal(ExperimentDecision.NotEnoughData, r.Result.Decision);
        Assert.Contains("planned sample", r.Result.Reason, StringComparison.Ordinal);
        Assert.Equal(ExperimentationStep.BanditSends, r.BanditArms.Sum(a => a.Pulls));
    }

    [Fact]
    public void Recommendations_come_with_reasons_and_are_evaluated_offline()
    {
        var r = run.Recommendations;
        Assert.Equal(3, r.ForCustomers.Count);
        var catalogue = run.Context.Shop.Products.Select(p => p.ProductId).ToHashSet();
        foreach (var list in r.ForCustomers)
        {
            Assert.InRange(list.Items.Count, 1, RecommendationsStep.TopN);
            Assert.Equal(Enumerable.Range(1, list.Items.Count), list.Items.Select(i => i.Rank));
            Assert.All(list.Items, i => Assert.Contains(i.ProductId, catalogue));
            Assert.All(list.Items, i => Assert.Contains(i.Reasons, reason => !string.IsNullOrWhiteSpace(reason.Text)));
            Assert.Equal(list.Items.Count, list.Items.Select(i => i.ProductId).Distinct().Count());
        }
        Assert.InRange(r.Similar.Count, 1, RecommendationsStep.TopN);
        Assert.DoesNotContain(r.Similar, s => s.ProductId == r.SimilarTo);
        Assert.Equal(2, r.Evaluation.Count);
        Assert.All(r.Evaluation, e =>
        {
            Assert.True(e.Users > 0 && e.Users <= r.TestUsers);
            Assert.InRange(e.PrecisionAtK, 0.0, 1.0);
            Assert.InRange(e.RecallAtK, 0.0, 1.0);
        });
    }

    [Fact]
    public void Sign_up_forms_record_consent_and_compliance_requests_complete()
    {
        Assert.True(run.Ingest.SignUps > 0);
        Assert.InRange(run.Ingest.ConsentForms, 1, run.Ingest.SignUps);
        var c = run.Compliance;
        Assert.True(c.Rates.Rate(ConsentPurpose.Email) > c.Rates.Rate(ConsentPurpose.AdMeasurement));
        Assert.True(c.Rates.Rate(ConsentPurpose.AdMeasurement) > 0);
        Assert.Equal(2, c.CopyReviews.Count(r => r.Passed));
        Assert.All(c.CopyReviews.Where(r => !r.Passed), r => Assert.Contains(r.Findings, f => f.Severity == Marketing.Sdk.Compliance.AdCopy.AdCopySeverity.High));
        Assert.True(c.Export.Events.Count > 0 && c.ExportBytes > 0);
        Assert.True(c.Erasure.Store.DeletedRows.GetValueOrDefault("events") >= c.Export.Events.Count);
        Assert.True(c.ProfileGoneAfterErasure);
        Assert.True(c.Audit.Intact);
        Assert.True(c.Audit.EntriesChecked > run.Ingest.ConsentForms);
    }

    [Fact]
    public async Task Orders_reach_each_platform_once_and_consent_withholds_the_rest()
    {
        var p = run.Platforms;
        var emu = run.Context.Emulators;
        Assert.True(p.Orders > 0);
        // Ocean Engine's skips (no Douyin callback) are never stored; every other order goes to every platform's outbox.
        Assert.All(p.Published.Skipped, s => Assert.Equal(("ocean_engine.conversions", Marketing.Sdk.Platforms.ConversionSkipReason.NotAttributable), (s.Destination, s.Reason)));
        Assert.Equal(p.Orders * SamplePlatforms.Rows.Length - p.Published.Skipped.Count, p.Published.Enqueued);
        Assert.Equal(["google.conversions", "meta.conversions", "ocean_engine.conversions", "tencent_ads.conversions", "tiktok.conversions"], p.Outcomes.Select(o => o.Destination));
        var rows = run.Output.ToString().Split('\n').Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToList();
        foreach (var o in p.Outcomes)
        {
            Assert.Equal(p.Orders, o.Accepted + o.Withheld + o.NotAttributable + o.Rejected.Values.Sum());
            Assert.True(o.Withheld > 0, $"{o.Destination}: customers without ad consent are withheld");
            // The printed row is the state: accepted, with click id, withheld, not attributable, rejected.
            var row = Assert.Single(rows, r => r[0] == o.Destination);
            Assert.Equal([$"{o.Accepted:N0}", $"{o.WithClickId:N0}", $"{o.Withheld:N0}", $"{o.NotAttributable:N0}", $"{o.Rejected.Values.Sum():N0}"], row[1..6]);
        }
        // What each emulator holds is what the table printed as accepted, each conversion once.
        Assert.Equal(Accepted("meta.conversions"), emu.Meta.AcceptedEvents.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(Accepted("meta.conversions"), emu.Meta.AcceptedEvents.Count);
        Assert.Equal(Accepted("google.conversions"), emu.Google.AcceptedEvents.Select(e => e.TransactionId).Distinct().Count());
        Assert.Equal(Accepted("tiktok.conversions"), emu.TikTok.AcceptedEvents.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(Accepted("tencent_ads.conversions"), emu.TencentAds.AcceptedActions.Select(a => a.OuterActionId).Distinct().Count());
        Assert.Equal(Accepted("ocean_engine.conversions"), emu.OceanEngine.AcceptedConversions.Select(c => (c.Callback, c.EventType, c.Timestamp)).Distinct().Count());
        Assert.Equal(0, emu.OceanEngine.DuplicateConversions);
        Assert.Equal(0, emu.OceanEngine.RejectedConversions);
        Assert.Equal(0, emu.TencentAds.DuplicateActions);
        var google = p.Outcomes.Single(o => o.Destination == "google.conversions");
        var ocean = p.Outcomes.Single(o => o.Destination == "ocean_engine.conversions");
        Assert.True(google.Accepted > 0);
        Assert.True(ocean.NotAttributable > 0, "orders without a Douyin click are not attributable on Ocean Engine");
        Assert.Equal(p.Orders - ocean.NotAttributable, p.Published.Enqueued - (p.Orders * (SamplePlatforms.Rows.Length - 1)));
        // Every platform that takes every order sees the same consenting customers; only the age rules differ. Ocean Engine
        // sees only the orders it can attribute, so it withholds at most as many.
        Assert.All(p.Outcomes.Where(o => o != ocean), o => Assert.Equal(google.Withheld, o.Withheld));
        Assert.InRange(ocean.Withheld, 1, google.Withheld);
        // Buyers who turned off personalised ads after ordering reach no platform.
        Assert.NotEmpty(p.TurnedOffAds);
        var withdrawnOrders = (await run.Context.GetEventsAsync())
            .Where(e => e.Type == EventType.Purchase && e.CustomerId is { } c && p.TurnedOffAds.Contains(c) && e.OccurredAt >= run.Context.ShopEnd - PlatformsStep.UploadWindow)
            .ToList();
        Assert.NotEmpty(withdrawnOrders);
        var withdrawnIds = withdrawnOrders.Select(e => e.Id).ToHashSet();
        Assert.DoesNotContain(emu.Meta.AcceptedEvents, e => withdrawnIds.Contains(e.EventId!));
        Assert.DoesNotContain(emu.TikTok.AcceptedEvents, e => withdrawnIds.Contains(e.EventId!));
        Assert.DoesNotContain(emu.TencentAds.AcceptedActions, a => withdrawnIds.Contains(a.OuterActionId));
        var withdrawnTimes = withdrawnOrders.Select(e => e.OccurredAt.ToUnixTimeMilliseconds()).ToHashSet();
        Assert.DoesNotContain(emu.OceanEngine.AcceptedConversions, c => withdrawnTimes.Contains(c.Timestamp.ToUnixTimeMilliseconds()));

        int Accepted(string destination) => p.Outcomes.Single(o => o.Destination == destination).Accepted;
    }

    [Fact]
    public async Task Conversions_carry_the_click_ids_captured_from_the_buyers_landing_urls()
    {
        var p = run.Platforms;
        var text = run.Output.ToString();
        Assert.InRange(p.Published.ClickIdsFilled, 1, p.Orders);
        Assert.Contains($"filled into {p.Published.ClickIdsFilled:N0} of the {p.Orders:N0} orders", text, StringComparison.Ordinal);
        Assert.All(p.Outcomes, o => Assert.InRange(o.WithClickId, 0, o.Accepted));
        Assert.True(p.Outcomes.Sum(o => o.WithClickId) > 0, "some accepted conversions carry a click id");
        var google = p.Outcomes.Single(o => o.Destination == "google.conversions");
        Assert.True(google.WithClickId > 0, "Google's 90-day window keeps search clicks attributable");

        // Every click id a platform received is one the buyer's own ad click landed with, at or before the order and
        // within the platform's window: nothing is invented, nothing crosses customers.
        var events = await run.Context.GetEventsAsync();
        var orders = events.Where(e => e.Type == EventType.Purchase).ToDictionary(e => e.Id);
        var landings = events.Where(e => e.Type == EventType.AdClick && e.CustomerId is not null)
            .Select(e => (e.CustomerId!.Value, e.OccurredAt, Text: e.Property(EventProperties.Url).AsString() ?? e.Property(EventProperties.LaunchQuery).AsString() ?? ""))
            .ToList();
        void Check(string eventId, string clickId, TimeSpan window)
        {
            var order = orders[eventId];
            Assert.Contains(landings, l => l.Item1 == order.CustomerId && l.Text.Contains(clickId, StringComparison.Ordinal)
                && l.OccurredAt <= order.OccurredAt && order.OccurredAt - l.OccurredAt <= window);
        }
        var emu = run.Context.Emulators;
        foreach (var a in emu.TencentAds.AcceptedActions.Where(a => a.ClickId is not null))
        {
            Assert.StartsWith("wx0", a.ClickId, StringComparison.Ordinal);
            Check(a.OuterActionId, a.ClickId!, TimeSpan.FromDays(7));
        }
        foreach (var g in emu.Google.AcceptedEvents.Where(g => g.Gclid is not null))
        {
            Check(g.TransactionId is { } t ? orders.Values.Single(o => o.Order!.OrderId == t).Id : throw new InvalidOperationException("no transaction id"), g.Gclid!, TimeSpan.FromDays(90));
        }
        foreach (var t in emu.TikTok.AcceptedEvents.Where(t => t.Ttclid is not null))
        {
            Check(t.EventId!, t.Ttclid!, TimeSpan.FromDays(7));
        }
        foreach (var m in emu.Meta.AcceptedEvents.Where(m => m.UserData.ContainsKey("fbc")))
        {
            Check(m.EventId!, m.UserData["fbc"].Split('.')[3], TimeSpan.FromDays(7));
        }
        // Ocean Engine names no order: its conversion is the buyer's order at the same millisecond, and its callback the
        // buyer's own Douyin click, within 7 days before it.
        Assert.True(p.CallbacksRegistered > 0, "the shop's Douyin landing URLs carry callbacks");
        foreach (var c in emu.OceanEngine.AcceptedConversions)
        {
            Assert.Equal("active_pay", c.EventType);
            Assert.StartsWith("EPHk", c.Callback, StringComparison.Ordinal);
            var order = Assert.Single(orders.Values, o => o.OccurredAt.ToUnixTimeMilliseconds() == c.Timestamp.ToUnixTimeMilliseconds()
                && landings.Any(l => l.Item1 == o.CustomerId && l.Text.Contains("clickid=" + c.Callback, StringComparison.Ordinal)));
            Check(order.Id, c.Callback, TimeSpan.FromDays(7));
        }
    }

    [Fact]
    public void A_Tencent_and_an_Ocean_Engine_landing_url_are_shown_with_the_conversion_carrying_their_click_id()
    {
        var p = run.Platforms;
        var text = run.Output.ToString();
        var emu = run.Context.Emulators;
        // Whether a Douyin or WeChat buyer's order falls into the upload window depends on the shop, not on the run:
        // a platform that accepted a conversion with a click id has its trace printed.
        var expected = new List<string>();
        if (emu.TencentAds.AcceptedActions.Any(a => a.ClickId is not null))
        {
            expected.Add("tencent_ads.conversions");
        }
        if (emu.OceanEngine.AcceptedConversions.Count > 0)
        {
            expected.Add("ocean_engine.conversions");
        }
        Assert.Equal(expected, p.Traces.Select(t => t.Destination));
        Assert.NotEmpty(p.Traces);
        foreach (var t in p.Traces)
        {
            Assert.Contains(t.ClickId, t.Landing, StringComparison.Ordinal);
            Assert.Contains($"{t.Destination}: landing {t.Landing}", text, StringComparison.Ordinal);
            Assert.Contains($"→ order {t.OrderEventId} → conversion accepted with", text, StringComparison.Ordinal);
            Assert.Contains($"= {t.ClickId}", text, StringComparison.Ordinal);
        }
        if (p.Traces.SingleOrDefault(t => t.Destination == "tencent_ads.conversions") is { } tencent)
        {
            Assert.Contains(emu.TencentAds.AcceptedActions, a => a.OuterActionId == tencent.OrderEventId && a.ClickId == tencent.ClickId);
        }
        if (p.Traces.SingleOrDefault(t => t.Destination == "ocean_engine.conversions") is { } ocean)
        {
            Assert.Contains(emu.OceanEngine.AcceptedConversions, c => c.Callback == ocean.ClickId);
            Assert.Contains("clickid=" + ocean.ClickId, ocean.Landing, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Messaging_accounts_for_every_message_of_every_channel()
    {
        var m = run.Messaging;
        Assert.Equal(MessagingStep.Channels, m.Channels.Select(c => c.Channel));
        var text = run.Output.ToString();
        var actions = run.Lifecycle.JourneyActions;
        var handedOver = new Dictionary<Channel, int>
        {
            [Channel.WeCom] = actions.GetValueOrDefault(("cart_abandoned", JourneyActionStatus.Executed)),
            [Channel.WeChat] = actions.GetValueOrDefault(("review_request", JourneyActionStatus.Executed)),
            [Channel.Sms] = actions.GetValueOrDefault(("recall_7d", JourneyActionStatus.Executed)),
        };
        foreach (var c in m.Channels)
        {
            // A row per channel, and every decided message in exactly one column.
            Assert.Contains(text.Split('\n'), line => line.TrimStart().StartsWith(c.Channel.Value, StringComparison.Ordinal) && line.Contains($"{c.Decided:N0}", StringComparison.Ordinal));
            Assert.Equal(c.Decided, c.Sent + c.Deferred + c.Suppressed.Values.Sum() + c.Failed.Values.Sum());
            Assert.Equal(handedOver[c.Channel], c.Decided + c.Erased);
            Assert.InRange(c.DeferredWaiting, 0, c.Deferred);
            // What the provider accepted is what the emulator received (plus, at most, messages of the erased customer).
            Assert.True(c.Accepted > 0, $"{c.Channel}: nothing accepted");
            Assert.InRange(c.Delivered, c.Accepted, c.Accepted + c.Erased);
            Assert.Contains("no_consent", c.Suppressed.Keys);
        }
        Assert.Equal(m.Channels.Sum(c => c.Erased), m.Erased);
        Assert.True(m.Channels.Sum(c => c.Deferred) > 0, "quiet hours defer some messages");
        Assert.Contains(m.Channels, c => c.Suppressed.ContainsKey("unsubscribed"));
        Assert.Contains(m.Channels, c => c.Suppressed.ContainsKey("no_address"));
    }

    [Fact]
    public void Emulators_received_each_message_once_and_none_in_quiet_hours()
    {
        var e = run.Context.MessagingEmulators;
        var received = e.WeCom.Delivered.Select(d => d.At).Concat(e.OfficialAccount.SentMessages.Select(s => s.AcceptedAt)).Concat(e.Sms.Messages.Select(s => s.SentAt)).ToList();
        Assert.NotEmpty(e.WeCom.Delivered);
        Assert.NotEmpty(e.OfficialAccount.SentMessages);
        Assert.NotEmpty(e.Sms.Messages);
        // The SDK's message id travels as client_msg_id and as the SMS OutId: no message reached the provider twice.
        Assert.All(e.OfficialAccount.SentMessages, s => Assert.NotNull(s.ClientMsgId));
        Assert.Equal(e.OfficialAccount.SentMessages.Count, e.OfficialAccount.SentMessages.Select(s => s.ClientMsgId).Distinct(StringComparer.Ordinal).Count());
        Assert.All(e.Sms.Messages, s => Assert.NotNull(s.OutId));
        Assert.Equal(e.Sms.Messages.Count, e.Sms.Messages.Select(s => s.OutId).Distinct(StringComparer.Ordinal).Count());
        // The shop's customers are in China (UTC+8); quiet hours are 21:00-08:00 there.
        Assert.All(received, at => Assert.InRange(at.ToOffset(TimeSpan.FromHours(8)).TimeOfDay, TimeSpan.FromHours(8), TimeSpan.FromHours(21) - TimeSpan.FromTicks(1)));
        Assert.All(e.WeCom.Delivered, d => Assert.Contains("CART10", d.Content, StringComparison.Ordinal));
        Assert.All(e.Sms.Messages, s => Assert.Equal("BACK15", s.Parameters["coupon"]));
    }

    [Fact]
    public void Edm_campaign_mails_every_layer_but_the_holdout_once_signed_and_throttled()
    {
        var c = run.Campaigns;
        Assert.True(c.Received > 0, "the SMTP emulator received the campaign");
        Assert.Equal(c.Received, c.DkimVerified);
        Assert.Equal(c.Received, c.OneClickHeaders);
        Assert.Equal(c.Received, c.DistinctMessageIds);
        Assert.Equal(0, c.ReceivedByHoldout);
        Assert.All(c.HandedOverPerHour, n => Assert.InRange(n, 0, c.MaxPerHour));
        Assert.Contains(c.Groups, g => g.Variant is null && g.Members > 0);
        Assert.All(c.Groups.Where(g => g.Variant is null), g => Assert.Equal(0, g.Received));
        Assert.Equal(c.Received, c.Groups.Sum(g => g.Received));
        Assert.Equal(c.Lift.Treatment.Units, c.Groups.Where(g => g.Variant is not null).Sum(g => g.Members));
        Assert.Equal(c.Lift.Holdout.Units, c.Groups.Where(g => g.Variant is null).Sum(g => g.Members));
        Assert.NotNull(c.Lift.Test);
        Assert.Equal(2, c.FeedbackSuppressions.GetValueOrDefault("bounced"));
        Assert.Equal(1, c.FeedbackSuppressions.GetValueOrDefault("complained"));
    }

    [Fact]
    public async Task Content_step_rejects_the_absolute_claim_and_promotes_the_bandits_winner()
    {
        // Independent of the shop's customers: the copy comes from the stand-in model and the recipients are simulated with fixed seeds.
        var c = run.Content;
        Assert.Equal(["v1", "v2", "v4"], c.Generated.Approved.Select(a => a.Variant.Id));
        var rejected = Assert.Single(c.Generated.Rejected);
        Assert.Equal("v3", rejected.Variant.Id);
        Assert.Contains(rejected.AdCopyFindings, f => f.Finding.Term == "第一");
        Assert.Equal(1, c.Generated.Variants.Single(v => v.Id == "v3").Rewrites); // sent back once, given up at the bound
        Assert.Equal(2, c.Generated.Usage.Requests);

        Assert.Equal("winner", c.Outcome.Decision);
        var best = ContentStep.TrueClickRates.MaxBy(r => r.Value).Key;
        Assert.Equal(best, c.Outcome.Winner!.Variant.Id);
        Assert.Equal(c.Sends, c.Outcome.Arms.Sum(a => a.Plays));

        Assert.Equal(best, c.Promoted.Copy.Id);
        var active = await new Marketing.Sdk.Content.Templates.ContentTemplateStore(run.Context.Get<Marketing.Sdk.Storage.IStateStore>()).GetActiveAsync(ContentStep.TemplateId);
        Assert.Equal(c.Promoted.Version, active!.Version);
        Assert.Contains(ContentStep.Coupon, c.Rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", c.Rendered, StringComparison.Ordinal);

        var text = run.Output.ToString();
        Assert.Contains("rejected: ", text, StringComparison.Ordinal);
        Assert.Contains($"promoted to template '{ContentStep.TemplateId}'", text, StringComparison.Ordinal);
    }
}
