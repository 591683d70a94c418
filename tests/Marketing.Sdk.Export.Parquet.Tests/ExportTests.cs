using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marketing.Sdk.Attribution;
using Marketing.Sdk.Export.Parquet.Writing;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Export.Parquet.Tests;

/// <summary>
/// Exports from a real store (a SQLite file; PostgreSQL when <c>MARKETING_SDK_TEST_POSTGRES</c> is set) and reads the
/// files back with DuckDB, as a user's engine would, comparing them with the store column by column.
/// </summary>
public sealed class ExportTests
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgresql" };

    private static readonly DateTime Epoch = DateTime.UnixEpoch;

    /// <summary>An instant as the files keep it: whole milliseconds, as DuckDB's <c>epoch_us</c> gives them.</summary>
    private static long Micros(DateTimeOffset value) => (value.UtcTicks - Epoch.Ticks) / TimeSpan.TicksPerMillisecond * 1000;

    private static string Hmac(Identity identity) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(ExportHarness.Key, Encoding.UTF8.GetBytes((int)identity.Kind + ":" + identity.Value)));

    [SkippableTheory]
    [MemberData(nameof(Stores))]
    public async Task Every_kind_equals_the_store_column_by_column(string store)
    {
        await using var host = await ExportHarness.CreateAsync(store);
        await host.Segments.DefineAsync(SegmentDefinition.Parse("buyers", "exists(purchase)") with { Name = "Buyers" });
        await ShopData.TrackAsync(host, 0, 12, 9, seed: 1);
        await host.Segments.EvaluateAsync("buyers");
        host.Time.Advance(TimeSpan.FromMinutes(5));

        var result = await host.Exporter.ExportAsync();
        Assert.Equal(1, result.Run);
        Assert.Null(result.EventsReceivedFrom);

        // Events: every stored event, every column, in its occurrence day's partition.
        var events = (await host.StoredEventsAsync()).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(108, events.Count);
        var rows = host.Query("""
            SELECT event_id, customer_id, type, epoch_us(occurred_at), occurred_offset_minutes, epoch_us(received_at), channel, campaign_id,
                   session_id, region, value_amount, value_currency, order_id, flags, properties_json, order_json, CAST(date AS VARCHAR),
                   json_extract_string(properties_json, '$.url')
            FROM {events} ORDER BY event_id
            """);
        Assert.Equal(events.Count, rows.Count);
        Assert.Equal(events.Count, result.RowsOf("events"));
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var r = rows[i];
            Assert.Equal(e.Id, r[0]);
            Assert.Equal(e.CustomerId!.Value.Value, r[1]);
            Assert.Equal(e.Type.Value, r[2]);
            Assert.Equal(Micros(e.OccurredAt), r[3]);
            Assert.Equal((int)e.OccurredAt.Offset.TotalMinutes, r[4]);
            Assert.Equal(e.ReceivedAt is { } received ? Micros(received) : null, r[5]);
            Assert.Equal(e.Channel?.Value, r[6]);
            Assert.Equal(e.CampaignId, r[7]);
            Assert.Equal(e.SessionId, r[8]);
            Assert.Equal(e.Region, r[9]);
            Assert.Equal(e.Value?.Amount, (decimal?)r[10]);
            Assert.Equal(e.Value?.Currency, r[11]);
            Assert.Equal(e.Order?.OrderId, r[12]);
            Assert.Equal((int)e.Flags, r[13]);
            Assert.Equal(JsonSerializer.Serialize(e.Properties, MarketingJsonContext.Default.IReadOnlyDictionaryStringPropertyValue), r[14]);
            Assert.Equal(e.Order is null ? null : JsonSerializer.Serialize(e.Order, MarketingJsonContext.Default.Order), r[15]);
            Assert.Equal(e.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd"), r[16]);
            Assert.Equal(e.Properties.TryGetValue("url", out var url) ? url.AsString() : null, r[17]);
        }
        // A filter on a timestamp (which DuckDB answers with the row groups' statistics) finds what the store holds.
        var cut = events.Select(e => e.OccurredAt).Order().ElementAt(events.Count / 2);
        Assert.Equal(events.Count(e => e.OccurredAt >= cut),
            (long)host.Query($"SELECT count(*) FROM {{events}} WHERE occurred_at >= TIMESTAMPTZ '{cut.UtcDateTime:yyyy-MM-dd HH:mm:ss}+00'")[0][0]!);
        // The late events made more than one day partition, and the small settings more than one file and row group.
        Assert.True(host.Files("events").Select(Path.GetDirectoryName).Distinct().Count() > 1);
        Assert.True(result.Written.Count(f => f.Kind == "events") > 2);

        // Profiles.
        var profiles = (await host.StoredProfilesAsync()).OrderBy(p => p.Id.Value, StringComparer.Ordinal).ToList();
        Assert.Equal(12, profiles.Count);
        var profileRows = host.Query("""
            SELECT customer_id, version, epoch_us(first_seen), epoch_us(last_seen), event_count, identity_count, traits_json,
                   static_tags_json, dynamic_tags_json, consents_json, merged_from_json
            FROM {profiles} ORDER BY customer_id
            """);
        Assert.Equal(profiles.Count, profileRows.Count);
        for (var i = 0; i < profiles.Count; i++)
        {
            var p = profiles[i];
            var r = profileRows[i];
            Assert.Equal(p.Id.Value, r[0]);
            Assert.Equal(p.Version, r[1]);
            Assert.Equal(Micros(p.FirstSeen), r[2]);
            Assert.Equal(Micros(p.LastSeen), r[3]);
            Assert.Equal(p.EventCount, r[4]);
            Assert.Equal(p.Identities.Count, r[5]);
            Assert.Equal(JsonSerializer.Serialize(p.Traits, MarketingJsonContext.Default.IReadOnlyDictionaryStringPropertyValue), r[6]);
            Assert.Equal(JsonSerializer.Serialize(p.StaticTags.Order(StringComparer.Ordinal).ToArray()), r[7]);
            Assert.Equal(JsonSerializer.Serialize(p.DynamicTags.Order(StringComparer.Ordinal).ToArray()), r[8]);
            using var consents = JsonDocument.Parse((string)r[9]!);
            Assert.Equal(p.Consents.Count, consents.RootElement.EnumerateObject().Count());
            Assert.Equal(JsonSerializer.Serialize(p.MergedFrom.Select(m => m.Value).ToArray()), r[10]);
        }

        // Identities: pseudonymised by default, one row per identity of each profile.
        var expectedIdentities = profiles.SelectMany(p => p.Identities.Select(id => (Customer: p.Id.Value, Kind: id.Kind.ToString(), Value: Hmac(id))))
            .OrderBy(x => x.Customer, StringComparer.Ordinal).ThenBy(x => x.Kind, StringComparer.Ordinal).ThenBy(x => x.Value, StringComparer.Ordinal).ToList();
        var identityRows = host.Query("SELECT customer_id, kind, value, pseudonymised FROM {identities} ORDER BY customer_id, kind, value");
        Assert.Equal(36, expectedIdentities.Count);
        Assert.Equal(expectedIdentities, identityRows.Select(r => ((string)r[0]!, (string)r[1]!, (string)r[2]!)).ToList());
        Assert.All(identityRows, r => Assert.Equal(true, r[3]));

        // Segment memberships.
        var members = new List<string>();
        await foreach (var m in host.Segments.GetMembersAsync("buyers"))
        {
            members.Add(m.Value);
        }
        Assert.NotEmpty(members);
        var memberRows = host.Query("SELECT segment_id, segment_name, customer_id FROM {segment_memberships} ORDER BY customer_id");
        Assert.Equal(members.Order(StringComparer.Ordinal), memberRows.Select(r => (string)r[2]!));
        Assert.All(memberRows, r => Assert.Equal(("buyers", "Buyers"), ((string)r[0]!, (string)r[1]!)));

        // Attribution paths: one conversion per stored purchase; the channel sequences and values of the conversions with
        // touches are PathBuilder's.
        Assert.Equal(events.Count(e => e.Type == EventType.Purchase),
            (long)host.Query("SELECT count(DISTINCT conversion_event_id) FROM {attribution_paths}")[0][0]!);
        var pathRows = host.Query("""
            SELECT string_agg(touch_channel, '>' ORDER BY touch_index), any_value(conversion_value_amount), count(*), any_value(touch_count)
            FROM {attribution_paths} WHERE touch_count > 0 GROUP BY conversion_event_id
            """);
        Assert.All(pathRows, r => Assert.Equal((long)(int)r[3]!, r[2]));
        var exported = pathRows.GroupBy(r => (string)r[0]!).ToDictionary(g => g.Key, g => (double)g.Count(), StringComparer.Ordinal);
        var built = new PathBuilder(new PathBuilderOptions { IncludeNonConverting = false }).Build(events);
        var expected = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < built.Count; i++)
        {
            var key = string.Join('>', built.GetSteps(i).ToArray().Select(s => built.Channels[s].Value));
            expected[key] = expected.GetValueOrDefault(key) + built.GetConversions(i);
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), exported.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(built.TotalValue, pathRows.Sum(r => (double)(decimal)r[1]!), 6);
    }

    [Fact]
    public async Task The_files_have_the_documented_schema()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite");
        await host.Segments.DefineAsync(SegmentDefinition.Parse("buyers", "exists(purchase)"));
        await ShopData.TrackAsync(host, 0, 4, 8, seed: 2);
        await host.Segments.EvaluateAsync("buyers");
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.Exporter.ExportAsync();

        var documented = DocumentedSchema();
        Assert.Equal(["events", "profiles", "identities", "attribution_paths", "segment_memberships"], documented.Keys);
        foreach (var (kind, columns) in documented)
        {
            var file = host.Directory + "/" + host.Files(kind).First();
            var described = host.Query($"DESCRIBE SELECT * FROM read_parquet('{file}', hive_partitioning = false)").Select(r => ((string)r[0]!, (string)r[1]!)).ToList();
            var stored = host.Query($"SELECT name, type, logical_type, repetition_type FROM parquet_schema('{file}') WHERE name <> 'duckdb_schema' AND num_children IS NULL")
                .Select(r => ((string)r[0]!, (string)r[1]!, Logical((string?)r[1], (string?)r[2]), (string)r[3]!)).ToList();
            Assert.Equal(columns.Select(c => (c.Name, c.DuckDb)), described);
            Assert.Equal(columns.Select(c => (c.Name, c.Physical, c.Logical, c.Nullable)), stored);
            // Row-group statistics of the timestamps are right (engines prune by them).
            foreach (var c in columns.Where(c => c.DuckDb == "TIMESTAMP WITH TIME ZONE"))
            {
                var stats = host.Query($"SELECT stats_min, stats_max FROM parquet_metadata('{file}') WHERE path_in_schema = '{c.Name}' AND stats_min IS NOT NULL");
                Assert.All(stats, r => Assert.All(r, v => Assert.StartsWith("2026-", (string)v!, StringComparison.Ordinal)));
            }
            // Read as a hive-partitioned folder, the engine adds the partition's day as a DATE.
            Assert.Equal(("date", "DATE"), host.Query($"DESCRIBE SELECT * FROM {{{kind}}}").Select(r => ((string)r[0]!, (string)r[1]!)).Last());
            // The code's schema is the documented one too.
            Assert.Equal(columns.Select(c => c.Name), ExportTable.ForKind(kind)!.Columns.Select(c => c.Field.Name));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Stores))]
    public async Task An_incremental_export_adds_exactly_the_new_events_and_replaces_the_snapshots(string store)
    {
        await using var host = await ExportHarness.CreateAsync(store);
        var first = await ShopData.TrackAsync(host, 0, 8, 6, seed: 3);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var run1 = await host.Exporter.ExportAsync();
        Assert.Equal(first.Count, run1.RowsOf("events"));

        // New events of known and new customers, some of them days late.
        var second = await ShopData.TrackAsync(host, 5, 12, 5, seed: 4);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var run2 = await host.Exporter.ExportAsync();
        Assert.Equal(2, run2.Run);
        Assert.Equal(run1.EventsReceivedBefore, run2.EventsReceivedFrom);
        var run2Files = run2.Written.Where(f => f.Kind == "events").Select(f => $"'{host.Directory}/{f.Path}'").ToList();
        var run2Ids = host.Query($"SELECT event_id FROM read_parquet([{string.Join(',', run2Files)}])").Select(r => (string)r[0]!).Order(StringComparer.Ordinal);
        Assert.Equal(second.Order(StringComparer.Ordinal), run2Ids);
        // Late events went to earlier days' partitions as new files of run 2.
        Assert.Contains(run2.Written, f => f.Kind == "events" && !f.Path.Contains("date=2026-11-20", StringComparison.Ordinal));

        // An event received within the settle time waits for the next export.
        var third = await ShopData.TrackAsync(host, 0, 1, 1, seed: 5);
        host.Time.Advance(TimeSpan.FromSeconds(20));
        var run3 = await host.Exporter.ExportAsync();
        Assert.Equal(0, run3.RowsOf("events"));
        host.Time.Advance(TimeSpan.FromMinutes(2));
        var run4 = await host.Exporter.ExportAsync();
        Assert.Equal(1, run4.RowsOf("events"));
        Assert.Equal(third, host.Query($"SELECT event_id FROM read_parquet('{host.Directory}/{run4.Written.Single(f => f.Kind == "events").Path}')").Select(r => (string)r[0]!));

        // Altogether: the store's events, each once.
        var stored = (await host.StoredEventsAsync()).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, host.Query("SELECT event_id FROM {events} ORDER BY event_id").Select(r => (string)r[0]!));

        // Snapshots: only the last run's files remain, equal to the store.
        Assert.All(host.Files("profiles").Concat(host.Files("identities")).Concat(host.Files("attribution_paths")), f => Assert.Contains("part-000004-", f, StringComparison.Ordinal));
        Assert.Contains(run4.Deleted, d => d.StartsWith("profiles/", StringComparison.Ordinal) && d.Contains("part-000003-", StringComparison.Ordinal));
        Assert.Equal((await host.StoredProfilesAsync()).Count, (long)host.Query("SELECT count(*) FROM {profiles}")[0][0]!);

        var checkpoint = await host.State.GetAsync(ParquetExportOptions.StateScope, "checkpoint");
        Assert.NotNull(checkpoint);
        Assert.Contains("\"run\":4", checkpoint.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_late_event_window_an_incremental_export_reads_only_recent_occurrences_and_misses_none_within_it()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite", o => o.LateEventWindow = TimeSpan.FromDays(7));
        await ShopData.TrackAsync(host, 0, 6, 5, seed: 13);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.Exporter.ExportAsync();
        // Days later, new events (some occurred up to 4 days and 6 hours before they were received: inside the window).
        host.Time.Advance(TimeSpan.FromDays(3));
        var second = await ShopData.TrackAsync(host, 2, 9, 5, seed: 14);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var run2 = await host.Exporter.ExportAsync();
        var files = run2.Written.Where(f => f.Kind == "events").Select(f => $"'{host.Directory}/{f.Path}'");
        Assert.Equal(second.Order(StringComparer.Ordinal),
            host.Query($"SELECT event_id FROM read_parquet([{string.Join(',', files)}]) ORDER BY event_id").Select(r => (string)r[0]!));
        var stored = (await host.StoredEventsAsync()).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, host.Query("SELECT event_id FROM {events} ORDER BY event_id").Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task An_export_that_crashed_is_resumed_without_duplicates_or_losses()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite");
        await ShopData.TrackAsync(host, 0, 6, 5, seed: 6);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.Exporter.ExportAsync();

        var second = await ShopData.TrackAsync(host, 3, 9, 5, seed: 7);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        // The same export, but the profile store fails after a few profiles: the events of run 2 are already in place, and a
        // half-written file is left behind as if the process had died while writing it.
        var options = host.Provider.GetRequiredService<IOptions<ParquetExportOptions>>().Value;
        using (var crashing = new ParquetExporter(host.Events, new FailingProfileStore(host.Profiles, after: 3), host.State, options, host.Time, host.Segments))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => crashing.ExportAsync());
        }
        Assert.Contains(host.Files("events"), f => f.Contains("part-000002-", StringComparison.Ordinal));
        var partition = Path.Combine(host.Directory, "events", "date=2026-11-20");
        await File.WriteAllTextAsync(Path.Combine(partition, "part-000002-0099.parquet.tmp"), "half a file");
        var checkpoint = await host.State.GetAsync(ParquetExportOptions.StateScope, "checkpoint");
        Assert.Contains("\"run\":1", checkpoint!.Value, StringComparison.Ordinal);

        var third = await ShopData.TrackAsync(host, 8, 10, 4, seed: 8);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var resumed = await host.Exporter.ExportAsync();
        Assert.Equal(2, resumed.Run);
        Assert.Contains("events/date=2026-11-20/part-000002-0099.parquet.tmp", resumed.Deleted);
        Assert.Contains(resumed.Deleted, d => d.StartsWith("events/", StringComparison.Ordinal) && d.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Files(), f => f.EndsWith(".tmp", StringComparison.Ordinal));

        var run2Files = resumed.Written.Where(f => f.Kind == "events").Select(f => $"'{host.Directory}/{f.Path}'");
        Assert.Equal(second.Concat(third).Order(StringComparer.Ordinal),
            host.Query($"SELECT event_id FROM read_parquet([{string.Join(',', run2Files)}]) ORDER BY event_id").Select(r => (string)r[0]!));
        var stored = (await host.StoredEventsAsync()).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, host.Query("SELECT event_id FROM {events} ORDER BY event_id").Select(r => (string)r[0]!));
        Assert.Equal((await host.StoredProfilesAsync()).Count, (long)host.Query("SELECT count(*) FROM {profiles}")[0][0]!);
    }

    [SkippableTheory]
    [MemberData(nameof(Stores))]
    public async Task After_an_erasure_no_exported_file_holds_a_trace_of_the_subject(string store)
    {
        await using var host = await ExportHarness.CreateAsync(store);
        await host.Segments.DefineAsync(SegmentDefinition.Parse("buyers", "exists(purchase)"));
        await ShopData.TrackAsync(host, 0, 10, 8, seed: 9);
        await host.Segments.EvaluateAsync("buyers");
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.Exporter.ExportAsync();

        var subject = (await host.StoredProfilesAsync()).Single(p => p.Identities.Contains(ShopData.Email(3)));
        var subjectEvents = (await host.StoredEventsAsync()).Where(e => e.CustomerId == subject.Id).ToList();
        Assert.Contains(subjectEvents, e => e.Type == EventType.Purchase);
        var traces = new List<string> { subject.Id.Value };
        traces.AddRange(subject.Identities.Select(i => i.Value));
        traces.AddRange(subject.Identities.Select(Hmac));
        traces.AddRange([ShopData.Email(3).Value, ShopData.Member(3).Value, ShopData.Cookie(3).Value]);
        traces.AddRange(subjectEvents.Select(e => e.Id));
        traces.AddRange(subjectEvents.Where(e => e.Order is not null).Select(e => e.Order!.OrderId));
        // The search can see them: before the erasure the files hold the id, the pseudonyms and the event ids.
        var before = AllBytes(host);
        Assert.True(Contains(before, subject.Id.Value));
        Assert.True(Contains(before, Hmac(ShopData.Email(3))));
        Assert.True(Contains(before, subjectEvents[0].Id));

        var erasure = await host.Dsr.EraseAsync(subject.Id);
        Assert.True(erasure.Components["export.parquet"] > subjectEvents.Count);

        AssertNoTrace(host, traces);
        foreach (var kind in new[] { "events", "profiles", "identities", "attribution_paths", "segment_memberships" })
        {
            Assert.Equal(0L, (long)host.Query($"SELECT count(*) FROM {{{kind}}} WHERE customer_id = '{subject.Id.Value}'")[0][0]!);
        }
        // Everyone else is still there.
        var stored = (await host.StoredEventsAsync()).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, host.Query("SELECT event_id FROM {events} ORDER BY event_id").Select(r => (string)r[0]!));
        Assert.Equal(9L, (long)host.Query("SELECT count(*) FROM {profiles}")[0][0]!);

        // The next export (new events of others) has no trace either, and its snapshots equal the store.
        await ShopData.TrackAsync(host, 5, 8, 3, seed: 10);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.Exporter.ExportAsync();
        AssertNoTrace(host, traces);
        stored = (await host.StoredEventsAsync()).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(stored, host.Query("SELECT event_id FROM {events} ORDER BY event_id").Select(r => (string)r[0]!));
        Assert.Equal(9L, (long)host.Query("SELECT count(*) FROM {profiles}")[0][0]!);
    }

    [Fact]
    public async Task Erasing_a_customer_only_in_one_file_deletes_it_and_lists_it()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite", o => o.Kinds = ParquetExportKinds.Profiles);
        await ShopData.TrackAsync(host, 0, 1, 2, seed: 11);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var run = await host.Exporter.ExportAsync();
        var file = Assert.Single(run.Written);
        var subject = Assert.Single(await host.StoredProfilesAsync());

        var erased = await host.Exporter.EraseCustomerAsync(subject.Id);
        Assert.Equal(1, erased.RowsRemoved);
        Assert.Empty(erased.Rewritten);
        Assert.Equal([file.Path], erased.Deleted);
        Assert.Empty(host.Files());
        Assert.Equal(0, (await host.Exporter.EraseCustomerAsync(subject.Id)).RowsRemoved);
    }

    [Fact]
    public async Task Identities_are_pseudonymised_by_default_and_raw_only_on_opt_in()
    {
        await using (var host = await ExportHarness.CreateAsync("sqlite"))
        {
            await ShopData.TrackAsync(host, 0, 5, 2, seed: 12);
            host.Time.Advance(TimeSpan.FromMinutes(5));
            await host.Exporter.ExportAsync();
            var identities = (await host.StoredProfilesAsync()).SelectMany(p => p.Identities).ToList();
            Assert.Equal(15, identities.Count);
            var bytes = AllBytes(host);
            Assert.All(identities, i => Assert.False(Contains(bytes, i.Value)));
            var values = host.Query("SELECT value, pseudonymised FROM {identities}");
            Assert.All(values, r => Assert.Matches("^[0-9a-f]{64}$", (string)r[0]!));
            Assert.Equal(identities.Select(Hmac).Order(StringComparer.Ordinal), values.Select(r => (string)r[0]!).Order(StringComparer.Ordinal));
        }
        await using (var host = await ExportHarness.CreateAsync("sqlite", o => { o.IncludeRawIdentities = true; o.PseudonymisationKey = null; }))
        {
            await ShopData.TrackAsync(host, 0, 5, 2, seed: 12);
            host.Time.Advance(TimeSpan.FromMinutes(5));
            await host.Exporter.ExportAsync();
            var identities = (await host.StoredProfilesAsync()).SelectMany(p => p.Identities).Select(i => i.Value).Order(StringComparer.Ordinal);
            var values = host.Query("SELECT value, pseudonymised FROM {identities} ORDER BY value");
            Assert.Equal(identities, values.Select(r => (string)r[0]!));
            Assert.All(values, r => Assert.Equal(false, r[1]));
        }
    }

    [Fact]
    public async Task Options_without_a_pseudonymisation_key_fail_validation()
    {
        await using var host = await ExportHarness.CreateAsync("sqlite", o => o.PseudonymisationKey = Convert.ToBase64String(new byte[16]));
        var e = Assert.Throws<OptionsValidationException>(() => host.Provider.GetRequiredService<IOptions<ParquetExportOptions>>().Value);
        Assert.Contains("PseudonymisationKey", e.Message, StringComparison.Ordinal);
    }

    private static void AssertNoTrace(ExportHarness host, List<string> traces)
    {
        foreach (var file in host.Files())
        {
            var bytes = File.ReadAllBytes(Path.Combine(host.Directory, file));
            foreach (var trace in traces)
            {
                Assert.False(Contains(bytes, trace), $"{file} still holds a trace of the erased customer");
            }
        }
    }

    private static byte[] AllBytes(ExportHarness host) => [.. host.Files().SelectMany(f => File.ReadAllBytes(Path.Combine(host.Directory, f)))];

    private static bool Contains(byte[] bytes, string value) => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)) >= 0;

    private static string Logical(string? physical, string? logical) => logical switch
    {
        null or "" => "—",
        "StringType()" => "STRING",
        _ when logical.StartsWith("TimestampType(isAdjustedToUTC=1", StringComparison.Ordinal) && logical.Contains("MILLIS=MilliSeconds()", StringComparison.Ordinal) => "TIMESTAMP(MILLIS, UTC)",
        _ when logical.StartsWith("DecimalType(", StringComparison.Ordinal) => logical.Replace("DecimalType(scale=9, precision=38)", "DECIMAL(38, 9)", StringComparison.Ordinal),
        _ when logical.StartsWith("IntType(", StringComparison.Ordinal) && logical.Contains("isSigned=1", StringComparison.Ordinal) => physical == "INT64" ? "INT(64, signed)" : "INT(32, signed)",
        _ => logical,
    };

    private sealed record DocumentedColumn(string Name, string Physical, string Logical, string DuckDb, string Nullable);

    /// <summary>The schema tables of docs/export-parquet.md, by kind.</summary>
    private static Dictionary<string, List<DocumentedColumn>> DocumentedSchema()
    {
        var lines = File.ReadAllLines(Path.Combine(ReferenceFiles.RepositoryRoot, "docs", "export-parquet.md"));
        var result = new Dictionary<string, List<DocumentedColumn>>(StringComparer.Ordinal);
        List<DocumentedColumn>? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("### `", StringComparison.Ordinal))
            {
                current = result[line[5..line.IndexOf('`', 5)]] = [];
            }
            else if (current is not null && line.StartsWith("| `", StringComparison.Ordinal))
            {
                var cells = line.Split('|', StringSplitOptions.TrimEntries)[1..^1];
                current.Add(new DocumentedColumn(cells[0].Trim('`'), cells[1], cells[2], cells[3], cells[4]));
            }
        }
        return result;
    }

    /// <summary>A profile store whose stream fails after some profiles, as a crash in the middle of an export.</summary>
    private sealed class FailingProfileStore(IProfileStore inner, int after) : IProfileStore
    {
        public ValueTask<CustomerProfile?> GetAsync(CustomerId id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);
        public ValueTask<CustomerProfile> SaveAsync(CustomerProfile profile, CancellationToken cancellationToken = default) => inner.SaveAsync(profile, cancellationToken);
        public ValueTask<bool> DeleteAsync(CustomerId id, CancellationToken cancellationToken = default) => inner.DeleteAsync(id, cancellationToken);
        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

        public async IAsyncEnumerable<CustomerProfile> StreamAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var n = 0;
            await foreach (var p in inner.StreamAsync(cancellationToken))
            {
                if (n++ == after)
                {
                    throw new InvalidOperationException("The store went away.");
                }
                yield return p;
            }
        }
    }
}
