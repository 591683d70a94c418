// QuickStart: a synthetic shop goes through the Marketing.Sdk pipeline, step by step.
// Each capability of the SDK adds a step below; run with: dotnet run --project samples/QuickStart -c Release
using System.Diagnostics;
using Marketing.Sdk;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var customers = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 3_000;

// The embedded default store: one SQLite file in the working directory, recreated on each run.
const string DatabaseFile = "marketing.db";
foreach (var file in new[] { DatabaseFile, DatabaseFile + "-wal", DatabaseFile + "-shm" })
{
    File.Delete(file);
}

var services = new ServiceCollection()
    .AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
services.AddMarketingSdk(m => m
    .UseSqlite($"Data Source={DatabaseFile}")
    .ConfigureIngestion(o => o.DefaultPhoneRegion = "CN"));

await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

var shop = new SyntheticShop(new SyntheticShopOptions { Customers = customers });
Console.WriteLine($"Marketing.Sdk QuickStart — synthetic shop: {shop.People.Count:N0} people, {shop.Products.Count} products; store: SQLite ({Path.GetFullPath(DatabaseFile)})");
Console.WriteLine();

// Step 1: ingest every event through the public API.
var ingest = await IngestStep.RunAsync(provider, shop);

// Step 2: look at the unified profiles.
await ProfilesStep.RunAsync(provider, shop, ingest);

internal sealed record IngestReport(int Sent, int Accepted, int Duplicates, int Dropped, int Rejected, int Bots, IReadOnlyDictionary<string, int> RejectedByReason, TimeSpan Elapsed);

internal static class IngestStep
{
    public static async Task<IngestReport> RunAsync(IServiceProvider provider, SyntheticShop shop)
    {
        var collector = provider.GetRequiredService<IEventCollector>();
        var byReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int sent = 0, accepted = 0, duplicates = 0, dropped = 0, rejected = 0, bots = 0;
        var watch = Stopwatch.StartNew();
        foreach (var batch in shop.Events().Chunk(500))
        {
            var result = await collector.TrackBatchAsync(batch);
            sent += batch.Length;
            accepted += result.Accepted;
            duplicates += result.Duplicates;
            dropped += result.Dropped;
            rejected += result.Rejected;
            foreach (var r in result.Results)
            {
                if (r.Error is { } e)
                {
                    var key = $"{e.Reason} ({e.Field})";
                    byReason[key] = byReason.GetValueOrDefault(key) + 1;
                }
                if (r.Flags.HasFlag(EventFlags.SuspectedBot))
                {
                    bots++;
                }
            }
        }
        watch.Stop();
        Console.WriteLine("1. Ingestion");
        Console.WriteLine($"   events sent            {sent,10:N0}   ({sent / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0} events/s)");
        Console.WriteLine($"   accepted               {accepted,10:N0}   of which flagged as bot traffic: {bots:N0}");
        Console.WriteLine($"   duplicates skipped     {duplicates,10:N0}");
        Console.WriteLine($"   dropped by cleaning    {dropped,10:N0}");
        Console.WriteLine($"   rejected as invalid    {rejected,10:N0}");
        foreach (var (reason, count) in byReason)
        {
            Console.WriteLine($"     - {reason,-38} {count,6:N0}");
        }
        Console.WriteLine();
        return new IngestReport(sent, accepted, duplicates, dropped, rejected, bots, byReason, watch.Elapsed);
    }
}

internal static class ProfilesStep
{
    public static async Task RunAsync(IServiceProvider provider, SyntheticShop shop, IngestReport ingest)
    {
        var profiles = provider.GetRequiredService<IProfileStore>();
        var graph = provider.GetRequiredService<IIdentityGraphStore>();
        var profileService = provider.GetRequiredService<IProfileService>();
        var count = await profiles.CountAsync();
        var merges = 0;
        await foreach (var _ in graph.ReadMergesAsync())
        {
            merges++;
        }
        // How many people ended up on exactly one profile (ground truth from the generator)?
        int unified = 0, known = 0;
        foreach (var person in shop.People.Take(500))
        {
            var ids = new HashSet<CustomerId>();
            foreach (var identity in person.Identities.Where(i => i.Kind is IdentityKind.Phone or IdentityKind.MemberId))
            {
                if (await profileService.FindByIdentityAsync(identity) is { } p)
                {
                    ids.Add(p.Id);
                }
            }
            known += ids.Count > 0 ? 1 : 0;
            unified += ids.Count == 1 ? 1 : 0;
        }
        Console.WriteLine("2. Identity resolution");
        Console.WriteLine($"   people in the shop     {shop.People.Count,10:N0}");
        Console.WriteLine($"   unified profiles       {count,10:N0}   (anonymous visitors and bots have profiles of their own)");
        Console.WriteLine($"   profile merges         {merges,10:N0}");
        Console.WriteLine($"   phone and member id on one profile: {unified} of {known} signed-up people checked");
        Console.WriteLine();
    }
}
