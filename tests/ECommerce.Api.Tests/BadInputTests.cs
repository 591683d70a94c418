using System.Net;
using System.Text;
using System.Text.Json;
using Marketing.Sdk;
using Marketing.Sdk.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ECommerce.Api.Tests;

/// <summary>
/// The bad-input table against the shop's tracking endpoint over HTTP: every row gets a 4xx
/// ProblemDetails that names the field and the reason, and no personal value comes back or is logged.
/// </summary>
public sealed class BadInputTests(ShopFactory shop) : IClassFixture<ShopFactory>
{
    internal const string CanaryCookie = "cookie-CANARY-7f3a";
    internal const string CanaryText = "canary-PERSONAL-value-19";

    private static string Event(string extra = "", string id = "\"ev-1\"", string occurredAt = "\"2026-01-15T10:00:00+01:00\"") =>
        $$"""{"id": {{id}}, "type": "page_view", "occurredAt": {{occurredAt}}, "anonymousIds": [{"kind": "CookieId", "value": "{{CanaryCookie}}"}]{{extra}}}""";

    private static string OrderEvent(string amount, int quantity = 2, string lines = "")
    {
        var theLines = lines.Length > 0 ? lines : "[{\"productId\": \"sku-1\", \"quantity\": " + quantity + ", \"unitPrice\": {\"amount\": " + amount + ", \"currency\": \"EUR\"}}]";
        return "{\"id\": \"ord-1\", \"type\": \"purchase\", \"occurredAt\": \"2026-01-15T10:00:00Z\", \"anonymousIds\": [{\"kind\": \"CookieId\", \"value\": \"" + CanaryCookie + "\"}], "
            + "\"order\": {\"orderId\": \"o-1\", \"placedAt\": \"2026-01-15T10:00:00Z\", \"lines\": " + theLines + "}}";
    }

