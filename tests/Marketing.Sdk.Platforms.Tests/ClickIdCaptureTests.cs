using System.Text.Json;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms.Clicks;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Marketing.Sdk.Platforms.Tests;

/// <summary>A host with the platform pipeline (one scripted sink) on the in-memory store or a SQLite file.</summary>
internal sealed class ClickHost : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    public ClickHost(string? sqlitePath = null, Action<ClickIdOptions>? clicks = null, DateTimeOffset? now = null)
    {
        Time = new FakeTimeProvider(now ?? T0.AddHours(1));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddLogging();
        services.AddSingleton<IConversionSink>(new ScriptedSink("meta.conversions", Channel.Meta));
        services.AddMarketingSdk(m =>
        {
            if (sqlitePath is not null)
            {
                m.UseSqlite($"Data Source={sqlitePath}");
            }
            m.AddCompliance().AddPlatforms(o => o.RunInBackground = false);
            if (clicks is not null)
            {
                m.ConfigureClickIds(clicks);
            }
        });
        Provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public FakeTimeProvider Time { get; }
    public ServiceProvider Provider { get; }
    public ClickIdStore Clicks => Provider.GetRequiredService<ClickIdStore>();
    public IEventCollector Collector => Provider.GetRequiredService<IEventCollector>();
    public IConversionPublisher Publisher => Provider.GetRequiredService<IConversionPublisher>();

    public async Task<CustomerId> LandAsync(string id, Identity identity, string url, DateTimeOffset at, EventType? type = null, string property = EventProperties.Url)
    {
        var result = await Collector.TrackAsync(new MarketingEvent
        {
            Id = id,
            Type = type ?? EventType.PageView,
            OccurredAt = at,
            Identities = [identity],
            SessionId = "s-" + id,
            Properties = new Dictionary<string, PropertyValue> { [property] = url },
        });
        Assert.Equal(TrackStatus.Accepted, result.Status);
        return result.CustomerId!.Value;
    }

    public async Task<List<PreparedConversion>> PendingAsync()
    {
        var list = new List<PreparedConversion>();
        await foreach (var entry in Provider.GetRequiredService<IOutboxStore>().ReadAsync(OutboxState.Pending))
        {
            list.Add(JsonSerializer.Deserialize(entry.Message.Payload.Span, PlatformJsonContext.Default.PreparedConversion)!);
        }
        return list;
    }

    public static ConversionRequest Order(string id, CustomerId customer, DateTimeOffset at, ClickIdentifiers? clicks = null) => new()
    {
        EventId = id,
        EventType = EventType.Purchase,
        OccurredAt = at,
        CustomerId = customer,
        Value = new Money(10m, "CNY"),
        Clicks = clicks ?? new ClickIdentifiers(),
    };

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

public sealed class ClickIdCaptureTests
{
    private static readonly DateTimeOffset T0 = ClickHost.T0;
    private static readonly CustomerId Alice = CustomerId.New();

    private static ClickIdentifiers AllFive => new()
    {
        Gclid = "G1",
        Fbc = ClickIdParser.ToFbc("FB1", T0),
        Ttclid = "TT1",
        TencentClickId = "TC1",
        OceanEngineCallback = "OE1",
    };

    [Fact]
    public async Task A_click_is_attributed_only_within_its_platforms_window_and_never_to_an_earlier_conversion()
    {
        var store = new ClickIdStore(new Marketing.Sdk.Storage.InMemoryStateStore());
        await store.RecordAsync(Alice, AllFive, T0, "s1");

        var sixDays = await store.ResolveAsync(Alice, T0.AddDays(6));
        var eightDays = await store.ResolveAsync(Alice, T0.AddDays(8));

        Assert.Equal(("G1", "TT1", "TC1", "OE1"), (sixDays!.Gclid, sixDays.Ttclid, sixDays.TencentClickId, sixDays.OceanEngineCallback));
        Assert.NotNull(sixDays.Fbc);
        Assert.NotNull(await store.ResolveAsync(Alice, T0.AddDays(7)));
        Assert.Equal(new ClickIdentifiers { Gclid = "G1" }, eightDays);
        Assert.Equal("G1", (await store.ResolveAsync(Alice, T0.AddDays(90)))!.Gclid);
        Assert.Null(await store.ResolveAsync(Alice, T0.AddDays(90).AddSeconds(1)));
        Assert.Null(await store.ResolveAsync(Alice, T0.AddSeconds(-1)));
        Assert.Null(await store.ResolveAsync(CustomerId.New(), T0));
    }

    [Fact]
    public async Task Windows_are_options()
    {
        var options = Options.Create(new ClickIdOptions { MetaWindow = TimeSpan.FromDays(1), TencentAdsWindow = TimeSpan.FromDays(30), OceanEngineWindow = TimeSpan.FromHours(1) });
        var store = new ClickIdStore(new Marketing.Sdk.Storage.InMemoryStateStore(), options);
        await store.RecordAsync(Alice, AllFive, T0);

        var twoDays = await store.ResolveAsync(Alice, T0.AddDays(2));

        Assert.Equal(new ClickIdentifiers { Gclid = "G1", Ttclid = "TT1", TencentClickId = "TC1" }, twoDays);
        Assert.Equal(new ClickIdentifiers { Gclid = "G1", TencentClickId = "TC1" }, await store.ResolveAsync(Alice, T0.AddDays(20)));
    }

    [Fact]
    public void Invalid_windows_fail_validation_on_start()
    {
        var result = new ClickIdOptionsValidator().Validate(null, new ClickIdOptions { TikTokWindow = TimeSpan.Zero, GoogleWindow = TimeSpan.FromDays(400), MaxUrlLength = 10 });

        Assert.True(result.Failed);
        Assert.Contains("TikTokWindow", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("GoogleWindow", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MaxUrlLength", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_later_click_replaces_the_stored_one_and_the_same_click_seen_again_keeps_its_first_time()
    {
        var store = new ClickIdStore(new Marketing.Sdk.Storage.InMemoryStateStore());
        await store.RecordAsync(Alice, new ClickIdentifiers { Fbc = ClickIdParser.ToFbc("A", T0), Gclid = "G1" }, T0);
        // The same fbclid still in the URL of a later page: not a new click.
        await store.RecordAsync(Alice, new ClickIdentifiers { Fbc = ClickIdParser.ToFbc("A", T0.AddDays(3)) }, T0.AddDays(3));
        // An older Google click arriving late does not replace the newer one.
        await store.RecordAsync(Alice, new ClickIdentifiers { Gclid = "G0" }, T0.AddDays(-1));

        var stored = await store.GetAsync(Alice);

        Assert.Equal(2, stored.Count);
        var meta = stored.Single(c => c.Platform == ClickPlatform.Meta);
        Assert.Equal((T0, ClickIdParser.ToFbc("A", T0)), (meta.At, meta.Ids.Fbc));
        Assert.Equal("G1", stored.Single(c => c.Platform == ClickPlatform.Google).Ids.Gclid);
        Assert.Null(await store.ResolveAsync(Alice, T0.AddDays(8).AddSeconds(1)) is { Fbc: not null } ? "still attributed" : null);

        await store.RecordAsync(Alice, new ClickIdentifiers { Gclid = "G2" }, T0.AddDays(2));
        Assert.Equal("G2", (await store.ResolveAsync(Alice, T0.AddDays(2)))!.Gclid);
        Assert.DoesNotContain("G2", stored.Single(c => c.Platform == ClickPlatform.Google).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_writers_of_one_customer_lose_nothing()
    {
        var state = new Marketing.Sdk.Storage.InMemoryStateStore();
        var hosts = Enumerable.Range(0, 4).Select(_ => new ClickIdStore(state)).ToArray();
        var writes = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var ids = (i % 5) switch
            {
                0 => new ClickIdentifiers { Gclid = $"g{i}" },
                1 => new ClickIdentifiers { Fbc = ClickIdParser.ToFbc($"f{i}", T0) },
                2 => new ClickIdentifiers { Ttclid = $"t{i}" },
                3 => new ClickIdentifiers { TencentClickId = $"q{i}" },
                _ => new ClickIdentifiers { OceanEngineCallback = $"o{i}" },
            };
            await hosts[i % hosts.Length].RecordAsync(Alice, ids, T0.AddMinutes(i));
        }));
        await Task.WhenAll(writes);

        var stored = await hosts[0].GetAsync(Alice);

        // The latest click of each platform won, whatever the interleaving.
        Assert.Equal(["g15", "f16", "t17", "q18", "o19"], stored.OrderBy(c => c.Platform).Select(c => c.Ids.Gclid ?? c.Ids.Fbc?.Split('.')[3] ?? c.Ids.Ttclid ?? c.Ids.TencentClickId ?? c.Ids.OceanEngineCallback));
    }

    [Fact]
    public async Task Ingested_landing_urls_and_launch_queries_are_captured_per_customer()
    {
        await using var host = new ClickHost();
        var alice = await host.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A&fbclid=FB-A", T0, EventType.AdClick);
        var bob = await host.LandAsync("e2", Identity.Device("dev-b"), "gdt_vid=wx-b&weixinadinfo=1.2.3", T0.AddMinutes(5), EventType.Create("mini_program_launch"), EventProperties.LaunchQuery);
        await host.LandAsync("e3", Identity.Device("dev-c"), "https://shop.example/p/1", T0);

        var a = await host.Clicks.GetAsync(alice);
        var b = await host.Clicks.GetAsync(bob);

        Assert.Equal([ClickPlatform.Google, ClickPlatform.Meta], a.Select(c => c.Platform).Order());
        Assert.Equal(ClickIdParser.ToFbc("FB-A", T0), a.Single(c => c.Platform == ClickPlatform.Meta).Ids.Fbc);
        Assert.Equal("s-e1", a[0].SessionId);
        Assert.Equal("wx-b", Assert.Single(b).Ids.TencentClickId);
    }

    [Fact]
    public async Task The_publisher_fills_stored_click_ids_and_the_hosts_values_win_per_platform()
    {
        await using var host = new ClickHost();
        var alice = await host.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A&ttclid=TT-A&gdt_vid=TC-A", T0);
        var bob = await host.LandAsync("e2", Identity.Device("dev-b"), "https://shop.example/?gclid=G-B", T0);

        var result = await host.Publisher.PublishAsync(
        [
            ClickHost.Order("o1", alice, T0.AddDays(1)),
            ClickHost.Order("o2", alice, T0.AddDays(1).AddMinutes(1), new ClickIdentifiers { Gbraid = "HOST-GBRAID", TencentClickId = "HOST-TC", UserAgent = "ua" }),
            ClickHost.Order("o3", bob, T0.AddDays(91)),
            ClickHost.Order("o4", CustomerId.New(), T0.AddDays(1)),
        ]);
        var sent = (await host.PendingAsync()).ToDictionary(p => p.EventId);

        Assert.Equal(1 + 1, result.ClickIdsFilled);
        Assert.Equal(new ClickIdentifiers { Gclid = "G-A", Ttclid = "TT-A", TencentClickId = "TC-A" }, sent["o1"].Clicks);
        // The host named a Google and a Tencent click: those stay exactly as given; TikTok's is filled in.
        Assert.Equal(new ClickIdentifiers { Gbraid = "HOST-GBRAID", TencentClickId = "HOST-TC", Ttclid = "TT-A", UserAgent = "ua" }, sent["o2"].Clicks);
        // Outside Google's 90 days, and a customer without clicks: nothing filled.
        Assert.Equal(new ClickIdentifiers(), sent["o3"].Clicks);
        Assert.Equal(new ClickIdentifiers(), sent["o4"].Clicks);
    }

    [Fact]
    public async Task Switched_off_the_capture_stores_and_fills_nothing()
    {
        await using var host = new ClickHost(clicks: o => o.Enabled = false);
        var alice = await host.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A", T0);

        var result = await host.Publisher.PublishAsync([ClickHost.Order("o1", alice, T0.AddDays(1))]);

        Assert.Empty(await host.Clicks.GetAsync(alice));
        Assert.Equal(0, result.ClickIdsFilled);
    }

    [Fact]
    public async Task A_profile_merge_carries_the_click_ids_to_the_survivor()
    {
        await using var host = new ClickHost();
        var anonymous = await host.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A", T0);
        var member = await host.LandAsync("e2", Identity.Member("m-1"), "https://shop.example/?ttclid=TT-M", T0.AddMinutes(1));
        Assert.NotEqual(anonymous, member);

        var login = await host.Collector.TrackAsync(new MarketingEvent
        {
            Id = "e3", Type = EventType.Login, OccurredAt = T0.AddMinutes(2), Identities = [Identity.Device("dev-a"), Identity.Member("m-1")],
        });
        var survivor = login.CustomerId!.Value;
        var loser = survivor == anonymous ? member : anonymous;

        Assert.Equal([ClickPlatform.Google, ClickPlatform.TikTok], (await host.Clicks.GetAsync(survivor)).Select(c => c.Platform).Order());
        Assert.Empty(await host.Clicks.GetAsync(loser));
        // Reported again (after a crash): nothing changes.
        await host.Clicks.MergeAsync(survivor, [loser]);
        Assert.Equal(2, (await host.Clicks.GetAsync(survivor)).Count);
        var published = await host.Publisher.PublishAsync([ClickHost.Order("o1", survivor, T0.AddDays(1))]);
        Assert.Equal(1, published.ClickIdsFilled);
    }

    [Fact]
    public async Task A_data_subject_erasure_deletes_the_stored_click_ids()
    {
        await using var host = new ClickHost();
        var alice = await host.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A", T0);
        var bob = await host.LandAsync("e2", Identity.Device("dev-b"), "https://shop.example/?gclid=G-B", T0);

        var erased = await host.Provider.GetRequiredService<DataSubjectRequestService>().EraseAsync(alice);

        Assert.Equal(1, erased.Components["platforms.clicks"]);
        Assert.Empty(await host.Clicks.GetAsync(alice));
        Assert.Single(await host.Clicks.GetAsync(bob));
    }
}

public sealed class SqliteClickIdTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"clicks-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    [Fact]
    public async Task Clicks_captured_before_a_restart_are_filled_in_after_it_and_erased_with_the_customer()
    {
        var t0 = ClickHost.T0;
        CustomerId alice;
        await using (var first = new ClickHost(_path))
        {
            alice = await first.LandAsync("e1", Identity.Device("dev-a"), "https://shop.example/?gclid=G-A&clickid=OE-A", t0, EventType.AdClick);
        }
        await using var second = new ClickHost(_path, now: t0.AddDays(2));

        var result = await second.Publisher.PublishAsync([ClickHost.Order("o1", alice, t0.AddDays(2))]);
        var sent = Assert.Single(await second.PendingAsync());
        var erased = await second.Provider.GetRequiredService<DataSubjectRequestService>().EraseAsync(alice);

        Assert.Equal(1, result.ClickIdsFilled);
        Assert.Equal(new ClickIdentifiers { Gclid = "G-A", OceanEngineCallback = "OE-A" }, sent.Clicks);
        Assert.Equal(1, erased.Components["platforms.clicks"]);
        Assert.Empty(await second.Clicks.GetAsync(alice));
        Assert.Null(await second.Provider.GetRequiredService<IStateStore>().GetAsync(ClickIdStore.Scope, ClickIdStore.Key(alice)));
    }
}
