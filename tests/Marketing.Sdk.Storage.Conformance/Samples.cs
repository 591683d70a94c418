using System.Text.Json;

namespace Marketing.Sdk.Storage.Conformance;

/// <summary>Test data and exact-comparison helpers.</summary>
public static class Samples
{
    /// <summary>Strings that break naive SQL, JSON or encodings.</summary>
    public static readonly string[] Nasty =
    [
        "'; DROP TABLE events; --",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM profiles WHERE ('1'='1",
        "back\\slash % _ [x] $1 @p :name ?",
        "新年快乐 — émoji 🎉👩‍👩‍👧 \u200B zero-width",
        "tab\tnewline\ncr\r",
        "\u0001\u001f control",
        "E'\\x00' $$dollar$$ /* c */",
    ];

    public static CustomerId Customer(string suffix) => new("c_" + suffix);

    public static MarketingEvent Event(string id, CustomerId customer, DateTimeOffset at, EventType? type = null) => new()
    {
        Id = id,
        Type = type ?? EventType.PageView,
        OccurredAt = at,
        CustomerId = customer,
        Identities = [Identity.Member("m-" + customer.Value)],
    };

    public static MarketingEvent RichEvent(string id, CustomerId customer, DateTimeOffset at) => new()
    {
        Id = id,
        Type = EventType.Purchase,
        OccurredAt = at,
        CustomerId = customer,
        Identities = [Identity.Email("a@example.com"), Identity.Phone("+8613800138000"), Identity.WeChatOpenId("o_abc")],
        Channel = Channel.Douyin,
        CampaignId = "camp-1",
        SessionId = "s-1",
        Region = "CN-31",
        IpAddress = "2001:db8::1",
        Value = new Money(1234.5600m, "CNY"),
        Order = new Order
        {
            OrderId = "o-1",
            PlacedAt = at.AddMinutes(-1),
            Lines = [new OrderLine { ProductId = "p-1", Quantity = 2, UnitPrice = new Money(617.2800m, "CNY"), Category = "鞋" }],
            Total = new Money(1234.5600m, "CNY"),
            CouponCode = "NEW10",
        },
        Properties = new Dictionary<string, PropertyValue>
        {
            ["price"] = 0.10m,
            ["big"] = 79228162514264337593543950335m,
            ["tiny"] = 0.0000000000000000000000000001m,
            ["flag"] = true,
            ["none"] = PropertyValue.Null,
            ["text"] = "双十一 🎁",
        },
        Flags = EventFlags.RegionInferred,
        ReceivedAt = at.AddSeconds(3).ToOffset(TimeSpan.Zero),
    };

    public static CustomerProfile Profile(CustomerId id, DateTimeOffset at) => new()
    {
        Id = id,
        Identities = [Identity.Email("p@example.com"), Identity.Device("IDFA-1")],
        Traits = new Dictionary<string, PropertyValue> { ["age"] = 31, ["region"] = "上海", ["score"] = 12.500m, ["vip"] = true },
        StaticTags = new HashSet<string> { "vip", "早鸟" },
        DynamicTags = new HashSet<string> { "segment:loyal" },
        Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.Email] = new(true, at.ToOffset(TimeSpan.FromHours(8))) },
        FirstSeen = at.ToOffset(TimeSpan.FromHours(-5)),
        LastSeen = at.AddDays(3).ToOffset(TimeSpan.FromMinutes(345)),
        EventCount = 42,
        MergedFrom = [new CustomerId("c_old")],
    };

    public static OutboxMessage Message(string destination, string key, CustomerId? customer = null, byte[]? payload = null) => new()
    {
        Destination = destination,
        IdempotencyKey = key,
        Payload = payload ?? System.Text.Encoding.UTF8.GetBytes($"{{\"k\":\"{key}\"}}"),
        CustomerId = customer,
        Headers = new Dictionary<string, string> { ["x-trace"] = "t-" + key },
    };

    /// <summary>The canonical JSON of an event (exact comparison, including offsets and decimal scales).</summary>
    public static string Json(MarketingEvent e) => JsonSerializer.Serialize(e, MarketingJsonContext.Default.MarketingEvent);

    /// <summary>The canonical JSON of a profile.</summary>
    public static string Json(CustomerProfile p) => JsonSerializer.Serialize(p, MarketingJsonContext.Default.CustomerProfile);

    /// <summary>Runs <paramref name="action"/>: it must either succeed (then <paramref name="verify"/> checks the exact round trip) or throw <see cref="MarketingValidationException"/>.</summary>
    public static async Task StoredExactlyOrRejectedAsync(Func<Task> action, Func<Task> verify)
    {
        try
        {
            await action();
        }
        catch (MarketingValidationException)
        {
            return;
        }
        await verify();
    }
}
