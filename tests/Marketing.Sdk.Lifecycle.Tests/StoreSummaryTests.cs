using Marketing.Sdk.Lifecycle.Models;
using Marketing.Sdk.Tests.Shared;

namespace Marketing.Sdk.Lifecycle.Tests;

/// <summary>Model summaries read straight from a store equal those built from the same events as objects.</summary>
public sealed class StoreSummaryTests
{
    public static TheoryData<int> Variants() => [0, 1, 2];

    private static CustomerSummaryOptions Options(int variant) => variant switch
    {
        1 => new CustomerSummaryOptions { CalibrationEnd = new DateOnly(2026, 3, 1), HoldoutEnd = new DateOnly(2026, 5, 1), Period = TimeSpan.FromDays(1), TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai") },
        2 => new CustomerSummaryOptions { CalibrationEnd = new DateOnly(2026, 2, 1), TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles") },
        _ => new CustomerSummaryOptions { CalibrationEnd = new DateOnly(2026, 4, 1), HoldoutEnd = new DateOnly(2026, 7, 1) },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Summaries_from_the_store_equal_summaries_from_the_events(int variant)
    {
        await using var data = await StoredEventsData.CreateAsync(seed: 30 + variant);
        var options = Options(variant);
        var expected = await CustomerSummaryBuilder.BuildAsync(data.Events.ToAsyncEnumerable(), options);
        Assert.NotEmpty(expected);

        foreach (var (store, _) in data.Stores)
        {
            Assert.Equal(expected, await CustomerSummaryBuilder.BuildAsync(store, options));
        }
    }

    [Fact]
    public async Task Orders_in_two_currencies_are_refused_as_from_events()
    {
        await using var data = await StoredEventsData.CreateAsync(seed: 33, customers: 30);
        var at = StoredEventsData.Start;
        await data.AppendAsync([new MarketingEvent
        {
            Id = "usd-1", Type = EventType.Purchase, OccurredAt = at, CustomerId = new CustomerId("zz-last"),
            Order = new Order { OrderId = "usd-o", PlacedAt = at, Lines = [new OrderLine { ProductId = "p", Quantity = 1, UnitPrice = new Money(5, "USD") }] },
        }]);

        foreach (var (store, _) in data.Stores)
        {
            await Assert.ThrowsAsync<CurrencyMismatchException>(async () => await CustomerSummaryBuilder.BuildAsync(store, Options(0)));
        }
    }
}
