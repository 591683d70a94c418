using System.Diagnostics;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Marketing.Sdk.MultiHost.Tests;

/// <summary>
/// Two host processes on one PostgreSQL database ingest one shuffled stream whose identities make profiles
/// merge while the other host appends; once with both running to the end, once with one killed mid-stream and
/// restarted on the rest of its share. Verdicts by the final rows only.
/// </summary>
public sealed class MultiHostIngestionTests
{
    private const string Variable = "MARKETING_SDK_TEST_POSTGRES";
    private const int People = 40;
    private const int EventsPerPerson = 12;

    private static string ConnectionString()
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

    private static Identity Device(int p) => Identity.Device($"dev-{p}");
    private static Identity Email(int p) => Identity.Email($"p{p}@example.com");
    private static Identity Member(int p) => Identity.Member($"m{p}");

    /// <summary>Per person: events seen by device, by email, by member id alone, and events that link pairs and all three.</summary>
    private static List<(int Person, MarketingEvent Event)> Stream()
    {
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var all = new List<(int, MarketingEvent)>();
        for (var p = 0; p < People; p++)
        {
            for (var k = 0; k < EventsPerPerson; k++)
            {
                Identity[] ids = (k % 6) switch
                {
                    0 => [Device(p)],
                    1 => [Email(p)],
                    2 => [Member(p)],
                    3 => [Device(p), Email(p)],
                    4 => [Email(p), Member(p)],
                    _ => [Device(p), Email(p), Member(p)],
                };
                all.Add((p, new MarketingEvent { Id = $"p{p}-e{k}", Type = EventType.PageView, OccurredAt = start.AddMinutes(p * 100 + k * 7), Identities = ids }));
            }
        }
        var random = new Random(20261204);
        return [.. all.OrderBy(_ => random.Next())];
    }

    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _killAt;

        public Child(string schema, string file, int from, int killAt = int.MaxValue)
        {
            _killAt = killAt;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Marketing.Sdk.MultiHost.Tests.dll"));
            start.ArgumentList.Add("ingest");
            start.ArgumentList.Add(schema);
            start.ArgumentList.Add(file);
            start.ArgumentList.Add(from.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.Environment[Variable] = ConnectionString();
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith("acked ", StringComparison.Ordinal))
                {
                    var n = int.Parse(line["acked ".Length..], System.Globalization.CultureInfo.InvariantCulture);
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

        /// <summary>Kills the process once it has acknowledged at least the kill line (or it ended first).</summary>
        public async Task KillWhenReachedAsync()
        {
            await Task.WhenAny(_reached.Task, _process.WaitForExitAsync()).WaitAsync(TimeSpan.FromMinutes(5));
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }

        public async Task<int> ExitAsync()
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose() => _process.Dispose();
    }

    private static async Task<(string Schema, string Dir, List<(int Person, MarketingEvent Event)> Stream, string[] Files)> PrepareAsync()
    {
        var cs = ConnectionString();
        var schema = "mh_" + Guid.NewGuid().ToString("N");
        var dir = Path.Combine(Path.GetTempPath(), schema);
        Directory.CreateDirectory(dir);
        var stream = Stream();
        var files = new string[2];
        for (var c = 0; c < 2; c++)
        {
            files[c] = Path.Combine(dir, $"host{c}.txt");
            await File.WriteAllLinesAsync(files[c], stream.Where((_, i) => i % 2 == c).Select(x => StreamLine.Format(x.Event)));
        }
        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.UsePostgreSql(cs, o => o.Schema = schema));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        return (schema, dir, stream, files);
    }

    [SkippableFact]
    public async Task Two_hosts_ingesting_one_stream_with_merges_leave_consistent_profiles()
    {
        var (schema, dir, stream, files) = await PrepareAsync();
        try
        {
            using var a = new Child(schema, files[0], 0);
            using var b = new Child(schema, files[1], 0);
            Assert.Equal(0, await a.ExitAsync());
            Assert.Equal(0, await b.ExitAsync());
            await AssertConsistentAsync(schema, stream);
        }
        finally
        {
            await CleanupAsync(schema, dir);
        }
    }

