// ECommerce.Api: a minimal-API shop backend that embeds Marketing.Sdk the way a real shop does.
// Run with: dotnet run --project samples/ECommerce.Api   (Development: SQLite file + platform emulators)
// OpenAPI: GET /openapi/v1.json   Health: GET /health
// Dashboard: GET /marketing/dashboard with the header "X-Demo-User: admin" (or "marketer", read-only)
using System.Text.Json.Serialization;
using ECommerce.Api;
using ECommerce.Api.Marketing;
using ECommerce.Api.Shop;
using Marketing.Sdk.AspNetCore.Tracking;
using Marketing.Sdk.Dashboard;
using Marketing.Sdk.Lifecycle.Journeys;
using Marketing.Sdk.Platforms.Delivery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.OpenApi;

var builder = WebApplication.CreateBuilder(args);
var configuration = builder.Configuration;

// The shop's own services.
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ShopStore>();
builder.Services.Configure<ShopJobOptions>(configuration.GetSection("Shop:Jobs"));
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.TypeInfoResolverChain.Insert(0, ShopJsonContext.Default);
    // The shop's request bodies are read strictly as well: unknown or repeated members and null for non-nullable members are 400s.
    o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    o.SerializerOptions.AllowDuplicateProperties = false;
    o.SerializerOptions.RespectNullableAnnotations = true;
});
builder.Services.AddAuthentication(DemoAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, DemoAuthenticationHandler>(DemoAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization(o =>
{
    // Who may open the dashboard, and who may also use its write actions (retry a dead letter).
    o.AddPolicy(ShopPolicies.Dashboard, p => p.RequireRole("admin", "marketer"));
    o.AddPolicy(ShopPolicies.DashboardWrite, p => p.RequireRole("admin"));
});
// The dashboard follows the request culture: English by default, Chinese for zh-CN (Accept-Language, ?culture=, or the cookie).
builder.Services.AddRequestLocalization(o =>
{
    string[] cultures = ["en", "zh-CN"];
    o.SetDefaultCulture(cultures[0]).AddSupportedCultures(cultures).AddSupportedUICultures(cultures);
});

// Platform emulators in Development (Shop:Emulators:Enabled), so orders reach "Meta", "Google" and "TikTok" locally.
DemoEmulators? emulators = null;
if (configuration.GetValue("Shop:Emulators:Enabled", false))
{
    emulators = await DemoEmulators.StartAsync(TimeProvider.System);
    builder.Services.AddSingleton(emulators);
}

// Marketing.Sdk: SQLite by default, PostgreSQL when Marketing:Storage:Provider is "PostgreSql".
builder.Services.AddSingleton<IJourneyActionHandler, ShopJourneyActions>();
builder.Services.AddMarketingSdk(m =>
{
    var connectionString = configuration.GetConnectionString("Marketing") ?? "Data Source=ecommerce-marketing.db";
    if (string.Equals(configuration["Marketing:Storage:Provider"], "PostgreSql", StringComparison.OrdinalIgnoreCase))
    {
        m.UsePostgreSql(connectionString);
    }
    else
    {
        m.UseSqlite(connectionString);
    }
    m.ConfigureIngestion(configuration.GetSection("Marketing:Ingestion"))
        .AddWebTracking(configuration.GetSection(MarketingTrackingOptions.SectionName))
        .AddSegmentation()
        .AddLifecycle(o =>
        {
            // Messages from journeys go through Marketing.Sdk.Messaging, which applies consent per channel, suppressions,
            // caps and quiet hours itself (and records each decision), so the journey gates leave messages to it.
            o.Journeys.RequireMessageConsent = false;
            o.Journeys.QuietHoursStart = null;
            o.Journeys.Add("cart_abandoned", j => j
                .OnEvent(Marketing.Sdk.EventType.AddToCart).ExitOn(Marketing.Sdk.EventType.Purchase).Reentry(true, TimeSpan.FromDays(7))
                .Wait(TimeSpan.FromHours(1)).IssueCoupon("CART10"));
            // Thanks in the app's inbox right after an order (marketing: needs the member's private-domain consent).
            o.Journeys.Add("order_thanks", j => j
                .OnEvent(Marketing.Sdk.EventType.Purchase).Reentry(true, TimeSpan.Zero)
                .SendMessage(ShopInboxChannel.InApp, ShopExperiments.OrderThanksTemplate));
        })
        // The shop's touches are page and product views tagged with the channel the visitor came from, plus ad clicks.
        .AddAttribution(o => o.Paths = new Marketing.Sdk.Attribution.PathBuilderOptions
        {
            TouchEventTypes = [Marketing.Sdk.EventType.AdClick, Marketing.Sdk.EventType.PageView, Marketing.Sdk.EventType.ProductView, Marketing.Sdk.EventType.MessageClick],
        })
        .AddRecommendations()
        .AddCompliance();
    m.AddMessaging(o =>
    {
        o.ConsentPurposes[ShopInboxChannel.InApp] = Marketing.Sdk.ConsentPurpose.PrivateDomainMessaging;
        o.AddTemplate(new Marketing.Sdk.Platforms.Messaging.MessageTemplate { Id = ShopExperiments.OrderThanksTemplate, Channel = ShopInboxChannel.InApp });
    }).AddMessageChannel<ShopInboxChannel>();
    // One A/B test: the checkout button's colour, exposures recorded as events through the shop's collector.
    m.AddExperimentation(o => o.Experiments.Add(new Marketing.Sdk.Experimentation.ExperimentDefinition
    {
        Key = ShopExperiments.CheckoutButton,
        Variants = [new() { Key = "blue" }, new() { Key = "green" }],
        ControlVariant = "blue",
    })).AddExposureSink<ShopExposureSink>();
    // Conversions go to the platforms configured under Marketing:Meta, Marketing:Google and Marketing:TikTok,
    // or to the emulators in Development.
    var meta = configuration.GetSection("Marketing:Meta");
    var google = configuration.GetSection("Marketing:Google");
    var tiktok = configuration.GetSection("Marketing:TikTok");
    if (emulators is not null || meta.Exists() || google.Exists() || tiktok.Exists())
    {
        m.AddPlatforms(o => configuration.GetSection("Marketing:Platforms").Bind(o));
    }
    if (emulators is not null || meta.Exists())
    {
        m.AddMetaPlatform(o =>
        {
            meta.Bind(o);
            if (emulators is not null)
            {
                o.BaseAddress = emulators.Meta.BaseAddress;
                o.AccessToken = DemoEmulators.MetaToken;
                o.PixelId = DemoEmulators.MetaPixel;
            }
        });
    }
    if (emulators is not null || google.Exists())
    {
        m.AddGooglePlatform(o =>
        {
            google.Bind(o);
            if (emulators is not null)
            {
                o.BaseAddress = emulators.Google.BaseAddress;
                o.TokenEndpoint = emulators.Google.TokenEndpoint;
                o.ClientId = emulators.Google.ClientId;
                o.ClientSecret = emulators.Google.ClientSecret;
                o.RefreshToken = emulators.Google.RefreshToken;
                o.OperatingAccountId = DemoEmulators.GoogleAccount;
                o.ConversionActions["purchase"] = DemoEmulators.GooglePurchaseAction;
            }
        });
    }
    if (emulators is not null || tiktok.Exists())
    {
        m.AddTikTokPlatform(o =>
        {
            tiktok.Bind(o);
            if (emulators is not null)
            {
                o.BaseAddress = emulators.TikTok.BaseAddress;
                o.AccessToken = DemoEmulators.TikTokToken;
                o.AdvertiserId = DemoEmulators.TikTokAdvertiser;
                o.PixelCode = DemoEmulators.TikTokPixel;
            }
        });
    }
});
// The shop vouches for who the caller is (member id, account email and phone); the body can only add anonymous ids.
builder.Services.AddSingleton<ITrackingIdentityResolver, ShopIdentityResolver>();
builder.Services.AddHostedService<SegmentRefreshService>();
builder.Services.AddHostedService<RecommendationTrainingService>();

builder.Services.AddMarketingProblemDetails(configuration.GetSection("Marketing:ProblemDetails"));
builder.Services.AddHealthChecks().AddMarketingHealthChecks(configuration.GetSection("Marketing:HealthChecks"));
builder.Services.AddOpenApi(o => o.AddMarketingSchemas());
builder.Services.AddMarketingDashboard(configuration.GetSection(MarketingDashboardOptions.SectionName));
if (emulators is not null)
{
    // Spend for the dashboard's ROI and budget proposals: the Meta emulator's ad account, whose traffic the shop tags "social".
    builder.Services.AddMarketingDashboard(o => o.AdAccounts.Add(new DashboardAdAccount { Platform = "meta", AccountId = DemoEmulators.MetaAdAccount, Channel = "social" }));
}

var app = builder.Build();
app.UseMarketingProblemDetails();
app.UseRequestLocalization();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapOpenApi();
app.MapHealthChecks("/health");
app.MapMarketingTracking("/marketing");
app.MapMarketingDashboard("/marketing/dashboard").RequireAuthorization(ShopPolicies.Dashboard);
app.MapShop();

await app.RunAsync();

/// <summary>The shop's experiments and message templates.</summary>
internal static class ShopExperiments
{
    /// <summary>The checkout button's colour on the cart page (variants blue = control, green).</summary>
    public const string CheckoutButton = "checkout_button";

    /// <summary>The in-app thank-you after an order.</summary>
    public const string OrderThanksTemplate = "order_thanks";
}

/// <summary>The shop's authorization policies.</summary>
internal static class ShopPolicies
{
    /// <summary>May open the marketing dashboard (roles admin and marketer).</summary>
    public const string Dashboard = "marketing-dashboard";

    /// <summary>May also use the dashboard's write actions (role admin).</summary>
    public const string DashboardWrite = "marketing-dashboard-write";
}

/// <summary>The entry point (public for WebApplicationFactory).</summary>
public partial class Program;
