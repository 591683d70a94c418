using Marketing.Sdk;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace QuickStart;

/// <summary>What one platform did with the shop's conversions.</summary>
/// <param name="WithClickId">Accepted conversions that carried the platform's click id (captured from the customer's landing URL).</param>
internal sealed record PlatformOutcome(string Destination, int Accepted, int Withheld, IReadOnlyDictionary<string, int> Rejected, int WithClickId);

internal sealed record PlatformsReport(int Orders, PublishResult Published, IReadOnlyList<PlatformOutcome> Outcomes, IReadOnlyList<CustomerId> TurnedOffAds);

/// <summary>
/// One platform of the step: its outbox destination, what its emulator accepted and how many of those carried the
/// platform's click id. Adding a platform is one registration in <see cref="SamplePlatforms.AddSamplePlatforms"/> and
/// one row in <see cref="SamplePlatforms.Rows"/>.
/// </summary>
internal sealed record SamplePlatform(string Destination, Func<SampleEmulators, int> Accepted, Func<SampleEmulators, int> WithClickId);

/// <summary>The platform emulators the sample sends to (real HTTP on loopback, on the sample clock).</summary>
internal sealed class SampleEmulators : IAsyncDisposable
{
    public const string MetaPixel = "880000000000001";
    public const string TikTokAdvertiser = "7000000001";
    public const string TikTokPixel = "QUICKSTARTPIXEL";
    public const string GoogleAccount = "123-456-7890";
    public const string GooglePurchaseAction = "555000111";
    public const string TencentAccount = "20000001";
    public const string TencentActionSet = "1100000001";

    private SampleEmulators(MetaEmulator meta, GoogleEmulator google, TikTokEmulator tiktok, TencentAdsEmulator tencentAds)
    {
        Meta = meta;
        Google = google;
        TikTok = tiktok;
        TencentAds = tencentAds;
    }

    public MetaEmulator Meta { get; }
    public GoogleEmulator Google { get; }
    public TikTokEmulator TikTok { get; }
    public TencentAdsEmulator TencentAds { get; }

    private IEnumerable<PlatformEmulator> All => [Meta, Google, TikTok, TencentAds];

    public static async Task<SampleEmulators> StartAsync(TimeProvider clock)
    {
        var meta = new MetaEmulator("quickstart-meta-token", clock);
        meta.AddPixel(MetaPixel);
        var google = new GoogleEmulator(clock);
        var tiktok = new TikTokEmulator(new TikTokEmulatorOptions { AccessTokens = ["quickstart-tiktok-token"], AdvertiserIds = [TikTokAdvertiser], TimeProvider = clock });
        var tencentAds = new TencentAdsEmulator(new TencentAdsEmulatorOptions { AccountIds = [TencentAccount], TimeProvider = clock });
        var emulators = new SampleEmulators(meta, google, tiktok, tencentAds);
        await Task.WhenAll(emulators.All.Select(e => e.StartAsync()));
        return emulators;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var emulator in All)
        {
            await emulator.DisposeAsync();
        }
    }
}

/// <summary>The platforms of step 9: their registrations and their rows.</summary>
internal static class SamplePlatforms
{
    public static readonly SamplePlatform[] Rows =
    [
        new("meta.conversions", e => e.Meta.AcceptedEvents.Count, e => e.Meta.AcceptedEvents.Count(x => x.UserData.ContainsKey("fbc"))),
        new("google.conversions", e => e.Google.AcceptedEvents.Count, e => e.Google.AcceptedEvents.Count(x => x.Gclid is not null)),
        new("tiktok.conversions", e => e.TikTok.AcceptedEvents.Count, e => e.TikTok.AcceptedEvents.Count(x => x.Ttclid is not null)),
        new("tencent_ads.conversions", e => e.TencentAds.AcceptedActions.Count, e => e.TencentAds.AcceptedActions.Count(x => x.ClickId is not null)),
    ];

