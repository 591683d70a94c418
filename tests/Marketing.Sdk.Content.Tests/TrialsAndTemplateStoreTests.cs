using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Marketing.Sdk.Content.Trials;
using Marketing.Sdk.Experimentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Marketing.Sdk.Content.Tests;

public sealed class TrialsAndTemplateStoreTests
{
    private static readonly ContentReviewGate Gate = new(AdCopyReviewer.CreateDefault());
    private static readonly SmsProfile Sms = new() { SignName = "某某商城" };

    private static ApprovedContent Approved(string id, string body) =>
        Gate.Review(new ContentVariant(id, new Dictionary<string, string> { ["body"] = body }), Sms).Approve();

    private static readonly ApprovedContent[] Variants =
    [
        Approved("v1", "{{coupon}} 立减 10 元，保温杯今日 89 元。回T退订"),
        Approved("v2", "天冷了，用 {{coupon}} 给自己备只保温杯。回T退订"),
        Approved("v3", "500ml 保温杯，{{coupon}} 再减 10 元。回T退订"),
    ];

    [Fact]
    public async Task Generated_variants_become_a_bandit_whose_simulated_winner_is_promoted()
    {
        var client = new ScriptedChatClient().Variants(
            ScriptedChatClient.Sms("{{coupon}} 立减 10 元，保温杯今日 89 元。回T退订"),
            ScriptedChatClient.Sms("全网最佳保温杯，{{coupon}} 再减。回T退订"),
            ScriptedChatClient.Sms("天冷了，用 {{coupon}} 给自己备只保温杯。回T退订"));
        var generator = new ContentGenerator(client, Gate, new ContentGenerationOptions { MaxRewriteAttempts = 0 });
        var brief = new ContentBrief
        {
            Channel = Sms,
            Language = "zh",
            ProductFacts = new Dictionary<string, string> { ["name"] = "保温杯" },
            Placeholders = ["coupon"],
        };
        var generated = await generator.GenerateAsync(brief);
        Assert.Equal(["v1", "v3"], generated.Approved.Select(a => a.Variant.Id)); // v2's absolute claim never reaches the trial

        var trial = generated.Approved.ToBandit("cup-sms", seed: 42);
        Assert.Equal(["v1", "v3"], trial.Bandit.Arms.Select(a => a.Key));
        var rates = new Dictionary<string, double> { ["v1"] = 0.03, ["v3"] = 0.09 };
        var audience = new Random(7); // the simulated recipients' responses, seeded
        ContentTrialOutcome outcome;
        var sends = 0;
        do
        {
            for (var i = 0; i < 200; i++, sends++)
            {
                var copy = trial.Next();
                trial.Record(copy.Variant.Id, audience.NextDouble() < rates[copy.Variant.Id]);
            }

            outcome = trial.Decide(minimumPlaysPerVariant: 50);
        }
        while (!outcome.Decided && sends < 20_000);

        Assert.Equal("winner", outcome.Decision);
        Assert.Equal("v3", outcome.Winner!.Variant.Id);
        Assert.Contains("'v3' is best with probability", outcome.Reason, StringComparison.Ordinal);
        Assert.True(outcome.Arms.Single(a => a.VariantId == "v3").Plays > outcome.Arms.Single(a => a.VariantId == "v1").Plays);

        var store = new ContentTemplateStore(new InMemoryStateStore());
        var promoted = await store.PromoteAsync("cup_sms", outcome, "zh", ["coupon"]);
        Assert.Equal(1, promoted.Version);
        Assert.StartsWith("promoted from trial 'cup-sms': variant 'v3'", promoted.Reason, StringComparison.Ordinal);
        var rendered = await store.RenderAsync("cup_sms", new Dictionary<string, object?> { ["coupon"] = "券码 A1" });
        Assert.Equal("天冷了，用 券码 A1 给自己备只保温杯。回T退订", rendered.Field("body"));
    }

    [Fact]
    public void Bandit_without_enough_plays_or_evidence_names_no_winner()
    {
        var trial = Variants.ToBandit("t", 1);
        var early = trial.Decide();
        Assert.Equal("not_enough_data", early.Decision);
        Assert.Null(early.Winner);
        foreach (var v in Variants)
        {
            trial.Record(v.Variant.Id, 200, 10);
        }

        var even = trial.Decide();
        Assert.Equal("keep_running", even.Decision);
        Assert.False(even.Decided);
    }

