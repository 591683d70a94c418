using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ECommerce.Api.Marketing;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Marketing.Sdk.Testing.Emulators;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Marketing.Sdk.Dashboard.Tests;

/// <summary>
/// The ECommerce.Api sample on real Kestrel (127.0.0.1, a free port) with its platform emulators, seeded through
/// its own API (accounts, consent, tracking, carts and checkouts), deliveries driven by the test (Meta failing
/// for two orders, so they dead-letter), and Debian's Chromium driven by Playwright.
/// </summary>
public sealed class ShopBrowserFixture : IAsyncLifetime
{
    /// <summary>Chromium's executable: <c>MARKETING_SDK_CHROMIUM</c>, else Debian's <c>/usr/bin/chromium</c>.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MARKETING_SDK_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public static readonly string[] ConsentPurposes = ["ad_measurement", "ad_targeting", "personalization", "third_party_sharing", "cross_border_transfer", "private_domain_messaging"];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dashboard-browser-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;

    public SampleShop Shop { get; private set; } = null!;

    public DemoEmulators Emulators { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser? Browser { get; private set; }

    /// <summary>Why the browser tests cannot run here (null when they can).</summary>
    public string? Missing { get; private set; }

    /// <summary>Where screenshots go: the test output (artefacts), and <c>MARKETING_SDK_SCREENSHOTS</c> (e.g. docs/images) when set.</summary>
    public static string ArtefactDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Missing = $"Chromium is not installed at {ChromiumPath} (apt-get install -y chromium; ./build.sh test installs it).";
            return;
        }
        Directory.CreateDirectory(_directory);
        Emulators = await DemoEmulators.StartAsync(TimeProvider.System);
        Shop = new SampleShop(_directory, Emulators);
        Shop.UseKestrel(0);
        Shop.StartServer();
        var address = Shop.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        await SeedAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
    }

    /// <summary>A client of the sample over loopback, signed in as <paramref name="member"/>.</summary>
    public HttpClient Client(string? member)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (member is not null)
        {
            client.DefaultRequestHeaders.Add("X-Demo-User", member);
        }
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("DashboardTests", "1.0"));
        return client;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static async Task SetConsentAsync(HttpClient client, string purpose, bool granted) =>
        await ExpectAsync(await client.PutAsync("/me/consent", Json($$"""{"purpose": "{{purpose}}", "granted": {{(granted ? "true" : "false")}}}""")), HttpStatusCode.NoContent);

    private async Task SeedAsync()
    {
        // Eight members: six consent to measurement and buy, one buys without consent (withheld), one only browses.
        var now = DateTimeOffset.UtcNow;
        string[] channels = ["search", "social", "email", "search", "social", "search", "email", "social"];
        for (var i = 1; i <= 8; i++)
        {
            var member = $"member-{i}";
            using var client = Client(member);
            if (i <= 6)
            {
                foreach (var purpose in ConsentPurposes)
                {
                    await SetConsentAsync(client, purpose, granted: true);
                }
            }
            else
            {
                await SetConsentAsync(client, "email", granted: i == 7);
            }
            var events = new List<string>();
            for (var v = 0; v < 3; v++)
            {
                events.Add($$"""{"id": "{{member}}-view-{{v}}", "type": "product_view", "occurredAt": "{{now.AddMinutes(-30 + v):O}}", "channel": "{{channels[i - 1]}}", "properties": {"product_id": "sku-100"} """ + "}");
            }
            if (i <= 7)
            {
                events.Add($$"""{"id": "{{member}}-checkout", "type": "begin_checkout", "occurredAt": "{{now.AddMinutes(-5):O}}"}""");
            }
            await ExpectAsync(await client.PostAsync("/marketing/events/batch", Json("{\"events\": [" + string.Join(", ", events) + "]}")), HttpStatusCode.OK);
            if (i == 8)
            {
                continue;
            }
            var item = $$"""{"productId": "sku-{{(i % 2 == 0 ? 100 : 200)}}", "quantity": {{i % 3 + 1}} """ + "}";
            await ExpectAsync(await client.PostAsync("/cart/items", Json(item)), HttpStatusCode.OK);
            if (i <= 2)
            {
                // Meta is down for the first two orders: with MaxAttempts 1 they are dead-lettered ("gave up").
                Emulators.Meta.Faults = new FaultOptions { ServerErrorRate = 1 };
            }
            await ExpectAsync(await client.PostAsync("/checkout", null), HttpStatusCode.Created);
            await DeliverAllAsync();
            Emulators.Meta.Faults = FaultOptions.None;
        }
        using var admin = Client("admin");
        await ExpectAsync(await admin.PutAsync("/admin/segments/buyers", Json("""{"rule": "exists(purchase)"}""")), HttpStatusCode.NoContent);
        await ExpectAsync(await admin.PutAsync("/admin/segments/browsers", Json("""{"rule": "count(product_view) >= 3"}""")), HttpStatusCode.NoContent);
        var segments = Shop.Services.GetRequiredService<ISegmentService>();
        await segments.EvaluateAsync("buyers");
        await segments.EvaluateAsync("browsers");
        await SeedOrderHistoryAsync();
        var outbox = Shop.Services.GetRequiredService<IOutboxStore>();
        var dead = await outbox.ReadAsync(OutboxState.DeadLettered).ToListAsync();
        Assert.True(dead.Count(d => d.LastError!.StartsWith("gave up", StringComparison.Ordinal)) == 2, string.Join(" | ", dead.Select(d => d.Message.Destination + ": " + d.LastError)));
        Assert.Contains(dead, d => d.LastError!.StartsWith("consent_withheld:", StringComparison.Ordinal));
    }

    /// <summary>
    /// The shop's order history of the last months, imported straight into the event store (as a shop moving to the
    /// SDK imports its past orders; nothing is sent to the platforms for them): 30 former customers with one to six
    /// orders each, so lifetime value and churn risk have purchase histories to be fitted on.
    /// </summary>
    private async Task SeedOrderHistoryAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var events = new List<Marketing.Sdk.MarketingEvent>();
        for (var c = 1; c <= 30; c++)
        {
            var first = now.AddDays(-240 + 5 * c);
            var gap = 12 + c % 5 * 11;
            var repeats = c % 4 == 0 ? 0 : c % 6;
            for (var k = 0; k <= repeats; k++)
            {
                var at = first.AddDays(k * gap);
                if (at < now.AddDays(-1))
                {
                    var amount = new Marketing.Sdk.Money(24m + 13 * (c % 7) + k, "EUR");
                    events.Add(new Marketing.Sdk.MarketingEvent
                    {
                        Id = $"history-{c}-{k}",
                        Type = Marketing.Sdk.EventType.Purchase,
                        OccurredAt = at,
                        CustomerId = new Marketing.Sdk.CustomerId($"history-customer-{c}"),
                        Value = amount,
                        Order = new Marketing.Sdk.Order { OrderId = $"history-order-{c}-{k}", PlacedAt = at, Lines = [], Total = amount },
                        Channel = new Marketing.Sdk.Channel(c % 3 == 0 ? "email" : c % 3 == 1 ? "search" : "social"),
                    });
                }
            }
        }
        await Shop.Services.GetRequiredService<IEventStore>().AppendAsync(events);
    }

    /// <summary>Delivers what is due to every destination until nothing is claimed (state, not time).</summary>
    public async Task DeliverAllAsync()
    {
        var worker = Shop.Services.GetRequiredService<PlatformDeliveryWorker>();
        foreach (var destination in worker.Destinations)
        {
            for (var round = 0; round < 10 && (await worker.DeliverOnceAsync(destination)).Claimed > 0; round++)
            {
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Shop is not null)
        {
            await Shop.DisposeAsync();
        }
        if (Emulators is not null)
        {
            await Emulators.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The sample with its own SQLite file, emulators, tests driving delivery and a one-second dashboard refresh.</summary>
    public sealed class SampleShop(string directory, DemoEmulators emulators) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Marketing", $"Data Source={Path.Combine(directory, "marketing.db")}");
            builder.UseSetting("Shop:Emulators:Enabled", "false");
            builder.UseSetting("Marketing:Meta:BaseAddress", emulators.Meta.BaseAddress.ToString());
            builder.UseSetting("Marketing:Meta:AccessToken", DemoEmulators.MetaToken);
            builder.UseSetting("Marketing:Meta:PixelId", DemoEmulators.MetaPixel);
            builder.UseSetting("Marketing:Google:BaseAddress", emulators.Google.BaseAddress.ToString());
            builder.UseSetting("Marketing:Google:TokenEndpoint", emulators.Google.TokenEndpoint.ToString());
            builder.UseSetting("Marketing:Google:ClientId", emulators.Google.ClientId);
            builder.UseSetting("Marketing:Google:ClientSecret", emulators.Google.ClientSecret);
            builder.UseSetting("Marketing:Google:RefreshToken", emulators.Google.RefreshToken);
            builder.UseSetting("Marketing:Google:OperatingAccountId", DemoEmulators.GoogleAccount);
            builder.UseSetting("Marketing:Google:ConversionActions:purchase", DemoEmulators.GooglePurchaseAction);
            builder.UseSetting("Marketing:TikTok:BaseAddress", emulators.TikTok.BaseAddress.ToString());
            builder.UseSetting("Marketing:TikTok:AccessToken", DemoEmulators.TikTokToken);
            builder.UseSetting("Marketing:TikTok:AdvertiserId", DemoEmulators.TikTokAdvertiser);
            builder.UseSetting("Marketing:TikTok:PixelCode", DemoEmulators.TikTokPixel);
            builder.UseSetting("Shop:Jobs:Enabled", "false");
            builder.UseSetting("Marketing:Platforms:RunInBackground", "false");
            builder.UseSetting("Marketing:Platforms:MaxAttempts", "1");
            builder.UseSetting("Marketing:Tracking:RateLimit:PermitLimit", "100000");
            builder.UseSetting("Marketing:Dashboard:RefreshInterval", "00:00:01");
            // Spend from the Meta emulator's ad account (seeded by DemoEmulators), whose traffic the shop tags "social".
            builder.UseSetting("Marketing:Dashboard:AdAccounts:0:Platform", "meta");
            builder.UseSetting("Marketing:Dashboard:AdAccounts:0:AccountId", DemoEmulators.MetaAdAccount);
            builder.UseSetting("Marketing:Dashboard:AdAccounts:0:Channel", "social");
            builder.ConfigureLogging(l => l.ClearProviders());
        }
    }
}
