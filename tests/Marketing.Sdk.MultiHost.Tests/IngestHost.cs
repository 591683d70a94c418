using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketing.Sdk.MultiHost.Tests;

/// <summary>
/// A host process: <c>dotnet Marketing.Sdk.MultiHost.Tests.dll ingest &lt;schema&gt; &lt;stream file&gt; &lt;from&gt;</c> ingests
/// the stream from line <c>from</c> on into PostgreSQL (<c>MARKETING_SDK_TEST_POSTGRES</c>), in small batches,
/// printing <c>acked N</c> once every line before N is durably stored.
/// </summary>
public static class IngestHost
{
    public const int BatchSize = 4;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "gen")
        {
            await File.WriteAllLinesAsync(args[1], FourHostShopTests.Stream(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))
                .Select(e => System.Text.Json.JsonSerializer.Serialize(e, MarketingJsonContext.Default.MarketingEvent)));
            return 0;
        }
        if (args.Length == 2 && args[0] == "prep")
        {
            await FourHostShopTests.PrepareAsync(args[1]);
            return 0;
        }
        if ((args.Length == 4 && args[0] == "shop") || (args.Length == 2 && args[0] == "drain"))
        {
            return await ShopHost.RunAsync(args);
        }
        if (args.Length != 4 || args[0] != "ingest")
        {
            await Console.Error.WriteLineAsync("usage: ingest <schema> <stream file> <from>");
            return 2;
        }
        var cs = Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES")!;
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.UsePostgreSql(cs, o => o.Schema = args[1]));
        await using var provider = services.BuildServiceProvider();
        var collector = provider.GetRequiredService<IEventCollector>();
        var lines = await File.ReadAllLinesAsync(args[2]);
        var from = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = from; i < lines.Length; i += BatchSize)
        {
            var batch = lines.Skip(i).Take(BatchSize).Select(StreamLine.Parse).ToList();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await collector.TrackBatchAsync(batch);
                    if (result.Rejected > 0)
                    {
                        await Console.Error.WriteLineAsync($"rejected {result.Rejected} at {i}");
                        return 3;
                    }
                    break;
                }
                catch (MarketingStoreException) when (attempt < 20)
                {
                    // A store failure concerns the whole call: the caller retries the batch (duplicates are skipped).
                }
            }
            Console.Out.WriteLine($"acked {Math.Min(i + BatchSize, lines.Length)}");
            Console.Out.Flush();
        }
        return 0;
    }
}

/// <summary>One event per line: <c>id|occurred ticks|kind:value,kind:value</c>.</summary>
public static class StreamLine
{
    public static string Format(MarketingEvent e) =>
        $"{e.Id}|{e.OccurredAt.UtcTicks}|{string.Join(",", e.Identities.Select(i => $"{(int)i.Kind}:{i.Value}"))}";

    public static MarketingEvent Parse(string line)
    {
        var parts = line.Split('|');
        return new MarketingEvent
        {
            Id = parts[0],
            Type = EventType.PageView,
            OccurredAt = new DateTimeOffset(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero),
            Identities = [.. parts[2].Split(',').Select(p => p.Split(':', 2)).Select(kv => new Identity((IdentityKind)int.Parse(kv[0], System.Globalization.CultureInfo.InvariantCulture), kv[1]))],
        };
    }
}
