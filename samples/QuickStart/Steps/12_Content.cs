using Marketing.Sdk.Compliance.AdCopy;
using Marketing.Sdk.Content.Channels;
using Marketing.Sdk.Content.Generation;
using Marketing.Sdk.Content.Review;
using Marketing.Sdk.Content.Templates;
using Marketing.Sdk.Content.Trials;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.AI;

namespace QuickStart;

/// <summary>What step 12 found.</summary>
/// <param name="Sends">Simulated SMS sends until the bandit decided.</param>
/// <param name="Rendered">The promoted template rendered with the campaign's coupon code.</param>
internal sealed record ContentStepReport(ContentGenerationResult Generated, ContentTrialOutcome Outcome, int Sends, ContentTemplateVersion Promoted, string Rendered);

/// <summary>
/// A LOCAL STAND-IN FOR A REAL MODEL: an <see cref="IChatClient"/> that answers with fixed copy, so the sample runs offline
/// and always prints the same thing. A host registers its provider's client instead (Azure OpenAI, OpenAI, Ollama, …);
/// the generator is the same. The stand-in still receives the real prompts (the structured-output schema, the data blocks)
/// and its answers go through the real parsing, validation, review and rewrite path.
/// </summary>
internal sealed class LocalScriptedCopyModel : IChatClient
{
    public int Requests { get; private set; }

    /// <summary>The win-back SMS variants: one carries an absolute claim (第一) that the review gate must stop.</summary>
    public static readonly string[] Copy =
    [
        "好久不见！回店领券 {{coupon}}，全场满 199 减 30，本周有效。回T退订",
        "您常买的厨房好物上新了，凭 {{coupon}} 下单立减 15%。回T退订",
        "全网销量第一的保温杯回来了，凭 {{coupon}} 立减 15%。回T退订",
        "天冷了，给家里添只保温壶？凭 {{coupon}} 立减 15%，包邮到家。回T退订",
    ];

    /// <summary>The stand-in's rewrite keeps the claim, so the loop gives up at its bound with the last findings.</summary>
    public const string Rewrite = "销量第一的保温杯补货了，凭 {{coupon}} 立减 15%。回T退订";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Requests++;
        var prompt = messages.ToList();
        var rewrite = prompt[^1].Text.StartsWith("Task: rewrite", StringComparison.Ordinal);
        var bodies = rewrite ? [Rewrite] : Copy;
        var json = "{\"variants\":[" + string.Join(",", bodies.Select(b => "{\"fields\":{\"body\":\"" + b + "\"}}")) + "],\"refusal\":null}";
        var input = prompt.Sum(m => m.Text.Length) / 2; // a rough token count, so the usage line has numbers to show
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, json))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = json.Length / 2, TotalTokenCount = input + json.Length / 2 },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The stand-in answers whole responses only.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>
/// Step 12: copy for a win-back SMS to the dormant layer of step 11's campaign. A brief (product facts, the segment's
/// description — never its members —, tone, channel, language) asks the model for four variants as structured output; the
/// review gate (SMS rules and the ad-copy review) rejects the one with an absolute claim, which is sent back once with its
/// findings and given up at the bound; the approved variants become a Thompson-sampling bandit (seeded), simulated
/// recipients (seeded) click until the bandit names a winner with its reason, and the winner is promoted to the channel's
/// template in the run's SQLite state store, versioned.
/// </summary>
internal static class ContentStep
{
    public const string TemplateId = "winback_sms";
    public const string TrialKey = "quickstart-winback-sms";
    public const string Coupon = "BACK15";

