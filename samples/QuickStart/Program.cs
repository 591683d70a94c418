// QuickStart: a synthetic shop goes through the Marketing.Sdk pipeline, one numbered step per package.
// Run with: dotnet run --project samples/QuickStart -c Release [-- <customers>]
using System.Diagnostics;
using QuickStart;

var watch = Stopwatch.StartNew();
var settings = QuickStartSettings.FromArgs(args);
await using var run = QuickStartContext.Create(settings, Console.Out);
Console.WriteLine($"Marketing.Sdk QuickStart — synthetic shop: {run.Shop.People.Count:N0} people, {run.Shop.Products.Count} products, "
    + $"{run.ShopOptions.Start:yyyy-MM-dd} + {run.ShopOptions.Days} days; store: SQLite ({run.DatabasePath})");
Console.WriteLine();

await IngestionStep.RunAsync(run);        // 1. events in, on the sample clock (stages and journeys run as they arrive)
await ProfilesStep.RunAsync(run);         // 2. unified profiles, traits from sign-up forms
await SegmentationStep.RunAsync(run);     // 3. segments, RFM, value layers, lookalikes
await LifecycleStep.RunAsync(run);        // 4. stages, BG/NBD + Gamma-Gamma CLV, churn risk, journey actions
await AttributionStep.RunAsync(run);      // 5. paths, attribution models, funnel, KPIs, budget proposals
await ExperimentationStep.RunAsync(run);  // 6. subject-line A/B test and a bandit

Console.WriteLine($"Done in {watch.Elapsed.TotalSeconds:0.0} s.");
