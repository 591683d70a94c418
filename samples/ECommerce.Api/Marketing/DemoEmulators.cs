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
