using Marketing.Sdk.Experimentation;
using System.Security.Claims;
using ECommerce.Api.Marketing;
using Marketing.Sdk;
using Marketing.Sdk.AspNetCore.Problems;
using Marketing.Sdk.Compliance.Consent;
using Marketing.Sdk.Compliance.Dsr;
using Marketing.Sdk.Ingestion;
using Marketing.Sdk.Platforms;
using Marketing.Sdk.Platforms.Delivery;
using Marketing.Sdk.Recommendations;
using Marketing.Sdk.Segmentation;
using Marketing.Sdk.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ECommerce.Api.Shop;

/// <summary>The shop's own endpoints: catalogue, cart, checkout, orders, account, consent, data-subject requests, segments and recommendations.</summary>
internal static class ShopEndpoints
{
    public static void MapShop(this IEndpointRouteBuilder app)
    {
        app.MapGet("/products", (ShopStore shop) => TypedResults.Ok(shop.Catalogue)).WithTags("Catalogue");
        app.MapGet("/products/{productId}", Results<Ok<CatalogueItem>, ProblemHttpResult> (string productId, ShopStore shop) =>
            shop.Find(productId) is { } item ? TypedResults.Ok(item) : NotFound("productId", "No product with this id.")).WithTags("Catalogue");

        var me = app.MapGroup("/").RequireAuthorization().WithTags("Customer");
        me.MapGet("/cart", (ClaimsPrincipal user, ShopStore shop) => TypedResults.Ok(shop.GetCart(Member(user))));
        me.MapPost("/cart/items", AddToCartAsync);
        me.MapDelete("/cart/items/{productId}", Results<NoContent, ProblemHttpResult> (string productId, ClaimsPrincipal user, ShopStore shop) =>
            shop.Remove(Member(user), productId) ? TypedResults.NoContent() : NotFound("productId", "The product is not in the cart."));
        me.MapPost("/checkout", CheckoutAsync);
        me.MapGet("/orders/{orderId}", Results<Ok<PlacedOrder>, ProblemHttpResult> (string orderId, ClaimsPrincipal user, ShopStore shop) =>
            shop.GetOrder(Member(user), orderId) is { } order ? TypedResults.Ok(order) : NotFound("orderId", "No order with this id."));
        me.MapPut("/account", (AccountRequest account, ClaimsPrincipal user, ShopStore shop) =>
        {
            shop.SaveAccount(Member(user), account);
            return TypedResults.NoContent();
        });
        me.MapGet("/me/consent", GetConsentAsync);
        me.MapPut("/me/consent", SetConsentAsync);
        me.MapGet("/me/data", ExportAsync);
        me.MapDelete("/me/data", EraseAsync);
        me.MapGet("/recommendations", RecommendAsync);

        var admin = app.MapGroup("/admin").RequireAuthorization(p => p.RequireRole("admin")).WithTags("Admin");
        admin.MapGet("/segments", async (ISegmentService segments, CancellationToken ct) =>
            TypedResults.Ok((IReadOnlyList<string>)await segments.ListAsync(ct).Select(s => s.Id).ToListAsync(ct)));
        admin.MapPut("/segments/{segmentId}", async (string segmentId, SegmentRequest request, ISegmentService segments, CancellationToken ct) =>
        {
            // A rule that does not parse throws SegmentParseException: AddMarketingProblemDetails answers 400 with line and column.
            await segments.DefineAsync(SegmentDefinition.Parse(segmentId, request.Rule), ct);
            return TypedResults.NoContent();
        });
        admin.MapGet("/segments/{segmentId}/members", async (string segmentId, ISegmentService segments, CancellationToken ct) =>
            // An unknown segment throws SegmentReferenceException: answered 404.
            TypedResults.Ok((IReadOnlyList<string>)await segments.GetMembersAsync(segmentId, ct).Select(c => c.Value).ToListAsync(ct)));
    }

