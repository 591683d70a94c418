using System.Net;
using System.Text.Json;
using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ECommerce.Api.Tests;

/// <summary>Batches answered per item, and the trust boundary: no caller can act as another customer.</summary>
public sealed class TrackingTests(ShopFactory shop) : IClassFixture<ShopFactory>
{
    private static string Item(string id, string extra = "") =>
        $$"""{"id": "{{id}}", "type": "product_view", "occurredAt": "2026-01-15T10:00:00Z", "anonymousIds": [{"kind": "DeviceId", "value": "dev-{{id}}"}]{{extra}}}""";

    [Fact]
    public async Task A_batch_keeps_every_valid_item_and_answers_each_bad_one_with_field_reason_and_code()
    {
        using var client = shop.Client();
        var items = new[]
        {
            Item("b-ok-1"),
            Item("b-bad-overflow", """, "order": {"orderId": "o", "placedAt": "2026-01-15T10:00:00Z", "lines": [{"productId": "p", "quantity": 2, "unitPrice": {"amount": 79228162514264337593543950335, "currency": "EUR"}}]}"""),
            Item("b-ok-2", """, "properties": {"product_id": "sku-100"}"""),
            Item("b-bad-spoof", """, "customerId": "c_someone_else" """),
            "null",
            Item("b-bad-kind").Replace("\"DeviceId\"", "99", StringComparison.Ordinal),
            Item("b-bad-dup", """, "id": "again" """),
            Item("b-ok-1"),
            Item("b-bad-props", """, "properties": null"""),
            Item("b-ok-3", """, "channel": "search", "value": {"amount": 12.5, "currency": "eur"}"""),
        };
        using var response = await client.PostAsync("/marketing/events/batch", Http.Json("{\"events\": [" + string.Join(", ", items) + "]}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(3, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(6, body.GetProperty("rejected").GetInt32());
        var results = body.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["Accepted", "Rejected", "Accepted", "Rejected", "Rejected", "Rejected", "Rejected", "Duplicate", "Rejected", "Accepted"],
            results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(Enumerable.Range(0, 10), results.Select(r => r.GetProperty("index").GetInt32()));
        (string Field, string Reason) Error(int i) => (results[i].GetProperty("error").GetProperty("field").GetString()!, results[i].GetProperty("error").GetProperty("reason").GetString()!);
        Assert.Equal(("order.lines[0].unitPrice.amount", "OutOfRange"), Error(1));
        Assert.Equal(("events[3].customerId", "UnknownMember"), Error(3));
        Assert.Equal(("events[4]", "NullNotAllowed"), Error(4));
        Assert.Equal(("events[5].anonymousIds[0].kind", "InvalidJson"), Error(5));
        Assert.Equal(("events[6].id", "DuplicateMember"), Error(6));
        Assert.Equal(("events[8].properties", "NullNotAllowed"), Error(8));
        Assert.All(results.Where(r => r.GetProperty("status").GetString() == "Rejected"), r =>
        {
            Assert.StartsWith("validation.", r.GetProperty("error").GetProperty("code").GetString());
            // A value-free record: no exception internals on the wire.
            Assert.False(r.GetProperty("error").TryGetProperty("stackTrace", out _));
            Assert.False(r.GetProperty("error").TryGetProperty("targetSite", out _));
        });

        foreach (var id in new[] { "b-ok-1", "b-ok-2", "b-ok-3" })
        {
            var stored = await BadInputTests.Stored(shop, id);
            Assert.Equal(EventFlags.None, stored.Flags);
        }
        Assert.Equal(new Money(12.5m, "EUR"), (await BadInputTests.Stored(shop, "b-ok-3")).Value);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_above_the_limit_or_empty_is_refused_as_a_whole()
    {
        using var client = shop.Client();
        using var large = await client.PostAsync("/marketing/events/batch", Http.Json("{\"events\": [" + string.Join(", ", Enumerable.Range(0, 101).Select(i => Item("l" + i))) + "]}"));
        Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);
        var problem = await large.ReadJsonAsync();
        Assert.Equal(("events", "TooLarge"), (problem.GetProperty("field").GetString(), problem.GetProperty("reason").GetString()));
        using var empty = await client.PostAsync("/marketing/events/batch", Http.Json("{\"events\": []}"));
        Assert.Equal("Missing", (await empty.ReadJsonAsync()).GetProperty("reason").GetString());
        using var nullEvents = await client.PostAsync("/marketing/events/batch", Http.Json("{\"events\": null}"));
        Assert.Equal(("events", "NullNotAllowed"), ((await nullEvents.ReadJsonAsync()).GetProperty("field").GetString(), (await nullEvents.ReadJsonAsync()).GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task The_customer_comes_from_the_signed_in_caller_and_no_spoofing_reaches_another_profile()
    {
        using var alice = shop.Client("alice-spoof");
        using var first = await alice.PostAsync("/marketing/events", Http.Json(Item("alice-1")));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var aliceEvent = await BadInputTests.Stored(shop, "alice-1");
        var aliceId = aliceEvent.CustomerId!.Value;
        Assert.Contains(Identity.Member("alice-spoof"), aliceEvent.Identities);

        using var mallory = shop.Client("mallory");
        var attempts = new[]
        {
            Item("m-1", $$""", "customerId": "{{aliceId.Value}}" """),
            Item("m-2", """, "flags": "None" """),
            Item("m-3").Replace("\"DeviceId\", \"value\": \"dev-m-3\"", "\"MemberId\", \"value\": \"alice-spoof\"", StringComparison.Ordinal),
            Item("m-4").Replace("\"DeviceId\"", "\"member_id\"", StringComparison.Ordinal),
            Item("m-5").Replace("\"DeviceId\"", "\"Email\"", StringComparison.Ordinal),
        };
        foreach (var attempt in attempts)
        {
            using var response = await mallory.PostAsync("/marketing/events", Http.Json(attempt));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        // Anonymous callers cannot claim a member either.
        using var anonymous = shop.Client();
        using var anon = await anonymous.PostAsync("/marketing/events", Http.Json(Item("anon-1").Replace("\"DeviceId\", \"value\": \"dev-anon-1\"", "\"MemberId\", \"value\": \"alice-spoof\"", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, anon.StatusCode);

        var events = shop.Services.GetRequiredService<IEventStore>();
        Assert.Equal(1, await events.CountAsync(new EventQuery { CustomerId = aliceId }));
        // Mallory's own events land on Mallory's profile.
        using var own = await mallory.PostAsync("/marketing/events", Http.Json(Item("m-own")));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.NotEqual(aliceId, (await BadInputTests.Stored(shop, "m-own")).CustomerId);
    }

    [Fact]
    public async Task The_shop_endpoints_answer_unreadable_bodies_and_library_errors_with_problems()
    {
        using var admin = shop.Client("admin");
        using var badRule = await admin.PutAsync("/admin/segments/bad_rule", Http.Json("""{"rule": "count(purchase) within >= 1"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badRule.StatusCode);
        var rule = await badRule.ReadJsonAsync();
        Assert.Equal("rule", rule.GetProperty("field").GetString());
        Assert.EndsWith("segment-rule", rule.GetProperty("type").GetString());

        using var unknown = await admin.GetAsync("/admin/segments/no_such_segment/members");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.EndsWith("not-found", (await unknown.ReadJsonAsync()).GetProperty("type").GetString());

        using var customer = shop.Client("body-tester");
        using var malformed = await customer.PostAsync("/cart/items", Http.Json("""{"productId": "sku-100", "quantity": "two"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var json = await malformed.ReadJsonAsync();
        Assert.Equal("quantity", json.GetProperty("field").GetString());
        Assert.Equal("InvalidJson", json.GetProperty("reason").GetString());

        using var spoof = await customer.PostAsync("/cart/items", Http.Json("""{"productId": "sku-100", "quantity": 1, "memberId": "alice"}"""));
        Assert.Equal("memberId", (await spoof.ReadJsonAsync()).GetProperty("field").GetString());

        using var badPurpose = await customer.PutAsync("/me/consent", Http.Json("""{"purpose": "Not a purpose!", "granted": true}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badPurpose.StatusCode);
        Assert.Equal("purpose", (await badPurpose.ReadJsonAsync()).GetProperty("field").GetString());
    }
}
