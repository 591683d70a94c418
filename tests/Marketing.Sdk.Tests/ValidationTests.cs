using Microsoft.Extensions.DependencyInjection;
using Marketing.Sdk.Ingestion;

namespace Marketing.Sdk.Tests;

public class ValidationTests
{
    private static async Task<MarketingValidationException> Reject(MarketingEvent e, Action<IMarketingBuilder>? configure = null)
    {
        await using var host = new TestHost(configure);
        var ex = await Assert.ThrowsAsync<MarketingValidationException>(() => host.Collector.TrackAsync(e).AsTask());
        Assert.Equal(0, await host.Events.CountAsync(Storage.EventQuery.All));
        return ex;
    }

    private static MarketingEvent Valid() => new()
    {
        Id = "e1", Type = EventType.PageView, OccurredAt = TestHost.Now.AddMinutes(-5), Identities = [Identity.Member("m1")],
    };

    [Fact]
    public async Task Missing_id()
    {
        var ex = await Reject(Valid() with { Id = " " });
        Assert.Equal(("id", ValidationReason.Missing), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Missing_identities()
    {
        var ex = await Reject(Valid() with { Identities = [] });
        Assert.Equal(("identities", ValidationReason.Missing), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Future_timestamp_beyond_skew()
    {
        var ex = await Reject(Valid() with { OccurredAt = TestHost.Now.AddMinutes(6) });
        Assert.Equal(("occurredAt", ValidationReason.FutureTimestamp), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Future_timestamp_within_skew_is_accepted()
    {
        await using var host = new TestHost();
        var r = await host.Collector.TrackAsync(Valid() with { OccurredAt = TestHost.Now.AddMinutes(4) });
        Assert.Equal(TrackStatus.Accepted, r.Status);
    }

    [Fact]
    public async Task Too_old_when_a_maximum_age_is_set()
    {
        var ex = await Reject(Valid() with { OccurredAt = TestHost.Now.AddDays(-40) }, m => m.ConfigureIngestion(o => o.MaxEventAge = TimeSpan.FromDays(30)));
        Assert.Equal(ValidationReason.TooOld, ex.Reason);
    }

    [Fact]
    public async Task Negative_quantity()
    {
        var ex = await Reject(Valid() with
        {
            Type = EventType.Purchase,
            Order = new Order
            {
                OrderId = "o1", PlacedAt = TestHost.Now,
                Lines = [new OrderLine { ProductId = "a", Quantity = 1, UnitPrice = new Money(1, "CNY") }, new OrderLine { ProductId = "b", Quantity = -2, UnitPrice = new Money(1, "CNY") }],
            },
        });
        Assert.Equal(("order.lines[1].quantity", ValidationReason.Negative), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Mixed_currencies_in_an_order()
    {
        var ex = await Reject(Valid() with
        {
            Type = EventType.Purchase,
            Order = new Order
            {
                OrderId = "o1", PlacedAt = TestHost.Now,
                Lines = [new OrderLine { ProductId = "a", Quantity = 1, UnitPrice = new Money(1, "CNY") }, new OrderLine { ProductId = "b", Quantity = 1, UnitPrice = new Money(1, "USD") }],
            },
        });
        Assert.Equal(("order.lines[1].unitPrice.currency", ValidationReason.InvalidCurrency), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Missing_currency_is_missing_not_invalid()
    {
        var ex = await Reject(Valid() with { Value = default(Money) });
        Assert.Equal(("value.currency", ValidationReason.Missing), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Unknown_identity_kind()
    {
        var ex = await Reject(Valid() with { Identities = [Identity.Member("m1"), new Identity((IdentityKind)99, "x")] });
        Assert.Equal(("identities[1].kind", ValidationReason.UnknownIdentityKind), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Oversize_property_value()
    {
        var ex = await Reject(Valid() with { Properties = new Dictionary<string, PropertyValue> { ["note"] = new string('x', 5000) } });
        Assert.Equal(("properties.note", ValidationReason.TooLarge), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Too_many_properties()
    {
        var props = Enumerable.Range(0, 101).ToDictionary(i => $"p{i}", i => (PropertyValue)i);
        var ex = await Reject(Valid() with { Properties = props });
        Assert.Equal(("properties", ValidationReason.TooLarge), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Unpaired_surrogate()
    {
        var ex = await Reject(Valid() with { SessionId = "abc\ud800" });
        Assert.Equal(("sessionId", ValidationReason.InvalidCharacters), (ex.Field, ex.Reason));
    }

    [Theory]
    [InlineData(IdentityKind.Email, "not-an-email")]
    [InlineData(IdentityKind.Phone, "12")]
    public async Task Malformed_identity_values(IdentityKind kind, string value)
    {
        var ex = await Reject(Valid() with { Identities = [new Identity(kind, value)] });
        Assert.Equal(("identities[0].value", ValidationReason.InvalidFormat), (ex.Field, ex.Reason));
        Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_member_ids_on_one_event_are_inconsistent()
    {
        var ex = await Reject(Valid() with { Identities = [Identity.Member("m1"), Identity.Member("m2")] });
        Assert.Equal(("identities", ValidationReason.Inconsistent), (ex.Field, ex.Reason));
    }

    [Fact]
    public async Task Batch_reports_rejections_per_item_and_stores_the_rest()
    {
        await using var host = new TestHost();
        var good = Valid();
        var bad = Valid() with { Id = "e2", OccurredAt = TestHost.Now.AddHours(1) };
        var result = await host.Collector.TrackBatchAsync([good, bad, Valid() with { Id = "e3" }]);
        Assert.Equal(2, result.Accepted);
        Assert.Equal(1, result.Rejected);
        Assert.Equal(1, result.Results[1].Error!.Index);
        Assert.Equal(2, await host.Events.CountAsync(Storage.EventQuery.All));
        var thrown = Assert.Throws<MarketingValidationException>(result.ThrowIfAnyRejected);
        Assert.Equal(1, thrown.Index);
    }
}