    [SkippableFact]
    public async Task A_host_killed_mid_stream_and_restarted_leaves_consistent_profiles()
    {
        var (schema, dir, stream, files) = await PrepareAsync();
        try
        {
            var share = File.ReadAllLines(files[0]).Length;
            using var b = new Child(schema, files[1], 0);
            int acked;
            using (var doomed = new Child(schema, files[0], 0, killAt: share / 3))
            {
                await doomed.KillWhenReachedAsync();
                acked = doomed.Acked;
            }
            Assert.True(acked < share, "The host finished before it could be killed.");
            // Restarted on the rest of its share: what it acknowledged is durable; the batch in flight may be stored or not.
            using var restarted = new Child(schema, files[0], acked);
            Assert.Equal(0, await restarted.ExitAsync());
            Assert.Equal(0, await b.ExitAsync());
            await AssertConsistentAsync(schema, stream);
        }
        finally
        {
            await CleanupAsync(schema, dir);
        }
    }

    private static async Task AssertConsistentAsync(string schema, List<(int Person, MarketingEvent Event)> stream)
    {
        var cs = ConnectionString();
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync();
            async Task<long> Scalar(string sql)
            {
                await using var cmd = new NpgsqlCommand(sql.Replace("{0}", $"\"{schema}\""), conn);
                return Convert.ToInt64(await cmd.ExecuteScalarAsync());
            }
            Assert.Equal(stream.Count, await Scalar("SELECT COUNT(*) FROM {0}.events"));
            Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM {0}.events WHERE customer_id IN (SELECT merged FROM {0}.identity_merges)"));
            Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM {0}.events e WHERE NOT EXISTS (SELECT 1 FROM {0}.profiles p WHERE p.id = e.customer_id)"));
            Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM {0}.identities i WHERE NOT EXISTS (SELECT 1 FROM {0}.profiles p WHERE p.id = i.customer_id)"));
            Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM {0}.profiles p WHERE (p.data::json->>'eventCount')::bigint <> (SELECT COUNT(*) FROM {0}.events e WHERE e.customer_id = p.id)"));
            Assert.Equal(0, await Scalar("SELECT COUNT(*) FROM {0}.profiles p WHERE EXISTS (SELECT 1 FROM {0}.events e WHERE e.customer_id = p.id) AND (p.first_seen <> (SELECT MIN(occurred_at) FROM {0}.events e WHERE e.customer_id = p.id) OR p.last_seen <> (SELECT MAX(occurred_at) FROM {0}.events e WHERE e.customer_id = p.id))"));
        }

        var services = new ServiceCollection();
        services.AddMarketingSdk(m => m.UsePostgreSql(cs, o => o.Schema = schema));
        await using var provider = services.BuildServiceProvider();
        var profiles = provider.GetRequiredService<IProfileService>();
        var events = provider.GetRequiredService<IEventStore>();
        var eraser = provider.GetRequiredService<ICustomerDataEraser>();
        for (var p = 0; p < People; p++)
        {
            // Export by identity: one profile holds every identity and every event of the person.
            var profile = await profiles.FindByIdentityAsync(Email(p));
            Assert.NotNull(profile);
            Assert.Equal(profile.Id, (await profiles.FindByIdentityAsync(Device(p)))?.Id);
            Assert.Equal(profile.Id, (await profiles.FindByIdentityAsync(Member(p)))?.Id);
            var exported = new HashSet<string>();
            await foreach (var e in events.ReadAsync(new EventQuery { CustomerId = profile.Id }))
            {
                exported.Add(e.Id);
            }
            Assert.Equal(stream.Where(x => x.Person == p).Select(x => x.Event.Id).ToHashSet(), exported);
            Assert.Equal(EventsPerPerson, profile.EventCount);
        }
        // Erasure by identity covers everything of the person.
        for (var p = 0; p < People; p += 5)
        {
            var profile = await profiles.FindByIdentityAsync(Member(p));
            await eraser.EraseAsync(profile!.Id);
            Assert.Empty(await provider.GetRequiredService<IIdentityGraphStore>().FindAsync([Device(p), Email(p), Member(p)]));
        }
        var erasedIds = stream.Where(x => x.Person % 5 == 0).Select(x => x.Event.Id).ToHashSet();
        await foreach (var e in events.ReadAsync(EventQuery.All))
        {
            Assert.DoesNotContain(e.Id, erasedIds);
        }
    }

    private static async Task CleanupAsync(string schema, string dir)
    {
        await using var conn = new NpgsqlConnection(ConnectionString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", conn);
        await cmd.ExecuteNonQueryAsync();
        Directory.Delete(dir, recursive: true);
    }
}
