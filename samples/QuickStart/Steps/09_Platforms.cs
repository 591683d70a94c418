using Marketing.Sdk;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Clicks;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.Extensions.DependencyInjection;

namespace QuickStart;

/// <summary>What one platform did with the shop's conversions.</summary>
/// <param name="WithClickId">Accepted conversions that carried the platform's click id (captured from the customer's landing URL).</param>
/// <param name="NotAttributable">Orders the platform cannot attribute at all (Ocean Engine: no Douyin click callback), skipped at publishing and never stored.</param>
internal sealed record PlatformOutcome(string Destination, int Accepted, int Withheld, IReadOnlyDictionary<string, int> Rejected, int WithClickId, int NotAttributable);

/// <summary>One order shown from its landing URL to the conversion a platform received.</summary>
/// <param name="Destination">The platform's destination.</param>
/// <param name="Landing">The ad click's landing URL (a WeChat click: the mini program's launch query).</param>
/// <param name="OrderEventId">The purchase event.</param>
/// <param name="ClickId">The click id the platform received with the conversion.</param>
internal sealed record ClickTrace(string Destination, string Landing, string OrderEventId, string ClickId);

internal sealed record PlatformsReport(int Orders, PublishResult Published, IReadOnlyList<PlatformOutcome> Outcomes, IReadOnlyList<CustomerId> TurnedOffAds, IReadOnlyList<ClickTrace> Traces, int CallbacksRegistered);

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
    public const string OceanAdvertiser = "1600000000000001";

    private SampleEmulators(MetaEmulator meta, GoogleEmulator google, TikTokEmulator tiktok, TencentAdsEmulator tencentAds, OceanEngineEmulator oceanEngine)
    {
        Meta = meta;
        Google = google;
        TikTok = tiktok;
        TencentAds = tencentAds;
        OceanEngine = oceanEngine;
    }

    public MetaEmulator Meta { get; }
    public GoogleEmulator Google { get; }
    public TikTokEmulator TikTok { get; }
    public TencentAdsEmulator TencentAds { get; }
    public OceanEngineEmulator OceanEngine { get; }

    private IEnumerable<PlatformEmulator> All => [Meta, Google, TikTok, TencentAds, OceanEngine];

    public static async Task<SampleEmulators> StartAsync(TimeProvider clock)
    {
        var meta = new MetaEmulator("quickstart-meta-token", clock);
        meta.AddPixel(MetaPixel);
        var google = new GoogleEmulator(clock);
        var tiktok = new TikTokEmulator(new TikTokEmulatorOptions { AccessTokens = ["quickstart-tiktok-token"], AdvertiserIds = [TikTokAdvertiser], TimeProvider = clock });
        var tencentAds = new TencentAdsEmulator(new TencentAdsEmulatorOptions { AccountIds = [TencentAccount], TimeProvider = clock });
        var oceanEngine = new OceanEngineEmulator(new OceanEngineEmulatorOptions { AdvertiserIds = [OceanAdvertiser], TimeProvider = clock });
        var emulators = new SampleEmulators(meta, google, tiktok, tencentAds, oceanEngine);
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
        // Ocean Engine attributes through the click's callback only: every conversion it accepted carries one.
        new("ocean_engine.conversions", e => e.OceanEngine.AcceptedConversions.Count, e => e.OceanEngine.AcceptedConversions.Count),
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
        })
        .AddOceanEnginePlatform(o =>
        {
            o.BaseAddress = emulators.OceanEngine.BaseAddress; // the Marketing API (reports, budgets, DMP)
            o.ConversionAddress = emulators.OceanEngine.BaseAddress; // the conversion callback API (analytics.oceanengine.com)
            o.AccessToken = emulators.OceanEngine.Options.AccessToken;
            o.RefreshToken = emulators.OceanEngine.Options.RefreshToken; // with AppId and Secret: the rotating pair, kept in the store
            o.AppId = emulators.OceanEngine.Options.AppId;
            o.Secret = emulators.OceanEngine.Options.Secret;
            o.AdvertiserId = SampleEmulators.OceanAdvertiser;
        });
}

/// <summary>
/// Step 9: the shop's orders of its last ten days go to Meta, Google, TikTok, Tencent Ads and Ocean Engine as
/// server-side conversions — hashed per platform, through the durable outbox, consent re-checked before
/// anything is sent — and what each platform accepted, rejected (with its reason) and what consent
/// withheld is printed. The orders carry no click ids: the publisher fills in the ones captured at
/// ingestion from the customers' ad landing URLs (within each platform's click window), and the table
/// shows how many accepted conversions carried one. Ocean Engine attributes a conversion only through the callback of a
/// Douyin click, so orders without one are skipped for it at publishing (counted as "not attributable"). One order per
/// Chinese platform is traced from its landing URL to the conversion the platform received. The platforms are the
/// emulators of <c>Marketing.Sdk.Testing</c>.
/// </summary>
internal static class PlatformsStep
{
    public static readonly TimeSpan UploadWindow = TimeSpan.FromDays(10);

