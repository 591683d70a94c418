using System.Text.Json;
using Marketing.Sdk;

namespace Marketing.Sdk.Abstractions.Tests;

public class MoneyTests
{
    [Fact]
    public void Arithmetic_within_one_currency()
    {
        var a = new Money(10.50m, "eur");
        var b = new Money(2.25m, "EUR");
        Assert.Equal(new Money(12.75m, "EUR"), a + b);
        Assert.Equal(new Money(8.25m, "EUR"), a - b);
        Assert.Equal(new Money(21m, "EUR"), a * 2);
        Assert.True(a > b);
        Assert.Equal("EUR", a.Currency);
    }

    [Fact]
    public void Mixing_currencies_throws()
    {
        var ex = Assert.Throws<CurrencyMismatchException>(() => new Money(1, "EUR") + new Money(1, "USD"));
        Assert.Equal("EUR", ex.Left);
        Assert.Equal("USD", ex.Right);
    }

    [Theory]
    [InlineData("EURO")]
    [InlineData("ABC")]
    [InlineData("")]
    public void Unknown_currency_is_a_validation_error(string code)
    {
        var ex = Assert.Throws<MarketingValidationException>(() => new Money(1, code));
        Assert.Equal("currency", ex.Field);
    }

    [Theory]
    [InlineData(12.345, "USD", 1235L)]
    [InlineData(1500, "JPY", 1500L)]
    [InlineData(1.2345, "KWD", 1235L)]
    public void Minor_units_follow_iso_4217(double amount, string currency, long expected) =>
        Assert.Equal(expected, new Money((decimal)amount, currency).ToMinorUnits());

    [Fact]
    public void Micros_round_trip() =>
        Assert.Equal(new Money(12.345678m, "USD"), Money.FromMicros(new Money(12.345678m, "USD").ToMicros(), "USD"));

    [Fact]
    public void Parse_and_format_are_invariant() =>
        Assert.Equal(new Money(12.34m, "CNY"), Money.Parse(new Money(12.34m, "CNY").ToString()));
}

public class NameTests
{
    [Theory]
    [InlineData("Private Domain", "private_domain")]
    [InlineData("  WeChat ", "wechat")]
    [InlineData("private-domain", "private_domain")]
    public void Channels_are_normalised(string input, string expected) => Assert.Equal(expected, new Channel(input).Value);

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("a b;drop")]
    public void Bad_names_are_rejected(string input) =>
        Assert.Throws<MarketingValidationException>(() => new EventType(input));

    [Fact]
    public void Well_known_values_are_distinct()
    {
        Assert.Equal(EventType.WellKnown.Count, EventType.WellKnown.Distinct().Count());
        Assert.Equal(Channel.WellKnown.Count, Channel.WellKnown.Distinct().Count());
        Assert.Equal(16, EventType.WellKnown.Count);
    }
}

public class PersonalDataTests
{
    [Fact]
    public void ToString_never_shows_identity_values()
    {
        var identity = Identity.Email("alice@example.com");
        Assert.DoesNotContain("alice", identity.ToString(), StringComparison.Ordinal);
        var e = new MarketingEvent
        {
            Id = "e1", Type = EventType.Login, OccurredAt = DateTimeOffset.UnixEpoch,
            Identities = [identity, Identity.Phone("+8613800138000")], IpAddress = "203.0.113.9",
            Properties = new Dictionary<string, PropertyValue> { ["name"] = "Alice" },
        };
        var text = e.ToString();
        Assert.DoesNotContain("alice", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("13800138000", text, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.9", text, StringComparison.Ordinal);
        var profile = new CustomerProfile { Id = new CustomerId("c_1"), Identities = [identity], Traits = new Dictionary<string, PropertyValue> { ["name"] = "Alice" } };
        Assert.DoesNotContain("alice", profile.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}

public class JsonTests
{
    [Fact]
    public void Events_round_trip_through_the_source_generated_context()
    {
        var e = new MarketingEvent
        {
            Id = "order-1:purchase",
            Type = EventType.Purchase,
            OccurredAt = new DateTimeOffset(2026, 11, 11, 20, 15, 0, TimeSpan.FromHours(8)),
            Identities = [Identity.Member("m1"), Identity.Phone("+8613800138000")],
            CustomerId = new CustomerId("c_1"),
            Channel = Channel.Douyin,
            Value = new Money(199.90m, "CNY"),
            Order = new Order
            {
                OrderId = "order-1", PlacedAt = new DateTimeOffset(2026, 11, 11, 20, 15, 0, TimeSpan.FromHours(8)),
                Lines = [new OrderLine { ProductId = "sku-1", Quantity = 2, UnitPrice = new Money(99.95m, "CNY") }],
            },
            Properties = new Dictionary<string, PropertyValue> { ["coupon"] = "双11", ["first"] = true, ["score"] = 4.5m, ["none"] = PropertyValue.Null },
            Flags = EventFlags.SuspectedBot | EventFlags.RegionInferred,
        };
        var json = JsonSerializer.Serialize(e, MarketingJsonContext.Default.MarketingEvent);
        var back = JsonSerializer.Deserialize(json, MarketingJsonContext.Default.MarketingEvent)!;
        Assert.Equal(e.Id, back.Id);
        Assert.Equal(e.OccurredAt, back.OccurredAt);
        Assert.Equal(e.OccurredAt.Offset, back.OccurredAt.Offset);
        Assert.Equal(e.Identities, back.Identities);
        Assert.Equal(e.Value, back.Value);
        Assert.Equal(e.Order.Lines[0], back.Order!.Lines[0]);
        Assert.Equal(e.Properties.OrderBy(p => p.Key), back.Properties.OrderBy(p => p.Key));
        Assert.Equal(e.Flags, back.Flags);
        Assert.Equal(json, JsonSerializer.Serialize(back, MarketingJsonContext.Default.MarketingEvent));
    }

    [Fact]
    public void Profiles_round_trip_with_tags_and_consents()
    {
        var p = new CustomerProfile
        {
            Id = new CustomerId("c_1"),
            StaticTags = new HashSet<string> { "vip" },
            DynamicTags = new HashSet<string> { "segment:loyal" },
            Consents = new Dictionary<ConsentPurpose, ConsentState> { [ConsentPurpose.AdTargeting] = new(true, DateTimeOffset.UnixEpoch) },
            Traits = new Dictionary<string, PropertyValue> { ["age"] = 31 },
            Version = 3,
        };
        var json = JsonSerializer.Serialize(p, MarketingJsonContext.Default.CustomerProfile);
        var back = JsonSerializer.Deserialize(json, MarketingJsonContext.Default.CustomerProfile)!;
        Assert.True(back.HasConsent(ConsentPurpose.AdTargeting));
        Assert.Contains("vip", back.StaticTags);
        Assert.Contains("segment:loyal", back.DynamicTags);
        Assert.Equal(31m, back.Trait("age").AsNumber());
        Assert.Equal(3, back.Version);
    }
}
