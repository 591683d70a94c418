using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Marketing.Sdk.Storage;
using Npgsql;
using Xunit.Abstractions;

namespace Marketing.Sdk.MultiHost.Tests;

/// <summary>
/// Four shop backend processes on one PostgreSQL database ingest one shuffled stream of the synthetic shop with
/// real-time segments, stage tracking and journeys (actions through the outbox) on, while one of them is killed
/// (SIGKILL) mid-stream and restarted on the rest of its share; a single process ingests the same stream into
/// another schema. Verdicts by the final rows of both.
/// </summary>
public sealed class FourHostShopTests(ITestOutputHelper output)
{
    /// <summary>Stream size: <c>MARKETING_MULTIHOST_EVENTS</c>, else a size that keeps CI on 2 cores within minutes.</summary>
    private const int DefaultEvents = 2_000;

    private static int EventCount() =>
        int.TryParse(Environment.GetEnvironmentVariable("MARKETING_MULTIHOST_EVENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultEvents;

    internal static List<MarketingEvent> Stream(int count)
    {
        var shop = new SyntheticShop(new SyntheticShopOptions { Customers = Math.Max(20, count / 30), InvalidRate = 0, BotSessions = 0, SharedDevices = 0 });
        var events = shop.Events().Take(count).ToList();
        var random = new Random(20261205);
        return [.. events.OrderBy(_ => random.Next())];
    }

    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _killAt;

        public Child(IEnumerable<string> args, int killAt = int.MaxValue)
        {
            _killAt = killAt;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Marketing.Sdk.MultiHost.Tests.dll"));
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }
            start.Environment["MARKETING_SDK_TEST_POSTGRES"] = Postgres.ConnectionString();
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith("acked ", StringComparison.Ordinal))
                {
                    var n = int.Parse(line["acked ".Length..], CultureInfo.InvariantCulture);
                    Acked = Math.Max(Acked, n);
                    if (n >= _killAt)
                    {
                        _reached.TrySetResult();
                    }
                }
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (Errors)
                    {
                        Errors.Add(line);
                    }
                }
            };
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Acked { get; private set; }

        public List<string> Errors { get; } = [];

        /// <summary>SIGKILLs the process once it has acknowledged the kill line (or it ended first).</summary>
        public async Task KillWhenReachedAsync()
        {
            await Task.WhenAny(_reached.Task, _process.WaitForExitAsync()).WaitAsync(TimeSpan.FromMinutes(15));
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }

        public async Task<int> ExitAsync()
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(20));
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose() => _process.Dispose();
    }

    private async Task<int> ExitAsync(Child child, string what)
    {
        var code = await child.ExitAsync();
        if (code != 0)
        {
            lock (child.Errors)
            {
                output.WriteLine($"{what} exited {code}: {string.Join(Environment.NewLine, child.Errors.TakeLast(40))}");
            }
        }
        return code;
    }

    internal static async Task PrepareAsync(string schema)
    {
        var cs = Postgres.ConnectionString();
        var services = new ServiceCollection();
        ShopHost.Configure(services, cs, schema);
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
            var segments = provider.GetRequiredService<Segmentation.ISegmentService>();
            foreach (var (id, rule) in ShopHost.Segments)
            {
                await segments.DefineAsync(Segmentation.SegmentDefinition.Parse(id, rule));
            }
        }
        await Postgres.ExecuteAsync($"""
            CREATE TABLE "{schema}".rec_changes (change_id text PRIMARY KEY, segment text NOT NULL, customer text NOT NULL, entered boolean NOT NULL, at_ticks bigint NOT NULL, deliveries int NOT NULL);
            CREATE TABLE "{schema}".rec_stage_changes (seq bigserial PRIMARY KEY, segment text NOT NULL, customer text NOT NULL, entered boolean NOT NULL);
            CREATE TABLE "{schema}".rec_deliveries (seq bigserial PRIMARY KEY, idempotency_key text NOT NULL, message_id bigint NOT NULL, attempt int NOT NULL);
            """);
    }

    [SkippableFact]
    public async Task Four_hosts_one_killed_mid_stream_end_where_one_host_ends_and_publish_and_deliver_everything_once()
    {
        Postgres.ConnectionString();
        var count = EventCount();
        var stream = Stream(count);
        var multi = "mh4_" + Guid.NewGuid().ToString("N")[..16];
        var single = "mh1_" + Guid.NewGuid().ToString("N")[..16];
        var dir = Path.Combine(Path.GetTempPath(), multi);
        Directory.CreateDirectory(dir);
        try
        {
            var lines = stream.Select(e => JsonSerializer.Serialize(e, MarketingJsonContext.Default.MarketingEvent)).ToList();
            var files = new string[4];
            for (var h = 0; h < 4; h++)
            {
                files[h] = Path.Combine(dir, $"host{h}.jsonl");
                await File.WriteAllLinesAsync(files[h], lines.Where((_, i) => i % 4 == h));
            }
            var whole = Path.Combine(dir, "all.jsonl");
            await File.WriteAllLinesAsync(whole, lines);
            await PrepareAsync(multi);
            await PrepareAsync(single);

            // Four hosts; host 0 is SIGKILLed a third into its share and restarted where its acknowledgements end.
            var clock = Stopwatch.StartNew();
            var share = (lines.Count + 3) / 4;
            var others = Enumerable.Range(1, 3).Select(h => new Child(["shop", multi, files[h], "0"])).ToList();
            int acked;
            using (var doomed = new Child(["shop", multi, files[0], "0"], killAt: share / 3))
            {
                await doomed.KillWhenReachedAsync();
                acked = doomed.Acked;
            }
            Assert.True(acked < share, "The host finished before it could be killed.");
            using var restarted = new Child(["shop", multi, files[0], acked.ToString(CultureInfo.InvariantCulture)]);
            Assert.Equal(0, await ExitAsync(restarted, "restarted host"));
            foreach (var o in others)
            {
                Assert.Equal(0, await ExitAsync(o, "host"));
                o.Dispose();
            }
            var ingest = clock.Elapsed;
            using (var drain = new Child(["drain", multi]))
            {
                Assert.Equal(0, await ExitAsync(drain, "drain"));
            }
            output.WriteLine($"{lines.Count} events, 4 hosts (one killed at {acked} of {share}): ingest {ingest.TotalSeconds:F1} s ({lines.Count / ingest.TotalSeconds:F0} events/s), drained at {clock.Elapsed.TotalSeconds:F1} s");

            clock.Restart();
            using (var alone = new Child(["shop", single, whole, "0"]))
            {
                Assert.Equal(0, await ExitAsync(alone, "single host"));
            }
            using (var drain = new Child(["drain", single]))
            {
                Assert.Equal(0, await ExitAsync(drain, "drain"));
            }
            output.WriteLine($"single host: {clock.Elapsed.TotalSeconds:F1} s");

            await AssertSameProfilesAsync(multi, single);
            await AssertConsistentRowsAsync(multi);
            await AssertEveryChangePublishedOnceAsync(multi);
            await AssertEveryChangePublishedOnceAsync(single);
            await AssertEveryActionOnceAsync(multi);
        }
        finally
        {
            await Postgres.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{multi}\" CASCADE; DROP SCHEMA IF EXISTS \"{single}\" CASCADE;");
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Customers compared as sets: each customer's identities with its stored event ids (survivor ids differ by run).</summary>
    private static async Task AssertSameProfilesAsync(string multi, string single)
    {
        var a = await CustomersAsync(multi);
        var b = await CustomersAsync(single);
        var missing = b.Keys.Where(k => !a.ContainsKey(k)).Take(5).ToList();
        var extra = a.Keys.Where(k => !b.ContainsKey(k)).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"Customers of the single-host run missing from the four-host run: {string.Join("; ", missing)}; customers only in the four-host run: {string.Join("; ", extra)}");
        Assert.Equal(b.Count, a.Count);
        foreach (var (identities, events) in b)
        {
            Assert.Equal(events, a[identities]);
        }
        // Nothing acknowledged was lost: every stored event of the single run (every event of the stream) is stored.
        Assert.Equal(
            await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{single}\".events"),
            await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{multi}\".events"));
        Assert.Equal(
            await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{single}\".identity_merges") > 0,
            await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{multi}\".identity_merges") > 0);
    }

    private static async Task<Dictionary<string, (long Count, long EventCount)>> CustomersAsync(string schema)
    {
        var map = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        await using var conn = await Postgres.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            SELECT (SELECT string_agg(i.kind::text || ':' || i.value, ',' ORDER BY i.kind, i.value) FROM "{schema}".identities i WHERE i.customer_id = p.id),
                   (SELECT COUNT(*) FROM "{schema}".events e WHERE e.customer_id = p.id),
                   (p.data::json->>'eventCount')::bigint
            FROM "{schema}".profiles p
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var key = reader.IsDBNull(0) ? "(none)" : reader.GetString(0);
            Assert.False(map.ContainsKey(key) && key != "(none)", "Two customers hold the same identities.");
            var (c, ec) = map.GetValueOrDefault(key);
            map[key] = (c + reader.GetInt64(1), ec + reader.GetInt64(2));
        }
        return map;
    }

    private static async Task AssertConsistentRowsAsync(string s)
    {
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".events WHERE customer_id IN (SELECT merged FROM \"{s}\".identity_merges)"));
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".identities i WHERE NOT EXISTS (SELECT 1 FROM \"{s}\".profiles p WHERE p.id = i.customer_id)"));
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".profiles p WHERE (p.data::json->>'eventCount')::bigint <> (SELECT COUNT(*) FROM \"{s}\".events e WHERE e.customer_id = p.id)"));
    }

    /// <summary>
    /// Per customer id and segment, the delivered changes (distinct by change id, redeliveries allowed) add up to the
    /// stored membership: an enter and an exit lost or published twice under two ids would show. Nothing is left waiting.
    /// </summary>
    private async Task AssertEveryChangePublishedOnceAsync(string s)
    {
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".state_entries WHERE scope = 'segmentation.changes'"));
        var members = new HashSet<(string Customer, string Segment)>();
        await using var conn = await Postgres.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"SELECT key, value FROM \"{s}\".state_entries WHERE scope = 'segmentation.membership'", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var customer = reader.GetString(0)[..^"|segments".Length];
                using var doc = JsonDocument.Parse(reader.GetString(1));
                foreach (var p in doc.RootElement.GetProperty("segments").EnumerateObject())
                {
                    members.Add((customer, p.Name));
                }
            }
        }
        var net = new Dictionary<(string, string), int>();
        long changes = 0, redelivered = 0;
        await using (var cmd = new NpgsqlCommand($"SELECT customer, segment, entered, deliveries FROM \"{s}\".rec_changes", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var key = (reader.GetString(0), reader.GetString(1));
                net[key] = net.GetValueOrDefault(key) + (reader.GetBoolean(2) ? 1 : -1);
                changes++;
                redelivered += reader.GetInt32(3) > 1 ? 1 : 0;
            }
        }
        output.WriteLine($"{s}: {changes} segment changes, {redelivered} delivered more than once (same id), {members.Count} memberships");
        Assert.True(members.Count > 0);
        var wrong = net.Where(kv => kv.Value != (members.Contains(kv.Key) ? 1 : 0)).Take(5).ToList();
        Assert.True(wrong.Count == 0, "Published changes disagree with the stored membership: " + string.Join("; ", wrong));
        Assert.All(members, m => Assert.Equal(1, net.GetValueOrDefault(m)));
    }

    /// <summary>Every executed journey action has one ledger entry, one outbox message, delivered to the sink.</summary>
    private async Task AssertEveryActionOnceAsync(string s)
    {
        var executed = new List<string>();
        await using var conn = await Postgres.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"SELECT value FROM \"{s}\".state_entries WHERE scope = 'journey.action'", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                using var doc = JsonDocument.Parse(reader.GetString(0));
                Assert.Equal("Executed", doc.RootElement.GetProperty("status").GetString());
                executed.Add(doc.RootElement.GetProperty("idempotencyKey").GetString()!);
            }
        }
        Assert.NotEmpty(executed);
        Assert.Equal(executed.Count, executed.Distinct().Count());
        // Reentry is off: each customer id enrolls once per journey, so every key is of a first entry.
        Assert.All(executed, k => Assert.EndsWith(":1:0", k, StringComparison.Ordinal));
        Assert.Equal(executed.Count, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".outbox_messages WHERE state = 2"));
        Assert.Equal(executed.Count, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM \"{s}\".outbox_messages"));
        Assert.Equal(executed.Count, await Postgres.ScalarAsync($"SELECT COUNT(DISTINCT idempotency_key) FROM \"{s}\".rec_deliveries"));
        // A message delivered twice was claimed again after its worker died before acknowledging it.
        var twice = await Postgres.ScalarAsync($"SELECT COUNT(*) FROM (SELECT idempotency_key FROM \"{s}\".rec_deliveries GROUP BY idempotency_key HAVING COUNT(*) > 1) d");
        Assert.Equal(0, await Postgres.ScalarAsync($"SELECT COUNT(*) FROM (SELECT idempotency_key FROM \"{s}\".rec_deliveries GROUP BY idempotency_key HAVING COUNT(*) > 1 AND MAX(attempt) = 1) d"));
        output.WriteLine($"{s}: {executed.Count} journey actions, each one outbox message, delivered; {twice} delivered again after a crash");
        var keys = new HashSet<string>(executed, StringComparer.Ordinal);
        await using var all = new NpgsqlCommand($"SELECT DISTINCT idempotency_key FROM \"{s}\".rec_deliveries", conn);
        await using var r = await all.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            Assert.Contains(r.GetString(0), keys);
        }
    }
}

/// <summary>The test server (<c>MARKETING_SDK_TEST_POSTGRES</c>).</summary>
internal static class Postgres
{
    private const string Variable = "MARKETING_SDK_TEST_POSTGRES";

    public static string ConnectionString()
    {
        var cs = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(cs))
        {
            return cs;
        }
        var message = $"Set {Variable} to a PostgreSQL connection string to run the multi-host tests.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(message + " Under CI they must run.");
        }
        throw new SkipException(message);
    }

    public static async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection(ConnectionString());
        await conn.OpenAsync();
        return conn;
    }

    public static async Task ExecuteAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string sql)
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
