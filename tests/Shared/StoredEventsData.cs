using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marketing.Sdk.Tests.Shared;

/// <summary>
/// Seeded random touches and purchases in real stores (a SQLite file, and PostgreSQL when
/// <c>MARKETING_SDK_TEST_POSTGRES</c> is set), for analyses read straight from a store to be compared with the same
/// analyses over the event objects. The data has what the readers must get right: ids in mixed case and with
/// separators, equal timestamps, orders placed at another offset than they were tracked, repeated order ids,
/// cancelled and refunded orders, values and order revenues, and session-less touches.
/// </summary>
internal sealed class StoredEventsData : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] TypeNames = ["page_view", "ad_click", "ad_impression", "message_click", "purchase", "purchase", "add_to_cart"];
    private static readonly Channel?[] Channels = [Channel.Search, Channel.Douyin, Channel.WeChat, null];
    private static readonly string?[] Campaigns = ["cmp-1", "cmp-2", null];
    private static readonly string?[] Sessions = ["s1", "s2", null, null];

    private readonly string _dir = Directory.CreateTempSubdirectory("stored-events-").FullName;
    private readonly List<ServiceProvider> _providers = [];
    private readonly List<IEventStore> _eventStores = [];

    private StoredEventsData(MarketingEvent[] events) => Events = events;

    public MarketingEvent[] Events { get; }

    public List<(IRelationalQueryStore Store, string Name)> Stores { get; } = [];

    public static async Task<StoredEventsData> CreateAsync(int seed, int customers = 80, string currency = "CNY")
    {
        var data = new StoredEventsData(Generate(new Random(seed), customers, currency));
        await data.OpenAsync(m => m.UseSqlite($"Data Source={Path.Combine(data._dir, "m.db")}"), "sqlite");
        if (Environment.GetEnvironmentVariable("MARKETING_SDK_TEST_POSTGRES") is { Length: > 0 } pg)
        {
            var schema = "stev_" + Guid.NewGuid().ToString("N")[..12];
            await data.OpenAsync(m => m.UsePostgreSql(pg, o => o.Schema = schema), "postgresql");
        }
        return data;
    }

    private static string CustomerName(int i) => (i % 9) switch
    {
        0 => $"Z{i}",
        1 => $"a_{i}",
        2 => $"c:{i}",
        _ => $"c{i:000}",
    };

    private static MarketingEvent[] Generate(Random random, int customers, string currency)
    {
        var events = new List<MarketingEvent>();
        T Pick<T>(T[] from) => from[random.Next(from.Length)];
        for (var i = 0; i < customers; i++)
        {
            var customer = new CustomerId(CustomerName(i));
            var count = random.Next(16);
            var at = Start.AddMinutes(random.Next(60 * 24 * 30));
            for (var e = 0; e < count; e++)
            {
                // Some events share the previous one's instant, so order falls to the event id.
                at = random.Next(5) == 0 ? at : at.AddMinutes(random.Next(1, 60 * 24 * 12));
                var type = new EventType(Pick(TypeNames));
                var kind = random.Next(5);
                var amount = random.Next(0, 40_000) / 100m;
                var placedAt = at.AddHours(-random.Next(0, 30)).ToOffset(TimeSpan.FromHours(8));
                events.Add(new MarketingEvent
                {
                    Id = $"e-{i}-{(e * 7919) % 101:000}",
                    Type = type,
                    OccurredAt = at,
                    CustomerId = customer,
                    Channel = Pick(Channels),
                    CampaignId = Pick(Campaigns),
                    SessionId = Pick(Sessions),
                    Value = kind == 0 ? new Money(amount, currency) : null,
                    Order = kind is 1 or 2 or 3
                        ? new Order
                        {
                            OrderId = $"o-{i}-{random.Next(4)}",
                            PlacedAt = placedAt,
                            Lines = [new OrderLine { ProductId = "sku", Quantity = 1 + random.Next(3), UnitPrice = new Money(amount, currency) }],
                            Status = (OrderStatus)random.Next(5),
                        }
                        : null,
                });
            }
        }
        return [.. events];
    }

    private async Task OpenAsync(Action<IMarketingBuilder> storage, string name)
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddMarketingSdk(storage);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        await provider.GetRequiredService<IStorageMigrator>().MigrateAsync();
        var events = provider.GetRequiredService<IEventStore>();
        await events.AppendAsync(Events);
        _eventStores.Add(events);
        Stores.Add(((IRelationalQueryStore)provider.GetRequiredService<IProfileStore>(), name));
    }

    /// <summary>Appends more events to every store (not to <see cref="Events"/>).</summary>
    public async Task AppendAsync(IReadOnlyList<MarketingEvent> events)
    {
        foreach (var store in _eventStores)
        {
            await store.AppendAsync(events);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