    public static async Task<PlatformsReport> RunAsync(QuickStartContext run)
    {
        run.Heading(9, "Platforms (server-side conversions through the outbox to the Meta, Google, TikTok, Tencent Ads and Ocean Engine emulators)");
        var since = run.ShopEnd - UploadWindow;
        var events = await run.GetEventsAsync();
        // Ocean Engine knows every callback it put into a Douyin landing URL; the shop's landing URLs are synthetic, so
        // the emulator is told about theirs (it refuses conversions naming a callback it never issued).
        var landings = events.Where(e => e.Type == EventType.AdClick)
            .Select(e => (Event: e, Landing: e.Property(EventProperties.Url).AsString() ?? e.Property(EventProperties.LaunchQuery).AsString()))
            .Where(l => l.Landing is not null)
            .Select(l => (l.Event, Landing: l.Landing!, Clicks: ClickIdParser.Parse(l.Landing, l.Event.OccurredAt)))
            .ToList();
        var registered = run.Emulators.OceanEngine.RegisterIssuedCallbacks(landings.Select(l => l.Clicks?.OceanEngineCallback).OfType<string>());
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
        var table = new Table("platform", "accepted", "with click id", "withheld (consent)", "not attributable", "rejected", "reasons").Left(6);
        foreach (var platform in SamplePlatforms.Rows.OrderBy(p => p.Destination, StringComparer.Ordinal))
        {
            var destination = platform.Destination;
            var mine = dead.Where(d => d.Message.Destination == destination).ToList();
            var withheld = mine.Count(d => d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal));
            var rejected = mine.Where(d => !d.LastError!.StartsWith(PlatformDeliveryWorker.ConsentWithheldPrefix, StringComparison.Ordinal))
                .GroupBy(d => d.LastError!).ToDictionary(g => g.Key, g => g.Count());
            var accepted = platform.Accepted(run.Emulators);
            var withClickId = platform.WithClickId(run.Emulators);
            var notAttributable = published.Skipped.Count(x => x.Destination == destination);
            outcomes.Add(new PlatformOutcome(destination, accepted, withheld, rejected, withClickId, notAttributable));
            table.Add(destination, accepted, withClickId, withheld, notAttributable, rejected.Values.Sum(),
                string.Join("; ", rejected.OrderByDescending(r => r.Value).Select(r => $"{r.Value} × {r.Key}")));
        }
        table.WriteTo(run.Out);
        run.Line($"(withheld: buyers without ad consent, and {turnedOff.Count} who turned off personalised ads after ordering; Meta and TikTok take events of the last 7 days only, so older orders are refused before sending; Google takes 90 days)");
        run.Line("(with click id: the shop's ad clicks land with gclid (Search, Baidu), fbclid (Xiaohongshu), ttclid (Kuaishou, Bilibili), gdt_vid (WeChat mini program) or clickid (Douyin) in the URL;");
        run.Line(" captured at ingestion per customer and filled into the customer's later orders within 7 days of the click (Google: 90 days); anonymous clicks follow the visitor's merge into the member)");
        run.Line($"(not attributable: Ocean Engine takes a conversion only with the callback of a Douyin click, so orders without one are skipped for it at publishing; the emulator was told the {registered:N0} callbacks of the shop's Douyin landing URLs)");

        // One order per Chinese platform, from the landing URL its buyer's ad click carried to the conversion the platform received.
        var traces = new List<ClickTrace>();
        var tencent = run.Emulators.TencentAds.AcceptedActions.Where(a => a.ClickId is not null).OrderBy(a => a.OuterActionId, StringComparer.Ordinal).FirstOrDefault();
        if (tencent is not null && landings.FirstOrDefault(l => l.Clicks?.TencentClickId == tencent.ClickId) is { Landing: { } tencentLanding })
        {
            traces.Add(new ClickTrace("tencent_ads.conversions", tencentLanding, tencent.OuterActionId, tencent.ClickId!));
        }
        var ocean = run.Emulators.OceanEngine.AcceptedConversions.OrderBy(c => c.Timestamp).ThenBy(c => c.Callback, StringComparer.Ordinal).FirstOrDefault();
        if (ocean is not null && landings.FirstOrDefault(l => l.Clicks?.OceanEngineCallback == ocean.Callback) is { Event: { } click, Landing: { } oceanLanding }
            && orders.FirstOrDefault(o => o.CustomerId == click.CustomerId && o.OccurredAt.ToUnixTimeMilliseconds() == ocean.Timestamp.ToUnixTimeMilliseconds()) is { } oceanOrder)
        {
            traces.Add(new ClickTrace("ocean_engine.conversions", oceanLanding, oceanOrder.Id, ocean.Callback));
        }
        foreach (var trace in traces)
        {
            var what = trace.Destination == "ocean_engine.conversions" ? "context.ad.callback" : "trace.click_id";
            run.Line($"{trace.Destination}: landing {trace.Landing}");
            run.Line($"  → order {trace.OrderEventId} → conversion accepted with {what} = {trace.ClickId}");
        }
        run.Line();
        return new PlatformsReport(orders.Count, published, outcomes, turnedOff, traces, registered);
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
