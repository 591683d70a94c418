using Marketing.Sdk;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;

namespace QuickStart;

/// <summary>What one platform did with the shop's conversions.</summary>
internal sealed record PlatformOutcome(string Destination, int Accepted, int Withheld, IReadOnlyDictionary<string, int> Rejected);

internal sealed record PlatformsReport(int Orders, PublishResult Published, IReadOnlyList<PlatformOutcome> Outcomes, IReadOnlyList<CustomerId> TurnedOffAds);

/// <summary>The three platform emulators the sample sends to (real HTTP on loopback, on the sample clock).</summary>
internal sealed class SampleEmulators : IAsyncDisposable
{
    public const string MetaPixel = "880000000000001";
    public const string TikTokAdvertiser = "7000000001";
    public const string TikTokPixel = "QUICKSTARTPIXEL";
    public const string GoogleAccount = "123-456-7890";
    public const string GooglePurchaseAction = "555000111";

    private SampleEmulators(MetaEmulator meta, GoogleEmulator google, TikTokEmulator tiktok)
    {
        Meta = meta;
        Google = google;
        TikTok = tiktok;
    }

    public MetaEmulator Meta { get; }
    public GoogleEmulator Google { get; }
    public TikTokEmulator TikTok { get; }

    public static async Task<SampleEmulators> StartAsync(TimeProvider clock)
    {
        var meta = new MetaEmulator("quickstart-meta-token", clock);
        meta.AddPixel(MetaPixel);
        var google = new GoogleEmulator(clock);
        var tiktok = new TikTokEmulator(new TikTokEmulatorOptions { AccessTokens = ["quickstart-tiktok-token"], AdvertiserIds = [TikTokAdvertiser], TimeProvider = clock });
        await Task.WhenAll(meta.StartAsync(), google.StartAsync(), tiktok.StartAsync());
        return new SampleEmulators(meta, google, tiktok);
    }

    public async ValueTask DisposeAsync()
    {
        await Meta.DisposeAsync();
        await Google.DisposeAsync();
        await TikTok.DisposeAsync();
    }
}

/// <summary>
/// Step 9: the shop's orders of its last ten days go to Meta, Google and TikTok as server-side
/// conversions — hashed per platform, through the durable outbox, consent re-checked before
/// anything is sent — and what each platform accepted, rejected (with its reason) and what consent
/// withheld is printed. The platforms are the emulators of <c>Marketing.Sdk.Testing</c>.
/// </summary>
internal static class PlatformsStep
{
    public static readonly TimeSpan UploadWindow = TimeSpan.FromDays(10);

    public static async Task<PlatformsReport> RunAsync(QuickStartContext run)
    {
        run.Heading(9, "Platforms (server-side conversions through the outbox to the Meta, Google and TikTok emulators)");
        var since = run.ShopEnd - UploadWindow;
        var events = await run.GetEventsAsync();
        var orders = events.Where(e => e.Type == EventType.Purchase && e.Order is not null && e.CustomerId is not null && e.OccurredAt >= since).ToList();
        var conversions = orders.Select(ToConversion).ToList();
        var published = await run.Get<IConversionPublisher>().PublishAsync(conversions);

        // Before the worker runs, three buyers who had accepted ads switch off personalised ads in
        // their account settings: the withdrawal reaches the gate, which re-checks at delivery time.
        var ledger = run.Get<ConsentLedger>();
        var turnedOff = new List<CustomerId>();
        foreach (var customer in orders.Select(o => o.CustomerId!.Value).Distinct().Order())
        {
            if (turnedOff.Count == 3)
            {
                break;
            }
            if ((await ledger.GetCurrentAsync(customer)).TryGetValue(ConsentPurpose.AdMeasurement, out var record) && record.Granted)
            {
                await ledger.TurnOffPersonalisedAdsAsync(customer, new ConsentCapture(ConsentSources.App, "privacy-2026-09"));
                turnedOff.Add(customer);
            }
        }
        run.Line($"{orders.Count:N0} orders since {since.ToOffset(run.ShopEnd.Offset):yyyy-MM-dd} published: {published.Enqueued:N0} outbox messages (one per order and platform), customer data hashed before storage");

        var worker = run.Get<PlatformDeliveryWorker>();
        foreach (var destination in worker.Destinations)
        {
            while ((await worker.DeliverOnceAsync(destination)).Claimed > 0)
            {
            }
        }

        var outcomes = new List<PlatformOutcome>();
        var dead = new List<OutboxEntry>();
        await foreach (var entry in run.Get<IOutboxStore>().ReadAsync(OutboxState.DeadLettered))
        {
            dead.Add(entry);
        }
        var accepted = new Dictionary<string, int>
        {
            ["meta.conversions"] = run.Emulators.Meta.AcceptedEvents.Count,
            ["google.conversions"] = run.Emulators.Google.AcceptedEvents.Count,
            ["tiktok.conversions"] = run.Emulators.TikTok.AcceptedEvents.Count,
        };
        var table = new Table("platform", "accepted", "withheld (consent)", "rejected", "reasons").Left(4);
        foreach (var destination in worker.Destinations.Order(StringComparer.Ordinal))
        {
            var mine = dead.Where(d => d.Message.Destination == destination).ToList();
            var withheld = mine.Count(d => d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal));
            var rejected = mine.Where(d => !d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal))
                .GroupBy(d => d.LastError!).ToDictionary(g => g.Key, g => g.Count());
            outcomes.Add(new PlatformOutcome(destination, accepted[destination], withheld, rejected));
            table.Add(destination, accepted[destination], withheld, rejected.Values.Sum(),
                string.Join("; ", rejected.OrderByDescending(r => r.Value).Select(r => $"{r.Value} × {r.Key}")));
        }
        table.WriteTo(run.Out);
        run.Line($"(withheld: buyers without ad consent, and {turnedOff.Count} who turned off personalised ads after ordering; Meta and TikTok take events of the last 7 days only, so older orders are refused before sending; Google takes 90 days)");
        run.Line();
        return new PlatformsReport(orders.Count, published, outcomes, turnedOff);
    }

    private static ConversionRequest ToConversion(MarketingEvent purchase)
    {
        var order = purchase.Order!;
        string? Find(IdentityKind kind) => purchase.Identities.FirstOrDefault(i => i.Kind == kind) is { Value: { } v } ? v : null;
        return new ConversionRequest
        {
            EventId = purchase.Id,
            EventType = EventType.Purchase,
            OccurredAt = purchase.OccurredAt,
            CustomerId = purchase.CustomerId!.Value,
            Value = order.Total ?? order.Lines.Select(l => l.UnitPrice * l.Quantity).Aggregate((a, b) => a + b),
            OrderId = order.OrderId,
            Items = [.. order.Lines.Select(l => new ConversionItem(l.ProductId, l.Quantity, l.UnitPrice.Amount))],
            Customer = new CustomerMatchData { Email = Find(IdentityKind.Email), Phone = Find(IdentityKind.Phone), ExternalId = Find(IdentityKind.MemberId), Country = "CN" },
            // The checkout request's browser details; the synthetic shop does not record them, so the sample states one.
            Clicks = new ClickIdentifiers { UserAgent = "Mozilla/5.0 (QuickStart checkout)" },
            SourceUrl = new Uri("https://shop.example/checkout/complete"),
        };
    }
}
