using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuickStart;

/// <summary>What the sample runs on.</summary>
internal sealed record QuickStartSettings
{
    /// <summary>People in the synthetic shop.</summary>
    public int Customers { get; init; } = 3_000;

    /// <summary>The SQLite file (recreated on each run).</summary>
    public string DatabaseFile { get; init; } = "marketing.db";

    /// <summary>Reads the customer count from the first argument, if any.</summary>
    public static QuickStartSettings FromArgs(string[] args) =>
        args.Length > 0 && int.TryParse(args[0], out var n) && n > 0 ? new QuickStartSettings { Customers = n } : new QuickStartSettings();
}

/// <summary>
/// The sample's clock. The shop's 90 days are replayed in time order and the clock follows the
/// events, so everything that reads the time (ingestion checks, segment windows, journey waits,
/// RFM recency) sees the shop as it happened. After the replay it stands still at <see cref="QuickStartContext.ShopEnd"/>.
/// </summary>
internal sealed class SampleClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock forward (never back).</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _utcTicks);
            if (instant.UtcTicks <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _utcTicks, instant.UtcTicks, current) != current);
    }
}

/// <summary>Everything the steps share: the service provider with every package, the shop and the clock.</summary>
internal sealed class QuickStartContext : IAsyncDisposable
{
    /// <summary>China Standard Time (the shop's calendar), without relying on the host's time-zone database.</summary>
    public static readonly TimeZoneInfo ShopTimeZone = TimeZoneInfo.CreateCustomTimeZone("shop", TimeSpan.FromHours(8), "UTC+08", "UTC+08");

    private IReadOnlyList<MarketingEvent>? _events;

    private QuickStartContext(ServiceProvider services, SyntheticShop shop, SyntheticShopOptions shopOptions, SampleClock clock, SampleEmulators emulators, MessagingEmulators messagingEmulators, CampaignMail campaignMail, string databasePath, TextWriter output)
    {
        CampaignMail = campaignMail;
        Emulators = emulators;
        MessagingEmulators = messagingEmulators;
        Services = services;
        Shop = shop;
        ShopOptions = shopOptions;
        Clock = clock;
        DatabasePath = databasePath;
        Out = output;
    }

    public ServiceProvider Services { get; }

    public SyntheticShop Shop { get; }

    public SyntheticShopOptions ShopOptions { get; }

    public SampleClock Clock { get; }

    public string DatabasePath { get; }

    /// <summary>The ad platform emulators step 9 sends to.</summary>
    public SampleEmulators Emulators { get; }

    /// <summary>The WeCom, Official Account and Alibaba Cloud SMS emulators the journeys' messages go to.</summary>
    public MessagingEmulators MessagingEmulators { get; }

    /// <summary>The SMTP emulator step 11's EDM campaign mails to, and the campaign's progress during the replay.</summary>
    public CampaignMail CampaignMail { get; }

    /// <summary>Delivery passes of the messaging outbox so far (the replay runs one whenever the journeys run).</summary>
    public int DeliveryPasses { get; set; }

    /// <summary>Wall time spent in those passes.</summary>
    public TimeSpan DeliveryTime { get; set; }

    public TextWriter Out { get; }

    /// <summary>The morning after the shop's last day (08:00 shop time): "now" once the replay is over.</summary>
    public DateTimeOffset ShopEnd => ShopOptions.Start.AddDays(ShopOptions.Days).AddHours(8);

    /// <summary>Builds the shop, starts the platform and messaging emulators and a service provider with every package on the embedded SQLite store (file recreated).</summary>
    public static async Task<QuickStartContext> CreateAsync(QuickStartSettings settings, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var path = Path.GetFullPath(settings.DatabaseFile);
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
        // Half of the shop's people added its WeCom customer-service account (their sign-up links it).
        var shopOptions = new SyntheticShopOptions { Customers = settings.Customers, WeComContactRate = 0.5 };
        var shop = new SyntheticShop(shopOptions);
        var clock = new SampleClock(shopOptions.Start);
        var emulators = await SampleEmulators.StartAsync(clock);
        var messagingEmulators = await MessagingEmulators.StartAsync(clock, shop);
        var campaignMail = await CampaignMail.StartAsync();

        var services = new ServiceCollection()
            .AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
                // Step 10's table accounts for every message; a warning per refused message would bury the output.
                .AddFilter("Marketing.Sdk.Messaging", LogLevel.Error)
                .AddFilter("Marketing.Sdk.Platforms.WeChat", LogLevel.Error)
                .AddFilter("Marketing.Sdk.Platforms.AliyunSms", LogLevel.Error))
            .AddSingleton<TimeProvider>(clock);
        services.AddMarketingSdk(m => m
            .UseSqlite($"Data Source={path}")
            .ConfigureIngestion(o => o.DefaultPhoneRegion = "CN")
            .AddSegmentation()
            .AddLifecycle(LifecycleStep.ConfigureJourneys)
            .AddAttribution(AttributionStep.Configure)
            .AddRecommendations()
            .AddCompliance()
            .AddPlatforms(o => o.RunInBackground = false) // step 9 drains the outbox itself, on the sample clock
            .AddSamplePlatforms(emulators) // step 9: Meta, Google, TikTok, Tencent Ads and Ocean Engine, pointed at the emulators
            .AddExperimentation(ExperimentationStep.Configure).AddExposureSink<ExposureOutbox>()
            .AddSampleMessaging(messagingEmulators) // the journeys' send_message steps go out through WeCom, the OA and SMS
            .AddSampleCampaigns(campaignMail)); // step 11's EDM campaign, by email over SMTP
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new QuickStartContext(provider, shop, shopOptions, clock, emulators, messagingEmulators, campaignMail, path, output);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Every stored event, read once from the store and kept for the analysis steps.</summary>
    public async Task<IReadOnlyList<MarketingEvent>> GetEventsAsync()
    {
        if (_events is null)
        {
            var list = new List<MarketingEvent>();
            await foreach (var e in Get<IEventStore>().ReadAsync(EventQuery.All))
            {
                list.Add(e);
            }
            _events = list;
        }
        return _events;
    }

    /// <summary>Writes a step heading.</summary>
    public void Heading(int number, string title) => Out.WriteLine($"{number}. {title}");

    /// <summary>Writes one indented line.</summary>
    public void Line(string text = "") => Out.WriteLine(text.Length == 0 ? string.Empty : "   " + text);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Emulators.DisposeAsync();
        await MessagingEmulators.DisposeAsync();
        await CampaignMail.DisposeAsync();
    }
}
