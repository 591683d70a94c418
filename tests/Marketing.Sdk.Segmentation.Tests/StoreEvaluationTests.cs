using FsCheck;
using FsCheck.Fluent;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Segmentation.Tests;

/// <summary>
/// Segments evaluated in the database (rules compiled to SQL) and from snapshots the store streams column by column,
/// against the in-memory snapshot evaluator, on random rules over seeded random data with the awkward values the rule
/// semantics care about (numeric text, separators, non-ASCII and astral text, booleans, missing values).
/// </summary>
public sealed class StoreEvaluationTests : IAsyncLifetime
{
    private static readonly string[] Traits = ["age", "gender", "region", "income", "vip", "member_level", "my field", "会员等级", "q\"uote"];
    private static readonly string[] Types = ["product_view", "purchase", "search", "add_to_cart"];
    private static readonly string[] Props = ["category", "price", "query", "channel", "value", "region"];
    private static readonly string[] Texts = ["female", "male", "sh", "bj", "gold", "25", "Winter Moisturiser", "winter", "WINTER", "maternity", "a", "", "冬季保湿", "\U0001F600 smile", "\uE000x", "1,200", " 25", "search"];

    private static readonly PropertyValue[] Values =
    [
        PropertyValue.Null, 25, 30, 18, 1000.5m, -3.25m, 0, 12.5m, 1234567890123.5m, 0.0000001m, true, false,
        "25", " 25", "1,200", "+5", "5.", "-3.25", "1e3", "12.50", "female", "male", "sh", "bj", "gold", "a", "",
        "Winter Moisturiser", "winter boots", "WINTER", "冬季保湿", "\U0001F600 smile", "\uE000x", "ſtraße", "search", "douyin",
    ];