    [Fact]
    public void Experiment_trial_decides_with_the_analyzer_and_its_reason()
    {
        var trial = Variants.ToExperiment("cup-ab", plannedSampleSizePerVariant: 5_000);
        Assert.Equal(["v1", "v2", "v3"], trial.Definition.Variants.Select(v => v.Key));
        Assert.Equal("v1", trial.Definition.Control);
        Assert.Equal(ExperimentDecision.NotEnoughData.ToString(), trial.Decide().Decision);

        trial.Record("v1", 5_000, 150);
        trial.Record("v2", 5_000, 160);
        trial.Record("v3", 5_000, 260);
        var outcome = trial.Decide();
        Assert.Equal(ExperimentDecision.ShipTreatment.ToString(), outcome.Decision);
        Assert.Equal("v3", outcome.Winner!.Variant.Id);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Reason));
        Assert.Equal(260, outcome.Arms.Single(a => a.VariantId == "v3").Successes);
        Assert.Throws<MarketingValidationException>(() => trial.Record("v9", 1, 0));
    }

    [Fact]
    public void Trials_need_two_distinct_variants_of_one_channel()
    {
        Assert.Throws<MarketingValidationException>(() => Variants.Take(1).ToBandit("t", 1));
        Assert.Throws<MarketingValidationException>(() => new[] { Variants[0], Variants[0] }.ToExperiment("t"));
        var push = Gate.Review(new ContentVariant("p", new Dictionary<string, string> { ["title"] = "保温杯", ["body"] = "今日 89 元" }), new PushProfile()).Approve();
        Assert.Throws<MarketingValidationException>(() => new[] { Variants[0], push }.ToBandit("t", 1));
    }

    [Fact]
    public async Task Registration_refuses_an_unknown_placeholder_and_keeps_nothing()
    {
        var state = new InMemoryStateStore();
        var store = new ContentTemplateStore(state);
        var e = await Assert.ThrowsAsync<ContentTemplateException>(async () => await store.RegisterAsync("cup_sms", Variants[0], "zh", ["code"]));
        Assert.Equal("coupon", e.Placeholder);
        Assert.Null(await store.GetActiveAsync("cup_sms"));
        Assert.Null(await state.GetAsync(ContentTemplateStore.Scope, "cup_sms"));
    }

    [Fact]
    public async Task Promotion_replaces_the_active_version_keeps_history_and_can_roll_back()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var state = new InMemoryStateStore();
        var store = new ContentTemplateStore(state, time, history: 2);
        await store.RegisterAsync("cup_sms", Variants[0], "zh", ["coupon"], "hand-written");
        time.Advance(TimeSpan.FromDays(1));
        var trial = Variants.ToExperiment("ab", 100);
        trial.Record("v1", 100, 2);
        trial.Record("v2", 100, 3);
        trial.Record("v3", 100, 30);
        var v2 = await store.PromoteAsync("cup_sms", trial.Decide(), "zh", ["coupon"]);
        Assert.Equal(2, v2.Version);
        Assert.Equal("v3", v2.Copy.Id);
        Assert.Equal(time.GetUtcNow(), v2.CreatedAt);

        // a second store over the same state (another host) sees the promotion
        var other = new ContentTemplateStore(state);
        Assert.Equal(2, (await other.GetActiveAsync("cup_sms"))!.Version);
        Assert.Equal(["hand-written", v2.Reason], (await other.GetHistoryAsync("cup_sms")).Select(v => v.Reason));

        var back = await store.ActivateAsync("cup_sms", 1);
        Assert.Equal("v1", back.Copy.Id);
        Assert.Equal(1, (await other.GetActiveAsync("cup_sms"))!.Version);

        // history is bounded, the active version is always kept
        await store.RegisterAsync("cup_sms", Variants[1], "zh", ["coupon"]);
        Assert.Equal([2, 3], (await store.GetHistoryAsync("cup_sms")).Select(v => v.Version));
        await Assert.ThrowsAsync<ContentTemplateException>(async () => await store.ActivateAsync("cup_sms", 1));
    }

    [Fact]
    public async Task A_template_id_keeps_its_channel_and_a_trial_without_winner_is_not_promoted()
    {
        var store = new ContentTemplateStore(new InMemoryStateStore());
        await store.RegisterAsync("cup", Variants[0], "zh", ["coupon"]);
        var push = Gate.Review(new ContentVariant("p", new Dictionary<string, string> { ["title"] = "保温杯", ["body"] = "今日 89 元" }), new PushProfile()).Approve();
        await Assert.ThrowsAsync<ContentTemplateException>(async () => await store.RegisterAsync("cup", push, "zh", []));
        var undecided = Variants.ToBandit("t", 3).Decide();
        await Assert.ThrowsAsync<ContentException>(async () => await store.PromoteAsync("cup", undecided, "zh", ["coupon"]));
        await Assert.ThrowsAsync<ContentTemplateException>(async () => await store.RenderAsync("missing", new Dictionary<string, object?>()));
    }

    [Fact]
    public async Task Concurrent_promotions_each_get_their_own_version()
    {
        var state = new InMemoryStateStore();
        var stores = Enumerable.Range(0, 4).Select(_ => new ContentTemplateStore(state)).ToArray();
        var versions = await Task.WhenAll(stores.Select((s, i) => s.RegisterAsync("cup_sms", Variants[i % 3], "zh", ["coupon"]).AsTask()));
        Assert.Equal([1, 2, 3, 4], versions.Select(v => v.Version).Order());
        Assert.Equal(4, (await stores[0].GetHistoryAsync("cup_sms")).Count);
    }
}