    /// <summary>Registers the platform clients, pointed at the emulators.</summary>
    public static IMarketingBuilder AddSamplePlatforms(this IMarketingBuilder m, SampleEmulators emulators) => m
        .AddMetaPlatform(o =>
        {
            o.BaseAddress = emulators.Meta.BaseAddress;
            o.AccessToken = emulators.Meta.AccessToken;
            o.PixelId = SampleEmulators.MetaPixel;
        })
        .AddGooglePlatform(o =>
        {
            o.BaseAddress = emulators.Google.BaseAddress;
            o.TokenEndpoint = emulators.Google.TokenEndpoint;
            o.ClientId = emulators.Google.ClientId;
            o.ClientSecret = emulators.Google.ClientSecret;
            o.RefreshToken = emulators.Google.RefreshToken;
            o.OperatingAccountId = SampleEmulators.GoogleAccount;
            o.ConversionActions["purchase"] = SampleEmulators.GooglePurchaseAction;
        })
        .AddTikTokPlatform(o =>
        {
            o.BaseAddress = emulators.TikTok.BaseAddress;
            o.AccessToken = emulators.TikTok.AccessToken;
            o.AdvertiserId = SampleEmulators.TikTokAdvertiser;
            o.PixelCode = SampleEmulators.TikTokPixel;
        })
        .AddTencentAdsPlatform(o =>
        {
            o.BaseAddress = emulators.TencentAds.BaseAddress;
            o.AccessToken = emulators.TencentAds.Options.AccessToken;
            o.RefreshToken = emulators.TencentAds.Options.RefreshToken;
            o.ClientId = emulators.TencentAds.Options.ClientId;
            o.ClientSecret = emulators.TencentAds.Options.ClientSecret;
            o.AccountId = SampleEmulators.TencentAccount;
            o.UserActionSetId = SampleEmulators.TencentActionSet;
        });
}

/// <summary>
/// Step 9: the shop's orders of its last ten days go to Meta, Google, TikTok and Tencent Ads as
/// server-side conversions — hashed per platform, through the durable outbox, consent re-checked before
/// anything is sent — and what each platform accepted, rejected (with its reason) and what consent
/// withheld is printed. The orders carry no click ids: the publisher fills in the ones captured at
/// ingestion from the customers' ad landing URLs (within each platform's click window), and the table
/// shows how many accepted conversions carried one. The platforms are the emulators of <c>Marketing.Sdk.Testing</c>.
/// </summary>
internal static class PlatformsStep
{
    public static readonly TimeSpan UploadWindow = TimeSpan.FromDays(10);

    public static async Task<PlatformsReport> RunAsync(QuickStartContext run)
    {
        run.Heading(9, "Platforms (server-side conversions through the outbox to the Meta, Google, TikTok and Tencent Ads emulators)");
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
        run.Line($"click ids captured from the buyers' ad landing URLs filled into {published.ClickIdsFilled:N0} of the {orders.Count:N0} orders (each platform's own, within its click window)");

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
        var table = new Table("platform", "accepted", "with click id", "withheld (consent)", "rejected", "reasons").Left(5);
        foreach (var platform in SamplePlatforms.Rows.OrderBy(p => p.Destination, StringComparer.Ordinal))
        {
            var destination = platform.Destination;
            var mine = dead.Where(d => d.Message.Destination == destination).ToList();
            var withheld = mine.Count(d => d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal));
            var rejected = mine.Where(d => !d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal))
                .GroupBy(d => d.LastError!).ToDictionary(g => g.Key, g => g.Count());
            var accepted = platform.Accepted(run.Emulators);
            var withClickId = platform.WithClickId(run.Emulators);
            outcomes.Add(new PlatformOutcome(destination, accepted, withheld, rejected, withClickId));
            table.Add(destination, accepted, withClickId, withheld, rejected.Values.Sum(),
                string.Join("; ", rejected.OrderByDescending(r => r.Value).Select(r => $"{r.Value} × {r.Key}")));
        }
        table.WriteTo(run.Out);
        run.Line($"(withheld: buyers without ad consent, and {turnedOff.Count} who turned off personalised ads after ordering; Meta and TikTok take events of the last 7 days only, so older orders are refused before sending; Google takes 90 days)");
        run.Line("(with click id: the shop's ad clicks land with gclid (Search, Baidu), fbclid (Xiaohongshu), ttclid (Kuaishou, Bilibili), gdt_vid (WeChat mini program) or clickid (Douyin) in the URL;");
        run.Line(" captured at ingestion per customer and filled into the customer's later orders within 7 days of the click (Google: 90 days); anonymous clicks follow the visitor's merge into the member)");
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
