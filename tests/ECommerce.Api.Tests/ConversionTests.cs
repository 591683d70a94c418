using System.Net;
using ECommerce.Api.Marketing;
using Marketing.Sdk.Platforms.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace ECommerce.Api.Tests;

/// <summary>An order placed through the shop reaches the Meta, Google and TikTok emulators (delivery driven by the test, decided by state).</summary>
public sealed class ConversionTests(ShopFactory shop) : IClassFixture<ShopFactory>
{
    [Fact]
    public async Task An_order_placed_through_the_shop_is_accepted_by_the_three_platform_emulators()
    {
        using var client = shop.Client("buyer-1");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync("/account", Http.Json("""{"email": "Buyer.One@Example.com", "phone": "+4915112345678"}"""))).StatusCode);
        foreach (var purpose in new[] { "ad_measurement", "ad_targeting", "personalization", "third_party_sharing", "cross_border_transfer" })
        {
            using var consent = await client.PutAsync("/me/consent", Http.Json($$"""{"purpose": "{{purpose}}", "granted": true}"""));
            Assert.Equal(HttpStatusCode.NoContent, consent.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/cart/items", Http.Json("""{"productId": "sku-100", "quantity": 1}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/cart/items", Http.Json("""{"productId": "sku-200", "quantity": 2}"""))).StatusCode);
        using var checkout = await client.PostAsync("/checkout", null);
        Assert.Equal(HttpStatusCode.Created, checkout.StatusCode);
        var orderId = (await checkout.ReadJsonAsync()).GetProperty("orderId").GetString()!;

        var worker = shop.Services.GetRequiredService<PlatformDeliveryWorker>();
        foreach (var destination in worker.Destinations)
        {
            // Each round claims what is due; the loop ends when nothing is left (state, not time).
            for (var round = 0; round < 10 && (await worker.DeliverOnceAsync(destination)).Claimed > 0; round++)
            {
            }
        }
        var emulators = shop.Emulators;
        var dead = new List<string>();
        await foreach (var entry in shop.Services.GetRequiredService<global::Marketing.Sdk.Storage.IOutboxStore>().ReadAsync(global::Marketing.Sdk.Storage.OutboxState.DeadLettered))
        {
            dead.Add(entry.Message.Destination + ": " + entry.LastError);
        }
        Assert.True(dead.Count == 0, string.Join(" | ", dead));
        Assert.Single(emulators.Meta.AcceptedEvents);
        Assert.Single(emulators.Google.AcceptedEvents);
        Assert.Single(emulators.TikTok.AcceptedEvents);

        using var order = await client.GetAsync("/orders/" + orderId);
        Assert.Equal(HttpStatusCode.OK, order.StatusCode);
        using var export = await client.GetAsync("/me/data");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        using var erase = await client.DeleteAsync("/me/data");
        Assert.Equal(HttpStatusCode.NoContent, erase.StatusCode);
        using var gone = await client.GetAsync("/me/data");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Health_and_openapi_are_served()
    {
        using var client = shop.Client();
        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var openApi = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        var document = await openApi.ReadJsonAsync();
        var text = document.GetRawText();
        // Money (the catalogue's prices) has a real schema: amount and an ISO 4217 currency.
        Assert.Contains("^[A-Z]{3}$", text, StringComparison.Ordinal);
        Assert.Contains("/products/{productId}", text, StringComparison.Ordinal);
        // The SDK's tracking endpoints are described, with their request bodies and answers.
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/marketing/events", out var one), "the tracking endpoint is missing from the OpenAPI document");
        Assert.True(paths.TryGetProperty("/marketing/events/batch", out _), "the batch endpoint is missing from the OpenAPI document");
        Assert.Contains("TrackEventRequest", one.GetRawText(), StringComparison.Ordinal);
    }
}
