#region usings
using Marketing.Sdk;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Testing.Emulators;
#endregion

namespace DocSnippets;

/// <summary>The getting-started path of the documentation site, run by tests/Marketing.Sdk.Docs.Tests.</summary>
public static class GettingStarted
{
    /// <summary>A shop backend that records product views from a web endpoint.</summary>
    public static WebApplication BuildTrackingApp(string[] args, string connectionString)
    {
        #region register
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddMarketingSdk(m => m
            .UseSqlite(connectionString));   // e.g. "Data Source=marketing.db"
        #endregion

        var app = builder.Build();

        #region track-endpoint
        // The server decides who the visitor is: an anonymous cookie here, the signed-in member
        // (Identity.Member) once your shop knows them.
        app.MapPost("/products/{productId}/viewed", async (string productId, HttpContext http, IEventCollector collector, CancellationToken ct) =>
        {
            var visitor = http.Request.Cookies["visitor"] ?? Guid.NewGuid().ToString("N");
            http.Response.Cookies.Append("visitor", visitor, new CookieOptions { HttpOnly = true, IsEssential = true });

            var result = await collector.TrackAsync(new MarketingEvent
            {
                Id = $"view:{visitor}:{productId}:{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}",  // your de-duplication key
                Type = EventType.ProductView,
                OccurredAt = DateTimeOffset.UtcNow,
                Identities = [Identity.Cookie(visitor)],
                Properties = new Dictionary<string, PropertyValue> { ["productId"] = productId },
            }, ct);
            return Results.Ok(new { status = result.Status.ToString() });
        });
        #endregion

        return app;
    }

    /// <summary>Sends one purchase conversion to a local Meta emulator and returns how many events it accepted.</summary>
    public static async Task<int> SendFirstConversionAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        #region emulator
        // A local HTTP server speaking the Meta Conversions API wire format (Marketing.Sdk.Testing).
        await using var meta = new MetaEmulator("local-token", TimeProvider.System);
        meta.AddPixel("880000000000001");
        await meta.StartAsync(cancellationToken);
        #endregion

        #region conversion-host
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddMarketingSdk(m => m
            .UseSqlite(connectionString)                    // the outbox conversions wait in
            .AddCompliance()                                // the consent gate: nothing leaves without consent
            .AddPlatforms(o => o.RunInBackground = false)   // deliver on demand here; a host lets the worker run
            .AddMetaPlatform(o =>
            {
                o.BaseAddress = meta.BaseAddress;           // leave unset for the real graph.facebook.com
                o.AccessToken = meta.AccessToken;
                o.PixelId = "880000000000001";
            }));
        await using var app = builder.Build();
        await app.StartAsync(cancellationToken);
        #endregion

        #region consent
        // The customer agreed at sign-up: ad measurement, and sharing the data with an ad platform abroad.
        var customer = CustomerId.New();
        await app.Services.GetRequiredService<ConsentLedger>().RecordAsync(customer,
            [ConsentPurpose.AdMeasurement, ConsentPurpose.AdTargeting, ConsentPurpose.ThirdPartySharing, ConsentPurpose.CrossBorderTransfer],
            granted: true, new ConsentCapture(ConsentSources.Web, "privacy-v1"), cancellationToken);
        #endregion

        #region publish
        // An order was placed: the conversion goes into the outbox, hashed for each platform.
        var publisher = app.Services.GetRequiredService<IConversionPublisher>();
        await publisher.PublishAsync([new ConversionRequest
        {
            EventId = "order-1001",                         // the same id on every retry: platforms de-duplicate on it
            EventType = EventType.Purchase,
            OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            CustomerId = customer,
            Value = new Money(129.90m, "USD"),
            OrderId = "order-1001",
            Customer = new CustomerMatchData { Email = "ada@example.com", Country = "US" },
            Clicks = new ClickIdentifiers { ClientIpAddress = "203.0.113.7", UserAgent = "Mozilla/5.0" },
        }], cancellationToken: cancellationToken);
        #endregion

        #region deliver
        // The delivery worker drains the outbox (in a host it runs in the background).
        var worker = app.Services.GetRequiredService<PlatformDeliveryWorker>();
        foreach (var destination in worker.Destinations)
        {
            while ((await worker.DeliverOnceAsync(destination, cancellationToken)).Claimed > 0)
            {
            }
        }
        Console.WriteLine($"Meta accepted {meta.AcceptedEvents.Count} event(s)");
        #endregion

        await app.StopAsync(cancellationToken);
        return meta.AcceptedEvents.Count;
    }
}