    private static async Task<Results<Ok<Cart>, ProblemHttpResult>> AddToCartAsync(AddToCartRequest request, ClaimsPrincipal user, HttpContext http, ShopStore shop, IEventCollector collector, TimeProvider time, IExperimentClient experiments, CancellationToken ct)
    {
        if (shop.Find(request.ProductId) is not { } item)
        {
            return NotFound("productId", "No product with this id.");
        }
        if (request.Quantity is < 1 or > 99)
        {
            return Problem(MarketingProblemTypes.Validation, "quantity", nameof(ValidationReason.OutOfRange), "Quantities are 1 to 99.");
        }
        var member = Member(user);
        var cart = shop.Add(member, item, request.Quantity);
        // Server-side tracking: the shop knows who did what, so the event carries the server's identities.
        await collector.TrackAsync(new MarketingEvent
        {
            Id = $"cart:{member}:{item.ProductId}:{time.GetUtcNow().ToUnixTimeMilliseconds()}",
            Type = EventType.AddToCart,
            OccurredAt = time.GetUtcNow(),
            Identities = await IdentitiesAsync(http, ct),
            Properties = new Dictionary<string, PropertyValue>
            {
                [EventProperties.ProductId] = item.ProductId,
                [EventProperties.Category] = item.Category,
                [EventProperties.Price] = item.Price.Amount,
                [EventProperties.Currency] = item.Price.Currency,
                [EventProperties.Quantity] = request.Quantity,
            },
        }, ct);
        // The cart page shows the checkout button of the member's variant; the exposure is recorded as an event,
        // and the dashboard's experiments page compares the variants' purchase rates.
        var assignment = await experiments.GetAssignmentAsync(ShopExperiments.CheckoutButton, Identity.Member(member), ct);
        if (assignment.IsInExperiment)
        {
            http.Response.Headers["X-Experiment-Variant"] = assignment.Variant;
        }
        return TypedResults.Ok(cart);
    }

    private static async Task<Results<Created<PlacedOrder>, ProblemHttpResult>> CheckoutAsync(ClaimsPrincipal user, HttpContext http, ShopStore shop, IEventCollector collector, IServiceProvider services, CancellationToken ct)
    {
        var member = Member(user);
        if (shop.Checkout(member) is not { } order)
        {
            return Problem(MarketingProblemTypes.Validation, "cart", nameof(ValidationReason.Missing), "The cart is empty.");
        }
        var purchase = new MarketingEvent
        {
            Id = order.OrderId + ":purchase",
            Type = EventType.Purchase,
            OccurredAt = order.PlacedAt,
            Identities = await IdentitiesAsync(http, ct),
            Value = order.Total,
            Order = new Order
            {
                OrderId = order.OrderId,
                PlacedAt = order.PlacedAt,
                Lines = [.. order.Lines.Select(l => new OrderLine { ProductId = l.ProductId, Quantity = l.Quantity, UnitPrice = l.UnitPrice })],
                Total = order.Total,
            },
        };
        var tracked = await collector.TrackAsync(purchase, ct);

        // Order placed -> server-side conversions for every configured platform: consent-gated and
        // delivered through the durable outbox (the delivery worker sends them in the background).
        if (services.GetService<IConversionPublisher>() is { } publisher && tracked.CustomerId is { } customerId)
        {
            var account = shop.GetAccount(member);
            await publisher.PublishAsync(
            [
                new ConversionRequest
                {
                    EventId = purchase.Id,
                    EventType = EventType.Purchase,
                    OccurredAt = order.PlacedAt,
                    CustomerId = customerId,
                    Value = order.Total,
                    OrderId = order.OrderId,
                    Items = [.. order.Lines.Select(l => new ConversionItem(l.ProductId, l.Quantity, l.UnitPrice.Amount))],
                    Customer = new CustomerMatchData { Email = account?.Email, Phone = account?.Phone, ExternalId = member },
                    // Website conversions need the browser's details (Meta refuses website events without a user agent).
                    Clicks = new ClickIdentifiers
                    {
                        UserAgent = http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : "ECommerce.Api checkout",
                        ClientIpAddress = http.Connection.RemoteIpAddress?.ToString(),
                    },
                    SourceUrl = new Uri("https://shop.example/checkout/complete"),
                },
            ], cancellationToken: ct);
        }
        return TypedResults.Created($"/orders/{order.OrderId}", order);
    }