    /// <summary>The simulated recipients' true click rates per variant (the stand-in's variants v1, v2 and v4 are approved).</summary>
    public static readonly IReadOnlyDictionary<string, double> TrueClickRates = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["v1"] = 0.020,
        ["v2"] = 0.045,
        ["v4"] = 0.028,
    };

    public static readonly SmsProfile Channel = new() { SignName = "示例商城" };

    public static async Task<ContentStepReport> RunAsync(QuickStartContext run)
    {
        run.Heading(12, "Content (win-back SMS copy from a model stand-in, reviewed, tested by a bandit, winner promoted to the template)");
        var model = new LocalScriptedCopyModel();
        var generator = new ContentGenerator(model, new ContentReviewGate(AdCopyReviewer.CreateDefault()),
            new ContentGenerationOptions { MaxRewriteAttempts = 1, InputPricePer1KTokens = 0.002m, OutputPricePer1KTokens = 0.008m, Currency = "CNY" },
            timeProvider: run.Clock);
        var brief = new ContentBrief
        {
            Channel = Channel,
            Language = "zh-CN",
            ProductFacts = new Dictionary<string, string>
            {
                ["category"] = "厨房用品",
                ["offer"] = "回归券立减 15%，本周有效",
                ["hero_product"] = "真空保温杯 500ml",
            },
            AudienceDescription = "value layer 'dormant': bought before, no order for 60+ days",
            Tone = "warm, brief, no pressure",
            VariantCount = 4,
            Placeholders = ["coupon"],
            Reference = CampaignStep.CampaignId,
        };
        var generated = await generator.GenerateAsync(brief);

        // The approved variants go to a bandit in one call; the simulated recipients answer with a fixed seed.
        var trial = generated.Approved.ToBandit(TrialKey, seed: 2026);
        var recipients = new Random(1212);
        var sends = 0;
        ContentTrialOutcome outcome;
        do
        {
            for (var i = 0; i < 500; i++, sends++)
            {
                var copy = trial.Next();
                trial.Record(copy.Variant.Id, recipients.NextDouble() < TrueClickRates[copy.Variant.Id]);
            }

            outcome = trial.Decide(threshold: 0.95, minimumPlaysPerVariant: 200);
        }
        while (!outcome.Decided && sends < 100_000);

        var table = new Table("variant", "SMS copy", "review", "sends", "clicks", "click rate", "P(best)").Left(1, 2);
        foreach (var v in generated.Variants)
        {
            var arm = outcome.Arms.FirstOrDefault(a => a.VariantId == v.Id);
            var verdict = v.Approved ? "approved" : "rejected: " + string.Join("; ", v.Review.AdCopyFindings.Select(f => $"{f.Finding.Category} '{f.Finding.Term}'")
                .Concat(v.Review.ChannelFindings.Select(f => $"{f.Field} {f.Code}"))) + $" (after {v.Rewrites} rewrite)";
            table.Add(v.Id, v.Review.Variant.Field("body"), verdict, arm?.Plays, arm?.Successes, arm is null ? null : Table.Percent(arm.Rate), arm?.ProbabilityBest is { } p ? Table.Percent(p) : null);
        }

        table.WriteTo(run.Out);
        var usage = generated.Usage;
        run.Line($"model: {model.Requests} requests (1 generation, {generated.Variants.Sum(v => v.Rewrites)} rewrite), {usage.InputTokens:N0} input + {usage.OutputTokens:N0} output tokens, cost {usage.Cost:0.0000} {usage.Currency}");
        run.Line($"bandit '{TrialKey}' (Thompson sampling, seed 2026) after {sends:N0} simulated sends: {outcome.Decision} — {outcome.Reason}");

        var templates = new ContentTemplateStore(run.Get<IStateStore>(), run.Clock);
        var promoted = await templates.PromoteAsync(TemplateId, outcome, brief.Language, brief.Placeholders);
        var rendered = (await templates.RenderAsync(TemplateId, new Dictionary<string, object?> { ["coupon"] = Coupon })).Field("body");
        run.Line($"promoted to template '{TemplateId}' version {promoted.Version} (SQLite state store); rendered with coupon {Coupon}: {rendered}");
        run.Line();
        return new ContentStepReport(generated, outcome, sends, promoted, rendered);
    }
}
