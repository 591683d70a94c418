using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ECommerce.Api.Marketing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ECommerce.Api.Tests;

/// <summary>
/// The sample shop in memory (WebApplicationFactory), on its own SQLite file, with the platform
/// emulators, delivery driven by the tests (no background worker) and every log record captured.
/// </summary>
public sealed class ShopFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ecommerce-tests-" + Guid.NewGuid().ToString("N"));

    public ShopFactory()
    {
        Directory.CreateDirectory(_directory);
        // The emulators run beside the shop (started here, not by the sample: WebApplicationFactory takes the first host built in Program).
        Emulators = DemoEmulators.StartAsync(TimeProvider.System).GetAwaiter().GetResult();
    }

    public DemoEmulators Emulators { get; }

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Marketing", $"Data Source={Path.Combine(_directory, "marketing.db")}");
        builder.UseSetting("Shop:Emulators:Enabled", "false");
        builder.UseSetting("Marketing:Meta:BaseAddress", Emulators.Meta.BaseAddress.ToString());
        builder.UseSetting("Marketing:Meta:AccessToken", DemoEmulators.MetaToken);
        builder.UseSetting("Marketing:Meta:PixelId", DemoEmulators.MetaPixel);
        builder.UseSetting("Marketing:Google:BaseAddress", Emulators.Google.BaseAddress.ToString());
        builder.UseSetting("Marketing:Google:TokenEndpoint", Emulators.Google.TokenEndpoint.ToString());
        builder.UseSetting("Marketing:Google:ClientId", Emulators.Google.ClientId);
        builder.UseSetting("Marketing:Google:ClientSecret", Emulators.Google.ClientSecret);
        builder.UseSetting("Marketing:Google:RefreshToken", Emulators.Google.RefreshToken);
        builder.UseSetting("Marketing:Google:OperatingAccountId", DemoEmulators.GoogleAccount);
        builder.UseSetting("Marketing:Google:ConversionActions:purchase", DemoEmulators.GooglePurchaseAction);
        builder.UseSetting("Marketing:TikTok:BaseAddress", Emulators.TikTok.BaseAddress.ToString());
        builder.UseSetting("Marketing:TikTok:AccessToken", DemoEmulators.TikTokToken);
        builder.UseSetting("Marketing:TikTok:AdvertiserId", DemoEmulators.TikTokAdvertiser);
        builder.UseSetting("Marketing:TikTok:PixelCode", DemoEmulators.TikTokPixel);
        builder.UseSetting("Shop:Jobs:Enabled", "false");
        builder.UseSetting("Marketing:Platforms:RunInBackground", "false");
        builder.UseSetting("Marketing:Tracking:RateLimit:PermitLimit", "100000");
        builder.ConfigureLogging(l => l.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
    }

    /// <summary>A client signed in as <paramref name="member"/> (or anonymous).</summary>
    public HttpClient Client(string? member = null)
    {
        var client = CreateClient();
        if (member is not null)
        {
            client.DefaultRequestHeaders.Add("X-Demo-User", member);
        }
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ECommerceTests", "1.0"));
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Emulators.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp file is harmless.
        }
    }
}

internal static class Http
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