    private static async Task<Results<Ok<Dictionary<string, bool>>, ProblemHttpResult>> GetConsentAsync(ClaimsPrincipal user, HttpContext http, ConsentLedger ledger, CancellationToken ct)
    {
        if (await CustomerAsync(http, ct) is not { } customer)
        {
            return TypedResults.Ok(new Dictionary<string, bool>());
        }
        var current = await ledger.GetCurrentAsync(customer, ct);
        return TypedResults.Ok(current.ToDictionary(kv => kv.Key.Value, kv => kv.Value.Granted, StringComparer.Ordinal));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetConsentAsync(ConsentRequest request, HttpContext http, ConsentLedger ledger, IEventCollector collector, TimeProvider time, CancellationToken ct)
    {
        var purpose = new ConsentPurpose(request.Purpose); // an invalid name throws MarketingValidationException: 400 "purpose"
        var customer = await CustomerAsync(http, ct) ?? (await collector.TrackAsync(new MarketingEvent
        {
            // A first consent decision before any other activity: a login event creates the profile.
            Id = $"login:{Member(http.User)}:{time.GetUtcNow().ToUnixTimeMilliseconds()}",
            Type = EventType.Login,
            OccurredAt = time.GetUtcNow(),
            Identities = await IdentitiesAsync(http, ct),
        }, ct)).CustomerId!.Value;
        var capture = new ConsentCapture(ConsentSources.Web, "privacy-2026-01");
        _ = request.Granted
            ? await ledger.GrantAsync(customer, purpose, capture, ct)
            : await ledger.WithdrawAsync(customer, purpose, capture, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(HttpContext http, DataSubjectRequestService dsr, CancellationToken ct)
    {
        if (await CustomerAsync(http, ct) is not { } customer)
        {
            return NotFound("customerId", "No marketing profile exists for this member.");
        }
        return TypedResults.Content(await dsr.ExportJsonAsync(customer, cancellationToken: ct), "application/json");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> EraseAsync(ClaimsPrincipal user, HttpContext http, DataSubjectRequestService dsr, ShopStore shop, CancellationToken ct)
    {
        if (await CustomerAsync(http, ct) is not { } customer)
        {
            return NotFound("customerId", "No marketing profile exists for this member.");
        }
        await dsr.EraseAsync(customer, cancellationToken: ct);
        shop.ForgetAccount(Member(user));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RecommendationList>, ProblemHttpResult>> RecommendAsync(HttpContext http, IRecommender recommender, CancellationToken ct)
    {
        if (await CustomerAsync(http, ct) is not { } customer)
        {
            return NotFound("customerId", "No marketing profile exists for this member.");
        }
        // A model that is not trained yet throws RecommendationException(ModelNotReady): answered 503 with Retry-After.
        return TypedResults.Ok(await recommender.RecommendForCustomerAsync(customer, cancellationToken: ct));
    }

    private static string Member(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier)!;

    private static async ValueTask<IReadOnlyList<Identity>> IdentitiesAsync(HttpContext http, CancellationToken ct) =>
        await http.RequestServices.GetRequiredService<global::Marketing.Sdk.AspNetCore.Tracking.ITrackingIdentityResolver>().ResolveAsync(http, ct);

    /// <summary>The member's marketing profile, found through its member id in the identity graph.</summary>
    private static async ValueTask<CustomerId?> CustomerAsync(HttpContext http, CancellationToken ct)
    {
        var member = Identity.Member(Member(http.User));
        var owners = await http.RequestServices.GetRequiredService<IIdentityGraphStore>().FindAsync([member], ct);
        return owners.TryGetValue(member, out var id) ? id : null;
    }

    private static ProblemHttpResult NotFound(string field, string detail) =>
        TypedResults.Problem(new MarketingProblem(StatusCodes.Status404NotFound, MarketingProblemTypes.NotFound, MarketingProblem.TitleOf(MarketingProblemTypes.NotFound), detail, "shop.not_found", field).ToProblemDetails());

    private static ProblemHttpResult Problem(string type, string field, string reason, string detail) =>
        TypedResults.Problem(MarketingProblem.ForField(StatusCodes.Status400BadRequest, type, field, reason, "validation." + reason.ToLowerInvariant(), detail).ToProblemDetails());
}
