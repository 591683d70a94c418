using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.Benchmarks.Segmentation;

/// <summary>
/// Five segments evaluated from the store against DuckDB over Parquet, each measured in its own process so that the
/// peak working set is that method's alone (BenchmarkDotNet reports allocation, not peak memory):
/// <code>
/// dotnet run -c Release --project tests/Marketing.Sdk.Benchmarks -- store-segments [customers] [sqlite|postgresql]
/// </code>
/// The load phase writes N customers with ≈ 20 events each (seeded) into the SDK store through its own
/// <see cref="IProfileStore"/>/<see cref="IEventStore"/>, and the same rows into DuckDB, written out with DuckDB's own
/// <c>COPY … (FORMAT parquet)</c>. Then, in fresh processes: the SDK building one snapshot for the five segments from
/// the store (<c>StoreSnapshots</c>, counts aggregated in SQL) and evaluating them; the SDK pushing the five rules down
/// as SQL; DuckDB loading the Parquet files into tables and running the same five queries. Every method's member counts
/// must equal the others'. PostgreSQL needs <c>MARKETING_SDK_TEST_POSTGRES</c>.
/// </summary>
internal static class StoreSegmentProfile
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Genders = ["female", "male"];
    private static readonly string[] Regions = ["CN-SH", "CN-BJ", "CN-GD", "CN-ZJ", "CN-JS", "CN-SC", "CN-HB", "CN-FJ"];
    private static readonly string[] Categories = ["maternity", "beauty", "food", "toys"];

    /// <summary>The five segments, in the rule language.</summary>
    internal static readonly string[] Rules =
    [
        "age between 25 and 40 and gender = \"female\" and region in (\"CN-SH\", \"CN-BJ\") and count(product_view where category = \"maternity\") within 7d >= 2 and sum(value of purchase) within 30d > 100",
        "count(purchase) within 30d >= 2",
        "exists(product_view) within 7d and not region = \"CN-SH\"",
        "age >= 50 or tag(\"vip\")",
        "sum(value of purchase) > 500 and gender = \"male\"",
    ];

    public static async Task RunAsync(string[] args)
    {
        var customers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var kind = args.Length > 2 ? args[2] : "sqlite";
        var dir = args.Length > 4 ? args[4] : Path.Combine(Path.GetTempPath(), $"store-segments-{kind}-{customers}");
        var phase = args.Length > 3 ? args[3] : "all";
        switch (phase)
        {
            case "all":
                Directory.CreateDirectory(dir);
                Console.WriteLine($"store-segments: {customers:N0} customers, {kind}, in {dir}");
                foreach (var p in new[] { "load", "sdk-snapshot", "sdk-pushdown", "duckdb" })
                {
                    var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!)
                    {
                        ArgumentList = { "store-segments", customers.ToString(CultureInfo.InvariantCulture), kind, p, dir },
                        UseShellExecute = false,
                    })!;
                    await child.WaitForExitAsync();
                    if (child.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"Phase {p} failed ({child.ExitCode}).");
                    }
                }
                return;
            case "load":
                await LoadAsync(customers, kind, dir);
                return;
            case "sdk-snapshot":
            case "sdk-pushdown":
                await SdkAsync(kind, dir, phase == "sdk-pushdown");
                return;
            default:
                DuckDb(dir);
                return;
        }
    }

    private static ServiceProvider Open(string kind, string dir)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMarketingSdk(m =>
        {
            if (kind == "postgresql")
            {
                m.UsePostgreSql(Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")!, o => o.Schema = "store_segments_bench");
            }
            else
            {
                m.UseSqlite($"Data Source={Path.Combine(dir, "marketing.db")}");
            }
        });
        return services.BuildServiceProvider();
    }

    private static async Task LoadAsync(int customers, string kind, string dir)
    {
        var stopwatch = Stopwatch.StartNew();
        File.Delete(Path.Combine(dir, "marketing.db"));
        await using var provider = Open(kind, dir);
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var profiles = provider.GetRequiredService<IProfileStore>();
        var store = provider.GetRequiredService<IEventStore>();
        var duckFile = Path.Combine(dir, "load.duckdb");
        File.Delete(duckFile);
        using var duck = new DuckDBConnection($"DataSource={duckFile}");
        duck.Open();
        using (var create = duck.CreateCommand())
        {
            create.CommandText =
                "CREATE TABLE profiles (id VARCHAR, age INTEGER, gender VARCHAR, region VARCHAR, vip BOOLEAN);" +
                "CREATE TABLE events (customer_id VARCHAR, type VARCHAR, occurred_at BIGINT, category VARCHAR, value DECIMAL(18, 2));";
            create.ExecuteNonQuery();
        }
        var random = new Random(24);
        var batch = new List<MarketingEvent>(20_000);
        long eventCount = 0;
        using (var duckProfiles = duck.CreateAppender("profiles"))
        using (var duckEvents = duck.CreateAppender("events"))
        {
            for (var i = 0; i < customers; i++)
            {
                var id = $"c{i:D8}";
                var age = random.Next(18, 66);
                var gender = Genders[random.Next(2)];
                var region = Regions[random.Next(Regions.Length)];
                var vip = random.Next(10) == 0;
                await profiles.SaveAsync(new CustomerProfile
                {
                    Id = new CustomerId(id),
                    FirstSeen = Now.AddDays(-60),
                    LastSeen = Now,
                    Traits = new Dictionary<string, PropertyValue> { ["age"] = age, ["gender"] = gender, ["region"] = region },
                    StaticTags = vip ? new HashSet<string> { "vip" } : new HashSet<string>(),
                });
                duckProfiles.CreateRow().AppendValue(id).AppendValue(age).AppendValue(gender).AppendValue(region).AppendValue(vip).EndRow();
                var n = random.Next(0, 41);
                for (var e = 0; e < n; e++)
                {
                    var purchase = random.Next(4) == 0;
                    var at = Now.AddMinutes(-random.Next(0, 60 * 24 * 60));
                    var category = purchase ? "food" : Categories[random.Next(Categories.Length)];
                    decimal? value = purchase ? random.Next(500, 20000) / 100m : null;
                    batch.Add(new MarketingEvent
                    {
                        Id = $"{i}-{e}",
                        Type = purchase ? EventType.Purchase : EventType.ProductView,
                        OccurredAt = at,
                        CustomerId = new CustomerId(id),
                        Value = value is { } v ? new Money(v, "CNY") : null,
                        Properties = new Dictionary<string, PropertyValue> { ["category"] = category },
                    });
                    duckEvents.CreateRow().AppendValue(id).AppendValue(purchase ? "purchase" : "product_view").AppendValue(at.UtcTicks).AppendValue(category).AppendValue(value).EndRow();
                    eventCount++;
                }
                if (batch.Count >= 10_000)
                {
                    await store.AppendAsync(batch);
                    batch.Clear();
                }
            }
        }
        if (batch.Count > 0)
        {
            await store.AppendAsync(batch);
        }
        using (var copy = duck.CreateCommand())
        {
            copy.CommandText =
                $"COPY profiles TO '{Path.Combine(dir, "profiles.parquet")}' (FORMAT parquet);" +
                $"COPY events TO '{Path.Combine(dir, "events.parquet")}' (FORMAT parquet);";
            copy.ExecuteNonQuery();
        }
        duck.Close();
        File.Delete(duckFile);
        Console.WriteLine($"load: {customers:N0} customers, {eventCount:N0} events in {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task SdkAsync(string kind, string dir, bool pushDown)
    {
        await using var provider = Open(kind, dir);
        var store = (IRelationalQueryStore)provider.GetRequiredService<IProfileStore>();
        var compiled = Rules.Select((r, i) => SegmentCompiler.Compile(SegmentDefinition.Parse($"s{i}", r))).ToArray();
        var stopwatch = Stopwatch.StartNew();
        var counts = new long[compiled.Length];
        if (pushDown)
        {
            long undecided = 0;
            for (var i = 0; i < compiled.Length; i++)
            {
                var (members, rest) = (await StoreSnapshots.PushDownAsync(compiled[i], store, Now, CancellationToken.None))!.Value;
                counts[i] = members.Count;
                undecided += rest.Count;
            }
            Report(pushDown ? "sdk push-down" : "sdk snapshot", stopwatch.Elapsed, counts, undecided > 0 ? $" ({undecided} undecided)" : string.Empty);
            return;
        }
        var columns = await StoreSnapshots.BuildAsync(compiled, store, Now, CancellationToken.None);
        var built = stopwatch.Elapsed;
        for (var i = 0; i < compiled.Length; i++)
        {
            counts[i] = SegmentBatchEvaluator.Create(compiled[i]).Evaluate(columns, Now).Count;
        }
        Report("sdk snapshot", stopwatch.Elapsed, counts, $" (build {built.TotalSeconds:F2} s, {columns.Count:N0} rows, {columns.EventCount:N0} event rows)");
    }

    private static void DuckDb(string dir)
    {
        var stopwatch = Stopwatch.StartNew();
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using (var load = duck.CreateCommand())
        {
            load.CommandText =
                $"CREATE TABLE profiles AS SELECT * FROM read_parquet('{Path.Combine(dir, "profiles.parquet")}');" +
                $"CREATE TABLE events AS SELECT * FROM read_parquet('{Path.Combine(dir, "events.parquet")}');";
            load.ExecuteNonQuery();
        }
        var now = Now.UtcTicks;
        var from7 = Now.AddDays(-7).UtcTicks;
        var from30 = Now.AddDays(-30).UtcTicks;
        string[] queries =
        [
            $"""
            WITH views AS (SELECT customer_id AS id FROM events WHERE type = 'product_view' AND category = 'maternity' AND occurred_at BETWEEN {from7} AND {now} GROUP BY 1 HAVING count(*) >= 2),
                 buys AS (SELECT customer_id AS id FROM events WHERE type = 'purchase' AND occurred_at BETWEEN {from30} AND {now} GROUP BY 1 HAVING sum(value) > 100)
            SELECT count(*) FROM profiles p JOIN views USING (id) JOIN buys USING (id)
            WHERE p.age BETWEEN 25 AND 40 AND p.gender = 'female' AND p.region IN ('CN-SH', 'CN-BJ')
            """,
            $"SELECT count(*) FROM profiles p JOIN (SELECT customer_id AS id FROM events WHERE type = 'purchase' AND occurred_at BETWEEN {from30} AND {now} GROUP BY 1 HAVING count(*) >= 2) USING (id)",
            $"SELECT count(*) FROM profiles p WHERE p.region <> 'CN-SH' AND p.id IN (SELECT customer_id FROM events WHERE type = 'product_view' AND occurred_at BETWEEN {from7} AND {now})",
            "SELECT count(*) FROM profiles WHERE age >= 50 OR vip",
            "SELECT count(*) FROM profiles p JOIN (SELECT customer_id AS id FROM events WHERE type = 'purchase' GROUP BY 1 HAVING sum(value) > 500) USING (id) WHERE p.gender = 'male'",
        ];
        var counts = new long[queries.Length];
        for (var i = 0; i < queries.Length; i++)
        {
            using var q = duck.CreateCommand();
            q.CommandText = queries[i];
            counts[i] = Convert.ToInt64(q.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        Report("duckdb (parquet load + 5 queries)", stopwatch.Elapsed, counts, string.Empty);
    }

    private static void Report(string name, TimeSpan elapsed, long[] counts, string note)
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine($"{name}: {elapsed.TotalSeconds:F2} s, peak working set {self.PeakWorkingSet64 / (1024.0 * 1024):F0} MB, members [{string.Join(", ", counts)}]{note}");
    }
}
