// QuickStart: a synthetic shop goes through the Marketing.Sdk pipeline, one numbered step per package.
// Run with: dotnet run --project samples/QuickStart -c Release [-- <customers>]
using System.Diagnostics;
using QuickStart;

var settings = QuickStartSettings.FromArgs(args);
await using var run = await QuickStartContext.CreateAsync(settings, Console.Out);
Console.WriteLine($"Marketing.Sdk QuickStart — synthetic shop: {run.Shop.People.Count:N0} people, {run.Shop.Products.Count} products, "
    + $"{run.ShopOptions.Start:yyyy-MM-dd} + {run.ShopOptions.Days} days; store: SQLite ({run.DatabasePath})");
Console.WriteLine();

var times = new List<TimeSpan>();
async Task Step<T>(Func<QuickStartContext, Task<T>> step)
{
    var started = Stopwatch.GetTimestamp();
    await step(run);
    times.Add(Stopwatch.GetElapsedTime(started));
}

await Step(IngestionStep.RunAsync);        // 1. events in, on the sample clock (stages and journeys run as they arrive)
await Step(ProfilesStep.RunAsync);         // 2. unified profiles, traits from sign-up forms
await Step(SegmentationStep.RunAsync);     // 3. segments, RFM, value layers, lookalikes
await Step(LifecycleStep.RunAsync);        // 4. stages, BG/NBD + Gamma-Gamma CLV, churn risk, journey actions (messages sent by the SDK)
await Step(AttributionStep.RunAsync);      // 5. paths, attribution models, funnel, KPIs, budget proposals
await Step(ExperimentationStep.RunAsync);  // 6. subject-line A/B test and a bandit
await Step(RecommendationsStep.RunAsync);  // 7. top-5 with reasons, similar items, offline SAR vs popularity
await Step(ComplianceStep.RunAsync);       // 8. consent rates, copy review, access and erasure requests, audit chain
await Step(PlatformsStep.RunAsync);        // 9. orders to Meta, Google, TikTok and Tencent Ads (emulators) through the outbox, click ids from landing URLs
await Step(MessagingStep.RunAsync);        // 10. the journeys' messages by WeCom, the OA and SMS (emulators), per channel
await Step(CampaignStep.RunAsync);         // 11. a layered EDM campaign with a holdout, by email over SMTP; lift from the orders after it
await Step(ContentStep.RunAsync);          // 12. SMS copy from a model stand-in, reviewed, bandit-tested, winner promoted to the template

Console.WriteLine($"Done in {times.Sum(t => t.TotalSeconds):0.0} s (steps: {string.Join(", ", times.Select((t, i) => $"{i + 1}: {t.TotalSeconds:0.0} s"))}).");