    public static TheoryData<string, string, int, string, string> Rows() => new()
    {
        // name, body, status, field (exact), reason
        { "malformed JSON", """{"id": "ev-1", "type": """, 400, "type", "InvalidJson" },
        { "not an object", "[1, 2, 3]", 400, "$", "InvalidJson" },
        { "missing id", Event().Replace("\"id\": \"ev-1\", ", "", StringComparison.Ordinal), 400, "id", "Missing" },
        { "null id", Event(id: "null"), 400, "id", "Missing" },
        { "oversized id", Event(id: "\"" + new string('x', 300) + "\""), 400, "id", "TooLarge" },
        { "missing type", Event().Replace("\"type\": \"page_view\", ", "", StringComparison.Ordinal), 400, "type", "Missing" },
        { "invalid type", Event().Replace("page_view", "Page View!", StringComparison.Ordinal), 400, "type", "InvalidFormat" },
        { "type as number", Event().Replace("\"page_view\"", "7", StringComparison.Ordinal), 400, "type", "InvalidJson" },
        { "missing occurredAt", Event(occurredAt: "null"), 400, "occurredAt", "Missing" },
        { "year 9999", Event(occurredAt: "\"9999-12-31T23:59:59Z\""), 400, "occurredAt", "OutOfRange" },
        { "year 0001", Event(occurredAt: "\"0001-01-01T00:00:00Z\""), 400, "occurredAt", "OutOfRange" },
        { "not a date", Event(occurredAt: "\"yesterday\""), 400, "occurredAt", "InvalidJson" },
        { "unpaired surrogate", Event(", \"campaignId\": \"a\\ud800b\""), 400, "campaignId", "InvalidCharacters" },
        { "unpaired surrogate in a property", Event(", \"properties\": {\"note\": \"x\\udc00\"}"), 400, "properties.note", "InvalidCharacters" },
        { "NUL", Event(", \"sessionId\": \"s\\u0000" + CanaryText + "\""), 400, "sessionId", "InvalidCharacters" },
        { "revenue overflow", OrderEvent("79228162514264337593543950335"), 400, "order.lines[0].unitPrice.amount", "OutOfRange" },
        { "amount beyond decimal", OrderEvent("1e30"), 400, "order.lines[0].unitPrice.amount", "InvalidJson" },
        { "quantity overflow", OrderEvent("10", quantity: 2147483647), 400, "order.lines[0].quantity", "TooLarge" },
        { "negative quantity", OrderEvent("10", quantity: -1), 400, "order.lines[0].quantity", "OutOfRange" },
        { "null lines", OrderEvent("10", lines: "null"), 400, "order.lines", "NullNotAllowed" },
        { "no lines", OrderEvent("10", lines: "[]"), 400, "order.lines", "Missing" },
        { "invalid currency", Event(", \"value\": {\"amount\": 10, \"currency\": \"EURO\"}"), 400, "value.currency", "InvalidCurrency" },
        { "spoofed customerId", Event(", \"customerId\": \"c_victim\""), 400, "customerId", "UnknownMember" },
        { "not-an-id customerId", Event(", \"customerId\": \"not-an-id\""), 400, "customerId", "UnknownMember" },
        { "spoofed flags", Event(", \"flags\": \"None\""), 400, "flags", "UnknownMember" },
        { "flags -1", Event(", \"flags\": -1"), 400, "flags", "UnknownMember" },
        { "spoofed receivedAt", Event(", \"receivedAt\": \"2026-01-15T10:00:00Z\""), 400, "receivedAt", "UnknownMember" },
        { "null identities", Event().Replace("[{\"kind\": \"CookieId\", \"value\": \"" + CanaryCookie + "\"}]", "null", StringComparison.Ordinal), 400, "anonymousIds", "NullNotAllowed" },
        { "no identity at all", Event().Replace("{\"kind\": \"CookieId\", \"value\": \"" + CanaryCookie + "\"}", "", StringComparison.Ordinal), 400, "anonymousIds", "Missing" },
        { "null properties", Event(", \"properties\": null"), 400, "properties", "NullNotAllowed" },
        { "null property value", Event(", \"properties\": {\"x\": null}"), 400, "properties.x", "NullNotAllowed" },
        { "NaN property", Event(", \"properties\": {\"x\": NaN}"), 400, "properties", "InvalidJson" },
        { "huge number property", Event(", \"properties\": {\"x\": 1e400}"), 400, "properties.x", "OutOfRange" },
        { "object property", Event(", \"properties\": {\"x\": {\"y\": 1}}"), 400, "properties.x", "InvalidFormat" },
        { "101 properties", Event(", \"properties\": {" + string.Join(", ", Enumerable.Range(0, 101).Select(i => $"\"p{i}\": {i}")) + "}"), 400, "properties", "TooLarge" },
        { "property name with personal data", Event(", \"properties\": {\"" + CanaryText + "@example.com\": 1}"), 400, "properties", "InvalidFormat" },
        { "duplicate keys", Event(", \"id\": \"ev-2\""), 400, "id", "DuplicateMember" },
        { "identity kind 99", Event().Replace("\"CookieId\"", "99", StringComparison.Ordinal), 400, "anonymousIds[0].kind", "InvalidJson" },
        { "identity kind \"99\"", Event().Replace("\"CookieId\"", "\"99\"", StringComparison.Ordinal), 400, "anonymousIds[0].kind", "UnknownIdentityKind" },
        { "email claimed by the client", Event().Replace("\"CookieId\"", "\"Email\"", StringComparison.Ordinal), 400, "anonymousIds[0].kind", "NotAllowed" },
        { "member id claimed by the client", Event().Replace("\"CookieId\"", "\"MemberId\"", StringComparison.Ordinal), 400, "anonymousIds[0].kind", "NotAllowed" },
        { "null anonymous id value", Event().Replace("\"" + CanaryCookie + "\"", "null", StringComparison.Ordinal), 400, "anonymousIds[0].value", "Missing" },
        { "5 MB value", Event(", \"properties\": {\"x\": \"" + new string('a', 5 * 1024 * 1024) + "\"}"), 413, "body", "TooLarge" },
        { "100 000 properties", Event(", \"properties\": {" + string.Join(", ", Enumerable.Range(0, 100_000).Select(i => $"\"p{i}\": {i}")) + "}"), 413, "body", "TooLarge" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Every_bad_input_gets_a_problem_naming_the_field_and_reason(string name, string body, int status, string field, string reason)
    {
        using var client = shop.Client();
        using var response = await client.PostAsync("/marketing/events", Http.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{name}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("https://", problem.GetProperty("type").GetString());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.StartsWith("validation.", problem.GetProperty("code").GetString());
        Assert.DoesNotContain(CanaryCookie, text, StringComparison.Ordinal);
        Assert.DoesNotContain(CanaryText, text, StringComparison.Ordinal);
        AssertNoCanaryLogged(shop);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_415()
    {
        using var client = shop.Client();
        using var response = await client.PostAsync("/marketing/events", new StringContent(Event(), Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SQL_metacharacters_are_stored_literally()
    {
        const string sql = "Robert'); DROP TABLE events;-- \" OR 1=1 /*";
        using var client = shop.Client("sql-member");
        var body = """{"id": "sql-1", "type": "search", "occurredAt": "2026-01-15T10:00:00Z", "campaignId": "x' OR '1'='1", "properties": {"query": """ + JsonSerializer.Serialize(sql) + "}}";
        using var response = await client.PostAsync("/marketing/events", Http.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Accepted", (await response.ReadJsonAsync()).GetProperty("status").GetString());

        var stored = await Stored(shop, "sql-1");
        Assert.Equal(sql, stored.Property("query").AsString());
        Assert.Equal("x' OR '1'='1", stored.CampaignId);
        Assert.Equal(IdentityKind.MemberId, Assert.Single(stored.Identities).Kind);
    }

    internal static async Task<MarketingEvent> Stored(ShopFactory shop, string id)
    {
        await foreach (var e in shop.Services.GetRequiredService<IEventStore>().ReadAsync(EventQuery.All))
        {
            if (e.Id == id)
            {
                return e;
            }
        }
        throw new Xunit.Sdk.XunitException($"event {id} is not stored");
    }

    internal static void AssertNoCanaryLogged(ShopFactory shop)
    {
        foreach (var record in shop.Logs.GetSnapshot())
        {
            var text = record.Message + " " + record.Exception + " " + string.Join(";", record.StructuredState?.Select(kv => kv.Value) ?? []);
            Assert.False(text.Contains(CanaryCookie, StringComparison.Ordinal) || text.Contains(CanaryText, StringComparison.Ordinal),
                $"personal value logged by {record.Category}: {record.Id}");
        }
    }
}