    private static readonly Dictionary<string, SegmentCondition> Referenced = new(StringComparer.Ordinal)
    {
        ["base"] = SegmentDsl.Parse("age >= 30 or tag(\"vip\")"),
        ["x-1"] = SegmentDsl.Parse("count(purchase) within 30d >= 1"),
        ["a.b:c"] = SegmentDsl.Parse("region in (\"sh\", \"bj\") and not segment(\"base\")"),
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("segment-store-").FullName;
    private readonly List<(ServiceProvider Provider, string Name)> _stores = [];
    private CustomerProfile[] _profiles = [];
    private MarketingEvent[] _events = [];

    private static SegmentDefinition? Resolve(string id) => Referenced.TryGetValue(id, out var c) ? new SegmentDefinition(id, c) : null;

    public async Task InitializeAsync()
    {
        (_profiles, _events) = Data(new Random(24), 150);
        _stores.Add((await OpenAsync(m => m.UseSqlite($"Data Source={Path.Combine(_dir, "m.db")}")), "sqlite"));
        if (Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES") is { Length: > 0 } pg)
        {
            var schema = "segpd_" + Guid.NewGuid().ToString("N")[..12];
            _stores.Add((await OpenAsync(m => m.UsePostgreSql(pg, o => o.Schema = schema)), "postgresql"));
        }
    }

    private async Task<ServiceProvider> OpenAsync(Action<IMarketingBuilder> storage)
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddMarketingSdk(storage);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var profiles = provider.GetRequiredService<IProfileStore>();
        foreach (var p in _profiles)
        {
            await profiles.SaveAsync(p);
        }
        await provider.GetRequiredService<IEventStore>().AppendAsync(_events);
        return provider;
    }

    public async Task DisposeAsync()
    {
        foreach (var (provider, _) in _stores)
        {
            await provider.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Seeded customers: traits drawn from <see cref="Values"/>, tags, and 0–10 events each (some with an order instead of a value).</summary>
    internal static (CustomerProfile[] Profiles, MarketingEvent[] Events) Data(Random random, int customers)
    {
        var profiles = new List<CustomerProfile>();
        var events = new List<MarketingEvent>();
        PropertyValue Pick() => Values[random.Next(Values.Length)];
        for (var i = 0; i < customers; i++)
        {
            var traits = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
            foreach (var name in Traits)
            {
                if (random.Next(4) > 0 && Pick() is { IsNull: false } v)
                {
                    traits[name] = v;
                }
            }
            var tags = new[] { "vip", "new", "a b" };
            profiles.Add(new CustomerProfile
            {
                Id = TestData.Id(i),
                FirstSeen = TestData.Now.AddDays(-100),
                LastSeen = TestData.Now,
                Traits = traits,
                StaticTags = tags.Where(_ => random.Next(3) == 0).ToHashSet(StringComparer.Ordinal),
                DynamicTags = tags.Where(_ => random.Next(3) == 0).ToHashSet(StringComparer.Ordinal),
            });
            var count = random.Next(11);
            for (var e = 0; e < count; e++)
            {
                var type = Types[random.Next(Types.Length)];
                var at = TestData.Now.AddMinutes(-random.Next(-600, 60 * 24 * 90));
                var props = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
                foreach (var name in Props)
                {
                    if (random.Next(3) > 0 && Pick() is { IsNull: false } v)
                    {
                        props[name] = v;
                    }
                }
                var amount = random.Next(1, 300) / 4m;
                var kind = random.Next(4);
                events.Add(new MarketingEvent
                {
                    Id = $"e{i}-{e}",
                    Type = new EventType(type),
                    OccurredAt = at,
                    CustomerId = TestData.Id(i),
                    Channel = random.Next(3) switch { 0 => Channel.Search, 1 => Channel.Douyin, _ => (Channel?)null },
                    Region = random.Next(4) == 0 ? "sh" : null,
                    Value = kind == 0 ? new Money(amount, "CNY") : null,
                    Order = kind == 1
                        ? new Order { OrderId = $"o{i}-{e}", PlacedAt = at, Lines = [new OrderLine { ProductId = "sku", Quantity = 2, UnitPrice = new Money(amount, "CNY") }] }
                        : null,
                    Properties = props,
                });
            }
        }
        return ([.. profiles], [.. events]);
    }

    private HashSet<CustomerId> Expected(CompiledSegment compiled, DateTimeOffset now)
    {
        var columns = ProfileColumns.Build([compiled], _profiles, _events);
        return [.. SegmentBatchEvaluator.Create(compiled).Evaluate(columns, now, maxDegreeOfParallelism: 1).Members()];
    }

    private async Task<HashSet<CustomerId>?> PushedDownAsync(IRelationalQueryStore store, CompiledSegment compiled, DateTimeOffset now)
    {
        if (await StoreSnapshots.PushDownAsync(compiled, store, now, CancellationToken.None) is not var (members, undecided))
        {
            return null;
        }
        foreach (var id in undecided)
        {
            var profile = _profiles.Single(p => p.Id == id);
            if (compiled.Evaluate(profile, _events.Where(e => e.CustomerId == id), now))
            {
                members.Add(id);
            }
        }
        return members;
    }

    [Fact]
    public async Task Pushed_down_and_store_streamed_evaluation_equal_the_snapshot_evaluator_on_random_rules()
    {
        var rules = Gen.Sized(size => Generators.Condition(Math.Min(3, 1 + size / 25), Traits, Types, Props, Texts))
            .Sample(60, new Rnd(2412UL, 0x9E3779B97F4A7C15UL), 400);
        foreach (var (provider, name) in _stores)
        {
            var store = (IRelationalQueryStore)provider.GetRequiredService<IProfileStore>();
            int pushed = 0, notCompiled = 0;
            for (var i = 0; i < rules.Length; i++)
            {
                var now = TestData.Now.AddMinutes(i % 7 * 97 - 300);
                var compiled = SegmentCompiler.Compile(new SegmentDefinition("s", rules[i]), Resolve);
                var expected = Expected(compiled, now);

                var snapshot = await StoreSnapshots.BuildAsync([compiled], store, now, CancellationToken.None);
                var streamed = SegmentBatchEvaluator.Create(compiled).Evaluate(snapshot, now).Members().ToHashSet();
                Assert.True(expected.SetEquals(streamed), $"{name}: store snapshot differs for rule #{i}: {SegmentDsl.Format(rules[i])}");

                if (await PushedDownAsync(store, compiled, now) is { } members)
                {
                    pushed++;
                    Assert.True(expected.SetEquals(members), $"{name}: push-down differs for rule #{i}: {SegmentDsl.Format(rules[i])} (expected {expected.Count}, got {members.Count})");
                }
                if (SegmentSqlCompiler.Compile(compiled, store, now) is null)
                {
                    notCompiled++;
                }
            }
            // Most generated rules compile to SQL; the rest (non-ASCII needles, astral ordering literals, quoted names on SQLite) fall back.
            Assert.True(pushed > rules.Length / 2, $"{name}: only {pushed} of {rules.Length} rules were pushed down.");
            Assert.Equal(rules.Length - pushed, notCompiled);
        }
    }

    [Fact]
    public async Task A_rule_with_a_non_ASCII_needle_is_not_compiled_and_text_it_cannot_decide_is_left_undecided()
    {
        var (provider, _) = _stores[0];
        var store = (IRelationalQueryStore)provider.GetRequiredService<IProfileStore>();
        var nonAscii = SegmentCompiler.Compile(SegmentDefinition.Parse("s", "gender contains \"冬\""));
        Assert.Null(SegmentSqlCompiler.Compile(nonAscii, store, TestData.Now));

        // " 25", "1,200", "+5" and "5." parse as numbers in .NET, and 1234567890123.5 and 0.0000001 have no exact
        // scaled integer on SQLite: the database leaves those customers to the host.
        var numeric = SegmentCompiler.Compile(SegmentDefinition.Parse("s", "age >= 20"));
        var result = await StoreSnapshots.PushDownAsync(numeric, store, TestData.Now, CancellationToken.None);
        Assert.NotNull(result);
        var undecided = result.Value.Undecided.ToHashSet();
        Assert.NotEmpty(undecided);
        PropertyValue[] awkward = [" 25", "1,200", "+5", "5.", 1234567890123.5m, 0.0000001m];
        Assert.All(undecided, id => Assert.Contains(_profiles.Single(p => p.Id == id).Trait("age"), awkward));
        Assert.Equal(Expected(numeric, TestData.Now), (await PushedDownAsync(store, numeric, TestData.Now))!);
    }

    [Fact]
    public async Task Values_are_parameters_not_sql_text()
    {
        var (provider, _) = _stores[0];
        var store = (IRelationalQueryStore)provider.GetRequiredService<IProfileStore>();
        var evil = "x') OR 1=1 --";
        var compiled = SegmentCompiler.Compile(SegmentDefinition.Parse("s", $"gender = \"{evil}\" or count(search where query = \"{evil}\") >= 1"));
        var query = SegmentSqlCompiler.Compile(compiled, store, TestData.Now)!;
        Assert.DoesNotContain(evil, query.Sql, StringComparison.Ordinal);
        Assert.Contains(evil, query.Parameters);
        Assert.Empty((await PushedDownAsync(store, compiled, TestData.Now))!);
    }

    [Fact]
    public async Task The_segment_service_uses_the_store_and_gives_the_same_membership_with_it_turned_off()
    {
        var rules = new[]
        {
            "age between 20 and 40 and gender = \"female\"",
            "count(purchase) within 30d >= 2",
            "sum(value of purchase) within 60d > 40 or tag(\"vip\")",
            "exists(search where query contains \"winter\") within 90d and not segment(\"base\")",
            "avg(price of product_view where channel = \"search\") >= 20",
        };
        var results = new List<long[]>();
        foreach (var (useStore, pushDown) in new[] { (true, true), (true, false), (false, false) })
        {
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestData.Now);
            var file = Path.Combine(_dir, $"svc-{useStore}-{pushDown}.db");
            await using var host = await SegmentHost.StartAsync(time, m => m.UseSqlite($"Data Source={file}"), configure: o =>
            {
                o.UseStoreQueries = useStore;
                o.PushDownRules = pushDown;
            });
            var profiles = host.Provider.GetRequiredService<IProfileStore>();
            foreach (var p in _profiles)
            {
                await profiles.SaveAsync(p);
            }
            await host.Provider.GetRequiredService<IEventStore>().AppendAsync(_events);
            await host.Segments.DefineAsync(SegmentDefinition.Parse("base", "age >= 30 or tag(\"vip\")"));
            var counts = new List<long>();
            for (var i = 0; i < rules.Length; i++)
            {
                await host.Segments.DefineAsync(SegmentDefinition.Parse($"s{i}", rules[i]));
                var r = await host.Segments.EvaluateAsync($"s{i}");
                Assert.Equal(_profiles.Length, r.ProfilesEvaluated);
                counts.Add(r.Members);
                var expected = Expected(SegmentCompiler.Compile(SegmentDefinition.Parse($"s{i}", rules[i]), Resolve), TestData.Now);
                var members = new HashSet<CustomerId>();
                await foreach (var id in host.Segments.GetMembersAsync($"s{i}"))
                {
                    members.Add(id);
                }
                Assert.True(expected.SetEquals(members), $"rule {i} with store queries {useStore}/{pushDown}");
            }
            results.Add([.. counts]);
        }
        Assert.Equal(results[2], results[0]);
        Assert.Equal(results[2], results[1]);
    }
}
