using Marketing.Sdk.Ingestion;

namespace Marketing.Sdk.Export.Parquet.Tests;

/// <summary>Generated shop traffic: customers with e-mail, member id and cookie, page views and ad clicks on several channels, purchases with values and orders.</summary>
internal static class ShopData
{
    private static readonly string[] Channels = ["paid_search", "email", "social", "display", "organic"];

    public static Identity Email(int customer) => Identity.Email($"shopper{customer:D3}.export@example.com");

    public static Identity Member(int customer) => Identity.Member($"member-export-{customer:D3}");

    public static Identity Cookie(int customer) => Identity.Cookie($"cookie-export-{customer:D3}");

    /// <summary>Tracks <paramref name="events"/> events per customer for customers <paramref name="from"/>..<paramref name="to"/>, advancing the clock a little per event; some events occurred days before they are received.</summary>
    public static async Task<List<string>> TrackAsync(ExportHarness host, int from, int to, int events, int seed)
    {
        var random = new Random(seed);
        var ids = new List<string>();
        for (var c = from; c < to; c++)
        {
            for (var n = 0; n < events; n++)
            {
                host.Time.Advance(TimeSpan.FromSeconds(random.Next(1, 30)));
                var now = host.Time.GetUtcNow();
                // Mostly recent, sometimes days late, with the sender's offset (UTC+8 or UTC).
                var occurred = now - TimeSpan.FromMinutes(random.Next(0, 6 * 60)) - (random.Next(8) == 0 ? TimeSpan.FromDays(random.Next(1, 5)) : TimeSpan.Zero);
                occurred = occurred.ToOffset(random.Next(2) == 0 ? TimeSpan.FromHours(8) : TimeSpan.Zero);
                var id = $"evt-{seed}-{c:D3}-{n:D2}-{Guid.NewGuid():N}";
                var kind = random.Next(10);
                var channel = new Channel(Channels[random.Next(Channels.Length)]);
                MarketingEvent e = kind switch
                {
                    < 5 => new MarketingEvent
                    {
                        Id = id, Type = EventType.PageView, OccurredAt = occurred, Channel = channel, SessionId = $"s-{c}-{n / 3}",
                        Properties = new Dictionary<string, PropertyValue> { ["url"] = PropertyValue.From($"/p/{random.Next(50)}"), ["score"] = PropertyValue.From(random.Next(100)) },
                    },
                    < 8 => new MarketingEvent { Id = id, Type = EventType.AdClick, OccurredAt = occurred, Channel = channel, CampaignId = $"cmp-{random.Next(4)}" },
                    8 => new MarketingEvent
                    {
                        Id = id, Type = EventType.Purchase, OccurredAt = occurred, Value = new Money(random.Next(100, 100_000) / 100m, "CNY"), Region = "CN-SH",
                        Order = new Order
                        {
                            OrderId = $"order-{seed}-{c}-{n}", PlacedAt = occurred,
                            Lines = [new OrderLine { ProductId = $"sku-{random.Next(20)}", Quantity = random.Next(1, 4), UnitPrice = new Money(19.90m, "CNY") }],
                        },
                    },
                    _ => new MarketingEvent { Id = id, Type = EventType.Purchase, OccurredAt = occurred, Value = new Money(random.Next(1, 5000), "CNY") },
                };
                e = e with { Identities = n == 0 ? [Email(c), Member(c), Cookie(c)] : [Member(c)] };
                var result = await host.Collector.TrackAsync(e);
                Assert.Equal(TrackStatus.Accepted, result.Status);
                ids.Add(id);
            }
        }
        return ids;
    }
}
