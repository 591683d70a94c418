using Marketing.Sdk.Testing.Emulators;

namespace ECommerce.Api.Marketing;

/// <summary>
/// The Meta, Google and TikTok emulators of Marketing.Sdk.Testing (real HTTP servers on loopback)
/// that the shop sends its conversions to in Development, so the whole path — order, consent gate,
/// outbox, platform client — runs without platform accounts.
/// </summary>
public sealed class DemoEmulators : IAsyncDisposable
{
    public const string MetaToken = "demo-meta-token";
    public const string MetaPixel = "880000000000002";
    public const string TikTokToken = "demo-tiktok-token";
    public const string TikTokAdvertiser = "7000000002";
    public const string TikTokPixel = "DEMOSHOPPIXEL";
    public const string GoogleAccount = "123-456-7890";
    public const string GooglePurchaseAction = "555000222";
    public const string MetaAdAccount = "990000000000001";

    private DemoEmulators(MetaEmulator meta, GoogleEmulator google, TikTokEmulator tiktok)
    {
        Meta = meta;
        Google = google;
        TikTok = tiktok;
    }

    public MetaEmulator Meta { get; }

    public GoogleEmulator Google { get; }

    public TikTokEmulator TikTok { get; }

    public static async Task<DemoEmulators> StartAsync(TimeProvider time)
    {
        var meta = new MetaEmulator(MetaToken, time);
        meta.AddPixel(MetaPixel);
        // An ad account with 30 days of delivery for two campaigns, so the dashboard shows spend, ROI and budget proposals.
        meta.AddAdAccount(MetaAdAccount, "EUR");
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var rows = new List<MetaInsightsSeedRow>();
        for (var day = 0; day < 30; day++)
        {
            var date = today.AddDays(-day);
            rows.Add(new MetaInsightsSeedRow { Date = date, CampaignId = "120000000000101", CampaignName = "Spring trail", Spend = 12.50m + day % 5, Impressions = 4000 + 37 * day, Clicks = 90 + day % 7 });
            rows.Add(new MetaInsightsSeedRow { Date = date, CampaignId = "120000000000102", CampaignName = "Retargeting", Spend = 4.20m + day % 3, Impressions = 1500 + 11 * day, Clicks = 40 + day % 4 });
        }
        meta.SeedInsights(MetaAdAccount, rows);
        var google = new GoogleEmulator(time);
        var tiktok = new TikTokEmulator(new TikTokEmulatorOptions { AccessTokens = [TikTokToken], AdvertiserIds = [TikTokAdvertiser], TimeProvider = time });
        await Task.WhenAll(meta.StartAsync(), google.StartAsync(), tiktok.StartAsync());
        return new DemoEmulators(meta, google, tiktok);
    }

    public async ValueTask DisposeAsync()
    {
        await Meta.DisposeAsync();
        await Google.DisposeAsync();
        await TikTok.DisposeAsync();
    }
}
